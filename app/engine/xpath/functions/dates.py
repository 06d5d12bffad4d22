"""Date and time functions: today, now, date, date-time, decimal-date-time,
decimal-time, format-date, format-date-time.

Dates are `DateValue`s (their ISO text plus a day number), so `today() - ${dob}`
is a number of days and `${end} > ${start}` compares day numbers
(`app.engine.xpath.values`). Conversions follow JavaRosa's `toDate`:

- '' and NaN pass through (`date('')` is '', `date(0 div 0)` is NaN), so an
  unanswered date never raises;
- a number is a day count since 1970-01-01 (`date(1)` is 1970-01-02;
  `date()` truncates, `date-time()` keeps the fraction as a time of day);
- text must be an ISO date or dateTime, anything else is an `XPathEvalError`.

A dateTime is read in its own calendar: '2024-03-01T23:30:00+07:00' is on
2024-03-01 whatever the device's zone, consistent with how `values` computes
day numbers. (JavaRosa first converts to the device's zone; the results only
differ for values recorded in another zone than the one the form is opened in.)
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache

from app.core.errors import XPathEvalError
from app.engine.xpath.functions._common import INT_MAX, INT_MIN
from app.engine.xpath.registry import Context, function
from app.engine.xpath.values import (
    EPOCH,
    DateValue,
    Value,
    date_value,
    datetime_from_days,
    datetime_value,
    local_tz,
    parse_datetime,
    parse_time,
    to_string,
    unpack,
)

_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=local_tz())


@function("today", volatile=True)
def today(ctx: Context) -> DateValue:
    """Today's local date (from the environment's clock)."""
    return date_value(ctx.env.now().date())


@function("now", volatile=True)
def now(ctx: Context) -> DateValue:
    """The current dateTime with the device's offset, e.g. 2024-03-01T09:05:00.000+07:00."""
    return datetime_value(_aware(ctx.env.now()))


def _check_day_number(number: float, name: str) -> None:
    if math.isinf(number) or number > INT_MAX or number < INT_MIN:
        raise XPathEvalError(f"{name}(): {to_string(number)} is out of range for a date")


def _instant(value: Value, name: str) -> datetime | str | float:
    """`value` as an aware datetime, or '' / NaN passed through unchanged."""
    value = unpack(value)
    if isinstance(value, bool):
        raise XPathEvalError(f"{name}() cannot convert a boolean to a date")
    if isinstance(value, DateValue):
        text = str(value)
        parsed = parse_datetime(text)
        if parsed is not None:
            return parsed
        clock = parse_time(text)
        if clock is not None:
            return datetime.combine(EPOCH, clock, tzinfo=clock.tzinfo or local_tz())
        return _from_days(value.days, name)
    if isinstance(value, float | int):
        number = float(value)
        if math.isnan(number):
            return number
        _check_day_number(number, name)
        return _from_days(number, name)
    text = str(value).strip()
    if not text:
        return ""
    parsed = parse_datetime(text)
    if parsed is None:
        raise XPathEvalError(f"{name}(): {text!r} is not a date or dateTime")
    return parsed


def _from_days(days: float, name: str) -> datetime:
    try:
        return datetime_from_days(days)
    except OverflowError:
        raise XPathEvalError(f"{name}(): {to_string(days)} is out of range for a date") from None


@function("date", 1)
def date_(ctx: Context, value: Value) -> Value:
    """A date: ISO text (a dateTime keeps its date) or a day number (truncated)."""
    plain = unpack(value)
    if isinstance(plain, float | int) and not isinstance(plain, bool):
        number = float(plain)
        if math.isnan(number):
            return number
        _check_day_number(number, "date")
        try:
            return date_value(EPOCH + timedelta(days=math.trunc(number)))
        except OverflowError:
            raise XPathEvalError(
                f"date(): {to_string(number)} is out of range for a date"
            ) from None
    instant = _instant(plain, "date")
    if not isinstance(instant, datetime):
        return instant
    return date_value(instant.date())


@function("date-time", 1)
def date_time(ctx: Context, value: Value) -> Value:
    """A dateTime: ISO text (a date is its midnight) or a fractional day number."""
    instant = _instant(value, "date-time")
    if not isinstance(instant, datetime):
        return instant
    return datetime_value(instant)


@function("decimal-date-time", 1)
def decimal_date_time(ctx: Context, value: Value) -> Value:
    """Days (fractional) since 1970-01-01T00:00Z: '1970-01-02T00:00:00+07:00' is
    0.708…; a number is returned as it is, '' stays ''."""
    plain = unpack(value)
    if isinstance(plain, float | int) and not isinstance(plain, bool):
        number = float(plain)
        if not math.isnan(number):
            _check_day_number(number, "decimal-date-time")
        return number
    instant = _instant(plain, "decimal-date-time")
    if not isinstance(instant, datetime):
        return instant
    return (instant - _EPOCH_UTC).total_seconds() / 86400.0


