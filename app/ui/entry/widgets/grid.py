"""Scales: `likert` as a horizontal scale, and the statements × scale grid.

A run of select-one questions on one page that share a choice list and are
shown as a scale (`likert`, or any select in a `table-list` group, or ODK's
`label` / `list-nolabel` pattern) becomes one grid: the scale's labels once
as a header, one row per statement. Each row is still its own question
widget (messages, relevance, focus), so the rest of the view is unchanged.

Keyboard: a row takes focus as a whole; number keys pick a column,
Left/Right move along the scale, Delete clears, Enter/Down go to the next
row, Up to the previous one.

Width: every column is as wide as the longest word of the scale's labels
(within bounds), so a label wraps between words (Lao words too: `with_breaks`)
and never inside one. Where the statements would be left too narrow beside
the scale (a small screen, 150 % zoom, a narrow interview column), each
statement goes on its own line above its row of buttons; where even the
buttons do not fit, the columns narrow.

Scrolling: once the header has scrolled out of sight while rows are still
in view, a copy of it stays at the top of the view (`FloatingHeader`), so
the seventh button is still "not applicable" twenty statements down.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QBoxLayout,
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app.core.text import ZWSP, with_breaks
from app.engine.instance import Node
from app.engine.model import Kind
from app.ui.entry.widgets.base import EntryContext, QuestionWidget, wrapped_label
from app.ui.entry.widgets.choicekeys import NUMBER_KEYS

CELL_MIN_CHARS = 5  # a column is at least this many average characters wide
CELL_MAX_CHARS = 10  # and at most this many: longer labels wrap
CELL_PADDING = 8
STATEMENT_MIN_CHARS = 24  # narrower statements beside the scale go above it instead
NBSP = "\u00a0"  # "3. ເປັນກາງ" wraps after the word, not after the number


def cell_width(widget: QWidget, labels: list[str] | None = None) -> int:
    """One width for every column of a scale: room for the longest word of `labels`."""
    metrics = widget.fontMetrics()
    average = metrics.averageCharWidth()
    longest = max((metrics.horizontalAdvance(word) for word in _words(labels or [])), default=0)
    low, high = average * CELL_MIN_CHARS, average * CELL_MAX_CHARS
    return max(low, min(high, longest)) + CELL_PADDING


def numbered_labels(widget: QWidget, labels: list[str]) -> tuple[list[str], int]:
    """The scale's labels with their key numbers, and the column width for them.

    A number stays on the line of the label's first word (a no-break space) when that
    fits the column, so a column reads "3. ເປັນກາງ", not "3." above "ເປັນກາງ"."""
    glued = [f"{(i + 1) % 10}.{NBSP}{text}" if i < 10 else text for i, text in enumerate(labels)]
    width = cell_width(widget, glued)
    metrics = widget.fontMetrics()
    texts = []
    for index, (text, numbered) in enumerate(zip(labels, glued, strict=True)):
        words = _words([numbered])
        first = metrics.horizontalAdvance(words[0]) if words else 0
        if index < 10 and first > width - CELL_PADDING:
            numbered = f"{(index + 1) % 10}. {text}"
        texts.append(numbered)
    return texts, width


def _words(labels: list[str]) -> list[str]:
    """The pieces a label cannot wrap inside (it wraps at spaces and zero-width spaces)."""
    return [word for label in labels for word in label.replace(ZWSP, " ").split(" ") if word]


def smallest_cell(widget: QWidget) -> int:
    """Narrower than this, a column cannot show its radio button with some air."""
    return widget.style().pixelMetric(QStyle.PixelMetric.PM_ExclusiveIndicatorWidth) + 12


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
        self.cells: list[QWidget] = []
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
            self.cells.append(holder)
            self.buttons.append(button)
        self.group.idClicked.connect(self._clicked)
        self._updating = False

    def set_cell_width(self, width: int) -> None:
        for holder in self.cells:
            if holder.width() != width or holder.minimumWidth() != width:
                holder.setFixedWidth(width)

    def cell_width(self) -> int:
        return self.cells[0].minimumWidth() if self.cells else 0

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


def fitted_cell(content: int, room: int, count: int, smallest: int) -> int:
    """The column width: what the labels want, less when `count` of them leave no `room`."""
    if room <= 0 or count == 0:
        return content
    return max(smallest, min(content, room // count))


class LikertWidget(ScaleQuestion):
    """One `likert` question on its own: the scale with its labels under the buttons."""

    def build(self) -> None:
        count = len(self.ctx.session.allowed_choices(self.node))
        self.scale = Scale(count, with_labels=True)
        self.content_width = self.scale.cell_width()
        self.body.addWidget(self.scale, 0, Qt.AlignmentFlag.AlignLeft)
        self.connect_scale()

    def retranslate_choices(self) -> None:
        names = getattr(self, "names", [])[: len(self.scale.labels)]
        labels = [with_breaks(self.ctx.session.choice_label(self.node, n)) for n in names]
        texts, self.content_width = numbered_labels(self, labels)
        for label, text in zip(self.scale.labels, texts, strict=False):
            label.setText(text)
        self._fit(self.width())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit(event.size().width())

    def _fit(self, width: int) -> None:
        room = width - SIDE_MARGINS if self.isVisible() else 0
        count = len(self.scale.cells)
        self.scale.set_cell_width(fitted_cell(self.content_width, room, count, smallest_cell(self)))


class GridRow(ScaleQuestion):
    """One statement of a grid: its text and message on the left, the buttons on the right
    (or the text above the buttons, when the grid is narrow: `set_stacked`)."""

    show_header = False

    def build(self) -> None:
        count = len(self.ctx.session.allowed_choices(self.node))
        self.row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.row.setSpacing(ROW_SPACING)
        texts = QVBoxLayout()
        texts.setSpacing(1)
        texts.addWidget(self.label)
        texts.addWidget(self.hint)
        texts.addWidget(self.message)
        self.row.addLayout(texts, 1)
        self.scale = Scale(count, with_labels=False)
        self.row.addWidget(self.scale, 0, Qt.AlignmentFlag.AlignTop)
        self.body.addLayout(self.row)
        self.guidance.hide()
        self.connect_scale()
        if self.header_only:
            # ODK's header row of a label / list-nolabel grid: text only, no buttons.
            self.scale.hide()
            self.scale.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setObjectName("gridRow")

    @property
    def header_only(self) -> bool:
        return "label" in self.question.appearances()

    def editors(self) -> list[QWidget]:
        # A header row takes no answer: Enter, Tab and a page's first focus pass it by.
        return [] if self.header_only else super().editors()

    def refresh_texts(self) -> None:
        super().refresh_texts()
        if self.header_only and not self.ctx.session.text(self.node, "label"):
            # pyxform's table-list header row has no label: not its internal name either.
            self.label.setText("")
            self.label.hide()

    @property
    def stacked(self) -> bool:
        return self.row.direction() == QBoxLayout.Direction.TopToBottom

    def set_stacked(self, stacked: bool) -> None:
        if stacked == self.stacked:
            return
        self.row.setDirection(
            QBoxLayout.Direction.TopToBottom if stacked else QBoxLayout.Direction.LeftToRight
        )
        # Stacked, the buttons stay under the header's columns (both at the right edge).
        self.row.setAlignment(
            self.scale, Qt.AlignmentFlag.AlignRight if stacked else Qt.AlignmentFlag.AlignTop
        )


# Both the header's cells and a row's buttons end this far from the grid's edges
# (header: 4 + 2; row: the question frame's 4 + the scale's 2), so columns line up.
SIDE_MARGINS = 12
ROW_SPACING = 8


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
        self.content_width = cell_width(self)
        for _name in self.names:
            label = wrapped_label("gridHeader")
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom)
            label.setFixedWidth(self.content_width)
            cells.addWidget(label)
            self.header_labels.append(label)
        header.addWidget(holder)
        layout.addLayout(header)
        self.header_holder = holder
        self.floating: FloatingHeader | None = None  # made once the grid is in a scroll area
        self.rows: list[GridRow] = []
        for node in nodes:
            row = GridRow(ctx, node)
            layout.addWidget(row)
            self.rows.append(row)
        self.retranslate()

    @property
    def stacked(self) -> bool:
        return bool(self.rows) and self.rows[0].stacked

    def retranslate(self) -> None:
        labels = [with_breaks(self.ctx.session.choice_label(self.first, n)) for n in self.names]
        texts, self.content_width = numbered_labels(self, labels)
        for label, text in zip(self.header_labels, texts, strict=True):
            label.setText(text)
        self.arrange(self.width() if self.isVisible() else 0)
        self.place_floating_header()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.arrange(event.size().width())

    def arrange(self, width: int) -> None:
        """Column widths and row layout for a grid `width` wide (0: not known yet)."""
        count = len(self.names)
        room = width - SIDE_MARGINS
        cell = fitted_cell(self.content_width, room, count, smallest_cell(self))
        statement = room - count * cell - ROW_SPACING
        stacked = width > 0 and statement < self.fontMetrics().averageCharWidth() * (
            STATEMENT_MIN_CHARS
        )
        for label in self.header_labels:
            if label.minimumWidth() != cell:
                label.setFixedWidth(cell)
        for row in self.rows:
            row.scale.set_cell_width(cell)
            row.set_stacked(stacked)
        self.place_floating_header()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        area = self._scroll_area()
        if area is not None and self.floating is None:
            self.floating = FloatingHeader(area.viewport())
            area.verticalScrollBar().valueChanged.connect(self.place_floating_header)
        self.place_floating_header()

    def _scroll_area(self) -> QAbstractScrollArea | None:
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QAbstractScrollArea):
            parent = parent.parentWidget()
        return parent

    def place_floating_header(self) -> None:
        """Show the header's copy at the top of the view while the header is scrolled
        away and rows are still in sight; hide it otherwise."""
        floating = self.floating
        if floating is None or not shiboken6.isValid(floating) or not shiboken6.isValid(self):
            return
        viewport = floating.parentWidget()
        if viewport is None:
            return
        top = self.header_holder.mapTo(viewport, QPoint(0, 0))
        height = self.header_holder.height()
        last_row_bottom = self.mapTo(viewport, QPoint(0, self.height())).y() - height
        if not self.isVisible() or top.y() >= 0 or last_row_bottom <= 0:
            floating.hide()
            return
        floating.copy(self.header_labels, self.header_holder.size())
        floating.move(top.x(), 0)
        floating.show()
        floating.raise_()


class FloatingHeader(QFrame):
    """A copy of a grid's header, kept at the top of the scrolled view."""

    def __init__(self, viewport: QWidget) -> None:
        super().__init__(viewport)
        self.setObjectName("gridFloatingHeader")
        self.setAutoFillBackground(True)  # rows scroll under it
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.labels: list[QLabel] = []
        self.cells = QHBoxLayout(self)
        self.cells.setContentsMargins(2, 0, 2, 0)
        self.cells.setSpacing(0)
        self.hide()

    def copy(self, labels: list[QLabel], size: QSize) -> None:
        while len(self.labels) < len(labels):
            label = wrapped_label("gridHeader")
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom)
            self.cells.addWidget(label)
            self.labels.append(label)
        for mine, theirs in zip(self.labels, labels, strict=False):
            if mine.text() != theirs.text():
                mine.setText(theirs.text())
            mine.setFixedWidth(theirs.width())
        self.setFixedSize(size)


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
