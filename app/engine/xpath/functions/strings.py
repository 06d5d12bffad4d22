"""String functions: string, concat, join, substr, substring, substring-before,
substring-after, string-length, normalize-space, translate, contains, starts-with,
ends-with, boolean-from-string.

Strings are sequences of Unicode code points: `string-length('ສະບາຍດີ')` is 7,
and `substr`/`translate` never split a code point (JavaRosa counts UTF-16 units,
which only differs outside the Basic Multilingual Plane; Lao is inside it).
"""

from __future__ import annotations

import math
import re

from app.engine.xpath.functions._common import expand_strings, java_int
from app.engine.xpath.registry import Context, function
from app.engine.xpath.values import Value, to_number, to_string

# XPath 1.0 whitespace (§3.7): space, tab, CR, LF. Not NBSP or other Unicode spaces.
_XPATH_SPACE = re.compile(r"[ \t\r\n]+")
_XPATH_SPACE_CHARS = " \t\r\n"


@function("string", 0, 1)
def string(ctx: Context, value: Value = None) -> str:
    """XPath 1.0 string(); without an argument, the context node's string value."""
    return to_string([ctx.node] if value is None else value)


@function("concat", 1, None, reads_repeat=True)
def concat(ctx: Context, *args: Value) -> str:
    """ODK concat(): one argument is allowed, and every node of a node-set argument
    contributes its value (XPath 1.0 would take only the first node)."""
    return "".join(expand_strings(args))


@function("join", 1, None, reads_repeat=True)
def join(ctx: Context, separator: Value, *args: Value) -> str:
    """join(sep, values…): node-set arguments contribute every node's value."""
    return to_string(separator).join(expand_strings(args))


@function("substr", 2, 3)
def substr(ctx: Context, value: Value, start: Value, end: Value = None) -> str:
    """ODK substr(s, start[, end]): 0-based, end exclusive.

    As in JavaRosa, a negative index counts from the end of the string, indexes
    are clamped to the string, and numbers are truncated (NaN counts as 0).
    """
    text = to_string(value)
    length = len(text)
    first = java_int(to_number(start))
    last = length if end is None else java_int(to_number(end))
    if first < 0:
        first += length
    if last < 0:
        last += length
    first = min(max(0, first), length)
    last = min(max(0, last), length)
    return text[first:last] if first <= last else ""


def xpath_round(number: float) -> float:
    """XPath 1.0 round(): halves go up (towards +∞); NaN and infinities unchanged."""
    if math.isnan(number) or math.isinf(number):
        return number
    floor = math.floor(number)
    # `number - floor` is exact, unlike `number + 0.5`, which rounds
    # 0.49999999999999994 up to 1.
    result = float(floor + 1) if number - floor >= 0.5 else float(floor)
    if result == 0 and number < 0:
        return -0.0
    return result


@function("substring", 2, 3)
def substring(ctx: Context, value: Value, start: Value, length: Value = None) -> str:
    """XPath 1.0 substring(s, start[, length]): 1-based, positions rounded, so that
    the characters at positions p with round(start) <= p < round(start) + round(length)
    are kept (NaN bounds keep nothing)."""
    text = to_string(value)
    begin = xpath_round(to_number(start))
    stop = math.inf if length is None else begin + xpath_round(to_number(length))
    if math.isnan(begin) or math.isnan(stop):
        return ""
    # Positions are 1-based; clamp to [1, len + 1] before converting to indexes.
    lower = max(begin, 1.0)
    upper = min(stop, float(len(text) + 1))
    if upper <= lower:
        return ""
    return text[int(lower) - 1 : int(upper) - 1]


@function("substring-before", 2)
def substring_before(ctx: Context, value: Value, needle: Value) -> str:
    text, part = to_string(value), to_string(needle)
    index = text.find(part)
    return text[:index] if index >= 0 else ""


@function("substring-after", 2)
def substring_after(ctx: Context, value: Value, needle: Value) -> str:
    text, part = to_string(value), to_string(needle)
    index = text.find(part)
    return text[index + len(part) :] if index >= 0 else ""


@function("string-length", 0, 1)
def string_length(ctx: Context, value: Value = None) -> float:
    """Number of code points; without an argument, of the context node's value."""
    return float(len(to_string([ctx.node] if value is None else value)))


@function("normalize-space", 0, 1)
def normalize_space(ctx: Context, value: Value = None) -> str:
    """Trim XPath whitespace and collapse each run of it to one space."""
    text = to_string([ctx.node] if value is None else value)
    return _XPATH_SPACE.sub(" ", text).strip(_XPATH_SPACE_CHARS)


@function("translate", 3)
def translate(ctx: Context, value: Value, source: Value, target: Value) -> str:
    """Replace each character of `source` by the one at the same index of `target`;
    characters of `source` past the end of `target` are removed. The first
    occurrence of a character in `source` wins."""
    text, sources, targets = to_string(value), to_string(source), to_string(target)
    table: dict[str, str] = {}
    for index, char in enumerate(sources):
        if char not in table:
            table[char] = targets[index] if index < len(targets) else ""
    return "".join(table.get(char, char) for char in text)


@function("contains", 2)
def contains(ctx: Context, haystack: Value, needle: Value) -> bool:
    return to_string(needle) in to_string(haystack)


@function("starts-with", 2)
def starts_with(ctx: Context, haystack: Value, needle: Value) -> bool:
    return to_string(haystack).startswith(to_string(needle))


@function("ends-with", 2)
def ends_with(ctx: Context, haystack: Value, needle: Value) -> bool:
    return to_string(haystack).endswith(to_string(needle))


@function("boolean-from-string", 1)
def boolean_from_string(ctx: Context, value: Value) -> bool:
    """True only for 'true' (any case, as JavaRosa) and '1'; unlike boolean(),
    'false' is false."""
    text = to_string(value)
    return text.lower() == "true" or text == "1"
