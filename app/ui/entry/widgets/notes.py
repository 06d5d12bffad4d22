"""Notes (text only), acknowledge ("OK" check box) and trigger."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCheckBox, QLabel, QWidget

from app.core.i18n import _
from app.ui.entry.widgets.base import QuestionWidget


class NoteWidget(QuestionWidget):
    """A note shows its label and hints; a calculated note also shows its value."""

    def build(self) -> None:
        self.value_label = QLabel()
        self.value_label.setTextFormat(Qt.TextFormat.PlainText)
        self.value_label.setWordWrap(True)
        self.value_label.hide()
        self.body.addWidget(self.value_label)

    def show_value(self, value: str) -> None:
        shown = bool(value) and self.question.calculate is not None
        self.value_label.setText(value)
        self.value_label.setVisible(shown)


class AcknowledgeWidget(QuestionWidget):
    """acknowledge / trigger: one check box; Space ticks it, Enter moves on."""

    def build(self) -> None:
        self.box = QCheckBox()
        self.box.toggled.connect(self._toggled)
        self.box.installEventFilter(self)
        self.body.addWidget(self.box)

    def _toggled(self, checked: bool) -> None:
        self.submit(True if checked else None)

    def show_value(self, value: str) -> None:
        self.box.setChecked(value != "")

    def retranslate_choices(self) -> None:
        self.box.setText(_("OK"))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.box and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                backwards = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
                self.ctx.advance(self, backwards)
                return True
        return False

    def editors(self) -> list[QWidget]:
        return [self.box]
