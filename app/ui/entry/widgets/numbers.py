"""Numbers: integer and decimal entry with a range hint, and `range` as a slider.

Numbers are answered on every keystroke (they often drive relevance); the
validator keeps letters out, so the only refusals left are half-typed
numbers ("-", "."), which wait for the next key. A number that sets how
many entries a repeat has is answered when the typing is done (Enter, or
leaving the field): "12" typed digit by digit would otherwise build one
entry, then twelve, and clearing it to retype it would remove them all.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QRegularExpression, Qt
from PySide6.QtGui import QKeyEvent, QRegularExpressionValidator
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

from app.core.i18n import _
from app.engine.model import DataType
from app.ui.entry.widgets.base import QuestionWidget
from app.ui.entry.widgets.text import LineEdit

_BOUND = re.compile(r"^\s*\.\s*(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")


def range_hint(constraint: str | None, integer: bool = False) -> tuple[str | None, str | None]:
    """Lower and upper bounds of a simple `. >= a and . <= b` constraint, for display.

    The hint says "from a to b" (both allowed): a strict bound (`. < 10`, pyxform's
    widgets.xls) is the next whole number for an integer; for a decimal it gives no hint
    rather than one that names a refused value."""
    low = high = None
    if not constraint:
        return None, None
    for part in re.split(r"\band\b", constraint):
        match = _BOUND.match(part)
        if match is None:
            if part.strip():
                return None, None  # anything more complex: no hint rather than a wrong one
            continue
        operator, number = match[1], match[2]
        if operator in (">", "<"):
            if not integer or "." in number:
                return None, None
            number = str(int(number) + (1 if operator == ">" else -1))
        if operator.startswith(">"):
            low = number
        else:
            high = number
    return low, high


class NumberWidget(QuestionWidget):
    def build(self) -> None:
        row = QHBoxLayout()
        self.edit = LineEdit(self)
        integer = self.question.data_type is DataType.INT
        pattern = r"-?\d{0,10}" if integer else r"-?\d{0,15}([.,]\d{0,10})?"
        self.edit.setValidator(QRegularExpressionValidator(QRegularExpression(pattern), self.edit))
        self.edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.edit.setMaximumWidth(self.edit.fontMetrics().horizontalAdvance("0") * 22)
        self.edit.textEdited.connect(self._typed)
        self.when_done = self.ctx.session.sets_a_repeat_count(self.node)
        self._not_taken = False  # the last number committed was refused or taken back
        if self.when_done:
            self.edit.editingFinished.connect(self.commit)
        self.range_label = QLabel()
        self.range_label.setObjectName("questionHint")
        row.addWidget(self.edit)
        row.addWidget(self.range_label)
        row.addStretch(1)
        self.body.addLayout(row)
        constraint = self.question.constraint
        self.bounds = range_hint(constraint.source if constraint is not None else None, integer)

    def _typed(self, text: str) -> None:
        if not self.when_done:
            self._answer(text)

    def commit(self) -> None:
        if self.when_done and not self._updating:
            self._not_taken = not self._answer(self.edit.text())

    def stays(self) -> bool:
        return self.when_done and self._not_taken

    def _answer(self, text: str) -> bool:
        text = text.replace(",", ".").strip()
        if text in ("-", ".", "-."):
            return True  # half a number: wait for the next key
        if text == self.node.value:
            return True  # (leaving the field again after a question about it)
        return self.submit(text)

    def show_value(self, value: str) -> None:
        if self.edit.text().replace(",", ".") == value:
            return
        if self.edit.hasFocus() and _same_number(self.edit.text(), value):
            return  # "1.50" typed is stored as "1.5": leave what the user sees
        self.edit.setText(value)

    def retranslate_choices(self) -> None:
        low, high = self.bounds
        if low is not None and high is not None:
            self.range_label.setText(_("from {low} to {high}").format(low=low, high=high))
        elif low is not None:
            self.range_label.setText(_("at least {low}").format(low=low))
        elif high is not None:
            self.range_label.setText(_("at most {high}").format(high=high))
        self.range_label.setVisible(low is not None or high is not None)

    def editors(self) -> list[QWidget]:
        return [self.edit]

    def set_editable(self, editable: bool) -> None:
        self.edit.setReadOnly(not editable)


def _same_number(typed: str, stored: str) -> bool:
    try:
        return float(typed.replace(",", ".")) == float(stored)
    except ValueError:
        return False


class RangeSlider(QSlider):
    def __init__(self, owner: RangeWidget) -> None:
        super().__init__(Qt.Orientation.Horizontal)
        self.owner = owner

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.owner.node.value == "":
                self.owner.take_slider()
            backwards = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.owner.ctx.advance(self.owner, backwards)
            return
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.owner.submit(None)
            return
        super().keyPressEvent(event)


class RangeWidget(QuestionWidget):
    """`range`: a slider over start…end by step (ODK defaults 1…10 by 1)."""

    def build(self) -> None:
        params = self.question.parameters
        self.start = _number(params.get("start"), 1.0)
        self.end = _number(params.get("end"), 10.0)
        self.step = _number(params.get("step"), 1.0) or 1.0
        self.steps = max(1, round(abs(self.end - self.start) / self.step))
        row = QHBoxLayout()
        self.low_label = QLabel(_fmt(self.start))
        self.slider = RangeSlider(self)
        self.slider.setRange(0, self.steps)
        self.slider.setPageStep(max(1, self.steps // 10))
        self.slider.valueChanged.connect(self._moved)
        self.high_label = QLabel(_fmt(self.end))
        self.value_label = QLabel()
        self.value_label.setMinimumWidth(self.value_label.fontMetrics().horizontalAdvance("00000"))
        row.addWidget(self.low_label)
        row.addWidget(self.slider, 1)
        row.addWidget(self.high_label)
        row.addWidget(self.value_label)
        self.body.addLayout(row)

    def value_at(self, position: int) -> float:
        direction = 1 if self.end >= self.start else -1
        return self.start + direction * position * self.step

    def take_slider(self) -> None:
        self.submit(_fmt(self.value_at(self.slider.value())))

    def _moved(self, position: int) -> None:
        if not self._updating:
            self.take_slider()

    def show_value(self, value: str) -> None:
        if value == "":
            self.slider.setValue(0)
            self.value_label.setText("–")
            return
        number = _number(value, self.start)
        position = round(abs(number - self.start) / self.step)
        self.slider.setValue(position)
        self.value_label.setText(value)

    def editors(self) -> list[QWidget]:
        return [self.slider]


def _number(text: str | None, default: float) -> float:
    try:
        return float(text) if text not in (None, "") else default
    except ValueError:
        return default


def _fmt(number: float) -> str:
    return str(int(number)) if number == int(number) else f"{number:g}"
