"""Date and time functions. The clock is fixed by the helpers (2024-03-01 09:05:30.250
in Vientiane, UTC+7); tests that depend on the device's zone run under TZ=Asia/Vientiane."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from app.core.errors import XPathEvalError
from app.engine.xpath import values
from app.engine.xpath.values import DateValue

from .helpers import build, evaluate, evaluate_string

PEOPLE = build(
    {
        "dob": ("1960-02-29", "date"),
        "visit": ("2024-03-01", "date"),
        "start": ("2024-03-01T08:00:00.000+07:00", "dateTime"),
        "at": ("18:00:00", "time"),
        "empty_date": ("", "date"),
        "text": "soon",
    }
)


def _reset_zone_caches() -> None:
    for cached in (values.parse_datetime, values.parse_time, values.parse_number):
        cached.cache_clear()


@pytest.fixture
def vientiane() -> Iterator[None]:
    """The device's zone is Asia/Vientiane (UTC+7, no daylight saving)."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Vientiane"
    time.tzset()
    _reset_zone_caches()
    try:
        yield
    finally:
        if previous is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = previous
        time.tzset()
        _reset_zone_caches()


def test_today_and_now_come_from_the_environment_clock() -> None:
    assert evaluate("today()") == "2024-03-01"
    assert evaluate_string("now()") == "2024-03-01T09:05:30.250+07:00"
    later = datetime(2025, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-3)))
    assert evaluate("today()", now=lambda: later) == "2025-12-31"
    today = evaluate("today()")
    assert isinstance(today, DateValue) and today.days == 19783.0


def test_today_minus_date_of_birth_is_days() -> None:
    assert evaluate("today() - /data/dob", PEOPLE) == 23377.0
    assert evaluate("int((today() - /data/dob) div 365.25)", PEOPLE) == 64.0
    assert evaluate("/data/visit - /data/dob", PEOPLE) == 23377.0
    assert evaluate("today() = /data/visit", PEOPLE) is True
    assert evaluate("/data/dob < today()", PEOPLE) is True
    assert evaluate("today() > '2024-02-29'", PEOPLE) is True
    assert evaluate("today() - 1 = date('2024-02-29')", PEOPLE) is True


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("date('2024-02-29')", "2024-02-29"),
        ("date('2024-02-29T23:30:00+07:00')", "2024-02-29"),  # its own calendar day
        ("date(0)", "1970-01-01"),
        ("date(1.9)", "1970-01-02"),  # truncated
        ("date(-1)", "1969-12-31"),
        ("date(-1.5)", "1969-12-31"),  # towards zero
        ("date(-3594)", "1960-02-29"),
        ("date(19782)", "2024-02-29"),
        ("date(/data/dob)", "1960-02-29"),
        ("date(/data/start)", "2024-03-01"),
        ("date('')", ""),
        ("date(/data/empty_date)", ""),
        ("date(/data/dob + 1)", "1960-03-01"),
        ("date('1900-02-28') + 1 = date('1900-03-01')", "true"),  # 1900: not a leap year
        ("date('2000-02-28') + 2 = date('2000-03-01')", "true"),  # 2000: leap year
        ("string(date(0 div 0))", "NaN"),
    ],
)
def test_date(expression: str, expected: str) -> None:
    assert evaluate_string(expression, PEOPLE) == expected


def test_date_values_are_day_numbers() -> None:
    value = evaluate("date('1960-02-29')")
    assert isinstance(value, DateValue) and value.days == -3594.0


@pytest.mark.parametrize("expression", ["date('soon')", "date(/data/text)", "date(true())"])
def test_date_of_something_else_is_an_error(expression: str) -> None:
    with pytest.raises(XPathEvalError, match="date"):
        evaluate(expression, PEOPLE)


@pytest.mark.parametrize(
    "expression", ["date(1 div 0)", "date(1000000000000)", "date-time(-1000000000000)"]
)
def test_out_of_range_day_numbers_are_errors(expression: str) -> None:
    with pytest.raises(XPathEvalError, match="out of range"):
        evaluate(expression)


def test_date_time(vientiane: None) -> None:
    assert evaluate_string("date-time('2024-02-29')") == "2024-02-29T00:00:00.000+07:00"
    assert evaluate_string("date-time(19782.5)") == "2024-02-29T12:00:00.000+07:00"
    assert evaluate_string("date-time(-0.25)") == "1969-12-31T18:00:00.000+07:00"
    assert evaluate_string("date-time(/data/start)", PEOPLE) == "2024-03-01T08:00:00.000+07:00"
    assert evaluate_string("date-time('2024-03-01T08:00Z')") == "2024-03-01T08:00:00.000+00:00"
    assert evaluate("date-time('')") == ""
    value = evaluate("date-time('2024-02-29T18:00:00')")
    assert isinstance(value, DateValue) and value.days == 19782.75


