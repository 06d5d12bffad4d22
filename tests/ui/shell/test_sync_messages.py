"""What a sync pass says when the folder is missing, in the UI's language.

An unplugged USB stick is the commonest sync problem in the field: in the Lao UI
the status line said "ແລກປ່ຽນຂໍ້ມູນບໍ່ສຳເລັດ: The sync folder … is not there (is the
USB stick plugged in?)", the explanation in English.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot
from sqlalchemy import event

from app.bundle.export import export_field_bundle
from app.core.i18n import translator
from app.fieldwork.syncing import coordinator_key_file
from app.store import LocalStore
from app.ui.app_window import AppWindow
from app.ui.context import AppContext
from tests.bundle.bundletools import coordinator_for, make_field, synthetic_documents
from tests.ui.shell.helpers import close_window, log_in, make_window


def test_an_unplugged_folder_is_explained_in_lao(
    qtbot: QtBot, logged_in: AppWindow, tmp_path: Path
) -> None:
    translator.set_language("lo")
    gone = tmp_path / "gone"
    logged_in.ctx.settings.update(sync_folder=str(gone))
    assert logged_in.sync.sync_now()
    status = logged_in.home.sync_status
    qtbot.waitUntil(lambda: str(gone) in status.text(), timeout=15_000)
    text = status.text().replace(str(gone), "")
    assert "USB" in text
    assert "not there" not in text and "plugged" not in text, text


def test_refused_files_are_listed_a_line_each_and_the_rest_counted(
    qtbot: QtBot, logged_in: AppWindow, tmp_path: Path
) -> None:
    """Seven bad files dropped in the sync folder of a laptop that trusts no coordinator
    yet: that comes first, then two files named with their reason, a line each, and the
    other five counted; nothing imported."""
    folder = tmp_path / "usb"
    folder.mkdir()
    for index in range(7):
        (folder / f"photo-{index}.samluat").write_bytes(b"\xff\xd8\xff\xe0 not a bundle " * 40)
    old = time.time() - 120  # copied a while ago: not "still being written"
    for path in folder.iterdir():
        os.utime(path, (old, old))
    logged_in.ctx.settings.update(sync_folder=str(folder))
    translator.set_language("lo")
    assert logged_in.sync.sync_now()
    status = logged_in.home.sync_status
    qtbot.waitUntil(lambda: "ອີກ 5 ລາຍການ" in status.text(), timeout=15_000)
    lines = status.text().splitlines()
    assert lines[0].startswith("ແລກປ່ຽນຂໍ້ມູນເວລາ") and "ໄດ້ຮັບ 0" in lines[0]
    assert lines[1].startswith("ຄອມພິວເຕີນີ້ຍັງບໍ່ໄດ້ເຊື່ອຖືຜູ້ປະສານງານ")
    refused = lines[2:4]
    assert all(line.startswith("photo-") for line in refused)
    assert all(line.endswith(": ບໍ່ແມ່ນໄຟລ໌ຂໍ້ມູນຂອງ ສຳຫຼວດ.") for line in refused)
    assert lines[4:] == ["… ແລະ ອີກ 5 ລາຍການ."]


def test_a_full_disk_during_an_import_is_explained_in_lao(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore, tmp_path: Path
) -> None:
    """The coordinator's disk fills up while a laptop's bundle is applied (SQLite refuses
    to grow the database): the status says so in Lao, and nothing of that bundle is stored."""
    coordinator = coordinator_for(study_db, coordinator_key_file().parent)
    field = make_field(tmp_path, coordinator, "laptop-a")
    instances = [field.interview(dict(d)) for d in synthetic_documents(count=30)]
    received = export_field_bundle(field.target, folder=tmp_path / "chat")
    assert received is not None
    field.close()
    study_db.close()
    window = make_window(qtbot, ctx)
    log_in(qtbot, window)
    window.ctx.coordinator_keys = [coordinator.identity]  # unlocked earlier this session
    store = window.ctx.store
    assert store is not None

    def no_room(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count={pages}")

    store.db.engine.dispose()
    event.listen(store.db.engine.pool, "checkout", no_room)
    translator.set_language("lo")
    try:
        assert window.sync.import_files([received.path])
        status = window.home.sync_status
        qtbot.waitUntil(lambda: "ເຕັມ" in status.text(), timeout=20_000)
        assert "disk is full" not in status.text()
    finally:
        event.remove(store.db.engine.pool, "checkout", no_room)
        store.db.engine.dispose()
    assert all(store.heads(instance_id=i) == [] for i in instances)
    close_window(qtbot, window)
