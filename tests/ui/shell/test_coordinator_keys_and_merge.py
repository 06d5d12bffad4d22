"""The coordinator's day at the keyboard and in Lao: Enter in the key's passphrase
creates the key, the rename question speaks the interface's language, the merge
queues name forms in Lao."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QMessageBox,
)
from pytestqt.qtbot import QtBot

from app.core.i18n import translator
from app.fieldwork.keyring import revoke_laptop
from app.fieldwork.syncing import coordinator_key_file
from app.store import LocalStore
from app.ui.app_window import AppWindow
from app.ui.context import AppContext
from app.ui.keys.dialog import KeysDialog
from app.ui.merge.dialog import MergeDialog
from tests.bundle.bundletools import coordinator_for, fill_merge_queues, make_field
from tests.ui.shell.helpers import log_in, make_window, wait_for_dialog


def _keys(qtbot: QtBot, window: AppWindow) -> KeysDialog:
    window.keys_action.trigger()
    dialog = wait_for_dialog(qtbot, KeysDialog)
    qtbot.waitUntil(lambda: dialog.overview is not None, timeout=10_000)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def _no_file_choosers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    asked: list[str] = []

    def chooser(_parent: object, title: str, *_args: object, **_kwargs: object) -> tuple[str, str]:
        asked.append(title)
        return "", ""

    for name in ("getSaveFileName", "getOpenFileName", "getOpenFileNames"):
        monkeypatch.setattr(QFileDialog, name, staticmethod(chooser))
    return asked


def test_enter_in_the_passphrase_fields_creates_the_coordinator_key(
    qtbot: QtBot,
    ctx: AppContext,
    study_db: LocalStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = _no_file_choosers(monkeypatch)
    study_db.close()
    window = make_window(qtbot, ctx)
    log_in(qtbot, window)
    dialog = _keys(qtbot, window)
    dialog.passphrase.setFocus()
    qtbot.keyClicks(dialog.passphrase, "a long coordinator passphrase")
    qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)  # on to the repeat field
    assert dialog.repeat.hasFocus()
    qtbot.keyClicks(dialog.repeat, "a long coordinator passphrase")
    qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: dialog.overview is not None and dialog.overview.coordinator_database,
        timeout=15_000,
    )
    assert asked == []  # no "Save this laptop's card" chooser opened by Enter
    assert coordinator_key_file().is_file()
    assert dialog.isVisible()
    dialog.reject()


def test_renaming_a_laptop_asks_in_lao(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore, tmp_path: Path
) -> None:
    coordinator = coordinator_for(study_db, coordinator_key_file().parent)
    make_field(tmp_path, coordinator, "pakse-03").close()
    study_db.close()
    window = make_window(qtbot, ctx)
    log_in(qtbot, window)
    translator.set_language("lo")
    dialog = _keys(qtbot, window)
    qtbot.waitUntil(lambda: dialog.laptops.rowCount() == 1, timeout=10_000)
    dialog.laptops.selectRow(0)
    seen: list[list[str]] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QInputDialog):
            QTimer.singleShot(20, answer)
            return
        seen.append([b.text() for b in box.findChild(QDialogButtonBox).buttons()])
        box.setTextValue("ຄອມ 03, ປາກເຊ")
        box.accept()

    QTimer.singleShot(20, answer)
    qtbot.mouseClick(dialog.rename_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.laptops.item(0, 0).text() == "ຄອມ 03, ປາກເຊ", timeout=10_000)
    [buttons] = seen
    assert sorted(buttons) == sorted(["ປ່ຽນຊື່", "ຍົກເລີກ"])  # not Qt's English "OK", "Cancel"
    dialog.reject()


def test_the_queues_name_forms_in_the_interface_language(
    qtbot: QtBot,
    ctx: AppContext,
    study_db: LocalStore,
    tmp_path: Path,
) -> None:
    queues = fill_merge_queues(study_db, tmp_path)
    study_db.close()
    window = make_window(qtbot, ctx)
    log_in(qtbot, window)
    window.merge_action.trigger()
    dialog = wait_for_dialog(qtbot, MergeDialog)
    qtbot.waitUntil(lambda: not dialog.overview.empty, timeout=10_000)
    # As the cases list names them: in Lao in the Lao interface, not the form's English title.
    translator.set_language("lo")
    conflict = dialog.conflict_list.item(0).text()
    duplicate = dialog.duplicate_list.item(0).text()
    assert conflict.startswith("ຂໍ້ຄົ້ນພົບ SWOT · "), conflict
    assert duplicate.startswith("ທະບຽນການທົບທວນເອກະສານ: "), duplicate
    translator.set_language("en")
    assert dialog.conflict_list.item(0).text().startswith("SWOT statement · ")
    assert dialog.duplicate_list.item(0).text().startswith("Desk review register: ")
    dialog.reject()
    queues.close()


def test_a_revoked_laptop_is_not_revoked_again(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore, tmp_path: Path
) -> None:
    coordinator = coordinator_for(study_db, coordinator_key_file().parent)
    laptop = make_field(tmp_path, coordinator, "vientiane-07")
    laptop.close()
    revoke_laptop(study_db, laptop.device_id)
    study_db.close()
    window = make_window(qtbot, ctx)
    log_in(qtbot, window)
    dialog = _keys(qtbot, window)
    qtbot.waitUntil(lambda: dialog.laptops.rowCount() == 1, timeout=10_000)
    revoked = dialog.laptops.item(0, 3).text()
    assert revoked
    dialog.laptops.selectRow(0)
    asked: list[str] = []

    def look() -> None:  # "cannot be undone" asked again would be wrong: say no, note it
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            asked.append(box.text())
            box.reject()
        elif not asked and dialog.isVisible():
            QTimer.singleShot(20, look)

    QTimer.singleShot(20, look)
    qtbot.mouseClick(dialog.revoke_button, Qt.MouseButton.LeftButton)
    qtbot.wait(200)
    assert asked == []
    assert dialog.error.text() == "vientiane-07 is already revoked: its bundles are refused."
    asked.append("done")  # stops the watcher
    dialog.reject()
