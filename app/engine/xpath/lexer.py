"""Tokeniser for ODK XPath, following the disambiguation rules of XPath 1.0 §3.7.

Names may contain ``-`` and ``.`` and any Unicode letter or combining mark
(Lao field names are legal). ``and``/``or``/``div``/``mod`` and ``*`` are
operators only in operator position.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import Enum, auto

from app.core.errors import XPathSyntaxError


class T(Enum):
    NUMBER = auto()
    STRING = auto()
    REF = auto()  # ${name}
    NAME = auto()  # name test (may be prefixed or `prefix:*`)
    FUNC = auto()  # function name (a name followed by "(")
    NODETYPE = auto()  # node, text, comment, processing-instruction followed by "("
    AXIS = auto()  # axis name followed by "::"
    OPNAME = auto()  # and, or, div, mod in operator position
    STAR = auto()  # * as a name test
    MUL = auto()  # * as multiplication
    OP = auto()  # punctuation and symbolic operators
    EOF = auto()


@dataclass(frozen=True, slots=True)
class Token:
    kind: T
    value: str
    pos: int


NODE_TYPES = frozenset({"node", "text", "comment", "processing-instruction"})
AXES = frozenset(
    {
        "ancestor",
        "ancestor-or-self",
        "attribute",
        "child",
        "descendant",
        "descendant-or-self",
        "following",
        "following-sibling",
        "namespace",
        "parent",
        "preceding",
        "preceding-sibling",
        "self",
    }
)
OPERATOR_NAMES = frozenset({"and", "or", "div", "mod"})
# After one of these (or at the start), `*` is a name test and a name is not an operator.
_NON_OPERAND_PRECEDERS = frozenset(
    {"@", "::", "(", "[", ",", "/", "//", "|", "+", "-", "=", "!=", "<", "<=", ">", ">="}
)
_TWO_CHAR_OPS = ("//", "::", "!=", "<=", ">=", "..")
_ONE_CHAR_OPS = "/()[]@,|+-=<>."
# XPath numbers are ASCII digits only: str.isdigit() also accepts '໑' and '¹'
# (float() then fails on the latter).
_DIGITS = frozenset("0123456789")


def _is_name_start(ch: str) -> bool:
    return ch == "_" or unicodedata.category(ch)[0] == "L"


def _is_name_char(ch: str) -> bool:
    if ch in "-._" or ch.isdigit():
        return True
    category = unicodedata.category(ch)
    return category[0] == "L" or category in ("Mn", "Mc", "Nd", "Pc")


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens; raises `XPathSyntaxError` with a position."""
    tokens: list[Token] = []
    i = 0
    n = len(text)

    def operator_expected() -> bool:
        if not tokens:
            return False
        prev = tokens[-1]
        if prev.kind in (T.OPNAME, T.MUL, T.AXIS):
            return False
        return not (prev.kind is T.OP and prev.value in _NON_OPERAND_PRECEDERS)

    def next_non_space(j: int) -> int:
        while j < n and text[j].isspace():
            j += 1
        return j

    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        start = i
        if ch == "$":
            if i + 1 < n and text[i + 1] == "{":
                end = text.find("}", i + 2)
                if end < 0:
                    raise XPathSyntaxError("unterminated ${…} reference", text, i)
                name = text[i + 2 : end].strip()
                if (
                    not name
                    or not all(_is_name_char(c) for c in name)
                    or not (_is_name_start(name[0]))
                ):
                    raise XPathSyntaxError(f"invalid field name ${{{name}}}", text, i)
                tokens.append(Token(T.REF, name, start))
                i = end + 1
                continue
            raise XPathSyntaxError("XPath variables ($name) are not supported", text, i)
        if ch in "'\"":
            end = text.find(ch, i + 1)
            if end < 0:
                raise XPathSyntaxError("unterminated string literal", text, i)
            tokens.append(Token(T.STRING, text[i + 1 : end], start))
            i = end + 1
            continue
        if ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            j = i
            while j < n and text[j] in _DIGITS:
                j += 1
            if j < n and text[j] == ".":
                j += 1
                while j < n and text[j] in _DIGITS:
                    j += 1
            if j < n and (_is_name_start(text[j])):
                raise XPathSyntaxError("a name cannot start with a digit", text, i)
            tokens.append(Token(T.NUMBER, text[i:j], start))
            i = j
            continue
        if ch == "*":
            kind = T.MUL if operator_expected() else T.STAR
            tokens.append(Token(kind, "*", start))
            i += 1
            continue
        two = text[i : i + 2]
        if two in _TWO_CHAR_OPS:
            tokens.append(Token(T.OP, two, start))
            i += 2
            continue
        if ch in _ONE_CHAR_OPS:
            tokens.append(Token(T.OP, ch, start))
            i += 1
            continue
        if _is_name_start(ch):
            j = i + 1
            while j < n and _is_name_char(text[j]):
                j += 1
            # A QName prefix: `jr:choice-name`, `ns:*` (but not the axis separator `::`).
            if j < n and text[j] == ":" and text[j + 1 : j + 2] != ":":
                if j + 1 < n and text[j + 1] == "*":
                    tokens.append(Token(T.STAR, text[i : j + 2], start))
                    i = j + 2
                    continue
                if j + 1 < n and _is_name_start(text[j + 1]):
                    j += 2
                    while j < n and _is_name_char(text[j]):
                        j += 1
                else:
                    raise XPathSyntaxError("a ':' must be followed by a name", text, j)
            name = text[i:j]
            # A trailing '.' or '-' belongs to the name in XPath, so `a.` is a name;
            # keep that rule (ODK names may end in neither, the loader checks names).
            if operator_expected():
                if name in OPERATOR_NAMES:
                    tokens.append(Token(T.OPNAME, name, start))
                    i = j
                    continue
                raise XPathSyntaxError(f"expected an operator before {name!r}", text, start)
            after = next_non_space(j)
            if text[after : after + 2] == "::":
                if name not in AXES:
                    raise XPathSyntaxError(f"unknown axis {name!r}", text, start)
                tokens.append(Token(T.AXIS, name, start))
            elif after < n and text[after] == "(":
                kind = T.NODETYPE if name in NODE_TYPES else T.FUNC
                tokens.append(Token(kind, name, start))
            else:
                tokens.append(Token(T.NAME, name, start))
            i = j
            continue
        raise XPathSyntaxError(f"unexpected character {ch!r}", text, i)
    tokens.append(Token(T.EOF, "", n))
    return tokens