def test_decimal_date_time_counts_from_the_utc_epoch() -> None:
    assert evaluate("decimal-date-time('1970-01-02T00:00:00Z')") == 1.0
    assert evaluate("decimal-date-time('1970-01-02T00:00:00+07:00')") == pytest.approx(17 / 24)
    assert evaluate("decimal-date-time('1969-12-31T12:00:00Z')") == -0.5
    assert evaluate("decimal-date-time(/data/start)", PEOPLE) == pytest.approx(19783 + 1 / 24)
    assert evaluate("decimal-date-time(2.5)") == 2.5
    assert evaluate("decimal-date-time('')") == ""
    assert math.isnan(evaluate("decimal-date-time(0 div 0)"))
    with pytest.raises(XPathEvalError):
        evaluate("decimal-date-time('noon')")


def test_decimal_time_is_the_fraction_of_the_local_day(vientiane: None) -> None:
    assert evaluate("decimal-time('12:00')") == 0.5
    assert evaluate("decimal-time('18:00:00')") == 0.75
    assert evaluate("decimal-time(/data/at)", PEOPLE) == 0.75
    assert evaluate("decimal-time('06:00:00Z')") == pytest.approx(13 / 24)  # 13:00 in Vientiane
    assert evaluate("decimal-time('2024-03-01T06:00:00.000+07:00')") == 0.25
    assert evaluate("decimal-time('2024-03-01T06:00:00.000Z')") == pytest.approx(13 / 24)
    assert evaluate("decimal-time(3.25)") == 0.25
    assert evaluate("decimal-time(-0.25)") == 0.75
    assert evaluate("decimal-time('')") == ""
    with pytest.raises(XPathEvalError):
        evaluate("decimal-time('later')")
    # The calendar's last minute far west is past its end here: an error, not a crash.
    with pytest.raises(XPathEvalError, match="out of range"):
        evaluate("decimal-time('9999-12-31T23:59:59-14:00')")
    with pytest.raises(XPathEvalError, match="out of range"):
        evaluate("decimal-time('0001-01-01T00:00:00+14:00')")
    with pytest.raises(XPathEvalError):
        evaluate("decimal-time('3100102024-02-29T10:00:00')")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("%Y-%m-%d", "2024-03-01"),
        ("%y", "24"),
        ("%n/%e", "3/1"),
        ("%d %b %Y", "01 Mar 2024"),
        ("%a", "Fri"),
        ("%H:%M:%S.%3", "09:05:30.250"),
        ("%h", "9"),
        ("100%%", "100%"),
        ("%q and %", "%q and %"),  # unknown codes are kept as written
        ("no codes", "no codes"),
        ("", ""),
    ],
)
def test_format_date_time_codes(pattern: str, expected: str) -> None:
    root = build({"p": pattern})
    assert evaluate("format-date-time(now(), /data/p)", root) == expected


def test_format_date() -> None:
    assert evaluate("format-date(/data/dob, '%e %b %Y (%a)')", PEOPLE) == "29 Feb 1960 (Mon)"
    assert evaluate("format-date('1900-03-01', '%a')") == "Thu"
    assert evaluate("format-date(0, '%Y-%m-%d')") == "1970-01-01"
    assert evaluate("format-date(/data/start, '%d/%m/%Y %H:%M')", PEOPLE) == "01/03/2024 08:00"
    assert evaluate("format-date(/data/empty_date, '%Y')", PEOPLE) == ""
    assert evaluate("format-date(0 div 0, '%Y')") == ""
    assert evaluate("format-date(/data/at, '%H:%M')", PEOPLE) == "18:00"
    with pytest.raises(XPathEvalError, match="format-date"):
        evaluate("format-date('tomorrow', '%Y')")


def test_month_and_day_names_follow_the_form_language() -> None:
    expression = "format-date(/data/dob, '%e %b %Y %a')"
    assert evaluate(expression, PEOPLE, language="Lao (lo)") == "29 ກ.ພ. 1960 ຈັນ"
    assert evaluate(expression, PEOPLE, language="English (en)") == "29 Feb 1960 Mon"
    assert evaluate(expression, PEOPLE, language="français (fr)") == "29 févr. 1960 lun."
    assert evaluate(expression, PEOPLE, language="default") == "29 Feb 1960 Mon"
    assert evaluate(expression, PEOPLE, language="Klingon (tlh)") == "29 Feb 1960 Mon"
