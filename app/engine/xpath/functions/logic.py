"""Boolean and control functions: true, false, not, boolean, if, coalesce, once."""

from __future__ import annotations

import math

from app.engine.xpath.registry import Context, function
from app.engine.xpath.values import Value, to_boolean, to_string, unpack


@function("true")
def true_(ctx: Context) -> bool:
    return True


@function("false")
def false_(ctx: Context) -> bool:
    return False


@function("not", 1)
def not_(ctx: Context, value: Value) -> bool:
    return not to_boolean(value)


@function("boolean", 1)
def boolean(ctx: Context, value: Value) -> bool:
    return to_boolean(value)


@function("if", 3, lazy=True)
def if_(ctx: Context, condition: Value, then: Value, otherwise: Value) -> Value:
    """Lazy: only the chosen branch is evaluated (ODK relies on it to avoid errors)."""
    return then(ctx) if to_boolean(condition(ctx)) else otherwise(ctx)


@function("coalesce", 2, None, lazy=True)
def coalesce(ctx: Context, *candidates: Value) -> Value:
    """The first argument that is neither empty nor NaN ('' if none).

    JavaRosa's isNull() treats NaN like '', so `coalesce(number(${x}), 0)` is 0
    while ${x} is unanswered.
    """
    for candidate in candidates:
        value = unpack(candidate(ctx))
        if isinstance(value, float) and math.isnan(value):
            continue
        if to_string(value) != "":
            return value
    return ""


@function("once", 1, lazy=True)
def once(ctx: Context, expression: Value) -> Value:
    """Evaluate only while the field is empty; afterwards keep the first value (ODK)."""
    current = ctx.current
    if current.value != "":
        return current.value
    return unpack(expression(ctx))
