"""Migrations: schema equals the tables, upgrades keep every row, crashes leave old or new."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, event
from sqlmodel import SQLModel

from app.store import Role, SubmissionState, errors, open_store
from app.store.crypto import Keyring, keyring_path, new_database_key, unwrap_key, wrap_key
from app.store.db import connect_raw, make_engine
from app.store.migrate import head_revision, known_revisions, upgrade_database
from app.store.users import hash_password
from tests.store.storetools import FAST_KDF

REPO = Path(__file__).resolve().parents[2]
T0 = "2026-01-02 03:04:05.000006"
T1 = "2026-01-03 03:04:05.000000"
T2 = "2026-01-04 03:04:05.000000"
PASSWORD = "migration-password"

FIRST_SCHEMA_ROWS: dict[str, list[dict[str, Any]]] = {
    "app_user": [
        {
            "id": "u1",
            "username": "boss",
            "display_name": "Boss",
            "role": "coordinator",
            "password_hash": None,
            "active": 1,
            "created_at": T0,
            "created_by": None,
            "password_changed_at": T0,
        },
        {
            "id": "u2",
            "username": "noy",
            "display_name": "ນ້ອຍ",
            "role": "enumerator",
            "password_hash": None,
            "active": 1,
            "created_at": T0,
            "created_by": "u1",
            "password_changed_at": None,
        },
    ],
    "device": [
        {
            "id": "d1",
            "name": "laptop-1",
            "is_local": 1,
            "public_key": None,
            "registered_at": T0,
            "revoked_at": None,
        },
        {
            "id": "d2",
            "name": "laptop-2",
            "is_local": 0,
            "public_key": b"\x01\x02",
            "registered_at": T0,
            "revoked_at": T2,
        },
    ],
    "study": [
        {"id": "s1", "code": "DG-2026", "title": "Baseline", "description": "", "created_at": T0}
    ],
    "form_version": [
        {
            "form_id": "hh",
            "version": "1",
            "title": "Household",
            "content_hash": "a" * 64,
            "source_name": "hh.md",
            "source": b"| survey |",
            "compiled": b"\x80\x04pickle",
            "study_id": "s1",
            "created_at": T0,
            "created_by": "u1",
        },
    ],
    "assignment": [
        {
            "id": "a1",
            "study_id": "s1",
            "form_id": "hh",
            "form_version": "1",
            "institution": "Ministry",
            "cluster": "C1",
            "province": "Vientiane",
            "respondent": "Director",
            "assigned_to": "u2",
            "status": "in_progress",
            "notes": "",
            "created_at": T0,
            "updated_at": T1,
            "created_by": "u1",
        },
    ],
    "submission": [
        {
            "instance_id": f"uuid:{n}",
            "form_id": "hh",
            "form_version": "1",
            "assignment_id": "a1" if n == 1 else None,
            "created_at": T0,
            "created_by": "u2",
            "device_id": "d1",
        }
        for n in range(1, 5)
    ],
    "revision": [
        # 1: draft only. 2: finalised. 3: finalised + open edit. 4: conflict.
        {
            "rev_id": "r1",
            "instance_id": "uuid:1",
            "parent_rev": None,
            "status": "draft",
            "author_id": "u2",
            "device_id": "d1",
            "created_at": T0,
            "saved_at": T1,
            "finalised_at": None,
            "reason": None,
            "content_hash": "h1",
            "document": '{"a":1}',
            "ui_state": '{"page":2}',
        },
        {
            "rev_id": "r2",
            "instance_id": "uuid:2",
            "parent_rev": None,
            "status": "finalised",
            "author_id": "u2",
            "device_id": "d1",
            "created_at": T0,
            "saved_at": T1,
            "finalised_at": T1,
            "reason": None,
            "content_hash": "h2",
            "document": '{"b":"ສ"}',
            "ui_state": None,
        },
        {
            "rev_id": "r3",
            "instance_id": "uuid:3",
            "parent_rev": None,
            "status": "finalised",
            "author_id": "u2",
            "device_id": "d1",
            "created_at": T0,
            "saved_at": T0,
            "finalised_at": T0,
            "reason": None,
            "content_hash": "h3",
            "document": "{}",
            "ui_state": None,
        },
        {
            "rev_id": "r3e",
            "instance_id": "uuid:3",
            "parent_rev": "r3",
            "status": "draft",
            "author_id": "u1",
            "device_id": "d1",
            "created_at": T1,
            "saved_at": T2,
            "finalised_at": None,
            "reason": "typo",
            "content_hash": "h3e",
            "document": "{}",
            "ui_state": None,
        },
        {
            "rev_id": "r4",
            "instance_id": "uuid:4",
            "parent_rev": None,
            "status": "finalised",
            "author_id": "u2",
            "device_id": "d1",
            "created_at": T0,
            "saved_at": T0,
            "finalised_at": T0,
            "reason": None,
            "content_hash": "h4",
            "document": "{}",
            "ui_state": None,
        },
        {
            "rev_id": "r4a",
            "instance_id": "uuid:4",
            "parent_rev": "r4",
            "status": "finalised",
            "author_id": "u2",
            "device_id": "d1",
            "created_at": T1,
            "saved_at": T1,
            "finalised_at": T1,
            "reason": "a",
            "content_hash": "h4a",
            "document": "{}",
            "ui_state": None,
        },
        {
            "rev_id": "r4b",
            "instance_id": "uuid:4",
            "parent_rev": "r4",
            "status": "finalised",
            "author_id": "u1",
            "device_id": "d2",
            "created_at": T1,
            "saved_at": T2,
            "finalised_at": T2,
            "reason": "b",
            "content_hash": "h4b",
            "document": "{}",
            "ui_state": None,
        },
    ],
    "attachment_blob": [{"id": 1, "complete": 1, "created_at": T0}],
    "attachment_chunk": [{"blob_id": 1, "seq": 0, "data": b"audio" * 100}],
    "attachment": [
        {"sha256": "f" * 64, "size": 500, "media_type": "audio/ogg", "blob_id": 1, "created_at": T0}
    ],
    "revision_attachment": [{"rev_id": "r2", "name": "recording", "sha256": "f" * 64}],
    "paradata_event": [
        {
            "id": n,
            "uid": f"e{n}",
            "at": T0,
            "kind": "answer_changed",
            "user_id": "u2",
            "device_id": "d1",
            "instance_id": "uuid:1",
            "rev_id": "r1",
            "field": "a",
            "old_value": str(n - 1),
            "new_value": str(n),
            "reason": None,
            "detail": None,
        }
        for n in range(1, 21)
    ],
    "review_decision": [
        {
            "id": "rd1",
            "rev_id": "r2",
            "reviewer_id": "u1",
            "device_id": "d1",
            "decision": "approved",
            "comment": "",
            "decided_at": T2,
        }
    ],
    "imported_bundle": [
        {
            "id": "b1",
            "sha256": "e" * 64,
            "source_device_id": "d2",
            "imported_at": T2,
            "imported_by": "u1",
            "status": "applied",
            "reason": None,
            "summary": '{"revisions":2}',
        }
    ],
}


FIRST_SCHEMA_ROWS["app_user"][0]["password_hash"] = hash_password(PASSWORD, FAST_KDF)


def _fill(conn: Any) -> None:
    for table, rows in FIRST_SCHEMA_ROWS.items():
        for row in rows:
            names = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            conn.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(row.values()))


def _dump(conn: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every first-schema column of every row, in a fixed order."""
    out = {}
    for table, rows in FIRST_SCHEMA_ROWS.items():
        columns = list(rows[0])
        keys = {row[columns[0]] for row in rows}
        found = conn.execute(
            f"SELECT {', '.join(columns)} FROM {table} ORDER BY {columns[0]}"
        ).fetchall()
        # Rows added later (e.g. the login event of the upgrade) are not compared.
        out[table] = [row for row in found if row[0] in keys]
    return out


