"""Answers between three forms: what a user or caller gives, the stored XForm text,
and the typed JSON of a submission document.

Stored text is exactly what OpenRosa XML carries (``2024-05-11``, ``a b c`` for
select_multiple, ``17.9 102.6 0 0`` for a geopoint). Calculated values are
converted the way JavaRosa casts a result to the field's bind type.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from app.core.errors import AnswerError
from app.engine.model import DataType, Kind, Question
from app.engine.xpath.values import (
    DateValue,
    Value,
    date_from_days,
    format_datetime,
    format_number,
    format_time,
    parse_date,
    parse_datetime,
    parse_time,
    to_date_value,
    to_number,
    to_string,
    unpack,
)

ACKNOWLEDGED = "OK"


def _float(field: str, value: int | float | Decimal) -> float:
    """An int beyond float's range (a 400-digit JSON number) raises OverflowError."""
    try:
        return float(value)
    except OverflowError:
        raise AnswerError(field, "the number is too large") from None


def _number_text(field: str, value: Any, integer: bool) -> str:
    if isinstance(value, bool):
        raise AnswerError(field, f"expected a number, got {value!r}")
    if isinstance(value, int | float | Decimal):
        number = _float(field, value)
    else:
        text = str(value).strip()
        try:
            number = float(Decimal(text))
        except (InvalidOperation, ValueError):
            raise AnswerError(field, f"{text!r} is not a number") from None
    if math.isnan(number) or math.isinf(number):
        raise AnswerError(field, "not a finite number")
    if integer:
        if number != int(number):
            raise AnswerError(field, f"{value!r} is not a whole number")
        if abs(number) > 2**31 - 1:
            raise AnswerError(field, f"{value!r} is too large for an integer")
        return str(int(number))
    return format_number(number)


def _choices_text(question: Question, value: Any, allowed: set[str] | None) -> str:
    if isinstance(value, str):
        names = value.split()
    elif isinstance(value, list | tuple):
        names = [str(v) for v in value]
    else:
        raise AnswerError(question.name, f"expected choice names, got {value!r}")
    for name in names:
        if allowed is not None and name not in allowed:
            raise AnswerError(question.name, f"{name!r} is not one of the choices")
        if not name or any(ch.isspace() for ch in name):
            raise AnswerError(question.name, f"invalid choice name {name!r}")
    if len(set(names)) != len(names):
        raise AnswerError(question.name, "a choice is selected twice")
    return " ".join(names)


def _geo_text(field: str, value: Any, kind: DataType) -> str:
    """`lat lon [alt [acc]]` points; geotrace/geoshape join points with ';'."""
    if isinstance(value, str):
        raw_points = [p for p in value.split(";") if p.strip()]
        points = [p.split() for p in raw_points]
    elif isinstance(value, list | tuple) and value and isinstance(value[0], list | tuple):
        points = [[str(c) for c in p] for p in value]
    elif isinstance(value, list | tuple):
        points = [[str(c) for c in value]]
    else:
        raise AnswerError(field, f"expected coordinates, got {value!r}")
    if kind is DataType.GEOPOINT and len(points) != 1:
        raise AnswerError(field, "a geopoint is one point: latitude longitude [altitude accuracy]")
    if kind is DataType.GEOSHAPE and len(points) < 3:
        raise AnswerError(field, "a shape needs at least 3 points")
    if kind is DataType.GEOTRACE and len(points) < 2:
        raise AnswerError(field, "a trace needs at least 2 points")
    out = []
    for point in points:
        if not 2 <= len(point) <= 4:
            raise AnswerError(field, "each point is: latitude longitude [altitude accuracy]")
        try:
            numbers = [float(c) for c in point]
        except ValueError:
            raise AnswerError(field, f"{' '.join(point)!r} is not a coordinate") from None
        if not -90 <= numbers[0] <= 90:
            raise AnswerError(field, f"latitude {point[0]} is outside -90…90")
        if not -180 <= numbers[1] <= 180:
            raise AnswerError(field, f"longitude {point[1]} is outside -180…180")
        numbers += [0.0] * (4 - len(numbers))
        out.append(" ".join(format_number(n) for n in numbers))
    return ";".join(out)


