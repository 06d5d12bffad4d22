"""Fixtures for the command-line tests: `samluat …` run in this process, a coordinator."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.cli.main import main
from app.core import paths
from app.fieldwork.library import register_study_forms
from tests.bundle.bundletools import PASSWORD, Coordinator, make_coordinator

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """`samluat ARGV…` in this process, `stdin` lines on standard input: (code, out, err)."""

    def run(*argv: str, stdin: str = PASSWORD + "\n") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def coordinator(tmp_path: Path) -> Iterator[Coordinator]:
    """A coordinator's store with the study's forms and a coordinator key."""
    c = make_coordinator(tmp_path)
    register_study_forms(c.store, paths.default_forms_dir())
    yield c
    c.close()
