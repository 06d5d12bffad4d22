"""Text answers: one line, or a note area (`multiline` appearance, `rows=` parameter).

Typing is answered in batches rather than on every key: a long note answered
per keystroke would flood the paradata with near-identical copies. The batch
timer starts at the first unanswered key and is not pushed back by later
ones, so someone typing a long note without pausing still has their text
answered (and autosaved) every `BATCH_MS`: a crash loses at most the last
second. Leaving the field or pressing Enter answers at once.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QWidget

from app.ui.entry.widgets.base import QuestionWidget

BATCH_MS = 400


class LineEdit(QLineEdit):
    """A line edit whose Shift+Enter goes back a question."""

    def __init__(self, owner: QuestionWidget) -> None:
        super().__init__()
        self.owner = owner

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.owner.commit()
            if self.owner.stays():
                return
            backwards = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.owner.ctx.advance(self.owner, backwards)
            return
        super().keyPressEvent(event)


class TextWidget(QuestionWidget):
    def build(self) -> None:
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(BATCH_MS)
        self._timer.timeout.connect(self.commit)
        self.multiline = self._is_multiline()
        if self.multiline:
            self.edit: QLineEdit | QPlainTextEdit = NoteEdit(self)
            rows = self._rows()
            metrics = self.edit.fontMetrics()
            if self.ctx.note_mode:
                self.edit.setMinimumHeight(metrics.lineSpacing() * 12)
            else:
                self.edit.setMinimumHeight(metrics.lineSpacing() * rows + 12)
                self.edit.setMaximumHeight(metrics.lineSpacing() * max(rows, 10) + 12)
            self.edit.setTabChangesFocus(True)  # Tab moves on, as everywhere else
            self.edit.textChanged.connect(self._typed)
        else:
            self.edit = LineEdit(self)
            self.edit.textEdited.connect(self._typed)
            self.edit.editingFinished.connect(self.commit)
        self.body.addWidget(self.edit)

    def _is_multiline(self) -> bool:
        return "multiline" in self.question.appearances() or "rows" in self.question.parameters

    def _rows(self) -> int:
        try:
            return max(2, min(20, int(self.question.parameters.get("rows", "5"))))
        except ValueError:
            return 5

    def _typed(self, *_args: object) -> None:
        # Not restarted while running: continuous typing is answered every BATCH_MS.
        if not self._updating and not self._timer.isActive():
            self._timer.start()

    def current_text(self) -> str:
        if isinstance(self.edit, QPlainTextEdit):
            return self.edit.toPlainText()
        return self.edit.text()

    def commit(self) -> None:
        self._timer.stop()
        if self._updating:
            return
        text = self.current_text()
        if text != self.node.value:
            self.submit(text)

    def show_value(self, value: str) -> None:
        if self.current_text() == value:
            return
        if isinstance(self.edit, QPlainTextEdit):
            self.edit.setPlainText(value)
            self.edit.moveCursor(QTextCursor.MoveOperation.End)
        else:
            self.edit.setText(value)

    def editors(self) -> list[QWidget]:
        return [self.edit]

    def set_editable(self, editable: bool) -> None:
        self.edit.setReadOnly(not editable)

    def insert_text(self, text: str) -> None:
        """Insert at the cursor (used for interview time stamps)."""
        if isinstance(self.edit, QPlainTextEdit):
            self.edit.insertPlainText(text)
        else:
            self.edit.insert(text)
        if not self._timer.isActive():
            self._timer.start()


class NoteEdit(QPlainTextEdit):
    """Multi-line answer: Enter is a new line; Ctrl+Enter moves on; leaving answers."""

    def __init__(self, owner: TextWidget) -> None:
        super().__init__()
        self.owner = owner
        self.installEventFilter(self)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
            event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.owner.commit()
            backwards = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.owner.ctx.advance(self.owner, backwards)
            return
        super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self and event.type() == QEvent.Type.FocusOut:
            self.owner.commit()
        return False
