"""Removing delivered bundles from the sync folder, from the app: asked first, Keep by default."""

from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.bundle.export import export_field_bundle
from app.core.i18n import translator
from app.store import LocalStore
from app.ui.app_window import AppWindow
from app.ui.context import AppContext
from tests.bundle.bundletools import (
    deliver,
    laptop_for,
    make_coordinator,
    send_back,
    synthetic_documents,
)
from tests.ui.shell.helpers import close_window, log_in, make_window, wait_for_dialog


def _question(qtbot: QtBot, window: AppWindow) -> QMessageBox:
    window.tidy_action.trigger()
    return wait_for_dialog(qtbot, QMessageBox)


def _click(box: QMessageBox, text: str) -> None:
    next(b for b in box.buttons() if b.text() == text).click()


def test_a_laptop_clears_its_stick_of_what_was_delivered(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore, tmp_path: Path
) -> None:
    coordinator = make_coordinator(tmp_path)
    laptop = laptop_for(study_db, coordinator)
    stick = tmp_path / "stick"
    documents = synthetic_documents(count=2)
    laptop.interview(dict(documents[0]))
    deliver(laptop, coordinator, stick)  # bundle 1, applied by the coordinator
    send_back(laptop, coordinator, stick)  # its answer, acknowledging bundle 1
    laptop.interview(dict(documents[1]))
    waiting = export_field_bundle(laptop.target, folder=stick)  # bundle 2: not delivered yet
    assert waiting is not None
    for path in stick.iterdir():  # copied a while ago (younger files may still be copying)
        os.utime(path, (time.time() - 120, time.time() - 120))
    delivered = sorted(p.name for p in stick.iterdir() if p != waiting.path)
    coordinator.close()
    study_db.close()
    ctx.settings.update(sync_folder=str(stick))
    window = make_window(qtbot, ctx)
    log_in(qtbot, window)
    assert window.tidy_action.isEnabled()

    # Asked first, with each file and why it may go; Keep (the default) keeps everything.
    box = _question(qtbot, window)
    assert "2 bundle files" in box.text() and str(stick) in box.text()
    details = box.detailedText()
    assert f"{delivered[0]}: " in details and f"{delivered[1]}: " in details
    assert "the coordinator has it" in details and "imported on this computer" in details
    assert waiting.path.name not in details
    assert box.defaultButton() is box.escapeButton()
    assert box.defaultButton().text() == "Keep"
    _click(box, "Keep")
    qtbot.wait(100)
    assert len(list(stick.iterdir())) == 3

    # Remove takes the delivered files only, and says so.
    _click(_question(qtbot, window), "Remove")
    assert window.busy.label.text() == "Clearing the sync folder…"  # not "Syncing…"
    qtbot.waitUntil(lambda: "Removed 2" in window.home.sync_status.text(), timeout=15_000)
    assert [p.name for p in stick.iterdir()] == [waiting.path.name]
    assert "freed" in window.home.sync_status.text()

    # Nothing more to remove: said, not asked.
    window.tidy_action.trigger()
    qtbot.waitUntil(lambda: "Nothing to remove" in window.home.sync_status.text(), timeout=15_000)
    close_window(qtbot, window)


def test_asked_in_lao_and_without_a_folder_says_where_to_set_one(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore, tmp_path: Path
) -> None:
    coordinator = make_coordinator(tmp_path)
    laptop = laptop_for(study_db, coordinator)
    stick = tmp_path / "stick"
    laptop.interview(dict(synthetic_documents(count=1)[0]))
    deliver(laptop, coordinator, stick)
    send_back(laptop, coordinator, stick)
    for path in stick.iterdir():
        os.utime(path, (time.time() - 120, time.time() - 120))
    coordinator.close()
    study_db.close()
    window = make_window(qtbot, ctx)
    log_in(qtbot, window)
    ctx.settings.update(sync_folder=None)
    window.tidy_action.trigger()
    assert "Settings" in window.home.sync_status.text()

    ctx.settings.update(sync_folder=str(stick))
    translator.set_language("lo")
    box = _question(qtbot, window)
    assert "ໄຟລ໌ຂໍ້ມູນ" in box.text() and "bundle" not in box.text()
    assert "ຜູ້ປະສານງານ" in box.detailedText()
    _click(box, "ເກັບໄວ້")
    qtbot.wait(100)
    assert len(list(stick.iterdir())) == 2
    close_window(qtbot, window)
