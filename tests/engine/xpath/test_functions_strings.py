"""String functions, regex, and the identifier/encoding helpers."""

from __future__ import annotations

import re

import pytest

from app.core.errors import XPathEvalError
from app.engine.xpath.functions.patterns import translate_java_pattern

from .helpers import build, evaluate, evaluate_string

HH = build(
    {
        "name": "ນ້ອຍ",
        "age": ("34", "int"),
        "note": "  a  \t b \n ",
        "hh": [{"m": "Noy"}, {"m": "Kham"}, {"m": ""}, {"m": "Bua"}],
        "empty": "",
    }
)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("string(1)", "1"),
        ("string(0.5)", "0.5"),
        ("string(true())", "true"),
        ("string(/data/age)", "34"),
        ("string(/data/hh/m)", "Noy"),  # XPath 1.0: the first node
        ("string(/data/missing)", ""),
        ("concat('a', 1, true())", "a1true"),
        ("concat(/data/hh/m)", "NoyKhamBua"),  # ODK: every node, one argument allowed
        ("concat('[', /data/hh/m, ']')", "[NoyKhamBua]"),
        ("concat(/data/name, ' ', /data/age)", "ນ້ອຍ 34"),
        ("concat(/data/empty, '')", ""),
        ("join(', ', /data/hh/m)", "Noy, Kham, , Bua"),
        ("join('-', 'a', 2, /data/name)", "a-2-ນ້ອຍ"),
        ("join(' ')", ""),
        ("join(/data/age, 'x', 'y')", "x34y"),
    ],
)
def test_string_concat_join(expression: str, expected: str) -> None:
    assert evaluate_string(expression, HH) == expected


def test_string_without_argument_is_the_context_node() -> None:
    assert evaluate("string()", HH, context="/data/name") == "ນ້ອຍ"
    assert evaluate("string-length()", HH, context="/data/name") == 4.0
    assert evaluate("normalize-space()", HH, context="/data/note") == "a b"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("substr('hello', 1)", "ello"),
        ("substr('hello', 1, 3)", "el"),
        ("substr('hello', 0, 0)", ""),
        ("substr('hello', 3, 1)", ""),
        ("substr('hello', -2)", "lo"),  # JavaRosa: negative counts from the end
        ("substr('hello', 0, -1)", "hell"),
        ("substr('hello', 10)", ""),
        ("substr('hello', -10, 2)", "he"),
        ("substr('hello', 1.9, 3.9)", "el"),  # truncated
        ("substr('hello', 'x', 2)", "he"),  # NaN is 0, as Java's (int) cast
        ("substr('hello', 1 div 0)", ""),
        ("substr('', 0, 5)", ""),
        ("substr('ສະບາຍດີ', 2, 5)", "ບາຍ"),
        ("substr(/data/age, 1)", "4"),
        ("substr(12345, 1, 3)", "23"),
    ],
)
def test_substr_is_zero_based_end_exclusive(expression: str, expected: str) -> None:
    assert evaluate(expression, HH) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # The examples of XPath 1.0 §4.2.
        ('substring("12345", 2, 3)', "234"),
        ('substring("12345", 2)', "2345"),
        ('substring("12345", 1.5, 2.6)', "234"),
        ('substring("12345", 0, 3)', "12"),
        ('substring("12345", 0 div 0, 3)', ""),
        ('substring("12345", 1, 0 div 0)', ""),
        ('substring("12345", -42, 1 div 0)', "12345"),
        ('substring("12345", -1 div 0, 1 div 0)', ""),
        ('substring("12345", 5, 10)', "5"),
        ('substring("12345", 6)', ""),
        ('substring("12345", 0.5)', "12345"),
        ('substring("12345", -0.5, 2)', "1"),
        ("substring('ສະບາຍດີ', 3, 3)", "ບາຍ"),
    ],
)
def test_substring_follows_xpath_rounding(expression: str, expected: str) -> None:
    assert evaluate(expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("substring-before('1999/04/01', '/')", "1999"),
        ("substring-before('abc', 'x')", ""),
        ("substring-before('abc', '')", ""),
        ("substring-after('1999/04/01', '/')", "04/01"),
        ("substring-after('abc', '')", "abc"),
        ("substring-after('abc', 'x')", ""),
        ("substring-after('ບ້ານ ນາໄຊ', ' ')", "ນາໄຊ"),
        ("normalize-space('  a \t\n b  ')", "a b"),
        ("normalize-space('a\u00a0 b')", "a\u00a0 b"),  # NBSP is not XPath whitespace
        ("normalize-space('')", ""),
        ("normalize-space(/data/note)", "a b"),
        ("translate('bar', 'abc', 'ABC')", "BAr"),
        ("translate('--aaa--', 'abc-', 'ABC')", "AAA"),
        ("translate('aba', 'aa', 'xy')", "xbx"),  # the first occurrence wins
        ("translate('ສະບາຍ', 'ສບ', 'ຊປ')", "ຊະປາຍ"),
        ("translate(12.5, '.', ',')", "12,5"),
    ],
)
def test_substring_before_after_normalize_translate(expression: str, expected: str) -> None:
    assert evaluate(expression, HH) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("string-length('')", 0.0),
        ("string-length('abc')", 3.0),
        ("string-length('ສະບາຍດີ')", 7.0),  # code points: marks count
        ("string-length('😀')", 1.0),  # outside the BMP: still one
        ("string-length(/data/age)", 2.0),
        ("string-length(/data/missing)", 0.0),
        ("string-length(1 div 3)", 18.0),
    ],
)
def test_string_length_counts_code_points(expression: str, expected: float) -> None:
    assert evaluate(expression, HH) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("contains('ສະບາຍດີ', 'ບາຍ')", True),
        ("contains('abc', '')", True),
        ("contains('', 'a')", False),
        ("contains(/data/age, 4)", True),
        ("starts-with('ສະບາຍດີ', 'ສະ')", True),
        ("starts-with('abc', 'b')", False),
        ("starts-with('', '')", True),
        ("ends-with('report.pdf', '.pdf')", True),
        ("ends-with('abc', 'ab')", False),
        ("ends-with('abc', '')", True),
        ("boolean-from-string('true')", True),
        ("boolean-from-string('TRUE')", True),
        ("boolean-from-string('1')", True),
        ("boolean-from-string(1)", True),
        ("boolean-from-string('false')", False),
        ("boolean-from-string('yes')", False),
        ("boolean-from-string('')", False),
        ("boolean-from-string(' true')", False),
    ],
)
def test_predicates_on_strings(expression: str, expected: bool) -> None:
    assert evaluate(expression, HH) is expected