def to_storage(question: Question, value: Any, allowed: set[str] | None = None) -> str:
    """Turn a caller's value into stored text, or raise `AnswerError` saying what is wrong.

    `allowed` is the set of choice names for selects (None: don't check).
    ``None`` and ``""`` clear the answer.
    """
    text = _storage_text(question, value, allowed)
    # JSON's "\ud800" escape gives a str that cannot be written as UTF-8 (to the
    # database, a bundle or the console); refuse it here so no stored answer holds one.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise AnswerError(
            question.name, "the answer is not valid text (a lone surrogate)"
        ) from None
    return text


def _storage_text(question: Question, value: Any, allowed: set[str] | None) -> str:
    if value is None or (
        isinstance(value, str) and value.strip() == "" and question.kind is not Kind.TEXT
    ):
        return ""
    if isinstance(value, str) and value == "":
        return ""
    field = question.name
    data_type = question.data_type
    if data_type is DataType.INT:
        return _number_text(field, value, integer=True)
    if data_type is DataType.DECIMAL:
        return _number_text(field, value, integer=False)
    if data_type is DataType.DATE:
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        parsed = parse_date(str(value))
        if parsed is None:
            raise AnswerError(field, f"{value!r} is not a date (YYYY-MM-DD)")
        return parsed.isoformat()
    if data_type is DataType.DATETIME:
        if isinstance(value, datetime):
            return format_datetime(value)
        parsed_dt = parse_datetime(str(value))
        if parsed_dt is None:
            raise AnswerError(field, f"{value!r} is not a date and time (YYYY-MM-DDTHH:MM)")
        return format_datetime(parsed_dt)
    if data_type is DataType.TIME:
        if isinstance(value, time):
            return format_time(value)
        parsed_time = parse_time(str(value))
        if parsed_time is None:
            raise AnswerError(field, f"{value!r} is not a time (HH:MM)")
        return format_time(parsed_time)
    if data_type in (DataType.SELECT1,):
        text = _choices_text(question, value, allowed)
        if len(text.split()) > 1:
            raise AnswerError(field, "only one choice can be selected")
        return text
    if data_type is DataType.SELECT:
        return _choices_text(question, value, allowed)
    if data_type in (DataType.GEOPOINT, DataType.GEOTRACE, DataType.GEOSHAPE):
        return _geo_text(field, value, data_type)
    if question.kind in (Kind.ACKNOWLEDGE, Kind.TRIGGER):
        if value in (True, "OK", "ok", "true", "1", 1):
            return ACKNOWLEDGED
        if value in (False, "false", "0", 0):
            return ""
        raise AnswerError(field, f"acknowledge with true or 'OK', not {value!r}")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | int):
        return format_number(_float(field, value))
    if not isinstance(value, str):
        raise AnswerError(field, f"expected text, got {type(value).__name__}")
    return value


def calculated_storage(data_type: str, value: Value) -> str:
    """Cast an expression's result to a field's type, as JavaRosa does for calculate."""
    value = unpack(value)
    if data_type in (DataType.INT.value, DataType.DECIMAL.value):
        if isinstance(value, str) and value == "" and not isinstance(value, DateValue):
            return ""
        number = to_number(value)
        if math.isnan(number) or math.isinf(number):
            return ""
        if data_type == DataType.INT.value:
            return str(int(number))
        return format_number(number)
    if data_type in (DataType.DATE.value, DataType.DATETIME.value):
        if isinstance(value, float) and not isinstance(value, bool):
            if math.isnan(value):
                return ""
            if data_type == DataType.DATE.value:
                return date_from_days(value).isoformat()
        as_date = to_date_value(value)
        if as_date is None:
            return to_string(value)
        if data_type == DataType.DATE.value:
            return str(as_date)[:10] if parse_date(str(as_date)[:10]) else str(as_date)
        parsed = parse_datetime(str(as_date))
        return format_datetime(parsed) if parsed else str(as_date)
    return to_string(value)


def to_json(data_type: str, text: str) -> Any:
    """The typed JSON value of stored text in a submission document (None when empty)."""
    if text == "":
        return None
    if data_type == DataType.INT.value:
        try:
            return int(text)
        except ValueError:
            return text
    if data_type == DataType.DECIMAL.value:
        try:
            number = float(text)
        except ValueError:
            return text
        return number if math.isfinite(number) else text
    if data_type == DataType.SELECT.value:
        return text.split()
    return text


def from_json(data_type: str, value: Any) -> str:
    """Inverse of `to_json` (for restoring documents)."""
    if value is None:
        return ""
    if data_type == DataType.SELECT.value and isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_number(value)
    return str(value)
