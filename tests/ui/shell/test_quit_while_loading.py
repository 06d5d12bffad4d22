"""Quitting while the home screen is still listing the cases: no error box on the way out."""

from __future__ import annotations

import threading

import pytest
from pytestqt.qtbot import QtBot

import app.ui.home.screen as home_screen
import app.ui.messages as messages
from app.ui.app_window import AppWindow
from app.ui.workers import running_tasks


def test_quitting_while_the_home_screen_loads_shows_no_error(
    qtbot: QtBot, logged_in: AppWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A large database takes a moment to list its cases: quitting meanwhile closed the
    # store under the load, which then failed with "The database has been closed."
    # in a box that held the app open.
    release = threading.Event()
    real = home_screen.load_home

    def slow(**kwargs: object) -> object:
        release.wait(10)
        return real(**kwargs)  # type: ignore[arg-type]

    shown: list[BaseException] = []
    monkeypatch.setattr(home_screen, "load_home", slow)
    monkeypatch.setattr(messages, "show_error", lambda _parent, error: shown.append(error))
    logged_in.home.refresh()
    logged_in.close()
    qtbot.waitUntil(lambda: not logged_in.isVisible(), timeout=10_000)  # the store is closed
    release.set()
    for task in running_tasks():
        task.wait(10)
    qtbot.wait(50)  # the load's outcome arrives
    assert shown == []
