"""Helpers for the app shell tests: a fake entry view, a context, log-in through the UI."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.core import paths
from app.fieldwork.filling import Filling
from app.store import LocalStore, open_store
from app.store.crypto import KdfParams
from app.ui.app_window import AppWindow
from app.ui.context import AppContext
from app.ui.settings.store import SettingsStore

FAST_KDF = KdfParams(time_cost=1, memory_cost_kib=8 * 1024, parallelism=1)
PASSWORD = "correct horse battery"
USER = "keo"


class FakeView(QWidget):
    """Stands in for the form entry view where a test is about the shell only.

    Same signals and methods as `FormView`; a test answers through `answer()`,
    which changes the session and emits `sig_answer_changed` as the view does.
    """

    sig_answer_changed = Signal()
    sig_question_entered = Signal(object)
    sig_question_left = Signal(object)
    sig_finalise_requested = Signal()

    def __init__(self, filling: Filling, *, page_mode: str = "pages", parent: Any = None):
        super().__init__(parent)
        self.filling = filling
        self.page_mode = page_mode
        self.page = 0
        self.language: str | None = None
        self.gone_to: list[Any] = []
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.restore_ui_state(filling.ui)  # as FormView does: its place comes with the draft

    def ui_state(self) -> dict[str, Any]:
        return {"page": self.page}

    def restore_ui_state(self, state: dict[str, Any]) -> None:
        self.page = int(state.get("page", 0))

    def set_form_language(self, code: str | None) -> None:
        self.language = code
        self.filling.session.set_language(code)

    def go_to(self, node: Any) -> None:
        self.gone_to.append(node)

    def answer(self, ref: str, value: Any) -> None:
        self.filling.session.set_value(ref, value)
        self.sig_answer_changed.emit()

    def enter(self, ref: str) -> None:
        """Focus moves to a question: paradata in the Filling, then the signal (as FormView)."""
        node = self.filling.session.node(ref)
        self.filling.question_entered(node)
        self.sig_question_entered.emit(node)

    def leave(self, ref: str) -> None:
        node = self.filling.session.node(ref)
        self.filling.question_left(node)
        self.sig_question_left.emit(node)

    def turn_page(self, page: int) -> None:
        self.page = page
        self.enter("consent")


def fake_factory(filling: Filling, interview: bool, page_mode: str) -> QWidget:
    return FakeView(filling, page_mode=page_mode)


def make_context(**kwargs: Any) -> AppContext:
    kwargs.setdefault("forms_dir", paths.default_forms_dir())
    return AppContext(settings=SettingsStore(), kdf=FAST_KDF, **kwargs)


def fresh_store(username: str = USER) -> LocalStore:
    """A new connection, as another process would open it."""
    return open_store(username=username, password=PASSWORD)


def make_window(qtbot: QtBot, ctx: AppContext, **kwargs: Any) -> AppWindow:
    window = AppWindow(ctx, view_factory=kwargs.pop("view_factory", fake_factory), **kwargs)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    return window


def log_in(qtbot: QtBot, window: AppWindow, username: str = USER, password: str = PASSWORD) -> None:
    """Log in through the login screen with real key presses."""
    assert window.screen_name == "login"
    login = window.login
    login.username.clear()
    qtbot.keyClicks(login.username, username)
    qtbot.keyClicks(login.password, password)
    qtbot.keyClick(login.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.ctx.store is not None, timeout=10_000)
    qtbot.waitUntil(lambda: window.home.data is not None, timeout=10_000)


def close_window(qtbot: QtBot, window: AppWindow) -> None:
    """Close the window cleanly (it saves, closes the store, then goes)."""
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)


def forms_dir() -> Path:
    return paths.default_forms_dir()


def type_text(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Type `text` with key events, Lao included (QTest.keyClicks only knows ASCII)."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    for char in text:
        if char.isascii():
            qtbot.keyClicks(widget, char)
            continue
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, char))


def make_submission(
    store: LocalStore,
    form_id: str,
    *,
    answers: dict[str, Any],
    finalise: bool = False,
    seed: int = 1,
    assignment_id: str | None = None,
) -> Filling:
    """A submission of a study form: synthetic answers, then `answers`, maybe finalised."""
    import random

    from app.engine.synthetic import fill_session
    from app.fieldwork.library import FormLibrary

    library = FormLibrary(store)
    form = next(f for f in library.latest() if f.formdef.form_id == form_id)
    filling = Filling.start(store=store, form=form, assignment_id=assignment_id)
    if finalise:
        fill_session(filling.session, random.Random(seed))
    for ref, value in answers.items():
        filling.session.set_value(ref, value)
    if finalise:
        filling.finalise()
    else:
        filling.save()
    return filling


def start_new_form(qtbot: QtBot, window: AppWindow, form_id: str = "dg_survey") -> Any:
    """Start a new form from the home screen's list with the keyboard; return the view."""
    home = window.home
    forms = home.forms_list
    row = next(r for r, entry in enumerate(home.form_entries()) if entry.form_id == form_id)
    forms.setCurrentItem(forms.topLevelItem(row))
    forms.setFocus()
    qtbot.keyClick(forms, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.screen_name == "filling", timeout=10_000)
    assert window.filling_screen is not None
    return window.filling_screen.view


def saved_document(store: LocalStore, instance_id: str) -> dict[str, Any]:
    draft = store.load_draft(instance_id=instance_id)
    return draft.document["data"] if draft else {}


def find(data: dict[str, Any], name: str) -> Any:
    """A value anywhere in a nested document (names are unique in the study forms)."""
    for key, value in data.items():
        if key == name:
            return value
        if isinstance(value, dict):
            found = find(value, name)
            if found is not None:
                return found
    return None


DialogT = TypeVar("DialogT", bound=QWidget)


def visible(kind: type[DialogT]) -> DialogT | None:
    """The top-level window of `kind` on screen, if any."""
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, kind) and widget.isVisible():
            return widget
    return None


def wait_for_dialog(qtbot: QtBot, kind: type[DialogT]) -> DialogT:
    """Wait until a window of `kind` is on screen; return it."""
    qtbot.waitUntil(lambda: visible(kind) is not None)
    found = visible(kind)
    assert found is not None
    return found