# -- regex ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        ("12345", "[0-9]+", True),
        ("abc1", "[0-9]", False),  # the whole value must match (Java's matches())
        ("1", "[0-9]", True),
        ("020 555 1234", "^[0-9 ]{12}$", True),
        ("", "[0-9]*", True),
        ("", "[0-9]+", False),
        ("໑໒", "\\d+", False),  # Java's \d is ASCII
        ("ສະບາຍດີ", "[\\p{L}\\p{M}]+", True),  # Lao needs \p{M} for its marks
        ("ສະບາຍດີ", "\\p{L}+", False),
        ("ສະບາຍ ດີ", "[\\p{L}\\p{M} ]+", True),
        ("ສະບາຍດີ", "\\p{InLao}+", True),
        ("ສະບາຍດີ", "\\p{IsAlphabetic}+", True),
        ("Noy", "\\p{Lu}\\p{Ll}+", True),
        ("noy", "\\p{Lu}\\p{Ll}+", False),
        ("abc", "\\P{N}+", True),
        ("ab1", "\\P{N}+", False),
        ("Abc", "\\p{Alpha}+", True),
        ("ສະ", "\\p{Alpha}+", False),  # POSIX classes are ASCII in Java
        ("2020-2020", "(?<y>\\d{4})-\\k<y>", True),
        ("2020-2021", "(?<y>\\d{4})-\\k<y>", False),
        ("a]b", "[]a-b]+", True),
        ("abc", "(?i)ABC", True),
    ],
)
def test_regex_is_a_full_match_of_a_java_pattern(value: str, pattern: str, expected: bool) -> None:
    root = build({"v": value, "p": pattern})
    assert evaluate("regex(/data/v, /data/p)", root) is expected


def test_regex_on_numbers_and_empty_answers() -> None:
    assert evaluate("regex(/data/age, '[0-9]{2}')", HH) is True
    assert evaluate("regex(/data/empty, '.+')", HH) is False


@pytest.mark.parametrize("pattern", ["[a-", "(", "\\p{Nonsense}", "[\\P{L}]", "\\p{Xx}"])
def test_invalid_regex_is_a_clear_error(pattern: str) -> None:
    root = build({"p": pattern})
    with pytest.raises(XPathEvalError, match="regex"):
        evaluate("regex('a', /data/p)", root)


def test_java_pattern_translation() -> None:
    assert translate_java_pattern("(?<name>a)\\k<name>") == "(?P<name>a)(?P=name)"
    assert translate_java_pattern("(?<=a)b(?<!c)") == "(?<=a)b(?<!c)"
    assert translate_java_pattern("\\p{Digit}") == "[0-9]"
    assert translate_java_pattern("[\\p{Digit}x]") == "[0-9x]"
    assert re.fullmatch(translate_java_pattern("\\p{Lu}"), "Ä")
