"""XPath values and ODK's conversions between them.

Values are `str`, `float`, `bool`, `DateValue` (a `str` that also knows its
day number) and node-sets (`list[Node]`). The conversions follow JavaRosa,
which ODK Collect uses, where it deviates from XPath 1.0:

- a node-set used as a single value is "unpacked": empty → '', one node → its
  typed value (numbers for int/decimal fields, dates for date fields), and a
  non-relevant node reads as '';
- strings that look like dates convert to day numbers, so dates compare and
  subtract as numbers;
- numbers serialise without a trailing `.0` (`1`, not `1.0`), NaN as `NaN`.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any

from app.engine import instance
from app.engine.instance import Node

EPOCH = date(1970, 1, 1)
Value = Any  # str | float | bool | DateValue | list[Node]


class DateValue(str):
    """A date, dateTime or time: its ISO text, plus `days` since 1970-01-01 (fractional)."""

    __slots__ = ("days",)
    days: float

    def __new__(cls, text: str, days: float) -> DateValue:
        obj = super().__new__(cls, text)
        obj.days = days
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (DateValue, (str(self), self.days))


# -- dates ---------------------------------------------------------------------------
_DATE_RE = re.compile(r"^\s*(-?\d{4,})-(\d{2})-(\d{2})\s*$")
_DATETIME_RE = re.compile(
    r"^\s*(-?\d{4,})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$"
)
_TIME_RE = re.compile(
    r"^\s*(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$"
)


def _tz(text: str | None) -> timezone | None:
    if not text:
        return None
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def local_tz() -> timezone:
    offset = datetime.now().astimezone().utcoffset() or timedelta(0)
    return timezone(offset)


@lru_cache(maxsize=8192)
def parse_date(text: str) -> date | None:
    match = _DATE_RE.match(text)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except (ValueError, OverflowError):  # (a year of ten digits overflows a C int)
        return None


@lru_cache(maxsize=8192)
def parse_datetime(text: str) -> datetime | None:
    """An ISO dateTime (local time when it has no offset); a plain date is midnight."""
    match = _DATETIME_RE.match(text)
    if match:
        fraction = (match[7] or "0")[:6].ljust(6, "0")
        try:
            value = datetime(
                int(match[1]),
                int(match[2]),
                int(match[3]),
                int(match[4]),
                int(match[5]),
                int(match[6] or 0),
                int(fraction),
                tzinfo=_tz(match[8]),
            )
        except (ValueError, OverflowError):
            return None
        return value if value.tzinfo else value.replace(tzinfo=local_tz())
    as_date = parse_date(text)
    if as_date is not None:
        return datetime.combine(as_date, time(0), tzinfo=local_tz())
    return None


@lru_cache(maxsize=4096)
def parse_time(text: str) -> time | None:
    match = _TIME_RE.match(text)
    if not match:
        return None
    fraction = (match[4] or "0")[:6].ljust(6, "0")
    try:
        return time(
            int(match[1]), int(match[2]), int(match[3] or 0), int(fraction), tzinfo=_tz(match[5])
        )
    except (ValueError, OverflowError):
        return None


def days_of_date(value: date) -> float:
    return float((value - EPOCH).days)


def days_of_datetime(value: datetime) -> float:
    """Fractional days since the epoch in the value's own local calendar (as ODK does)."""
    local_midnight = value.replace(hour=0, minute=0, second=0, microsecond=0)
    day = days_of_date(value.date())
    return day + (value - local_midnight).total_seconds() / 86400.0


def date_value(value: date) -> DateValue:
    return DateValue(value.isoformat(), days_of_date(value))


def datetime_value(value: datetime) -> DateValue:
    return DateValue(format_datetime(value), days_of_datetime(value))


def format_datetime(value: datetime) -> str:
    """ODK's dateTime text: millisecond precision and a ±hh:mm offset."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_tz())
    # Not strftime: it writes years before 1000 without their leading zeros.
    text = (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond // 1000:03d}"
    )
    offset = value.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def format_time(value: time) -> str:
    text = value.strftime("%H:%M:%S") + f".{value.microsecond // 1000:03d}"
    offset = value.utcoffset()
    if offset is None:
        offset = local_tz().utcoffset(None) or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def date_from_days(days: float) -> date:
    return EPOCH + timedelta(days=math.floor(days))


def datetime_from_days(days: float) -> datetime:
    base = datetime.combine(EPOCH, time(0), tzinfo=local_tz())
    return base + timedelta(days=days)


def to_date_value(value: Value) -> DateValue | None:
    """Interpret a value as a date or dateTime (strings, day numbers); None if it is not one."""
    value = unpack(value)
    if isinstance(value, DateValue):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        try:
            if value == math.floor(value):
                return date_value(date_from_days(value))
            return datetime_value(datetime_from_days(value))
        except (OverflowError, ValueError):
            return None  # beyond the years 1–9999 that datetime can represent
    text = str(value).strip()
    parsed_date = parse_date(text)
    if parsed_date is not None:
        return date_value(parsed_date)
    parsed = parse_datetime(text)
    if parsed is not None:
        return datetime_value(parsed)
    parsed_time = parse_time(text)
    if parsed_time is not None:
        return _time_value(text, parsed_time)
    return None


def _time_value(text: str, value: time) -> DateValue:
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    return DateValue(text.strip(), seconds / 86400.0)


# -- unpacking node values -----------------------------------------------------------
def _unpack_number(text: str) -> Any:
    number = parse_number(text)
    return text if math.isnan(number) else number


def _unpack_date(text: str) -> Any:
    return to_date_value(text) or text


def _unpack_time(text: str) -> Any:
    parsed = parse_time(text)
    return _time_value(text, parsed) if parsed is not None else text


instance._unpackers.update(
    {
        "int": _unpack_number,
        "decimal": _unpack_number,
        "date": _unpack_date,
        "dateTime": _unpack_date,
        "time": _unpack_time,
    }
)


def unpack(value: Value) -> Value:
    """A node-set used as one value: '' if empty, the first node's typed value otherwise."""
    if isinstance(value, list):
        if not value:
            return ""
        node: Node = value[0]
        if node.children:
            return node.string_value()
        return node.typed_value()
    return value


