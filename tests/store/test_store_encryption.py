"""At-rest encryption: nothing on disk reveals answer text."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from app.core import logs, paths
from app.store import EventIn, EventKind, errors, open_store
from app.store.crypto import keyring_path
from app.store.db import SQLITE_HEADER, connect_raw
from app.store.store import LocalStore
from tests.store.storetools import ADMIN, ADMIN_PASSWORD, doc, make_store

CANARY = "CANARY-ຄຳຕອບລັບ-7f3a9c"


def _files_under(*folders: Path) -> list[Path]:
    found = []
    for folder in folders:
        for root, _dirs, files in os.walk(folder):
            found.extend(Path(root) / f for f in files)
    return found


def _leaks(files: list[Path]) -> list[Path]:
    needles = [CANARY.encode("utf-8"), CANARY.encode("utf-16-le"), CANARY[:6].encode()]
    return [f for f in files if any(n in f.read_bytes() for n in needles)]


@pytest.fixture
def file_logging(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real rotating log file, at DEBUG, as the app writes it."""
    monkeypatch.setattr(logs, "_configured", False)
    root = logging.getLogger()
    before = list(root.handlers)
    logs.setup_logging(logging.DEBUG)
    yield paths.log_dir()
    for handler in root.handlers[:]:
        if handler not in before:
            handler.close()
            root.removeHandler(handler)


def _work_with_canary(store: LocalStore) -> None:
    draft = store.start_submission(
        form_id="household", form_version="1", document=doc("uuid:c1", secret=CANARY)
    )
    for n in range(30):
        store.autosave(
            instance_id=draft.instance_id,
            document=doc("uuid:c1", secret=f"{CANARY} {n}"),
            ui_state={"page": n, "typed": CANARY},
            events=[
                EventIn(
                    EventKind.ANSWER_CHANGED,
                    field="secret",
                    old_value=CANARY,
                    new_value=f"{CANARY} {n}",
                )
            ],
        )
    store.finalise(instance_id=draft.instance_id)
    store.start_edit(instance_id=draft.instance_id, reason=f"fix {CANARY}")
    # A large sort that SQLite would spill to a temp file if temp_store allowed it.
    with store.session() as session:
        from sqlalchemy import text

        session.execute(text("SELECT document FROM revision ORDER BY document DESC")).all()
        session.execute(
            text("SELECT a.document FROM revision a, paradata_event b ORDER BY b.new_value")
        ).all()


def test_canary_never_reaches_disk_in_clear(home: Path, tmp_path: Path, file_logging: Path) -> None:
    store = make_store()
    _work_with_canary(store)
    # A failed save also goes through the error/logging path.
    with pytest.raises(errors.NotFoundError):
        store.autosave(instance_id="nope", document=doc("nope", secret=CANARY))
    data_dir = store.path.parent
    # Look while the database is open (WAL and SHM present) and after closing.
    open_files = _files_under(data_dir, tmp_path / "tmp", file_logging)
    assert any(f.name.endswith("-wal") for f in open_files)
    assert _leaks(open_files) == []
    store.close()
    closed_files = _files_under(tmp_path)
    assert store.path in closed_files and any(f.suffix == ".log" for f in closed_files)
    assert _leaks(closed_files) == []
    assert store.path.read_bytes()[:16] != SQLITE_HEADER


def test_canary_is_findable_without_encryption(home: Path, tmp_path: Path) -> None:
    """The same scan does find the canary in a plaintext store: the test can fail."""
    store = make_store(encrypted=False)
    _work_with_canary(store)
    store.close()
    assert store.path in _leaks(_files_under(tmp_path))


def test_database_cannot_be_read_without_key(store: LocalStore) -> None:
    conn = connect_raw(store.path, None)
    try:
        with pytest.raises(Exception, match="not a database"):
            conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
    finally:
        conn.close()


def test_missing_key_file_is_a_clear_error(store: LocalStore) -> None:
    store.close()
    keyring_path(store.path).rename(store.path.with_name("moved"))
    with pytest.raises(errors.DatabaseCorruptError, match="key file"):
        open_store(username=ADMIN, password=ADMIN_PASSWORD, path=store.path)


def test_key_file_of_another_database_is_refused(home: Path, tmp_path: Path) -> None:
    one = make_store(path=tmp_path / "one.db")
    two = make_store(path=tmp_path / "two.db")
    one.close()
    two.close()
    keyring_path(two.path).write_bytes(keyring_path(one.path).read_bytes())
    before = two.path.read_bytes()
    with pytest.raises(errors.DatabaseCorruptError):
        open_store(username=ADMIN, password=ADMIN_PASSWORD, path=two.path)
    assert two.path.read_bytes() == before
