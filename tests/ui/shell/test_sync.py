"""Sync from the app: the button and shortcut run a pass off the UI thread and say what happened."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.ui.app_window import AppWindow


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
    assert "No coordinator key is trusted" in logged_in.home.sync_status.text()
    assert list(folder.iterdir()) == []  # nothing written without a coordinator to write to


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
