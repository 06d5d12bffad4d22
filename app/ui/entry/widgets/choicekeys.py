"""Keyboard for selects: number keys pick a choice, Delete clears, Enter moves on."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent

NUMBER_KEYS = {getattr(Qt.Key, f"Key_{n}"): (n - 1 if n else 9) for n in range(10)}


class ChoiceKeys(QObject):
    """Event filter installed on every focusable part of a select widget.

    1–9 pick the first nine choices and 0 the tenth (the shown numbers);
    Delete / Backspace clear; Enter (Shift+Enter) goes to the next (previous)
    question. Any modifier other than the keypad's leaves the key alone, so
    shortcuts such as Ctrl+1 still reach the window.
    """

    def __init__(
        self,
        parent: QObject,
        pick: Callable[[int], None],
        clear: Callable[[], None],
        advance: Callable[[bool], None],
    ) -> None:
        super().__init__(parent)
        self.pick = pick
        self.clear = clear
        self.advance = advance

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress:
            return False
        assert isinstance(event, QKeyEvent)
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and modifiers in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.ShiftModifier,
        ):
            self.advance(modifiers == Qt.KeyboardModifier.ShiftModifier)
            return True
        if modifiers != Qt.KeyboardModifier.NoModifier:
            return False
        if key in NUMBER_KEYS:
            self.pick(NUMBER_KEYS[key])
            return True
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.clear()
            return True
        return False
