"""Sync from the app: the button and shortcut run a pass off the UI thread and say what happened."""

from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.bundle.export import export_field_bundle
from app.bundle.importer import ImportStatus, import_bundle
from app.core.i18n import translator
from app.fieldwork.syncing import coordinator_key_file
from app.store import LocalStore
from app.ui.app_window import AppWindow
from app.ui.context import AppContext
from app.ui.keys.unlock import CoordinatorKeyDialog
from tests.bundle.bundletools import (
    PASSPHRASE,
    coordinator_for,
    deliver,
    laptop_for,
    make_coordinator,
    make_field,
    send_back,
    synthetic_documents,
)
from tests.ui.shell.helpers import close_window, log_in, make_window, visible, wait_for_dialog


def test_sync_without_a_folder_says_where_to_set_one(qtbot: QtBot, logged_in: AppWindow) -> None:
    logged_in.ctx.settings.update(sync_folder=None)
    qtbot.mouseClick(logged_in.home.sync_button, Qt.MouseButton.LeftButton)
    assert "Settings" in logged_in.home.sync_status.text()


def test_sync_pass_reports_a_missing_coordinator_key(
    qtbot: QtBot, logged_in: AppWindow, tmp_path: Path
) -> None:
    folder = tmp_path / "usb"
    folder.mkdir()
    logged_in.ctx.settings.update(sync_folder=str(folder))
    logged_in.sync.restart()
    assert logged_in.sync.timer.isActive()  # passes every few minutes from now on
    qtbot.keyClick(
        logged_in,
        Qt.Key.Key_S,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: "coordinator" in logged_in.home.sync_status.text(), timeout=15_000)
    assert "No coordinator is trusted on this laptop yet" in logged_in.home.sync_status.text()
    assert "Keys and laptops" in logged_in.home.sync_status.text()  # not a command line
    assert list(folder.iterdir()) == []  # nothing written without a coordinator to write to
    # Said in Lao in the Lao interface.
    translator.set_language("lo")
    assert logged_in.sync.sync_now()
    qtbot.waitUntil(lambda: "ກະແຈ ແລະ ຄອມພິວເຕີ" in logged_in.home.sync_status.text(), timeout=15_000)
    assert "ຄອມພິວເຕີນີ້ຍັງບໍ່ໄດ້ເຊື່ອຖືຜູ້ປະສານງານ" in logged_in.home.sync_status.text()


def test_unplugged_folder_is_reported(qtbot: QtBot, logged_in: AppWindow, tmp_path: Path) -> None:
    logged_in.ctx.settings.update(sync_folder=str(tmp_path / "gone"))
    assert logged_in.sync.sync_now()
    qtbot.waitUntil(lambda: "not there" in logged_in.home.sync_status.text(), timeout=15_000)


def test_the_status_bar_follows_a_pass(qtbot: QtBot, logged_in: AppWindow, tmp_path: Path) -> None:
    folder = tmp_path / "usb"
    folder.mkdir()
    logged_in.ctx.settings.update(sync_folder=str(folder))
    assert logged_in.sync.sync_now()
    busy = logged_in.busy
    assert busy.busy and busy.label.text() == "Syncing…"
    qtbot.waitUntil(lambda: logged_in.home.sync_status.text() != "", timeout=15_000)
    qtbot.waitUntil(lambda: not busy.busy, timeout=15_000)
    assert busy.isHidden()


