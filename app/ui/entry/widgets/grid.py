"""Scales: `likert` as a horizontal scale, and the statements × scale grid.

A run of select-one questions on one page that share a choice list and are
shown as a scale (`likert`, or any select in a `table-list` group, or ODK's
`label` / `list-nolabel` pattern) becomes one grid: the scale's labels once
as a header, one row per statement. Each row is still its own question
widget (messages, relevance, focus), so the rest of the view is unchanged.

Keyboard: a row takes focus as a whole; number keys pick a column,
Left/Right move along the scale, Delete clears, Enter/Down go to the next
row, Up to the previous one.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.core.text import with_breaks
from app.engine.instance import Node
from app.engine.model import Kind
from app.ui.entry.widgets.base import EntryContext, QuestionWidget, wrapped_label
from app.ui.entry.widgets.choicekeys import NUMBER_KEYS

CELL_MAX_CHARS = (
    8  # scale labels wrap beyond this many average characters: the statements need the room
)


def cell_width(widget: QWidget) -> int:
    return widget.fontMetrics().averageCharWidth() * CELL_MAX_CHARS + 8


class Scale(QFrame):
    """A focusable row of radio buttons; optional labels under each button."""

    sig_index_picked = Signal(int)
    sig_cleared = Signal()
    sig_advance_requested = Signal(bool)

    def __init__(self, count: int, with_labels: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scale")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.group = QButtonGroup(self)
        self.buttons: list[QRadioButton] = []
        self.labels: list[QLabel] = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(0)
        width = cell_width(self)
        for index in range(count):
            cell = QVBoxLayout()
            cell.setSpacing(0)
            button = QRadioButton()
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the row has focus, not each button
            self.group.addButton(button, index)
            cell.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
            if with_labels:
                label = wrapped_label("scaleLabel")
                label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
                cell.addWidget(label)
                self.labels.append(label)
            holder = QWidget()
            holder.setLayout(cell)
            holder.setFixedWidth(width)
            layout.addWidget(holder)
            self.buttons.append(button)
        self.group.idClicked.connect(self._clicked)
        self._updating = False

    def _clicked(self, index: int) -> None:
        if not self._updating:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self.sig_index_picked.emit(index)

    def checked(self) -> int:
        return self.group.checkedId()

    def show_index(self, index: int) -> None:
        self._updating = True
        self.group.setExclusive(False)
        for position, button in enumerate(self.buttons):
            button.setChecked(position == index)
        self.group.setExclusive(True)
        self._updating = False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        shift = modifiers == Qt.KeyboardModifier.ShiftModifier
        if modifiers not in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier):
            super().keyPressEvent(event)
            return
        current = self.checked()
        if key in NUMBER_KEYS and not shift:
            if NUMBER_KEYS[key] < len(self.buttons):
                self.sig_index_picked.emit(NUMBER_KEYS[key])
        elif key == Qt.Key.Key_Right:
            self.sig_index_picked.emit(min(len(self.buttons) - 1, current + 1))
        elif key == Qt.Key.Key_Left:
            self.sig_index_picked.emit(max(0, current - 1) if current >= 0 else 0)
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.sig_cleared.emit()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.sig_advance_requested.emit(shift)
        elif key == Qt.Key.Key_Down:
            self.sig_advance_requested.emit(False)
        elif key == Qt.Key.Key_Up:
            self.sig_advance_requested.emit(True)
        else:
            super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        self.setProperty("focused", True)
        self.style().polish(self)
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.setProperty("focused", False)
        self.style().polish(self)
        super().focusOutEvent(event)


class ScaleQuestion(QuestionWidget):
    """Shared answering logic of the likert scale and a grid row."""

    scale: Scale

    def connect_scale(self) -> None:
        self.names = self.ctx.session.allowed_choices(self.node)
        self.scale.sig_index_picked.connect(self._picked)
        self.scale.sig_cleared.connect(lambda: self.submit(None))
        self.scale.sig_advance_requested.connect(lambda back: self.ctx.advance(self, back))

    def _picked(self, index: int) -> None:
        if 0 <= index < len(self.names) and not self.node.readonly:
            self.submit(self.names[index])

    def show_value(self, value: str) -> None:
        self.scale.show_index(self.names.index(value) if value in self.names else -1)

    def rebuild_choices(self) -> None:
        self.names = self.ctx.session.allowed_choices(self.node)

    def editors(self) -> list[QWidget]:
        return [self.scale]

    def set_editable(self, editable: bool) -> None:
        for button in self.scale.buttons:
            button.setEnabled(editable)


class LikertWidget(ScaleQuestion):
    """One `likert` question on its own: the scale with its labels under the buttons."""

    def build(self) -> None:
        count = len(self.ctx.session.allowed_choices(self.node))
        self.scale = Scale(count, with_labels=True)
        self.body.addWidget(self.scale, 0, Qt.AlignmentFlag.AlignLeft)
        self.connect_scale()

    def retranslate_choices(self) -> None:
        for index, name in enumerate(getattr(self, "names", [])):
            if index < len(self.scale.labels):
                label = with_breaks(self.ctx.session.choice_label(self.node, name))
                self.scale.labels[index].setText(f"{(index + 1) % 10}. {label}")


class GridRow(ScaleQuestion):
    """One statement of a grid: its text and message on the left, the buttons on the right."""

    show_header = False

    def build(self) -> None:
        count = len(self.ctx.session.allowed_choices(self.node))
        row = QHBoxLayout()
        row.setSpacing(8)
        texts = QVBoxLayout()
        texts.setSpacing(1)
        texts.addWidget(self.label)
        texts.addWidget(self.hint)
        texts.addWidget(self.message)
        row.addLayout(texts, 1)
        self.scale = Scale(count, with_labels=False)
        row.addWidget(self.scale, 0, Qt.AlignmentFlag.AlignTop)
        self.body.addLayout(row)
        self.guidance.hide()
        self.connect_scale()
        if "label" in self.question.appearances():
            # ODK's header row of a label / list-nolabel grid: text only, no buttons.
            self.scale.hide()
            self.scale.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setObjectName("gridRow")


class GridWidget(QFrame):
    """Statements × scale. Holds `GridRow`s; the view treats each row as a question."""

    def __init__(self, ctx: EntryContext, nodes: list[Node], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("grid")
        self.ctx = ctx
        self.first = nodes[0]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(0)
        header = QHBoxLayout()
        header.setContentsMargins(4, 0, 4, 0)
        header.addStretch(1)
        self.header_labels: list[QLabel] = []
        self.names = ctx.session.allowed_choices(self.first)
        holder = QWidget()
        cells = QHBoxLayout(holder)
        cells.setContentsMargins(2, 0, 2, 0)
        cells.setSpacing(0)
        width = cell_width(self)
        for _name in self.names:
            label = wrapped_label("gridHeader")
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom)
            label.setFixedWidth(width)
            cells.addWidget(label)
            self.header_labels.append(label)
        header.addWidget(holder)
        layout.addLayout(header)
        self.rows: list[GridRow] = []
        for node in nodes:
            row = GridRow(ctx, node)
            layout.addWidget(row)
            self.rows.append(row)
        self.retranslate()

    def retranslate(self) -> None:
        for index, (name, label) in enumerate(zip(self.names, self.header_labels, strict=True)):
            text = with_breaks(self.ctx.session.choice_label(self.first, name))
            label.setText(f"{(index + 1) % 10}. {text}" if index < 10 else text)


def is_scale(node: Node) -> bool:
    """Shown as a scale: a select one with `likert`, `list-nolabel` or `label`, or any
    select one in a `table-list` group (choice filters would make rows differ: never)."""
    question = node.definition.question
    if question is None or question.kind is not Kind.SELECT_ONE or question.choice_filter:
        return False
    parent = node.parent
    in_table = parent is not None and "table-list" in parent.definition.element.appearances()
    return in_table or bool(question.appearances() & {"likert", "list-nolabel", "label"})


def scale_runs(nodes: list[Node]) -> list[list[Node]]:
    """Split a page's nodes into runs: consecutive scale questions of one group with one
    choice list form one run (a grid when there are two or more); others stand alone."""
    runs: list[list[Node]] = []
    for node in nodes:
        if runs and is_scale(node) and is_scale(runs[-1][0]):
            previous = runs[-1][0]
            if (
                previous.parent is node.parent
                and previous.definition.question.choice_list == node.definition.question.choice_list
            ):
                runs[-1].append(node)
                continue
        runs.append([node])
    return runs
