"""Helpers for form entry tests: open a view and press keys like an enumerator."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.fieldwork.filling import Filling
from app.ui.entry.form_view import FormView
from app.ui.entry.widgets.base import QuestionWidget


def open_view(qtbot: QtBot, filling: Filling, **options: object) -> FormView:
    view = FormView(filling, **options)  # type: ignore[arg-type]
    qtbot.addWidget(view)
    view.resize(1100, 720)
    view.show()
    qtbot.waitExposed(view)
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow)
    return view


def widget_for(view: FormView, ref: str) -> QuestionWidget:
    node = view.session.node(ref)
    view.go_to(node)
    return view.widgets[node]


def focused() -> QWidget | None:
    return QApplication.focusWidget()


def press(
    qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    """A key press on whatever has the focus (as a person would)."""
    target = QApplication.focusWidget()
    assert target is not None, "nothing has the keyboard focus"
    qtbot.keyClick(target, key, modifier)


def type_text(qtbot: QtBot, text: str) -> None:
    """Type `text` into the focused widget; Lao letters arrive as key events with text
    (QTest's keyClicks only knows ASCII, as a keyboard layout would send Lao)."""
    target = QApplication.focusWidget()
    assert target is not None, "nothing has the keyboard focus"
    for char in text:
        if char.isascii():
            qtbot.keyClicks(target, char)
            continue
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(target, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, char))
