"""Select functions: selected, selected-at, count-selected, jr:choice-name,
checklist, weighted-checklist, randomize.

A select_multiple answer is a space-separated list of choice names. Indexes
are 0-based here (`selected-at(${fruits}, 0)` is the first choice), unlike
positions and `indexed-repeat`, which are 1-based.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

from app.core.errors import XPathEvalError, XPathSyntaxError
from app.engine.instance import Node
from app.engine.xpath.functions._common import (
    expand_values,
    java_int,
    java_long,
    require_nodes,
)
from app.engine.xpath.registry import Context, function
from app.engine.xpath.values import Value, to_boolean, to_number, to_string, unpack


@function("selected", 2, aliases=("is-selected",))
def selected(ctx: Context, answer: Value, choice: Value) -> bool:
    """Whether `choice` is one of the space-separated names in `answer`.

    JavaRosa refuses a number as the choice (`selected(., 1)`: "must be in
    quotes"); we compare its string value instead, which is what was meant.
    An empty choice is never selected.
    """
    wanted = to_string(choice).strip()
    return bool(wanted) and wanted in to_string(answer).split()


@function("selected-at", 2)
def selected_at(ctx: Context, answer: Value, index: Value) -> str:
    """The choice at a 0-based index; '' when out of range (negative included)."""
    choices = to_string(answer).split()
    position = java_int(to_number(index))
    return choices[position] if 0 <= position < len(choices) else ""


@function("count-selected", 1)
def count_selected(ctx: Context, answer: Value) -> float:
    return float(len(to_string(answer).split()))


# -- jr:choice-name -----------------------------------------------------------------
_REF = re.compile(r"\$\{\s*([^{}\s]+)\s*\}")


@lru_cache(maxsize=256)
def _compiled_path(path: str) -> Callable[[Context], Value]:
    from app.engine.xpath.compiler import compile_expression
    from app.engine.xpath.parser import parse

    try:
        return compile_expression(parse(path), path)
    except XPathSyntaxError as error:
        raise XPathEvalError(
            f"jr:choice-name(): the second argument {path!r} is not a field path ({error.message})"
        ) from None


def _shared_depth(node: Node, other: Node) -> int:
    """Depth of the deepest common ancestor of two nodes (-1 if none)."""
    ancestors = set()
    current: Node | None = other
    while current is not None:
        ancestors.add(id(current))
        current = current.parent
    current = node
    while current is not None:
        if id(current) in ancestors:
            return current.depth
        current = current.parent
    return -1


def locate_field(ctx: Context, path: str) -> Node | None:
    """The field named by jr:choice-name's path string.

    The string is a path ('/data/q', pyxform's form of `'${q}'`, possibly padded
    with spaces) evaluated from the context node like any relative path, or
    still `${q}`, which is looked up by name in the primary instance. When it
    matches several nodes (a field in a repeat), the one in the same repeat
    instance as the current field is used, else the first; any of them has the
    same choice list.
    """
    text = path.strip()
    match = _REF.fullmatch(text)
    if match:
        name = match[1]
        candidates = [node for node in ctx.env.root.iter() if node.name == name]
    else:
        found = _compiled_path(text)(ctx)
        if not isinstance(found, list):
            raise XPathEvalError(
                f"jr:choice-name(): the second argument {path!r} must name a field"
            )
        candidates = found
    if not candidates:
        return None
    return max(candidates, key=lambda node: _shared_depth(node, ctx.current))


@function("jr:choice-name", 2)
def choice_name(ctx: Context, value: Value, path: Value) -> str:
    """The label, in the current language, of choice `value` of the select field
    named by the path string: `jr:choice-name(${crop}, '${crop}')`.

    '' when the field is unknown, is not a select, or has no such choice (as
    JavaRosa). The session supplies `choice_list_of` (field node → list name)
    and `choice_label` (list, choice, language → text).
    """
    env = ctx.env
    if env.choice_label is None or env.choice_list_of is None:
        return ""
    choice = to_string(value)
    if not choice:
        return ""
    node = locate_field(ctx, to_string(path))
    if node is None:
        return ""
    list_name = env.choice_list_of(node)
    if list_name is None:
        return ""
    try:
        label = env.choice_label(list_name, choice, env.language)
    except KeyError:
        return ""
    return label or ""


# -- checklists ---------------------------------------------------------------------
@function("checklist", 2, None, reads_repeat=True)
def checklist(ctx: Context, minimum: Value, maximum: Value, *factors: Value) -> bool:
    """Whether the number of true factors is within [min, max]; -1 means no bound.

    Node-set factors count each node. A factor is true as boolean() says, so a
    non-empty text is true and an int field holding 0 is false.
    """
    low = java_int(to_number(minimum))
    high = java_int(to_number(maximum))
    count = sum(1 for factor in expand_values(factors) if to_boolean(factor))
    return (low < 0 or count >= low) and (high < 0 or count <= high)


@function("weighted-checklist", 2, None, reads_repeat=True)
def weighted_checklist(ctx: Context, minimum: Value, maximum: Value, *pairs: Value) -> bool:
    """weighted-checklist(min, max, v1, w1, v2, w2, …): whether the sum of the
    weights of the true factors is within [min, max] (no -1 convention here).

    With exactly two node-sets, `(…, /data/r/flag, /data/r/weight)`, the nodes
    pair up by position.
    """
    if len(pairs) % 2:
        raise XPathEvalError(
            "weighted-checklist() needs min, max and then (value, weight) pairs: "
            f"got {len(pairs) + 2} arguments"
        )
    if len(pairs) == 2 and isinstance(pairs[0], list) and isinstance(pairs[1], list):
        flags = [unpack([node]) for node in pairs[0]]
        weights = [unpack([node]) for node in pairs[1]]
        if len(flags) != len(weights):
            raise XPathEvalError(
                "weighted-checklist(): the value and weight node-sets differ in size "
                f"({len(flags)} and {len(weights)})"
            )
    else:
        flags = list(pairs[0::2])
        weights = list(pairs[1::2])
    total = 0.0
    for flag, weight in zip(flags, weights, strict=True):
        if to_boolean(flag):
            total += to_number(weight)
    return to_number(minimum) <= total <= to_number(maximum)


# -- randomize ----------------------------------------------------------------------
_MODULUS = 2147483647
_MULTIPLIER = 16807

_T = TypeVar("_T")


class ParkMiller:
    """JavaRosa's seeded generator (Lehmer / Park–Miller "minimal standard").

    Shared with Enketo's openrosa-xpath-evaluator so that a seed gives the same
    order on every client.
    """

    def __init__(self, seed: int) -> None:
        # Java keeps the state in a double: `seed % MODULUS` truncates towards
        # zero (fmod); a state <= 0 is moved into range.
        state = int(math.fmod(float(seed), _MODULUS))
        if state <= 0:
            state += _MODULUS - 1
        self.state = state

    def random(self) -> float:
        self.state = self.state * _MULTIPLIER % _MODULUS
        return (self.state - 1) / (_MODULUS - 1)


def shuffle(items: list[_T], random: Callable[[], float]) -> list[_T]:
    """The "inside-out" Fisher–Yates shuffle, as in JavaRosa's FisherYates."""
    result: list[_T] = []
    for i, item in enumerate(items):
        j = int(random() * (i + 1))
        if j == i:
            result.append(item)
        else:
            result.append(result[j])
            result[j] = item
    return result


@function("randomize", 1, 2, volatile=True, reads_repeat=True)
def randomize(ctx: Context, nodes: Value, seed: Value = None) -> list[Node]:
    """The nodes in a random order; with a seed, the same order as ODK Collect and
    Enketo for that seed (the seed is truncated to an integer; NaN counts as 0)."""
    items = require_nodes(nodes, "randomize", "first argument")
    if seed is None:
        return shuffle(items, ctx.env.rng.random)
    return shuffle(items, ParkMiller(java_long(to_number(seed))).random)