def test_a_coordinator_unlocks_its_key_once_and_imports_the_laptops_bundles(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore, tmp_path: Path
) -> None:
    coordinator = coordinator_for(study_db, coordinator_key_file().parent)
    folder = tmp_path / "usb"
    field = make_field(tmp_path, coordinator, "laptop-a")
    instance = field.interview(dict(synthetic_documents()[0]))
    exported = export_field_bundle(field.target, folder=folder)
    assert exported is not None
    # Copied a while ago: a file younger than the settle time is left for the next pass.
    os.utime(exported.path, (time.time() - 120, time.time() - 120))
    field.close()
    study_db.close()
    ctx.settings.update(sync_folder=str(folder))
    window = make_window(qtbot, ctx)
    log_in(qtbot, window)

    # A pass of the timer does not ask; it says what is left to do.
    assert window.sync.sync_now(ask_for_key=False)
    qtbot.waitUntil(
        lambda: "unlock the coordinator key" in window.home.sync_status.text(), timeout=15_000
    )
    assert "0 received" in window.home.sync_status.text()

    # Sync now asks for the passphrase: a wrong one is refused, the right one imports.
    window.sync_action.trigger()
    dialog = wait_for_dialog(qtbot, CoordinatorKeyDialog)
    qtbot.keyClicks(dialog.passphrase, "not the passphrase")
    qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=15_000)
    assert dialog.error.text() == "Wrong passphrase, or the key file is damaged."
    dialog.passphrase.clear()
    qtbot.keyClicks(dialog.passphrase, PASSPHRASE)
    qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "1 received" in window.home.sync_status.text(), timeout=20_000)
    assert window.ctx.store is not None
    assert [r.rev_id for r in window.ctx.store.heads(instance_id=instance)]

    # Unlocked for the session: the next Sync now runs at once; logging out forgets it.
    window.sync_action.trigger()
    assert visible(CoordinatorKeyDialog) is None and window.sync.task is not None
    qtbot.waitUntil(lambda: window.sync.task is not None and window.sync.task.done, timeout=15_000)
    window.log_out()
    qtbot.waitUntil(lambda: window.screen_name == "login")
    assert window.ctx.coordinator_keys == []
    close_window(qtbot, window)


def test_sync_now_after_a_cancelled_file_import_syncs_the_folder(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore, tmp_path: Path
) -> None:
    coordinator = coordinator_for(study_db, coordinator_key_file().parent)
    folder, elsewhere = tmp_path / "usb", tmp_path / "chat"
    field = make_field(tmp_path, coordinator, "laptop-a")
    instance = field.interview(dict(synthetic_documents()[0]))
    received = export_field_bundle(field.target, folder=elsewhere)
    assert received is not None
    field.close()
    study_db.close()
    folder.mkdir()
    ctx.settings.update(sync_folder=str(folder))
    window = make_window(qtbot, ctx)
    log_in(qtbot, window)

    # A file received by a chat app: the key is asked for, and the coordinator cancels.
    assert not window.sync.import_files([received.path])
    dialog = wait_for_dialog(qtbot, CoordinatorKeyDialog)
    dialog.reject()
    qtbot.waitUntil(lambda: visible(CoordinatorKeyDialog) is None)

    # Sync now later syncs the folder; the file given up on is not imported behind their back.
    window.sync_action.trigger()
    dialog = wait_for_dialog(qtbot, CoordinatorKeyDialog)
    qtbot.keyClicks(dialog.passphrase, PASSPHRASE)
    qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Synced at" in window.home.sync_status.text(), timeout=20_000)
    assert "0 received" in window.home.sync_status.text()
    assert window.ctx.store is not None and window.ctx.store.heads(instance_id=instance) == []
    close_window(qtbot, window)


def test_a_laptop_writes_everything_again_for_a_coordinator_who_lost_it(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore, tmp_path: Path
) -> None:
    coordinator = make_coordinator(tmp_path)
    laptop = laptop_for(study_db, coordinator)
    for document in synthetic_documents(count=2):
        laptop.interview(dict(document))
    deliver(laptop, coordinator, tmp_path / "usb")
    send_back(laptop, coordinator, tmp_path / "back")
    # Acknowledged: a sync pass would send nothing again.
    assert export_field_bundle(laptop.target, folder=tmp_path / "usb", only_if_new=True) is None
    study_db.close()
    window = make_window(qtbot, ctx)
    log_in(qtbot, window)

    stick = tmp_path / "stick"
    stick.mkdir()
    assert window.everything_action.isEnabled()
    assert window.sync.write_everything(stick)
    qtbot.waitUntil(
        lambda: "every finalised version" in window.home.sync_status.text(), timeout=15_000
    )
    [written] = list(stick.iterdir())
    assert f"Wrote {written.name}" in window.home.sync_status.text()
    # Everything again: the coordinator already has it all, so it adds nothing and refuses nothing.
    result = import_bundle(coordinator.target, written, identities=[coordinator.identity])
    assert result.status is ImportStatus.APPLIED, result.message
    assert (result.stats["revisions_new"], result.stats["revisions_known"]) == (0, 2)

    assert window.sync.write_everything(tmp_path / "unplugged")
    qtbot.waitUntil(lambda: "is not there" in window.home.sync_status.text(), timeout=15_000)
    coordinator.close()
    close_window(qtbot, window)
