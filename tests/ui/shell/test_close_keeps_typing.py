"""The last words typed before leaving a form are kept.

A text answer is taken in batches (every 400 ms, or when the field is left). Closing
the form with Ctrl+W or quitting the app right after typing leaves the focus where it
is: the words still waiting in the field must be answered before the last save, in
the questionnaire's entry view and in the interview workspace alike.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.store import LocalStore
from app.ui.app_window import AppWindow
from app.ui.context import AppContext
from tests.ui.shell.helpers import find, fresh_store, log_in, saved_document, type_text

FORMS = {
    "dg_survey": ("consent", "main/admin/interviewer_name"),
    "dg_interview": ("consent", "main/admin/interviewer_name"),
}


def _typing_in(qtbot: QtBot, ctx: AppContext, form_id: str) -> tuple[AppWindow, str]:
    window = AppWindow(ctx)  # the real entry view and interview workspace
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    log_in(qtbot, window)
    version = next(e.version for e in window.home.form_entries() if e.form_id == form_id)
    window.start_form(form_id, version)
    qtbot.waitUntil(lambda: window.filling_screen is not None, timeout=10_000)
    screen = window.filling_screen
    assert screen is not None
    view = getattr(screen.view, "view", screen.view)  # the workspace holds a FormView
    consent, name = FORMS[form_id]
    session = view.session
    view.answer(session.node(consent), "yes")
    node = session.node(name)
    view.go_to(node)
    editor = view.widgets[node].edit
    editor.setFocus()
    type_text(qtbot, editor, "Somphone")  # and at once, within the batch time:
    return window, screen.filling.instance_id


@pytest.mark.parametrize("form_id", sorted(FORMS))
def test_ctrl_w_right_after_typing_keeps_the_words(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore, form_id: str
) -> None:
    study_db.close()
    window, instance_id = _typing_in(qtbot, ctx, form_id)
    screen = window.filling_screen
    assert screen is not None
    qtbot.keyClick(screen, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.screen_name == "home", timeout=10_000)
    other = fresh_store()
    try:
        assert find(saved_document(other, instance_id), "interviewer_name") == "Somphone"
    finally:
        other.close()


def test_quitting_right_after_typing_keeps_the_words(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore
) -> None:
    study_db.close()
    window, instance_id = _typing_in(qtbot, ctx, "dg_survey")
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    other = fresh_store()
    try:
        assert find(saved_document(other, instance_id), "interviewer_name") == "Somphone"
    finally:
        other.close()
