"""Backup (SQLite backup API), `check` (integrity, counts, canonical hash), PRAGMAs, paths."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from app.core import paths
from app.store import errors, open_store, repo_forms, repo_submissions, users
from app.store.check import check_database, content_hash
from app.store.crypto import keyring_path
from app.store.db import SQLITE_HEADER, Database, connect_raw, default_db_path, make_engine
from app.store.migrate import upgrade_database
from app.store.store import LocalStore
from app.store.tables import Device, Role
from tests.store.storetools import ADMIN, ADMIN_PASSWORD, doc


def test_database_lives_under_samluat_home(home: Path, store: LocalStore) -> None:
    assert default_db_path() == paths.data_dir() / "samluat.db"
    assert store.path == default_db_path()
    assert home in store.path.parents


def test_every_connection_has_the_pragmas(store: LocalStore) -> None:
    expected = {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "busy_timeout": 5000,
        "secure_delete": 1,
        "temp_store": 2,
        "wal_autocheckpoint": 10_000,
    }
    connections = [store.db.engine.connect() for _ in range(4)]
    try:
        for conn in connections:
            raw = conn.connection.dbapi_connection
            from app.store.db import connection_pragmas

            assert connection_pragmas(raw) == expected
    finally:
        for conn in connections:
            conn.close()


def test_backup_is_encrypted_verified_and_opens(store: LocalStore, tmp_path: Path) -> None:
    store.start_submission(form_id="household", form_version="1", document=doc("uuid:b1", a=1))
    dest = tmp_path / "backups" / "copy.db"
    result = store.backup(dest=dest)
    assert result.path == dest and dest.read_bytes()[:16] != SQLITE_HEADER
    assert result.keyring == keyring_path(dest) and result.keyring.is_file()
    with pytest.raises(errors.DuplicateError):
        store.backup(dest=dest)
    original = store.check()
    # The backup was taken before the backup_made event was logged.
    assert result.content_hash == original.content_hash
    with open_store(username=ADMIN, password=ADMIN_PASSWORD, path=dest) as copy:
        report = copy.check()
        assert report.ok and report.content_hash == original.content_hash
        assert report.counts["submission"] == 1
        assert copy.load_draft(instance_id="uuid:b1") is not None


def test_check_reports_foreign_key_problems(plain_store: LocalStore) -> None:
    assert plain_store.check().ok
    conn = connect_raw(plain_store.path, None)
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute(
        "INSERT INTO review_decision (id, rev_id, reviewer_id, decision, comment, "
        "decided_at) VALUES ('x', 'no-such-rev', 'nobody', 'approved', '', "
        "'2026-01-01 00:00:00.000000')"
    )
    conn.close()
    report = plain_store.check()
    assert report.foreign_key_problems == 2 and not report.ok
    assert report.integrity == ["ok"]


def _build(path: Path, order: list[int]) -> str:
    """A database with fixed ids and times, submissions inserted in `order`."""
    upgrade_database(path, None)
    db = Database(path, None, make_engine(path, None))
    t0 = datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)
    try:
        with db.session(write=True) as session:
            session.add(Device(id="dev-1", name="a", is_local=True, registered_at=t0))
            users.create_user(
                session=session,
                username="u",
                password_hash=None,
                role=Role.ENUMERATOR,
                user_id="user-1",
            )
            repo_forms.add_form_version(
                session=session, form_id="household", version="1", title="H", source=b"s"
            )
        for n in order:
            with db.session(write=True) as session:
                at = t0 + timedelta(minutes=n)
                common = {
                    "session": session,
                    "instance_id": f"uuid:{n}",
                    "user_id": "user-1",
                    "device_id": "dev-1",
                }
                repo_submissions.create_submission(
                    **common,
                    form_id="household",
                    form_version="1",
                    document=doc(f"uuid:{n}", start=n),
                    now=at,
                    rev_id=f"rev-{n}-a",
                )
                repo_submissions.save_draft(**common, document=doc(f"uuid:{n}", v=n, s="ສ"), now=at)
                if n % 2 == 0:
                    repo_submissions.finalise(**common, now=at)
                    repo_submissions.start_edit(**common, reason="fix", now=at, rev_id=f"rev-{n}-b")
        with db.engine.connect() as conn:
            return content_hash(conn)
    finally:
        db.close()


def test_content_hash_is_independent_of_insertion_order(tmp_path: Path) -> None:
    forward = _build(tmp_path / "a.db", [1, 2, 3, 4, 5, 6])
    backward = _build(tmp_path / "b.db", [6, 4, 2, 5, 3, 1])
    assert forward == backward
    assert _build(tmp_path / "c.db", [1, 2, 3, 4, 5]) != forward


def test_content_hash_changes_with_content(plain_store: LocalStore) -> None:
    plain_store.start_submission(
        form_id="household", form_version="1", document=doc("uuid:h"), instance_id="uuid:h"
    )
    before = check_database(db=plain_store.db).content_hash
    plain_store.autosave(instance_id="uuid:h", document=doc("uuid:h", a=1))
    assert check_database(db=plain_store.db).content_hash != before


def test_concurrent_writers_wait_instead_of_failing(store: LocalStore) -> None:
    for n in range(4):
        store.start_submission(
            form_id="household",
            form_version="1",
            document=doc(f"uuid:t{n}"),
            instance_id=f"uuid:t{n}",
        )
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(40):
                store.autosave(instance_id=f"uuid:t{n}", document=doc(f"uuid:t{n}", i=i))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    for n in range(4):
        draft = store.load_draft(instance_id=f"uuid:t{n}")
        assert draft is not None and draft.document["data"] == {"i": 39}
    with store.session() as session:
        assert session.execute(text("PRAGMA integrity_check")).all() == [("ok",)]
