"""Number functions: number, int, round, floor, ceiling, abs, pow, min, max, log,
log10, exp, exp10, sqrt, pi, sin, cos, tan, asin, acos, atan, atan2, random.

Results follow Java's `Math` (what JavaRosa calls), which never raises: a
domain error is NaN (`sqrt(-1)`, `log(-1)`), an overflow is ±Infinity
(`exp(1000)`), `log(0)` is -Infinity. Python's `math` raises in those cases,
so every call goes through `_java`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal, localcontext

from app.engine.xpath.functions._common import expand_values, java_int
from app.engine.xpath.registry import Context, function
from app.engine.xpath.values import Value, to_number


def _java(operation: Callable[[float], float], value: float) -> float:
    """`operation(value)` with Java's conventions instead of Python exceptions."""
    try:
        return operation(value)
    except ValueError:
        return math.nan
    except OverflowError:
        return math.inf


@function("number", 0, 1)
def number(ctx: Context, value: Value = None) -> float:
    """XPath number(); date and dateTime strings give their day number (ODK)."""
    return to_number([ctx.node] if value is None else value)


@function("int", 1)
def int_(ctx: Context, value: Value) -> float:
    """Truncate towards zero (`int(-1.5)` is -1); NaN and infinities unchanged."""
    number = to_number(value)
    if math.isnan(number) or math.isinf(number):
        return number
    return math.copysign(float(math.trunc(number)), number)


@function("round", 1, 2)
def round_(ctx: Context, value: Value, digits: Value = None) -> float:
    """round(x[, digits]) as JavaRosa computes it.

    Halves go towards +∞, as in XPath 1.0: `round(2.5)` is 3, `round(-2.5)` is -2,
    `round(-2.45, 1)` is -2.4. (JavaRosa rounds `BigDecimal(Double.toString(x))`
    HALF_UP for x >= 0 and HALF_DOWN for x < 0, which is the same thing.) The
    decimal text of x is rounded, not its binary value, so `round(2.675, 2)`
    is 2.68 like Excel, not 2.67 like Python's `round`. More than 30 digits
    either way gives NaN (JavaRosa).

    For negative `digits`, JavaRosa truncates `x * 10^digits + 0.5`, so
    `round(-36, -1)` is -30 there. That is a bug (and inconsistent with its own
    positive-digits rule); we give -40.
    """
    number = to_number(value)
    places = 0 if digits is None else java_int(to_number(digits))
    if math.isnan(number) or math.isinf(number):
        return number
    if places > 30 or places < -30:
        return math.nan
    with localcontext() as context:
        context.prec = 400  # enough for any double at any allowed scale
        exact = Decimal(repr(number))
        mode = ROUND_HALF_UP if number >= 0 else ROUND_HALF_DOWN
        rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=mode)
        return float(rounded)


@function("floor", 1)
def floor(ctx: Context, value: Value) -> float:
    number = to_number(value)
    if math.isnan(number) or math.isinf(number):
        return number
    return number if number == 0 else float(math.floor(number))  # keeps -0


@function("ceiling", 1)
def ceiling(ctx: Context, value: Value) -> float:
    number = to_number(value)
    if math.isnan(number) or math.isinf(number):
        return number
    result = float(math.ceil(number))
    # XPath: ceiling(-0.5) is -0.
    return -0.0 if result == 0 and number < 0 else result


@function("abs", 1)
def abs_(ctx: Context, value: Value) -> float:
    return abs(to_number(value))


def java_pow(base: float, exponent: float) -> float:
    """Java's `Math.pow`, which differs from C/Python for NaN and ±1 bases:
    `pow(1, NaN)` and `pow(-1, ±Infinity)` are NaN in Java."""
    if exponent == 0:
        return 1.0
    if math.isnan(exponent) or math.isnan(base):
        return math.nan
    if math.isinf(exponent) and abs(base) == 1:
        return math.nan
    try:
        return math.pow(base, exponent)
    except OverflowError:
        # Overflow of |base| ** exponent: the sign is negative only for a
        # negative base and an odd integer exponent.
        odd = exponent == math.floor(exponent) and math.fmod(exponent, 2) != 0
        return -math.inf if base < 0 and odd else math.inf
    except ValueError:
        if base == 0 and exponent < 0:
            # pow(±0, negative): ±Infinity (negative only for -0 and an odd integer).
            odd = exponent == math.floor(exponent) and math.fmod(exponent, 2) != 0
            return -math.inf if math.copysign(1.0, base) < 0 and odd else math.inf
        return math.nan  # negative base, non-integer exponent


@function("pow", 2)
def pow_(ctx: Context, base: Value, exponent: Value) -> float:
    return java_pow(to_number(base), to_number(exponent))


def _extreme(args: tuple[Value, ...], pick: Callable[[float, float], float]) -> float:
    numbers = [to_number(value) for value in expand_values(args)]
    present = [number for number in numbers if not math.isnan(number)]
    if not present:
        return math.nan
    result = present[0]
    for number in present[1:]:
        result = pick(result, number)
    return result


@function("max", 1, None, reads_repeat=True)
def max_(ctx: Context, *args: Value) -> float:
    """Largest of the values (node-sets contribute every node).

    As in JavaRosa, values that are not numbers (an empty answer, text) are
    skipped, and the result is NaN only when no value is a number. XPath 3.0
    (which the spec cites) would give NaN as soon as one value is NaN; Collect
    does not, and forms computing `max(${a}, ${b})` before both are answered
    rely on that.
    """
    return _extreme(args, max)


@function("min", 1, None, reads_repeat=True)
def min_(ctx: Context, *args: Value) -> float:
    """Smallest of the values; see max() for NaN handling."""
    return _extreme(args, min)


def _log(number: float) -> float:
    return -math.inf if number == 0 else math.log(number)


def _log10(number: float) -> float:
    return -math.inf if number == 0 else math.log10(number)


_UNARY: dict[str, Callable[[float], float]] = {
    "log": _log,
    "log10": _log10,
    "exp": math.exp,
    "exp10": lambda number: java_pow(10.0, number),
    "sqrt": math.sqrt,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
}


def _register_unary(name: str, operation: Callable[[float], float]) -> None:
    def impl(ctx: Context, value: Value) -> float:
        return _java(operation, to_number(value))

    impl.__name__ = name.replace("-", "_")
    impl.__doc__ = f"XPath 3.0 math:{name}(), with Java's NaN/Infinity results."
    function(name, 1)(impl)


for _name, _operation in _UNARY.items():
    _register_unary(_name, _operation)


@function("atan2", 2)
def atan2(ctx: Context, y: Value, x: Value) -> float:
    return math.atan2(to_number(y), to_number(x))


@function("pi")
def pi(ctx: Context) -> float:
    return math.pi


@function("random", volatile=True)
def random(ctx: Context) -> float:
    """A number in [0, 1) from the environment's generator (seedable in tests).
    Use once(random()) to keep it stable."""
    return ctx.env.rng.random()
