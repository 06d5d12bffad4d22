"""Slow work never runs on the UI thread: a heartbeat keeps beating while the store
takes its time (opening with argon2, saving to a slow disk, loading the home lists)."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from app.store import LocalStore
from app.ui.app_window import AppWindow
from app.ui.context import AppContext
from tests.ui.shell.helpers import log_in, make_window, start_new_form

SLOW = 0.3  # seconds: what argon2 or a slow USB-era disk costs
LIMIT_MS = 100


class Heartbeat:
    """Beats every 10 ms on the UI thread and remembers the longest silence."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._beat)
        self.last = time.perf_counter()
        self.longest_ms = 0.0

    def _beat(self) -> None:
        now = time.perf_counter()
        self.longest_ms = max(self.longest_ms, (now - self.last) * 1000)
        self.last = now

    def start(self) -> None:
        self.last = time.perf_counter()
        self.longest_ms = 0.0
        self.timer.start()


@pytest.fixture
def heartbeat() -> Iterator[Heartbeat]:
    beat = Heartbeat()
    yield beat
    beat.timer.stop()


def slowly(function: Any, threads: list[threading.Thread]) -> Any:
    def slow(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        time.sleep(SLOW)
        return function(*args, **kwargs)

    return slow


def test_login_and_home_loading_run_off_the_ui_thread(
    qtbot: QtBot,
    ctx: AppContext,
    study_db: LocalStore,
    heartbeat: Heartbeat,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    study_db.close()
    threads: list[threading.Thread] = []
    import app.ui.home.screen as home_screen
    import app.ui.login.login_screen as login_screen

    monkeypatch.setattr(login_screen, "open_store", slowly(login_screen.open_store, threads))
    monkeypatch.setattr(home_screen, "load_home", slowly(home_screen.load_home, threads))
    window = make_window(qtbot, ctx)
    # The windows of earlier tests in this process are garbage by now: collected here,
    # not by a full collection during the login (130 ms with the GIL held, measured
    # after any logged-in test), which is not this window's doing.
    gc.collect()
    heartbeat.start()
    log_in(qtbot, window)
    assert len(threads) == 2 and threading.main_thread() not in threads
    assert heartbeat.longest_ms < LIMIT_MS, f"UI thread blocked {heartbeat.longest_ms:.0f} ms"


def test_saves_to_a_slow_disk_do_not_block_typing(
    qtbot: QtBot, logged_in: AppWindow, heartbeat: Heartbeat
) -> None:
    view = start_new_form(qtbot, logged_in)
    threads: list[threading.Thread] = []
    filling = view.filling
    filling.write = slowly(filling.write, threads)  # type: ignore[method-assign]
    saver = logged_in.filling_screen.autosaver
    qtbot.wait(50)
    heartbeat.start()
    view.answer("consent", "yes")
    for years in range(1, 8):
        qtbot.wait(60)
        view.answer("years_in_org", years)
    qtbot.waitUntil(lambda: not saver.pending, timeout=5000)
    assert threads and threading.main_thread() not in threads
    assert heartbeat.longest_ms < LIMIT_MS, f"UI thread blocked {heartbeat.longest_ms:.0f} ms"
