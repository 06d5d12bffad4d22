"""A draft survives the app dying mid-form and reopens where it was after login."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from pytestqt.qtbot import QtBot

from app.store import LocalStore
from app.ui.app_window import AppWindow
from tests.conftest import REPO
from tests.ui.shell.helpers import (
    find,
    fresh_store,
    log_in,
    make_context,
    make_window,
    saved_document,
    start_new_form,
)


def run_and_kill(mode: str) -> tuple[str, int]:
    """Fill a form in a child process, SIGKILL it once the store acknowledged the save."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.ui.shell.crash_app", mode],
        cwd=REPO,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = child.stdout.readline() if child.stdout else ""
        assert line.startswith("SAVED "), line
        _word, instance_id, page = line.split()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert child.returncode == -signal.SIGKILL
    return instance_id, int(page)


def test_killed_process_reopens_the_draft_at_its_page(qtbot: QtBot, study_db: LocalStore) -> None:
    study_db.close()
    instance_id, page = run_and_kill("fake")
    window = make_window(qtbot, make_context())  # a new start reads the settings afresh
    log_in(qtbot, window)
    qtbot.waitUntil(lambda: window.screen_name == "filling", timeout=10_000)
    screen = window.filling_screen
    assert screen.filling.instance_id == instance_id
    assert screen.view.page == page == 3
    assert screen.filling.session.value("consent") == "yes"
    assert screen.filling.session.value("years_in_org") == "7"


def test_killed_process_reopens_the_real_entry_view_where_it_was(
    qtbot: QtBot, study_db: LocalStore
) -> None:
    study_db.close()
    instance_id, page = run_and_kill("real")
    assert page > 2
    window = make_window(qtbot, make_context(), view_factory=None)
    log_in(qtbot, window)
    qtbot.waitUntil(lambda: window.screen_name == "filling", timeout=10_000)
    screen = window.filling_screen
    assert screen.filling.instance_id == instance_id
    assert screen.view.current == page
    assert screen.filling.session.value("consent") == "yes"
    assert screen.filling.session.value("interviewer_name") == "Keo"


def test_dropped_window_without_closing_reopens_the_draft(
    qtbot: QtBot, logged_in: AppWindow
) -> None:
    view = start_new_form(qtbot, logged_in)
    instance_id = view.filling.instance_id
    view.answer("consent", "yes")
    view.answer("province", "ou")
    view.turn_page(2)
    saver = logged_in.filling_screen.autosaver
    started = time.monotonic()
    qtbot.waitUntil(lambda: not saver.pending, timeout=1000)
    assert time.monotonic() - started < 1.0
    # The "crash": the window goes without saving or closing the store.
    dead_store = logged_in.ctx.store
    logged_in._quitting = True
    logged_in.close()

    window = make_window(qtbot, make_context())
    log_in(qtbot, window)
    qtbot.waitUntil(lambda: window.screen_name == "filling", timeout=10_000)
    screen = window.filling_screen
    assert screen.filling.instance_id == instance_id
    assert screen.view.page == 2
    assert screen.filling.session.value("province") == "ou"
    other = fresh_store()
    try:
        assert find(saved_document(other, instance_id), "province") == "ou"
    finally:
        other.close()
        dead_store.close()


def test_closing_the_window_mid_form_saves_and_reopens_it_next_time(
    qtbot: QtBot, logged_in: AppWindow
) -> None:
    view = start_new_form(qtbot, logged_in)
    instance_id = view.filling.instance_id
    view.answer("consent", "yes")
    view.answer("province", "bk")  # not saved yet: closing must save it first
    view.turn_page(5)
    logged_in.close()
    qtbot.waitUntil(lambda: not logged_in.isVisible(), timeout=5000)
    assert logged_in.ctx.store is None  # the store was closed after the save

    window = make_window(qtbot, make_context())
    log_in(qtbot, window)
    qtbot.waitUntil(lambda: window.screen_name == "filling", timeout=10_000)
    screen = window.filling_screen
    assert screen.filling.instance_id == instance_id and screen.view.page == 5
    assert screen.filling.session.value("province") == "bk"
