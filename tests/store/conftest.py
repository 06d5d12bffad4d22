"""Fixtures for the store tests: a private SAMLUAT_HOME, cheap KDF costs, ready stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.store.store import LocalStore
from tests.store.storetools import make_store


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SAMLUAT_HOME (and SQLite's temp dir) under tmp_path; never the real user dirs."""
    home = tmp_path / "home"
    monkeypatch.setenv("SAMLUAT_HOME", str(home))
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("SQLITE_TMPDIR", str(tmp))
    monkeypatch.setenv("TMPDIR", str(tmp))
    return home


@pytest.fixture
def store(home: Path) -> Iterator[LocalStore]:
    """An encrypted store with one coordinator and one form version."""
    s = make_store()
    yield s
    s.close()


@pytest.fixture
def plain_store(home: Path) -> Iterator[LocalStore]:
    """The same without encryption."""
    s = make_store(encrypted=False)
    yield s
    s.close()