def make_first_schema_db(path: Path) -> bytes:
    """An encrypted database at revision 0001, filled, with its key file; returns the key."""
    key = new_database_key()
    connect_raw(path, key).close()
    upgrade_database(path, key, "0001")
    conn = connect_raw(path, key)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("BEGIN")
    _fill(conn)
    conn.execute("COMMIT")
    conn.close()
    keyring = Keyring(path=keyring_path(path))
    keyring.put(wrap_key(key, password=PASSWORD, user_id="u1", username="boss", kdf=FAST_KDF))
    keyring.save()
    return key


def _revision(path: Path, key: bytes | None) -> str:
    conn = connect_raw(path, key)
    try:
        return str(conn.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    finally:
        conn.close()


def _submission_columns(path: Path, key: bytes | None) -> set[str]:
    conn = connect_raw(path, key)
    try:
        return {row[1] for row in conn.execute("PRAGMA table_info(submission)")}
    finally:
        conn.close()


def test_migrated_schema_equals_the_tables(tmp_path: Path) -> None:
    path = tmp_path / "schema.db"
    upgrade_database(path, None)
    engine = make_engine(path, None)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, SQLModel.metadata) == []
    finally:
        engine.dispose()
    assert known_revisions() == {"0001", "0002", "0003"} and head_revision() == "0003"


