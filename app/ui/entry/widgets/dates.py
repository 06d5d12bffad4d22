"""Dates and times that accept typing, with a calendar for the date part.

Typing is the fast path for an enumerator copying from paper: ISO
(2024-05-11) and the day-first forms used in Laos (11/05/2024, 11.05.2024)
are both read. A half-typed date waits; leaving the field with one says what
is expected. Alt+Down or F4 opens the calendar.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from PySide6.QtCore import QDate, QPoint, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCalendarWidget,
    QHBoxLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.i18n import _
from app.engine.model import Kind
from app.ui.entry.widgets.base import QuestionWidget
from app.ui.entry.widgets.text import LineEdit

_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})(?::(\d{2}))?$")


def parse_date(text: str) -> date | None:
    text = text.strip()
    try:
        if match := _ISO.match(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _DAY_FIRST.match(text):
            return date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        return None
    return None


def is_date_shaped(text: str) -> bool:
    """Typed as a date would be (31/02/2024), whether or not that day exists."""
    text = text.strip()
    return bool(_ISO.match(text) or _DAY_FIRST.match(text))


def parse_time(text: str) -> time | None:
    match = _TIME.match(text.strip())
    if match is None:
        return None
    try:
        return time(int(match[1]), int(match[2]), int(match[3] or 0))
    except ValueError:
        return None


def parse_datetime(text: str) -> datetime | None:
    parts = text.strip().replace("T", " ").split()
    if len(parts) != 2:
        return None
    day, moment = parse_date(parts[0]), parse_time(parts[1])
    if day is None or moment is None:
        return None
    return datetime.combine(day, moment)


def display(kind: Kind, stored: str) -> str:
    """Stored XForm text → what the field shows (minutes, no time zone)."""
    if stored == "":
        return ""
    if kind is Kind.DATE:
        return stored[:10]
    if kind is Kind.TIME:
        return stored[:5]
    return stored[:16].replace("T", " ")


class DateEdit(LineEdit):
    def keyPressEvent(self, event: QKeyEvent) -> None:
        opener = event.key() == Qt.Key.Key_F4 or (
            event.key() == Qt.Key.Key_Down and event.modifiers() & Qt.KeyboardModifier.AltModifier
        )
        if opener and isinstance(self.owner, DateWidget) and self.owner.calendar_button:
            self.owner.open_calendar()
            return
        super().keyPressEvent(event)


class CalendarPopup(QWidget):
    def __init__(self, owner: DateWidget) -> None:
        super().__init__(owner, Qt.WindowType.Popup)
        self.owner = owner
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.calendar = QCalendarWidget()
        self.calendar.setGridVisible(True)
        self.calendar.activated.connect(self._chosen)
        self.calendar.clicked.connect(self._chosen)
        layout.addWidget(self.calendar)

    def _chosen(self, day: QDate) -> None:
        self.hide()
        self.owner.calendar_chosen(date(day.year(), day.month(), day.day()))


class DateWidget(QuestionWidget):
    """date, time and dateTime."""

    def build(self) -> None:
        row = QHBoxLayout()
        self.edit = DateEdit(self)
        kind = self.question.kind
        self.edit.setPlaceholderText(
            {
                Kind.DATE: _("YYYY-MM-DD or DD/MM/YYYY"),
                Kind.TIME: _("HH:MM"),
            }.get(kind, _("YYYY-MM-DD HH:MM"))
        )
        width = self.edit.fontMetrics().horizontalAdvance(self.edit.placeholderText()) + 24
        self.edit.setMinimumWidth(min(width, 320))
        self.edit.setMaximumWidth(max(width, 200))
        self.edit.textEdited.connect(self._typed)
        self.edit.editingFinished.connect(self._finished)
        row.addWidget(self.edit)
        self.calendar_button: QToolButton | None = None
        self.popup: CalendarPopup | None = None
        if kind is not Kind.TIME:
            self.calendar_button = QToolButton()
            self.calendar_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Alt+Down from the field
            self.calendar_button.clicked.connect(self.open_calendar)
            row.addWidget(self.calendar_button)
        row.addStretch(1)
        self.body.addLayout(row)
        self._pending = False
        self._show_pending = False

    def parse(self, text: str) -> date | time | datetime | None:
        kind = self.question.kind
        if kind is Kind.DATE:
            return parse_date(text)
        if kind is Kind.TIME:
            return parse_time(text)
        return parse_datetime(text)

    def _typed(self, text: str) -> None:
        if not text.strip():
            self._pending = False
            self.submit(None)
            return
        value = self.parse(text)
        self._pending = value is None
        if value is not None:
            self._show_pending = False
            self.submit(value)
        self.refresh_message()

    def _finished(self) -> None:
        self._show_pending = self._pending
        self.refresh_message()

    def pending_message(self) -> str | None:
        if not (self._show_pending and self._pending):
            return None
        kind = self.question.kind
        day = self.edit.text().strip().replace("T", " ").split(" ")[0]
        if kind is not Kind.TIME and is_date_shaped(day) and parse_date(day) is None:
            # The shape is right (31/02/2024): retyping it the same way would not help.
            return _("There is no such day: check the day and the month.")
        if kind is Kind.DATE:
            return _("Type the date as YYYY-MM-DD or DD/MM/YYYY.")
        if kind is Kind.TIME:
            return _("Type the time as HH:MM.")
        return _("Type the date and time as YYYY-MM-DD HH:MM.")

    def open_calendar(self) -> None:
        if self.popup is None:
            self.popup = CalendarPopup(self)
        current = parse_date(self.edit.text().split(" ")[0]) or date.today()
        self.popup.calendar.setSelectedDate(QDate(current.year, current.month, current.day))
        self.popup.adjustSize()
        self.popup.move(self.edit.mapToGlobal(QPoint(0, self.edit.height())))
        self.popup.show()
        self.popup.calendar.setFocus()

    def calendar_chosen(self, day: date) -> None:
        if self.question.kind is Kind.DATETIME:
            moment = parse_time(self.edit.text().strip()[11:]) or time(0, 0)
            text = f"{day.isoformat()} {moment.strftime('%H:%M')}"
        else:
            text = day.isoformat()
        self.edit.setText(text)
        self._typed(text)
        self.edit.setFocus()

    def show_value(self, value: str) -> None:
        shown = display(self.question.kind, value)
        current = self.parse(self.edit.text())
        if current is not None and display(self.question.kind, _stored(current)) == shown:
            return  # the user's own spelling of the same date stays
        if value == "" and self._pending:
            return
        self._pending = False
        self.edit.setText(shown)

    def retranslate_choices(self) -> None:
        if self.calendar_button is not None:
            self.calendar_button.setText(_("Calendar"))
            self.calendar_button.setToolTip(_("Open the calendar (Alt+Down)"))

    def editors(self) -> list[QWidget]:
        return [self.edit]

    def set_editable(self, editable: bool) -> None:
        self.edit.setReadOnly(not editable)
        if self.calendar_button is not None:
            self.calendar_button.setEnabled(editable)


def _stored(value: date | time | datetime) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value.strftime("%H:%M")