@function("decimal-time", 1)
def decimal_time(ctx: Context, value: Value) -> Value:
    """The time of day as a fraction in the device's zone: noon is 0.5.

    A time with an offset is converted to the device's zone first; a number
    keeps only its fractional part; '' stays ''.
    """
    plain = unpack(value)
    if isinstance(plain, float | int) and not isinstance(plain, bool):
        number = float(plain)
        if math.isnan(number):
            return number
        _check_day_number(number, "decimal-time")
        return number - math.floor(number)
    text = to_string(plain).strip()
    if not text:
        return ""
    clock = parse_time(text)
    if clock is not None:
        if clock.tzinfo is not None:
            moment = datetime.combine(EPOCH, clock).astimezone(local_tz())
            clock = moment.time()
        return _fraction_of_day(clock)
    instant = _instant(text, "decimal-time")
    assert isinstance(instant, datetime)  # text is not empty
    try:
        local = instant.astimezone(local_tz())
    except OverflowError:  # 9999-12-31T23:59-14:00 is in year 10000 here
        raise XPathEvalError(f"decimal-time(): {text!r} is out of range for a date") from None
    return _fraction_of_day(local.time())


def _fraction_of_day(clock: time) -> float:
    seconds = clock.hour * 3600 + clock.minute * 60 + clock.second + clock.microsecond / 1e6
    return seconds / 86400.0


# -- format-date ------------------------------------------------------------------
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # datetime.weekday() order
_LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")


def language_code(language: str | None) -> str | None:
    """The locale code of a form language: 'Lao (lo)' → 'lo', 'en' → 'en',
    'default' or None → None."""
    if not language:
        return None
    match = re.search(r"\(([^()]+)\)\s*$", language)
    candidate = match[1].strip() if match else language.strip()
    if candidate.lower() == "default" or not _LANGUAGE_CODE.fullmatch(candidate):
        return None
    return candidate.replace("-", "_")


@lru_cache(maxsize=32)
def short_names(language: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Abbreviated month (Jan…Dec) and weekday (Mon…Sun) names for the form language,
    English when the language is unknown (the spec falls back to the client locale)."""
    code = language_code(language)
    if code is None or code.split("_")[0] == "en":
        return _EN_MONTHS, _EN_DAYS
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse(code)
        months = tuple(locale.months["format"]["abbreviated"][i] for i in range(1, 13))
        days = tuple(locale.days["format"]["abbreviated"][i] for i in range(7))
    except (UnknownLocaleError, ValueError, LookupError, TypeError):
        return _EN_MONTHS, _EN_DAYS
    return months, days


def format_instant(moment: datetime, pattern: str, language: str | None) -> str:
    """Apply ODK's format codes: %Y %y %m %n %b %d %e %a %H %h %M %S %3 and %%.

    An unknown code (or a trailing '%') is copied as it is, so a typo shows up
    in the output instead of breaking the form.
    """
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char != "%" or i + 1 >= len(pattern):
            out.append(char)
            i += 1
            continue
        code = pattern[i + 1]
        i += 2
        if code == "Y":
            out.append(f"{moment.year:04d}")
        elif code == "y":
            out.append(f"{moment.year:04d}"[2:])
        elif code == "m":
            out.append(f"{moment.month:02d}")
        elif code == "n":
            out.append(str(moment.month))
        elif code == "b":
            out.append(short_names(language)[0][moment.month - 1])
        elif code == "d":
            out.append(f"{moment.day:02d}")
        elif code == "e":
            out.append(str(moment.day))
        elif code == "a":
            out.append(short_names(language)[1][moment.weekday()])
        elif code == "H":
            out.append(f"{moment.hour:02d}")
        elif code == "h":
            out.append(str(moment.hour))
        elif code == "M":
            out.append(f"{moment.minute:02d}")
        elif code == "S":
            out.append(f"{moment.second:02d}")
        elif code == "3":
            out.append(f"{moment.microsecond // 1000:03d}")
        elif code == "%":
            out.append("%")
        else:
            out.append("%" + code)
    return "".join(out)


def _format(ctx: Context, value: Value, pattern: Value, name: str) -> str:
    instant = _instant(value, name)
    if not isinstance(instant, datetime):
        return ""  # '' or NaN: an unanswered date formats as ''
    return format_instant(instant, to_string(pattern), ctx.env.language)


@function("format-date", 2)
def format_date(ctx: Context, value: Value, pattern: Value) -> str:
    """format-date(${d}, '%e %b %Y') → '5 Mar 2024' (month and day names in the
    form language when babel knows it)."""
    return _format(ctx, value, pattern, "format-date")


@function("format-date-time", 2)
def format_date_time(ctx: Context, value: Value, pattern: Value) -> str:
    """format-date-time(now(), '%Y-%m-%d %H:%M:%S.%3')."""
    return _format(ctx, value, pattern, "format-date-time")
