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


def _one_round_on_a_stick(
    study_db: LocalStore, root: Path, stick: Path, *, then_one_more: bool = False
) -> Path | None:
    """The app's database made a laptop whose bundle 1 went to a coordinator and whose
    answer (acknowledging it) came back, both on `stick`; with `then_one_more`, its bundle
    2, not delivered yet, is on the stick too (returned). The database is closed after."""
    coordinator = make_coordinator(root)
    laptop = laptop_for(study_db, coordinator)
    documents = synthetic_documents(count=2)
    laptop.interview(dict(documents[0]))
    deliver(laptop, coordinator, stick)  # bundle 1, applied by the coordinator
    send_back(laptop, coordinator, stick)  # its answer, acknowledging bundle 1
    waiting = None
    if then_one_more:
        laptop.interview(dict(documents[1]))
        written = export_field_bundle(laptop.target, folder=stick)
        assert written is not None
        waiting = written.path
    for path in stick.iterdir():  # copied a while ago (younger files may still be copying)
        os.utime(path, (time.time() - 120, time.time() - 120))
    coordinator.close()
    study_db.close()
    return waiting


def test_a_laptop_clears_its_stick_of_what_was_delivered(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    waiting = _one_round_on_a_stick(study_db, tmp_path, stick, then_one_more=True)
    assert waiting is not None
    delivered = sorted(p.name for p in stick.iterdir() if p != waiting)
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
    assert waiting.name not in details
    assert box.defaultButton() is box.escapeButton()
    assert box.defaultButton().text() == "Keep"
    _click(box, "Keep")
    qtbot.wait(100)
    assert len(list(stick.iterdir())) == 3

    # Remove takes the delivered files only, and says so.
    _click(_question(qtbot, window), "Remove")
    assert window.busy.label.text() == "Clearing the sync folder…"  # not "Syncing…"
    qtbot.waitUntil(lambda: "Removed 2" in window.home.sync_status.text(), timeout=15_000)
    assert [p.name for p in stick.iterdir()] == [waiting.name]
    assert "freed" in window.home.sync_status.text()

    # Nothing more to remove: said, not asked.
    window.tidy_action.trigger()
    qtbot.waitUntil(lambda: "Nothing to remove" in window.home.sync_status.text(), timeout=15_000)
    close_window(qtbot, window)


def test_asked_in_lao_and_without_a_folder_says_where_to_set_one(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    _one_round_on_a_stick(study_db, tmp_path, stick)
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
