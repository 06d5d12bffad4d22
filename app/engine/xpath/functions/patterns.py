"""regex(value, pattern): Java regular expressions evaluated with Python's `re`.

ODK Collect (JavaRosa) uses `java.util.regex.Pattern.matches`, so the pattern
must match the *whole* value: `regex('abc1', '[0-9]')` is false, and
`regex('1', '[0-9]')` is true. (Enketo searches instead; we follow Collect.)
The XForms spec text ("the regular expression is created from the provided
expression string") does not say which; Collect's behaviour is what forms
are tested against.

Java's default character classes are ASCII-only (`\\d` is `[0-9]`, `\\w` is
`[a-zA-Z0-9_]`), so the pattern is compiled with `re.ASCII`: a Lao digit does
not match `\\d`, exactly as on a phone. The Java-only syntax forms actually
written needs translating:

- `\\p{…}` / `\\P{…}` Unicode and POSIX classes (`\\p{L}`, `\\p{M}`, `\\p{Lu}`,
  `\\p{IsAlphabetic}`, `\\p{InLao}`, `\\p{Alpha}`, `\\p{Digit}`, …), expanded
  into explicit code point ranges built from `unicodedata` on first use. Lao
  words need `\\p{M}` for their vowel and tone marks: `^[\\p{L}\\p{M} ]+$`.
  A negated `\\P{…}` inside a bracket class cannot be expressed and is an error.
- `(?<name>…)` named groups and `\\k<name>` back references.

Anything else Python rejects (class intersections `[a-z&&[^aeiou]]`,
`\\Q…\\E`) gives an `XPathEvalError` naming the pattern.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

from app.core.errors import XPathEvalError
from app.engine.xpath.registry import Context, function
from app.engine.xpath.values import Value, to_string

_POSIX_CLASSES = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7f",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "Graph": "\\x21-\\x7e",
    "Print": "\\x20-\\x7e",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1f\\x7f",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0b\\f\\r",
}
_BLOCKS = {"Lao": (0x0E80, 0x0EFF), "Thai": (0x0E00, 0x0E7F), "BasicLatin": (0x00, 0x7F)}
# Unicode "Alphabetic" is letters, letter numbers and Other_Alphabetic (mostly
# vowel signs, which are Mn/Mc); approximating it by L + Nl + Mn + Mc keeps
# Lao vowel signs in, which is what a form author means by it.
_ALPHABETIC = ("Lu", "Ll", "Lt", "Lm", "Lo", "Nl", "Mn", "Mc")
# A Unicode general category: one letter, or one letter and a lower-case one.
_GENERAL_CATEGORY = re.compile(r"[LMNPSZC][a-z]?")


@lru_cache(maxsize=1)
def _category_runs() -> tuple[tuple[int, int, str], ...]:
    """Runs (first, last, category) of equal general category over all code points.

    Built once, on the first pattern that uses `\\p{…}` (about half a second)."""
    runs: list[tuple[int, int, str]] = []
    start = 0
    current = unicodedata.category("\x00")
    for code in range(1, sys.maxunicode + 1):
        category = unicodedata.category(chr(code))
        if category != current:
            runs.append((start, code - 1, current))
            start, current = code, category
    runs.append((start, sys.maxunicode, current))
    return tuple(runs)


@lru_cache(maxsize=64)
def _category_ranges(categories: tuple[str, ...]) -> str:
    """A bracket-class body (without brackets) for all code points in the given
    general categories (a one-letter category covers its subcategories)."""
    parts: list[str] = []
    pending: tuple[int, int] | None = None
    for first, last, category in _category_runs():
        if not any(category.startswith(wanted) for wanted in categories):
            continue
        if pending is not None and pending[1] + 1 == first:
            pending = (pending[0], last)
            continue
        if pending is not None:
            parts.append(_range_text(*pending))
        pending = (first, last)
    if pending is not None:
        parts.append(_range_text(*pending))
    return "".join(parts)


def _range_text(first: int, last: int) -> str:
    if first == last:
        return f"\\U{first:08x}"
    return f"\\U{first:08x}-\\U{last:08x}"


def _class_body(name: str, pattern: str) -> str:
    """The bracket-class body for the Java property `name`."""
    if name in _POSIX_CLASSES:
        return _POSIX_CLASSES[name]
    for prefix in ("In", "Is"):
        block = name.removeprefix(prefix)
        if block in _BLOCKS:
            first, last = _BLOCKS[block]
            return _range_text(first, last)
    bare = name.removeprefix("Is")
    if bare == "Alphabetic":
        return _category_ranges(_ALPHABETIC)
    if bare == "Letter":
        return _category_ranges(("L",))
    if bare == "Digit":  # IsDigit is Unicode; the POSIX Digit was handled above
        return _category_ranges(("Nd",))
    if _GENERAL_CATEGORY.fullmatch(bare):
        body = _category_ranges((bare,))
        if body:
            return body
    raise XPathEvalError(f"regex(): unsupported character property \\p{{{name}}} in {pattern!r}")


def translate_java_pattern(pattern: str) -> str:
    """Rewrite the Java-only constructs of `pattern` into Python `re` syntax."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    in_class = False
    while i < n:
        char = pattern[i]
        if char == "\\" and i + 1 < n:
            marker = pattern[i + 1]
            if marker in "pP":
                name, i = _property_name(pattern, i + 2)
                body = _class_body(name, pattern)
                if in_class:
                    if marker == "P":
                        raise XPathEvalError(
                            f"regex(): \\P{{{name}}} inside [...] is not supported in {pattern!r}"
                        )
                    out.append(body)
                else:
                    out.append(("[^" if marker == "P" else "[") + body + "]")
                continue
            if marker == "k" and i + 2 < n and pattern[i + 2] == "<":
                end = pattern.find(">", i + 3)
                if end > 0:
                    out.append(f"(?P={pattern[i + 3 : end]})")
                    i = end + 1
                    continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
            out.append(char)
            i += 1
            continue
        if char == "[":
            in_class = True
            out.append(char)
            i += 1
            # A ']' (or '^]') right after '[' is a literal in both dialects.
            if pattern.startswith("^", i):
                out.append("^")
                i += 1
            if pattern.startswith("]", i):
                out.append("\\]")
                i += 1
            continue
        if pattern.startswith("(?<", i) and i + 3 < n and pattern[i + 3] not in "=!":
            out.append("(?P<")
            i += 3
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _property_name(pattern: str, index: int) -> tuple[str, int]:
    """The name after `\\p` at `index` (`{Name}` or a single letter) and the next index."""
    if index < len(pattern) and pattern[index] == "{":
        end = pattern.find("}", index)
        if end < 0:
            raise XPathEvalError(f"regex(): unclosed \\p{{ in {pattern!r}")
        return pattern[index + 1 : end], end + 1
    if index < len(pattern):
        return pattern[index], index + 1
    raise XPathEvalError(f"regex(): \\p needs a property name in {pattern!r}")


@lru_cache(maxsize=512)
def compile_java_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a Java regular expression (cached: constraints are re-run often)."""
    try:
        return re.compile(translate_java_pattern(pattern), re.ASCII)
    except re.error as error:
        raise XPathEvalError(f"regex(): invalid regular expression {pattern!r}: {error}") from None


@function("regex", 2)
def regex(ctx: Context, value: Value, pattern: Value) -> bool:
    """True when the whole of `value` matches `pattern` (Java's `Pattern.matches`)."""
    return compile_java_pattern(to_string(pattern)).fullmatch(to_string(value)) is not None