def test_upgrade_from_first_schema_loses_nothing(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    key = make_first_schema_db(path)
    conn = connect_raw(path, key)
    before = _dump(conn)
    conn.close()
    from app.store.check import content_hash

    engine = make_engine(path, key)
    with engine.connect() as c:
        hash_before = content_hash(c)
    engine.dispose()

    with open_store(username="boss", password=PASSWORD, path=path) as store:  # upgrades
        assert _revision(path, key) == head_revision()
        conn = connect_raw(path, key)
        assert _dump(conn) == before
        summary = dict(
            (row[0], row[1:])
            for row in conn.execute(
                "SELECT instance_id, state, head_rev_id, revision_count, last_saved_at "
                "FROM submission"
            )
        )
        conn.close()
        assert summary == {
            "uuid:1": ("draft", None, 1, T1),
            "uuid:2": ("finalised", "r2", 1, T1),
            "uuid:3": ("editing", "r3", 2, T2),
            "uuid:4": ("conflict", "r4b", 3, T2),
        }
        report = store.check()
        assert report.ok and report.content_hash == hash_before
        assert [c.instance_id for c in store.conflicts()] == ["uuid:4"]
        # The migrated data works with today's code, and the guards still hold.
        draft = store.load_draft(instance_id="uuid:1")
        assert draft is not None and draft.ui_state == {"page": 2}
        store.autosave(instance_id="uuid:1", document={"a": 2})
        store.finalise(instance_id="uuid:1")
        assert store.list_submissions(state=SubmissionState.FINALISED).total == 2
        with pytest.raises(errors.ImmutableError):
            store.delete_form_version(form_id="hh", version="1")
        store.add_user(username="new", password="new-user-pw", role=Role.INTERVIEWER)
    # A backup of the old schema was taken before upgrading.
    backup = path.with_name("old.db.pre-0001.bak")
    assert _revision(backup, key) == "0001"
    saved = Keyring.load(keyring_path(backup)).get("boss")
    assert saved is not None and unwrap_key(saved, PASSWORD) == key
    conn = connect_raw(backup, key)
    assert _dump(conn) == before
    conn.close()


def test_failing_migration_leaves_old_schema(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    key = make_first_schema_db(path)
    conn = connect_raw(path, key)
    before = _dump(conn)
    conn.close()

    def explode(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "CREATE INDEX ix_submission_state" in statement:  # the very last step
            raise RuntimeError("simulated failure")

    event.listen(Engine, "before_cursor_execute", explode)
    try:
        with pytest.raises(errors.MigrationError, match="unchanged"):
            upgrade_database(path, key)
    finally:
        event.remove(Engine, "before_cursor_execute", explode)
    assert _revision(path, key) == "0001"
    assert "state" not in _submission_columns(path, key)
    conn = connect_raw(path, key)
    assert _dump(conn) == before
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()
    upgrade_database(path, key)
    assert _revision(path, key) == head_revision()


KILL_CHILD = """
import sys, time
from pathlib import Path
from sqlalchemy import Engine, event
from app.store.migrate import upgrade_database

path, key, mode = Path(sys.argv[1]), bytes.fromhex(sys.argv[2]), sys.argv[3]

def slow(conn, cursor, statement, *args):
    if mode == "mid" and statement.lstrip().startswith("UPDATE submission SET"):
        print("MID", flush=True)
        time.sleep(60)
    elif mode == "random":
        time.sleep(0.002)

event.listen(Engine, "before_cursor_execute", slow)
print("START", flush=True)
upgrade_database(path, key)
print("DONE", flush=True)
"""


def _spawn(path: Path, key: bytes, mode: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(
        [sys.executable, "-c", KILL_CHILD, str(path), key.hex(), mode],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )


def test_killed_migration_leaves_old_or_new_schema(home: Path, tmp_path: Path) -> None:
    # Deterministic: killed halfway through 0002 (columns added, backfill running).
    path = tmp_path / "mid.db"
    key = make_first_schema_db(path)
    conn = connect_raw(path, key)
    before = _dump(conn)
    conn.close()
    child = _spawn(path, key, "mid")
    assert child.stdout is not None
    lines = []
    for line in child.stdout:
        lines.append(line.strip())
        if line.strip() == "MID":
            break
    assert lines[-1] == "MID", lines
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert _revision(path, key) == "0001"
    assert "state" not in _submission_columns(path, key)
    conn = connect_raw(path, key)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert _dump(conn) == before
    conn.close()

    # Random moments: every outcome is exactly the old schema or exactly the new one.
    rng = random.Random(4)
    outcomes = set()
    for trial in range(6):
        path = tmp_path / f"random{trial}.db"
        key = make_first_schema_db(path)
        child = _spawn(path, key, "random")
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "START"
        time.sleep(rng.uniform(0.0, 0.25))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        revision = _revision(path, key)
        columns = _submission_columns(path, key)
        assert (revision, "state" in columns) in {("0001", False), (head_revision(), True)}
        outcomes.add(revision)
        conn = connect_raw(path, key)
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert _dump(conn) == before
        conn.close()
        upgrade_database(path, key)
        assert _revision(path, key) == head_revision()