# -- conversions ---------------------------------------------------------------------
# XPath's Number with XPath whitespace around it: ASCII digits only (as JavaRosa),
# so neither '໑໒' nor '\xa012' is a number.
_NUMBER_RE = re.compile(r"^[ \t\r\n]*-?([0-9]+(\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*$")


@lru_cache(maxsize=16384)
def parse_number(text: str) -> float:
    """XPath `number()` of a string; a date-looking string gives its day number."""
    if _NUMBER_RE.match(text):
        return float(text)
    stripped = text.strip()
    if stripped and stripped[0].isdigit() and "-" in stripped:
        as_date = to_date_value(stripped)
        if as_date is not None:
            return as_date.days
    return math.nan


def to_number(value: Value) -> float:
    value = unpack(value)
    if isinstance(value, DateValue):
        return value.days
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if isinstance(value, int):
        return float(value)
    return parse_number(value)


def format_number(number: float) -> str:
    """`1` not `1.0`; no exponent; NaN and ±Infinity spelled as XPath does."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == int(number) and abs(number) < 1e18:
        return str(int(number))
    text = repr(number)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


def to_string(value: Value) -> str:
    value = unpack(value)
    if isinstance(value, str):
        return str(value) if isinstance(value, DateValue) else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | int):
        return format_number(float(value))
    return str(value)


def to_boolean(value: Value) -> bool:
    """ODK's boolean(): a node-set is unpacked first, so an empty answer is false."""
    if isinstance(value, list) and len(value) > 1:
        return True
    value = unpack(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, DateValue):
        return True
    if isinstance(value, float | int):
        return not (value == 0 or math.isnan(value))
    return len(value) > 0


def node_strings(value: Value) -> list[str]:
    """String values of every node of a node-set (or the one value of a scalar)."""
    if isinstance(value, list):
        return [to_string([node]) for node in value]
    return [to_string(value)]


# -- comparison ----------------------------------------------------------------------
def _scalar_equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return to_boolean(left) == to_boolean(right)
    if (isinstance(left, float | int) and not isinstance(left, bool)) or (
        isinstance(right, float | int) and not isinstance(right, bool)
    ):
        return to_number(left) == to_number(right)
    return to_string(left) == to_string(right)


def equals(left: Value, right: Value) -> bool:
    """`=`: single nodes are unpacked (ODK); several nodes compare existentially (XPath 1.0)."""
    left_many = isinstance(left, list) and len(left) > 1
    right_many = isinstance(right, list) and len(right) > 1
    if not left_many and not right_many:
        return _scalar_equal(unpack(left), unpack(right))
    if isinstance(left, bool) or isinstance(right, bool):
        return to_boolean(left) == to_boolean(right)
    lefts = [unpack([n]) for n in left] if left_many else [unpack(left)]
    rights = [unpack([n]) for n in right] if right_many else [unpack(right)]
    return any(_scalar_equal(a, b) for a in lefts for b in rights)


def not_equals(left: Value, right: Value) -> bool:
    left_many = isinstance(left, list) and len(left) > 1
    right_many = isinstance(right, list) and len(right) > 1
    if not left_many and not right_many:
        return not _scalar_equal(unpack(left), unpack(right))
    lefts = [unpack([n]) for n in left] if left_many else [unpack(left)]
    rights = [unpack([n]) for n in right] if right_many else [unpack(right)]
    return any(not _scalar_equal(a, b) for a in lefts for b in rights)


def compare(op: str, left: Value, right: Value) -> bool:
    """`<`, `<=`, `>`, `>=` as numbers (dates as day numbers), existential over node-sets."""
    lefts = (
        [to_number([n]) for n in left]
        if isinstance(left, list) and len(left) > 1
        else [to_number(left)]
    )
    rights = (
        [to_number([n]) for n in right]
        if isinstance(right, list) and len(right) > 1
        else [to_number(right)]
    )
    for a in lefts:
        for b in rights:
            if (
                (op == "<" and a < b)
                or (op == "<=" and a <= b)
                or (op == ">" and a > b)
                or (op == ">=" and a >= b)
            ):
                return True
    return False
