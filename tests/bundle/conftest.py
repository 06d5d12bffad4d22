"""Fixtures for the bundle tests: a coordinator on SQLite or PostgreSQL, field laptops."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.bundle.keys import AgeIdentity, create_coordinator_keys, unlock_identity_file
from app.bundle.target import BundleTarget
from app.cli.main import main
from tests.bundle.bundletools import (
    PASSPHRASE,
    PASSWORD,
    Coordinator,
    Field,
    make_coordinator,
    make_field,
)
from tests.pgserver import postgres_server, reset_schema


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@dataclass
class Central:
    """A coordinator database (SQLite store or PostgreSQL central store) and its key."""

    engine: str
    target: BundleTarget
    identity: AgeIdentity
    card: Path
    coordinator: Coordinator | None


@pytest.fixture
def coordinator(tmp_path: Path) -> Iterator[Coordinator]:
    c = make_coordinator(tmp_path)
    yield c
    c.close()


@pytest.fixture
def field(tmp_path: Path, coordinator: Coordinator) -> Iterator[Field]:
    f = make_field(tmp_path, coordinator, "laptop-a")
    yield f
    f.close()


def open_central(engine: str, root: Path, pg: str | None) -> Central:
    """A fresh coordinator database on `engine` ('sqlite' or 'postgresql')."""
    if engine == "sqlite":
        c = make_coordinator(root, name=f"central-{len(list(root.glob('central-*.db')))}")
        return Central("sqlite", c.target, c.identity, c.card, c)
    assert pg is not None
    reset_schema(pg)
    target = BundleTarget.open_url(pg)
    keys_dir = root / f"pg-keys-{len(list(root.glob('pg-keys-*')))}"
    keys = create_coordinator_keys(target, out_dir=keys_dir, passphrase=PASSPHRASE)
    return Central(
        "postgresql",
        target,
        unlock_identity_file(keys.identity_file, PASSPHRASE),
        keys.card_file,
        None,
    )


def close_central(central: Central) -> None:
    if central.coordinator is not None:
        central.coordinator.close()
    else:
        central.target.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def central(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Central]:
    pg = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    c = open_central(request.param, tmp_path, pg)
    yield c
    close_central(c)


Run = Callable[..., tuple[int, str]]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """`samluat ARGV…` in this process, the password on standard input: (exit code, output)."""

    def run(argv: list[str], stdin: str = PASSWORD + "\n") -> tuple[int, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(argv)
        out, err = capsys.readouterr()
        return code, out + err

    return run
