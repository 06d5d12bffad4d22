"""Rank: put every choice in order. Ctrl+Up / Ctrl+Down move the current choice.

A rank stays unanswered until the order is touched (a move, or Space to keep
the order shown), so an untouched default never passes for an answer.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QPushButton, QVBoxLayout, QWidget

from app.core.i18n import _
from app.ui.entry.widgets.base import QuestionWidget

NAME_ROLE = Qt.ItemDataRole.UserRole + 1


class RankList(QListWidget):
    def __init__(self, owner: RankWidget) -> None:
        super().__init__()
        self.owner = owner

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        control = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if control and key == Qt.Key.Key_Up:
            self.owner.move_current(-1)
        elif control and key == Qt.Key.Key_Down:
            self.owner.move_current(1)
        elif key == Qt.Key.Key_Space:
            self.owner.accept_order()
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.owner.submit(None)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            backwards = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.owner.ctx.advance(self.owner, backwards)
        else:
            super().keyPressEvent(event)


class RankWidget(QuestionWidget):
    def build(self) -> None:
        row = QHBoxLayout()
        self.list = RankList(self)
        self.list.setWordWrap(True)
        row.addWidget(self.list, 1)
        buttons = QVBoxLayout()
        self.up = QPushButton()
        self.down = QPushButton()
        for button in (self.up, self.down):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Ctrl+Up / Ctrl+Down in the list
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.up.clicked.connect(lambda: self.move_current(-1))
        self.down.clicked.connect(lambda: self.move_current(1))
        row.addLayout(buttons)
        self.body.addLayout(row)
        self.status = QLabel()
        self.status.setObjectName("questionHint")
        self.body.addWidget(self.status)
        self.names = self.ctx.session.allowed_choices(self.node)

    def order(self) -> list[str]:
        return [str(self.list.item(i).data(NAME_ROLE)) for i in range(self.list.count())]

    def move_current(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count() or self.node.readonly:
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)
        self.submit(self.order())

    def accept_order(self) -> None:
        if not self.node.readonly:
            self.submit(self.order())

    def rebuild_choices(self) -> None:
        self.names = self.ctx.session.allowed_choices(self.node)
        self.refresh_value()

    def show_value(self, value: str) -> None:
        chosen = [n for n in value.split() if n in self.names]
        order = chosen + [n for n in self.names if n not in chosen]
        if order == self.order():
            self._label_items()
            return
        current = self.list.currentRow()
        self.list.clear()
        for name in order:
            self.list.addItem("")
            self.list.item(self.list.count() - 1).setData(NAME_ROLE, name)
        self.list.setCurrentRow(max(0, current))
        self._label_items()

    def _label_items(self) -> None:
        for index in range(self.list.count()):
            item = self.list.item(index)
            name = str(item.data(NAME_ROLE))
            item.setText(f"{index + 1}. {self.ctx.session.choice_label(self.node, name)}")
        self.list.setFixedHeight(
            self.list.sizeHintForRow(0) * max(1, self.list.count()) + 2 * self.list.frameWidth()
            if self.list.count()
            else 40
        )

    def retranslate_choices(self) -> None:
        self.up.setText(_("Move up"))
        self.down.setText(_("Move down"))
        self.up.setToolTip(_("Ctrl+Up"))
        self.down.setToolTip(_("Ctrl+Down"))
        self.status.setText(
            _(
                "Not ranked yet: move choices with Ctrl+Up / Ctrl+Down, "
                "or press Space to keep this order."
            )
            if self.node.value == ""
            else ""
        )
        self.status.setVisible(self.node.value == "")
        if self.list.count():
            self._label_items()

    def editors(self) -> list[QWidget]:
        return [self.list]
