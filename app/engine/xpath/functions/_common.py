"""Argument conversions shared by the function modules.

JavaRosa converts arguments with Java's casts (`Double.intValue()`,
`longValue()`), which never fail: NaN becomes 0 and out-of-range values
saturate. The helpers here reproduce those casts so that, for example,
`substr(., 'x')` behaves like `substr(., 0)` instead of raising.
"""

from __future__ import annotations

import math

from app.core.errors import XPathEvalError
from app.engine.instance import Node
from app.engine.xpath.values import Value, node_strings, to_string, unpack

INT_MIN = -(2**31)
INT_MAX = 2**31 - 1
LONG_MIN = -(2**63)
LONG_MAX = 2**63 - 1


def java_int(number: float) -> int:
    """Java's `(int) double`: NaN → 0, saturating at the int range, truncating."""
    if math.isnan(number):
        return 0
    if number >= INT_MAX:
        return INT_MAX
    if number <= INT_MIN:
        return INT_MIN
    return int(number)


def java_long(number: float) -> int:
    """Java's `(long) double`: NaN → 0, saturating at the long range, truncating."""
    if math.isnan(number):
        return 0
    if number >= LONG_MAX:
        return LONG_MAX
    if number <= LONG_MIN:
        return LONG_MIN
    return int(number)


def require_nodes(value: Value, function: str, position: str = "argument") -> list[Node]:
    """A node-set argument, or a clear error naming the function."""
    if not isinstance(value, list):
        raise XPathEvalError(
            f"{function}() needs a node-set (a field or path) as its {position}, "
            f"got the value {to_string(value)!r}"
        )
    return value


def expand_strings(args: tuple[Value, ...]) -> list[str]:
    """String values of the arguments, every node of a node-set contributing its own."""
    out: list[str] = []
    for arg in args:
        out.extend(node_strings(arg))
    return out


def expand_values(args: tuple[Value, ...]) -> list[Value]:
    """The arguments with node-sets expanded to the typed value of each node."""
    out: list[Value] = []
    for arg in args:
        if isinstance(arg, list):
            out.extend(unpack([node]) for node in arg)
        else:
            out.append(arg)
    return out
