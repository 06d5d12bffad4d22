"""Bundle records are parsed with orjson only where it gives what `json` gives:
the same value of the same types, or a refusal where `json` refuses."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.bundle.format import loads_record

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too
    | st.floats()  # NaN, infinities, -0.0, subnormals
    | st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**19, -(10**19), 1e400, "\ud800", "ລາວ"])
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=25,
)


def outcome(parse: Any, line: bytes) -> tuple[str, Any]:
    try:
        return "ok", parse(line)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return "refused", None


def same(a: Any, b: Any) -> bool:
    """Equal values of the same types all the way down (NaN equal to NaN, -0.0 not 0.0)."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, float):
            if not (math.isnan(x) and math.isnan(y)) and not (
                x == y and math.copysign(1, x) == math.copysign(1, y)
            ):
                return False
        elif isinstance(x, list):
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y, strict=True))
        elif isinstance(x, dict):
            if list(x) != list(y):
                return False
            stack.extend((x[k], y[k]) for k in x)
        elif x != y:
            return False
    return True


def check(line: bytes) -> None:
    fast = outcome(loads_record, line)
    slow = outcome(lambda raw: json.loads(raw.decode("utf-8")), line)
    assert fast[0] == slow[0], line[:200]
    assert same(fast[1], slow[1]), line[:200]


@settings(max_examples=400, deadline=None)
@given(value=values, ascii_only=st.booleans())
def test_values_written_by_json(value: Any, ascii_only: bool) -> None:
    check(json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass"))


@settings(max_examples=400, deadline=None)
@given(value=values, at=st.integers(min_value=0), byte=st.integers(0, 255), cut=st.booleans())
def test_damaged_lines(value: Any, at: int, byte: int, cut: bool) -> None:
    line = bytearray(json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    position = at % (len(line) + 1)
    if cut:
        del line[position:]
    else:
        line.insert(position, byte)
    check(bytes(line))


def test_deep_nesting_is_decided_by_json() -> None:
    for depth in (10, 899, 900, 950, 990, 1000, 1010, 1020, 1024, 1100, 5000):
        check(b"[" * depth + b"]" * depth)
        check(b'{"a":' * depth + b"1" + b"}" * depth)
