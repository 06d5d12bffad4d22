"""ODK value semantics (`app.engine.xpath.values`): conversions, unpacking, dates,
equality and comparison."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from app.engine.instance import Node
from app.engine.xpath.values import (
    DateValue,
    compare,
    date_value,
    equals,
    format_datetime,
    format_number,
    node_strings,
    not_equals,
    parse_date,
    parse_datetime,
    parse_time,
    to_boolean,
    to_date_value,
    to_number,
    to_string,
    unpack,
)

from .helpers import build, find


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1.0, "1"),
        (-3.0, "-3"),
        (0.5, "0.5"),
        (-0.0, "0"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e-7, "0.0000001"),
        (1e18, "1000000000000000000"),
        (1.5e20, "150000000000000000000"),
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
    ],
)
def test_format_number_has_no_trailing_zero_and_no_exponent(number: float, text: str) -> None:
    assert format_number(number) == text
    assert to_string(number) == text


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("12", 12.0),
        (" 12\n", 12.0),
        ("-3.5", -3.5),
        ("1.", 1.0),
        (".5", 0.5),
        ("-.5", -0.5),
        ("", math.nan),
        ("+1", math.nan),
        ("1e3", math.nan),
        ("1,5", math.nan),
        ("- 1", math.nan),
        ("abc", math.nan),
        ("\xa012", math.nan),  # only XPath whitespace is trimmed
        ("໑໒", math.nan),  # Lao digits are not XPath numbers (nor JavaRosa's)
        ("2024-01-05", 19727.0),  # ODK: a date string is its day number
        ("1969-12-31", -1.0),
        ("2024-02-29T12:00:00", 19782.5),
        ("2024-13-45", math.nan),
    ],
)
def test_to_number_of_strings(text: str, number: float) -> None:
    result = to_number(text)
    assert result == number or (math.isnan(number) and math.isnan(result))


def test_to_number_of_other_values() -> None:
    assert to_number(True) == 1.0
    assert to_number(False) == 0.0
    assert to_number(DateValue("2000-01-01", 10957.0)) == 10957.0
    assert math.isnan(to_number([]))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("false", True),
        ("", False),
        ("0", True),
        (0.0, False),
        (-0.0, False),
        (math.nan, False),
        (2.0, True),
        (True, True),
        (DateValue("1970-01-01", 0.0), True),
        ([], False),
    ],
)
def test_to_boolean(value: object, expected: bool) -> None:
    assert to_boolean(value) is expected


def test_node_sets_unpack_to_the_first_typed_value() -> None:
    root = build(
        {
            "n": ("42", "int"),
            "x": ("2.50", "decimal"),
            "d": ("2024-03-01", "date"),
            "t": ("13:30:00", "time"),
            "s": "text",
            "e": ("", "int"),
            "g": {"a": "x", "b": "y"},
            "rep": [{"v": "1"}, {"v": "2"}],
        }
    )
    assert unpack([find(root, "/data/n")]) == 42.0
    assert unpack([find(root, "/data/x")]) == 2.5
    day = unpack([find(root, "/data/d")])
    assert isinstance(day, DateValue) and day == "2024-03-01" and day.days == 19783.0
    clock = unpack([find(root, "/data/t")])
    assert isinstance(clock, DateValue) and clock.days == pytest.approx(13.5 / 24)
    assert unpack([find(root, "/data/s")]) == "text"
    assert unpack([find(root, "/data/e")]) == ""
    assert unpack([find(root, "/data/g")]) == "xy"  # a group reads as its text
    assert unpack([]) == ""
    reps = [find(root, "/data/rep[1]/v"), find(root, "/data/rep[2]/v")]
    assert unpack(reps) == "1"
    assert node_strings(reps) == ["1", "2"]
    assert to_boolean(reps) is True


def test_non_relevant_nodes_read_as_empty() -> None:
    root = build({"n": ("42", "int")})
    node = find(root, "/data/n")
    node.relevant = False
    assert unpack([node]) == ""
    assert to_string([node]) == ""
    assert math.isnan(to_number([node]))


def test_to_string_of_booleans_and_dates() -> None:
    assert to_string(True) == "true"
    assert to_string(False) == "false"
    assert to_string(date_value(date(1960, 2, 29))) == "1960-02-29"


# -- dates -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-02-29", date(2024, 2, 29)),
        ("1900-02-28", date(1900, 2, 28)),
        ("2023-02-29", None),  # not a leap year
        ("1900-02-29", None),  # centuries are not leap years …
        ("2000-02-29", date(2000, 2, 29)),  # … unless divisible by 400
        ("24-02-29", None),
        ("2024-2-9", None),
        ("", None),
        ("3100102024-02-29", None),  # a year too large for the calendar: not a date
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


def test_parse_datetime_keeps_the_offset() -> None:
    parsed = parse_datetime("2024-03-01T09:05:30.25+07:00")
    assert parsed == datetime(2024, 3, 1, 9, 5, 30, 250000, tzinfo=timezone(timedelta(hours=7)))
    assert parse_datetime("2024-03-01T09:05Z") == datetime(2024, 3, 1, 9, 5, tzinfo=UTC)
    assert parse_datetime("2024-03-01T25:00:00") is None
    assert parse_datetime("2024-03-01") is not None  # a date is its local midnight
    # Typed text with a year of ten digits is text, not a crash of the whole form.
    assert parse_datetime("3100102024-02-29T10:00:00") is None
    assert parse_datetime("3100102024-02-29") is None
    assert math.isnan(to_number("3100102024-02-29"))


def test_parse_time() -> None:
    assert parse_time("13:30") is not None
    assert parse_time("13:30:15.5+07:00") is not None
    assert parse_time("24:00") is None
    assert parse_time("99999999999:00:00") is None


def test_format_datetime_has_milliseconds_and_offset() -> None:
    moment = datetime(2024, 3, 1, 9, 5, 30, 123456, tzinfo=timezone(timedelta(hours=7)))
    assert format_datetime(moment) == "2024-03-01T09:05:30.123+07:00"
    moment = datetime(1969, 7, 20, 20, 17, tzinfo=timezone(timedelta(hours=-5, minutes=-30)))
    assert format_datetime(moment) == "1969-07-20T20:17:00.000-05:30"


def test_a_datetime_before_the_year_1000_reads_back_as_the_same_instant() -> None:
    moment = datetime(999, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=7)))
    text = format_datetime(moment)
    assert text == "0999-01-02T03:04:05.000+07:00"
    assert parse_datetime(text) == moment


def test_to_date_value() -> None:
    assert to_date_value("1969-12-31") == "1969-12-31"
    value = to_date_value("1969-12-31")
    assert value is not None and value.days == -1.0
    value = to_date_value(-365.0)
    assert value == "1969-01-01"
    value = to_date_value("2024-02-29T18:00:00+07:00")
    assert value is not None and value.days == 19782.75  # in its own calendar
    assert to_date_value("not a date") is None
    assert to_date_value(math.nan) is None
    assert to_date_value(True) is None
    # Beyond what datetime represents: not a date rather than an OverflowError.
    assert to_date_value(1e300) is None
    assert to_date_value(-1e9) is None


def test_days_across_leap_years() -> None:
    assert to_number("2024-03-01") - to_number("2024-02-28") == 2.0
    assert to_number("2023-03-01") - to_number("2023-02-28") == 1.0
    assert to_number("1904-03-01") - to_number("1904-02-28") == 2.0
    assert to_number("1970-01-01") == 0.0
    assert to_number("1900-01-01") == -25567.0


# -- equality and comparison ---------------------------------------------------------------
def test_equality_follows_xpath_type_precedence() -> None:
    assert equals("1", 1.0)  # number wins over string
    assert equals("1.0", 1.0)
    assert not equals("1.0", "1")  # two strings compare as text
    assert equals(True, "false")  # boolean wins: 'false' is a true string
    assert equals(False, "")
    assert equals(0.0, False)
    assert not equals(math.nan, math.nan)
    assert not_equals(math.nan, math.nan)
    assert equals("2024-01-01", "2024-01-01")


def test_equality_with_node_sets() -> None:
    root = build({"rep": [{"v": "a"}, {"v": "b"}], "e": ""})
    many = [find(root, "/data/rep[1]/v"), find(root, "/data/rep[2]/v")]
    assert equals(many, "b")  # existential over several nodes
    assert not_equals(many, "b")  # … in both directions
    assert not equals(many, "c")
    assert equals([find(root, "/data/e")], "")
    assert equals([], "")  # ODK: an empty node-set is the empty string


def test_comparison_is_numeric_and_dates_are_day_numbers() -> None:
    assert compare("<", "2024-01-01", "2024-01-02")
    assert compare(">=", DateValue("2024-01-02", 19724.0), "2024-01-01")
    assert compare("<", "9", "10")  # numbers, not text
    assert not compare("<", "a", "b")  # NaN compares false
    assert not compare(">=", "a", "b")
    assert compare("<=", True, 1.0)


def test_node_value_with_children_is_concatenated_text() -> None:
    group = Node("g")
    group.append(Node("a", value="ສະ"))
    group.append(Node("b", value="ບາຍ"))
    assert to_string([group]) == "ສະບາຍ"
