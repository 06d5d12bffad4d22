"""Disk full and I/O errors during a save: clear error, rollback, store keeps working."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from app.store import EventIn, EventKind, errors
from app.store.store import LocalStore
from tests.store.storetools import doc

REPO = Path(__file__).resolve().parents[2]


def test_disk_full_rolls_back_and_store_keeps_working(store: LocalStore) -> None:
    store.start_submission(
        form_id="household", form_version="1", document=doc("uuid:d1"), instance_id="uuid:d1"
    )
    ack = store.autosave(
        instance_id="uuid:d1", document=doc("uuid:d1", a="small"), ui_state={"page": 1}
    )
    events_before = len(store.events())

    def cap(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        # The database may not grow by a single page: SQLite reports SQLITE_FULL.
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count={pages}")

    store.db.engine.dispose()
    event.listen(store.db.engine.pool, "checkout", cap)
    big = doc("uuid:d1", a="x" * 400_000)
    try:
        with pytest.raises(errors.StorageFullError, match="disk is full"):
            store.autosave(
                instance_id="uuid:d1",
                document=big,
                ui_state={"page": 2},
                events=[EventIn(EventKind.ANSWER_CHANGED, field="a", new_value="x")],
            )
    finally:
        event.remove(store.db.engine.pool, "checkout", cap)
        store.db.engine.dispose()  # connections with the cap are dropped
    # Nothing of the failed save is there; the last good save is intact.
    draft = store.load_draft(instance_id="uuid:d1")
    assert draft is not None
    assert (draft.document, draft.ui_state, draft.content_hash) == (
        doc("uuid:d1", a="small"),
        {"page": 1},
        ack.content_hash,
    )
    assert len(store.events()) == events_before
    # Space is back: the same save works and the database is sound.
    store.autosave(instance_id="uuid:d1", document=big, ui_state={"page": 2})
    restored = store.load_draft(instance_id="uuid:d1")
    assert restored is not None and restored.document == big
    assert store.check().ok


IO_CHILD = r"""
import json, os, resource, signal, sys
from pathlib import Path
from app.store import create_store, open_store, errors
from app.store.crypto import KdfParams

fast = KdfParams(1, 8192, 1)
path = Path(sys.argv[1])
store = create_store(username="admin", password="admin-password", path=path, kdf=fast)
store.add_form_version(form_id="f", version="1", title="F", source=b"x")
store.start_submission(form_id="f", form_version="1", instance_id="i1", document={"a": "small"})
store.autosave(instance_id="i1", document={"a": "small", "n": 1})
result = {}
folder = path.parent
largest = max(p.stat().st_size for p in folder.iterdir())
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (largest + 8192, hard))
try:
    store.autosave(instance_id="i1", document={"a": "x" * 2_000_000})
    result["first"] = "saved"
except errors.StorageIOError as error:
    result["first"] = "StorageIOError"
    result["message"] = str(error)
except Exception as error:
    result["first"] = type(error).__name__ + ": " + str(error)
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
result["after_error"] = store.load_draft(instance_id="i1").document
store.autosave(instance_id="i1", document={"a": "y" * 2_000_000})
result["retry"] = store.load_draft(instance_id="i1").document["a"][:3]
result["integrity"] = store.check().integrity
store.close()
again = open_store(username="admin", password="admin-password", path=path)
result["reopened"] = again.load_draft(instance_id="i1").document["a"][:3]
again.close()
print(json.dumps(result))
"""


def test_io_error_rolls_back_and_store_keeps_working(tmp_path: Path) -> None:
    """A real EFBIG from the kernel (RLIMIT_FSIZE) makes SQLite fail with SQLITE_IOERR."""
    env = dict(os.environ, PYTHONPATH=str(REPO), SAMLUAT_HOME=str(tmp_path / "home"))
    done = subprocess.run(
        [sys.executable, "-c", IO_CHILD, str(tmp_path / "io.db")],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["first"] == "StorageIOError", result
    assert "not saved" in result["message"]
    assert result["after_error"] == {"a": "small", "n": 1}
    assert result["retry"] == "yyy" and result["reopened"] == "yyy"
    assert result["integrity"] == ["ok"]
