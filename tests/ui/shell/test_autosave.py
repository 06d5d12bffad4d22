"""Autosave from the filling screen: within a second, one write at a time, errors kept."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.store import EventKind
from app.store.errors import StorageFullError
from app.ui.app_window import AppWindow
from tests.ui.shell.helpers import find, fresh_store, saved_document, start_new_form


def test_an_answer_reaches_the_store_within_a_second(qtbot: QtBot, logged_in: AppWindow) -> None:
    view = start_new_form(qtbot, logged_in)
    instance_id = view.filling.instance_id
    other = fresh_store()  # another connection, as after a crash
    try:
        started = time.monotonic()
        view.answer("consent", "yes")
        qtbot.waitUntil(
            lambda: find(saved_document(other, instance_id), "consent") == "yes", timeout=1000
        )
        elapsed = time.monotonic() - started
    finally:
        other.close()
    assert elapsed < 1.0
    saver = logged_in.filling_screen.autosaver
    qtbot.waitUntil(lambda: not saver.pending)
    assert saver.last_latency_ms is not None and saver.last_latency_ms < 1000
    assert logged_in.filling_screen.save_state.text().startswith("Saved at ")


def test_never_two_writes_at_once_and_the_last_answer_wins(
    qtbot: QtBot, logged_in: AppWindow
) -> None:
    view = start_new_form(qtbot, logged_in)
    filling = view.filling
    real_write = filling.write
    active = 0
    most = 0
    writes = 0
    lock = threading.Lock()

    def slow_write(payload: Any) -> Any:
        nonlocal active, most, writes
        with lock:
            active += 1
            most = max(most, active)
        time.sleep(0.08)  # a slow disk
        try:
            return real_write(payload)
        finally:
            with lock:
                active -= 1
                writes += 1

    filling.write = slow_write  # type: ignore[method-assign]
    view.answer("consent", "yes")
    for years in range(1, 16):
        view.answer("years_in_org", years)
        qtbot.wait(25)
    saver = logged_in.filling_screen.autosaver
    qtbot.waitUntil(lambda: not saver.pending, timeout=5000)
    assert most == 1
    assert 2 <= writes < 16  # changes during a write are batched into the next one
    other = fresh_store()
    try:
        assert find(saved_document(other, filling.instance_id), "years_in_org") == 15
    finally:
        other.close()


def test_disk_full_is_shown_once_keeps_the_answers_and_retries(
    qtbot: QtBot, logged_in: AppWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[BaseException] = []
    monkeypatch.setattr("app.ui.messages.show_error", lambda parent, error: shown.append(error))
    view = start_new_form(qtbot, logged_in)
    filling = view.filling
    screen = logged_in.filling_screen
    saver = screen.autosaver
    store = filling.store
    real_autosave = store.autosave
    full = True

    def autosave(**kwargs: Any) -> Any:
        if full:
            raise StorageFullError("The disk is full; the change was not saved.")
        return real_autosave(**kwargs)

    monkeypatch.setattr(store, "autosave", autosave)
    view.answer("consent", "yes")
    qtbot.waitUntil(lambda: saver.failing is not None, timeout=2000)
    view.answer("province", "vt")
    qtbot.waitUntil(lambda: not saver.saving and saver.pending, timeout=2000)
    qtbot.wait(400)
    assert len(shown) == 1 and "disk is full" in str(shown[0])
    assert screen.save_state.text() == "Not saved yet"
    assert filling.session.value("consent") == "yes"  # nothing lost in memory
    full = False
    view.answer("cluster", "core_regulatory")  # the next change tries again
    qtbot.waitUntil(lambda: not saver.pending and saver.failing is None, timeout=2000)
    other = fresh_store()
    try:
        data = saved_document(other, filling.instance_id)
        assert (find(data, "consent"), find(data, "province"), find(data, "cluster")) == (
            "yes",
            "vt",
            "core_regulatory",
        )
        changes = [
            e.field.rsplit("/", 1)[-1]
            for e in other.events(instance_id=filling.instance_id, kind=EventKind.ANSWER_CHANGED)
        ]
        assert changes[:3] == ["consent", "province", "cluster"]  # paradata kept too
    finally:
        other.close()
    assert len(shown) == 1


def test_paradata_and_a_clean_close(qtbot: QtBot, logged_in: AppWindow) -> None:
    view = start_new_form(qtbot, logged_in)
    instance_id = view.filling.instance_id
    settings = logged_in.ctx.settings
    assert settings.open_draft("keo") == instance_id
    view.enter("consent")
    view.answer("consent", "yes")
    view.leave("consent")
    screen = logged_in.filling_screen
    qtbot.keyClick(screen, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: logged_in.screen_name == "home", timeout=5000)
    assert settings.open_draft("keo") is None
    other = fresh_store()
    try:
        kinds = [e.kind for e in other.events(instance_id=instance_id)]
    finally:
        other.close()
    assert kinds.index(EventKind.QUESTION_ENTER) < kinds.index(EventKind.ANSWER_CHANGED)
    assert kinds.index(EventKind.ANSWER_CHANGED) < kinds.index(EventKind.QUESTION_LEAVE)
    assert kinds[-1] == EventKind.FORM_CLOSED
    assert find(saved_document(logged_in.ctx.store, instance_id), "consent") == "yes"
