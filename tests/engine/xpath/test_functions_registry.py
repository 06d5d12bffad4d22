"""The function table: every ODK function is registered with the right arity,
and no function lets a raw Python exception escape, whatever it is given."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import pytest

from app.core.errors import XPathEvalError
from app.engine.instance import Node, build_secondary
from app.engine.xpath.registry import FUNCTIONS, Context, Function, lookup
from app.engine.xpath.values import DateValue

from .helpers import build, find, make_env

# name: (min_args, max_args or None for "any number")
ARITY: dict[str, tuple[int, int | None]] = {
    # strings
    "string": (0, 1),
    "concat": (1, None),
    "join": (1, None),
    "substr": (2, 3),
    "substring": (2, 3),
    "substring-before": (2, 2),
    "substring-after": (2, 2),
    "string-length": (0, 1),
    "normalize-space": (0, 1),
    "translate": (3, 3),
    "contains": (2, 2),
    "starts-with": (2, 2),
    "ends-with": (2, 2),
    "boolean-from-string": (1, 1),
    "regex": (2, 2),
    "uuid": (0, 1),
    "digest": (2, 3),
    "base64-decode": (1, 1),
    "jr:itext": (1, 1),
    # numbers
    "number": (0, 1),
    "int": (1, 1),
    "round": (1, 2),
    "floor": (1, 1),
    "ceiling": (1, 1),
    "abs": (1, 1),
    "pow": (2, 2),
    "min": (1, None),
    "max": (1, None),
    "log": (1, 1),
    "log10": (1, 1),
    "exp": (1, 1),
    "exp10": (1, 1),
    "sqrt": (1, 1),
    "pi": (0, 0),
    "sin": (1, 1),
    "cos": (1, 1),
    "tan": (1, 1),
    "asin": (1, 1),
    "acos": (1, 1),
    "atan": (1, 1),
    "atan2": (2, 2),
    "random": (0, 0),
    # dates
    "today": (0, 0),
    "now": (0, 0),
    "date": (1, 1),
    "date-time": (1, 1),
    "decimal-date-time": (1, 1),
    "decimal-time": (1, 1),
    "format-date": (2, 2),
    "format-date-time": (2, 2),
    # selects
    "selected": (2, 2),
    "is-selected": (2, 2),
    "selected-at": (2, 2),
    "count-selected": (1, 1),
    "jr:choice-name": (2, 2),
    "checklist": (2, None),
    "weighted-checklist": (2, None),
    "randomize": (1, 2),
    # geo
    "area": (1, 1),
    "enclosed-area": (1, 1),
    "distance": (1, 1),
    "geofence": (2, 2),
    # misc
    "pulldata": (4, 4),
    "property": (1, 1),
    "version": (0, 0),
    # logic and node-sets (the lead's modules)
    "true": (0, 0),
    "false": (0, 0),
    "not": (1, 1),
    "boolean": (1, 1),
    "if": (3, 3),
    "coalesce": (2, None),
    "once": (1, 1),
    "count": (1, 1),
    "count-non-empty": (1, 1),
    "sum": (1, 1),
    "position": (0, 1),
    "last": (0, 0),
    "current": (0, 0),
    "instance": (1, 1),
    "indexed-repeat": (3, 7),
    "name": (0, 1),
    "local-name": (0, 1),
}
VOLATILE = {"random", "uuid", "now", "today", "randomize"}
NOT_ODK = {"lower-case", "upper-case", "sort-by"}


def test_every_function_is_registered_with_its_arity() -> None:
    lookup("true")
    registered = {name: (f.min_args, f.max_args) for name, f in FUNCTIONS.items()}
    assert registered == ARITY


def test_functions_that_are_not_odk_are_absent() -> None:
    for name in NOT_ODK:
        assert lookup(name) is None


def test_volatile_functions_are_marked() -> None:
    assert {name for name, f in FUNCTIONS.items() if f.volatile} == VOLATILE


@pytest.mark.parametrize(
    "name",
    ["concat", "join", "min", "max", "checklist", "area", "distance", "sum", "count"],
)
def test_aggregates_read_whole_repeats(name: str) -> None:
    function = lookup(name)
    assert function is not None and function.reads_repeat


# -- no raw exceptions -----------------------------------------------------------------
ROOT = build(
    {
        "s": "ສະບາຍດີ",
        "n": ("-12.5", "decimal"),
        "d": ("1969-12-31", "date"),
        "dt": ("2024-02-29T23:59:59.999+07:00", "dateTime"),
        "t": ("23:59:59", "time"),
        "g": {"a": "x", "b": "y"},
        "rep": [{"v": "0 0;0 1;1 1;0 0"}, {"v": ""}],
    }
)
SECONDARY = {"list": build_secondary("list", [{"name": "a", "label": "A"}])}
NODES: dict[str, list[Node]] = {
    "none": [],
    "text": [find(ROOT, "/data/s")],
    "decimal": [find(ROOT, "/data/n")],
    "date": [find(ROOT, "/data/d")],
    "datetime": [find(ROOT, "/data/dt")],
    "time": [find(ROOT, "/data/t")],
    "group": [find(ROOT, "/data/g")],
    "many": [find(ROOT, "/data/rep[1]/v"), find(ROOT, "/data/rep[2]/v")],
    "repeat": [find(ROOT, "/data/rep[1]"), find(ROOT, "/data/rep[2]")],
}
SCALARS: list[Any] = [
    "",
    " ",
    "abc",
    "-1",
    "2024-02-29",
    "0 0 0 0",
    "[",
    "%",
    "MD5",
    0.0,
    -0.0,
    1.0,
    -7.5,
    3e9,
    1e300,
    math.nan,
    math.inf,
    -math.inf,
    True,
    False,
    DateValue("1969-12-31", -1.0),
]
SAMPLES: list[Any] = SCALARS + list(NODES.values())


def call(function: Function, args: tuple[Any, ...]) -> Any:
    env = make_env(
        ROOT,
        secondary=SECONDARY,
        choice_label=lambda *_: "label",
        choice_list_of=lambda _: "list",
        language="Lao (lo)",
    )
    ctx = Context(find(ROOT, "/data/rep[1]/v"), env)
    if function.lazy:
        thunks: list[Callable[[Context], Any]] = [lambda c, v=value: v for value in args]
        return function.impl(ctx, *thunks)
    return function.impl(ctx, *args)


def arg_lists(function: Function) -> list[tuple[Any, ...]]:
    """All combinations for up to two arguments; a sample beyond that."""
    high = function.max_args if function.max_args is not None else function.min_args + 2
    out: list[tuple[Any, ...]] = []
    for count in range(function.min_args, min(high, function.min_args + 2) + 1):
        if count <= 2:
            out.extend(itertools.product(SAMPLES, repeat=count))
        else:
            # Vary each position over every sample, the others fixed: linear in size.
            for position in range(count):
                for sample in SAMPLES:
                    for filler in ("1", NODES["many"], math.nan):
                        args = [filler] * count
                        args[position] = sample
                        out.append(tuple(args))
    return out


@pytest.mark.parametrize("name", sorted(ARITY))
def test_functions_raise_only_engine_errors(name: str) -> None:
    function = lookup(name)
    assert function is not None
    failures: list[str] = []
    for args in arg_lists(function):
        try:
            result = call(function, args)
        except XPathEvalError:
            continue
        except Exception as error:  # the point of the test: nothing else may escape
            failures.append(f"{name}{args!r}: {type(error).__name__}: {error}")
            continue
        if not isinstance(result, str | float | bool | list):
            failures.append(f"{name}{args!r} returned {type(result).__name__}")
    assert not failures, "\n".join(failures[:10])
