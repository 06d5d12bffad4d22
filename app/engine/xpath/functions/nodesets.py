"""Node-set functions: count, sum, count-non-empty, position, last, current, instance,
indexed-repeat, name, local-name."""

from __future__ import annotations

import math

from app.core.errors import XPathEvalError
from app.engine.instance import Node
from app.engine.xpath.functions._common import java_int
from app.engine.xpath.registry import Context, function
from app.engine.xpath.values import Value, to_number, to_string


def _nodes(value: Value, name: str) -> list[Node]:
    if not isinstance(value, list):
        raise XPathEvalError(f"{name}() needs a node-set, got {to_string(value)!r}")
    return value


@function("count", 1, reads_repeat=True)
def count(ctx: Context, nodes: Value) -> float:
    return float(len(_nodes(nodes, "count")))


@function("count-non-empty", 1, reads_repeat=True)
def count_non_empty(ctx: Context, nodes: Value) -> float:
    return float(sum(1 for node in _nodes(nodes, "count-non-empty") if to_string([node]) != ""))


@function("sum", 1, reads_repeat=True)
def sum_(ctx: Context, nodes: Value) -> float:
    """Sum of the node values. As in JavaRosa (XPathFuncExpr.sum), values that are
    not numbers (an empty answer, text) are skipped, so a repeat with one
    unanswered instance still sums the others; XPath 1.0 would give NaN."""
    total = 0.0
    for node in _nodes(nodes, "sum"):
        number = to_number([node])
        if not math.isnan(number):
            total += number
    return total


@function("position", 0, 1, reads_repeat=True)
def position(ctx: Context, nodes: Value = None) -> float:
    """position() in a predicate; position(..) is the repeat instance number (ODK)."""
    if nodes is None:
        return float(ctx.position)
    found = _nodes(nodes, "position")
    if not found:
        return math.nan
    return float(found[0].position())


@function("last")
def last(ctx: Context) -> float:
    return float(ctx.size)


@function("current")
def current(ctx: Context) -> Value:
    return [ctx.current]


@function("instance", 1)
def instance(ctx: Context, name: Value) -> Value:
    root = ctx.env.secondary.get(to_string(name))
    return [root] if root is not None else []


@function("indexed-repeat", 3, 7, reads_repeat=True)
def indexed_repeat(ctx: Context, target: Value, *pairs: Value) -> Value:
    """indexed-repeat(field, repeat1, index1[, repeat2, index2[, repeat3, index3]]).

    The value of `field` in the index1-th instance of repeat1 (1-based), and so
    on for nested repeats. As in JavaRosa, an index below 1 (or not a number, as
    while the index field is unanswered) means the first instance; an index past
    the last instance gives ''.
    """
    if len(pairs) % 2:
        raise XPathEvalError("indexed-repeat() needs (repeat, index) pairs")
    targets = _nodes(target, "indexed-repeat")
    if not targets:
        return ""
    # Walk down: choose the n-th instance of each repeat, then keep target nodes below it.
    chosen: list[Node] = []
    for i in range(0, len(pairs), 2):
        repeat_nodes = _nodes(pairs[i], "indexed-repeat")
        index = max(1, java_int(to_number(pairs[i + 1])))
        if chosen:
            anchor = chosen[-1]
            repeat_nodes = [n for n in repeat_nodes if _is_ancestor(anchor, n)]
        if index > len(repeat_nodes):
            return ""
        chosen.append(repeat_nodes[index - 1])
    anchor = chosen[-1]
    for node in targets:
        if _is_ancestor(anchor, node):
            return [node]
    return ""


def _is_ancestor(ancestor: Node, node: Node) -> bool:
    current: Node | None = node
    while current is not None:
        if current is ancestor:
            return True
        current = current.parent
    return False


@function("name", 0, 1, aliases=("local-name",))
def name(ctx: Context, nodes: Value = None) -> str:
    if nodes is None:
        return ctx.node.name
    found = _nodes(nodes, "name")
    return found[0].name if found else ""
