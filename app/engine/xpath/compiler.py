"""Compile an expression tree into a Python closure ``Context → Value``.

Field references are bound through a `Binder` supplied by the form, so that
``${name}`` and plain absolute paths resolve against the current repeat
instance (JavaRosa's "contextualised" references) with a precomputed walk
instead of a generic path search.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Protocol

from app.core.errors import XPathEvalError, XPathStaticError
from app.engine.instance import Node
from app.engine.xpath import ast
from app.engine.xpath.registry import Context, lookup
from app.engine.xpath.values import (
    Value,
    compare,
    equals,
    not_equals,
    to_boolean,
    to_number,
)

Compiled = Callable[[Context], Value]


class Binder(Protocol):
    """Resolves names of the primary instance at compile time."""

    def ref(self, name: str, pos: int) -> Compiled:
        """``${name}`` as a node-set closure; raise `XPathStaticError` if unknown."""

    def absolute(self, names: tuple[str, ...]) -> Compiled | None:
        """A plain absolute path (no predicates), contextualised; None for the generic walk."""


class Compiler:
    def __init__(self, source: str, binder: Binder | None) -> None:
        self.source = source
        self.binder = binder

    def error(self, message: str, pos: int) -> XPathStaticError:
        return XPathStaticError(message, self.source, pos)

    def compile(self, node: ast.Expr) -> Compiled:
        method = getattr(self, "c_" + type(node).__name__)
        result: Compiled = method(node)
        return result

    # -- leaves --------------------------------------------------------------------
    def c_Literal(self, node: ast.Literal) -> Compiled:
        value = node.value
        return lambda ctx: value

    def c_Number(self, node: ast.Number) -> Compiled:
        value = node.value
        return lambda ctx: value

    def c_Ref(self, node: ast.Ref) -> Compiled:
        if self.binder is None:
            raise self.error(f"${{{node.name}}} cannot be used here", node.pos)
        return self.binder.ref(node.name, node.pos)

    # -- operators -----------------------------------------------------------------
    def c_Negate(self, node: ast.Negate) -> Compiled:
        operand = self.compile(node.operand)
        return lambda ctx: -to_number(operand(ctx))

    def c_Binary(self, node: ast.Binary) -> Compiled:
        group = _CHAINS.get(node.op)
        left_node = node.left
        if (
            group is not None
            and isinstance(left_node, ast.Binary)
            and _CHAINS.get(left_node.op) == group
        ):
            return self.chain(node, group)
        left = self.compile(node.left)
        right = self.compile(node.right)
        op = node.op
        if op == "or":
            return lambda ctx: to_boolean(left(ctx)) or to_boolean(right(ctx))
        if op == "and":
            return lambda ctx: to_boolean(left(ctx)) and to_boolean(right(ctx))
        if op == "=":
            return lambda ctx: equals(left(ctx), right(ctx))
        if op == "!=":
            return lambda ctx: not_equals(left(ctx), right(ctx))
        if op in ("<", "<=", ">", ">="):
            return lambda ctx: compare(op, left(ctx), right(ctx))
        if op == "+":
            return lambda ctx: to_number(left(ctx)) + to_number(right(ctx))
        if op == "-":
            return lambda ctx: to_number(left(ctx)) - to_number(right(ctx))
        if op == "*":
            return lambda ctx: to_number(left(ctx)) * to_number(right(ctx))
        if op == "div":
            return lambda ctx: divide(to_number(left(ctx)), to_number(right(ctx)))
        if op == "mod":
            return lambda ctx: modulo(to_number(left(ctx)), to_number(right(ctx)))
        if op == "|":
            source = self.source

            def union(ctx: Context) -> Value:
                a, b = left(ctx), right(ctx)
                if not isinstance(a, list) or not isinstance(b, list):
                    raise XPathEvalError(f"'|' needs node-sets on both sides in {source!r}")
                return document_order(a + b)

            return union
        raise self.error(f"unknown operator {op!r}", node.pos)

    def chain(self, node: ast.Binary, group: str) -> Compiled:
        """`a + b - c + …` (left-deep, one precedence level) as one loop.

        Forms add up hundreds of scores; compiling and evaluating such a tree
        recursively would exceed Python's recursion limit.
        """
        spine: list[tuple[str, ast.Expr]] = []
        current: ast.Expr = node
        while isinstance(current, ast.Binary) and _CHAINS.get(current.op) == group:
            spine.append((current.op, current.right))
            current = current.left
        spine.reverse()
        first = self.compile(current)
        if group == "and":
            terms = [first, *(self.compile(right) for _, right in spine)]
            return lambda ctx: all(to_boolean(term(ctx)) for term in terms)
        if group == "or":
            terms = [first, *(self.compile(right) for _, right in spine)]
            return lambda ctx: any(to_boolean(term(ctx)) for term in terms)
        rest = [(_ARITHMETIC[op], self.compile(right)) for op, right in spine]

        def chained(ctx: Context) -> Value:
            total = to_number(first(ctx))
            for apply, term in rest:
                total = apply(total, to_number(term(ctx)))
            return total

        return chained

    # -- functions -----------------------------------------------------------------
    def c_Call(self, node: ast.Call) -> Compiled:
        function = lookup(node.name)
        if function is None:
            raise self.error(f"unknown function {node.name}()", node.pos)
        count = len(node.args)
        if count < function.min_args or (
            function.max_args is not None and count > function.max_args
        ):
            raise self.error(
                f"{node.name}() takes {function.arity_text()} argument"
                f"{'' if function.arity_text() == '1' else 's'}, not {count}",
                node.pos,
            )
        args = [self.compile(arg) for arg in node.args]
        impl = function.impl
        if function.lazy:
            return lambda ctx: impl(ctx, *args)
        if count == 0:
            return lambda ctx: impl(ctx)
        if count == 1:
            (only,) = args
            return lambda ctx: impl(ctx, only(ctx))
        if count == 2:
            first, second = args
            return lambda ctx: impl(ctx, first(ctx), second(ctx))
        return lambda ctx: impl(ctx, *[arg(ctx) for arg in args])

    # -- paths ---------------------------------------------------------------------
    def c_Filter(self, node: ast.Filter) -> Compiled:
        base = self.compile(node.base)
        predicates = [self.compile(p) for p in node.predicates]
        source = self.source

        def filtered(ctx: Context) -> Value:
            nodes = base(ctx)
            if not isinstance(nodes, list):
                raise XPathEvalError(f"a predicate needs a node-set in {source!r}")
            for predicate in predicates:
                nodes = apply_predicate(ctx, nodes, predicate)
            return nodes

        return filtered

    def c_Path(self, node: ast.Path) -> Compiled:
        if (
            node.absolute
            and node.base is None
            and self.binder is not None
            and all(s.axis == "child" and not s.predicates and s.test != "*" for s in node.steps)
            and node.steps
        ):
            fast = self.binder.absolute(tuple(s.test for s in node.steps))
            if fast is not None:
                return fast
        steps = [
            (step.axis, step.test, [self.compile(p) for p in step.predicates])
            for step in node.steps
        ]
        base = self.compile(node.base) if node.base is not None else None
        absolute = node.absolute
        source = self.source

        def path(ctx: Context) -> Value:
            if base is not None:
                start = base(ctx)
                if not isinstance(start, list):
                    raise XPathEvalError(f"a path must start from a node-set in {source!r}")
                nodes: list[Node] = start
            elif absolute:
                nodes = [_DOCUMENT]
            else:
                nodes = [ctx.node]
            for axis, test, predicates in steps:
                nodes = apply_step(ctx, nodes, axis, test, predicates)
            return nodes

        return path


# A stand-in for the document node above the primary instance's root element.
_DOCUMENT = Node("#document")


def divide(a: float, b: float) -> float:
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def modulo(a: float, b: float) -> float:
    if b == 0 or math.isinf(a) or math.isnan(a) or math.isnan(b):
        return math.nan
    return math.fmod(a, b)


_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "div": divide,
    "mod": modulo,
}
# Operators that chain left to right at one precedence level (see Compiler.chain).
_CHAINS = {
    "+": "additive",
    "-": "additive",
    "*": "multiplicative",
    "div": "multiplicative",
    "mod": "multiplicative",
    "and": "and",
    "or": "or",
}


def _matches(node: Node, test: str) -> bool:
    return test in ("node()", "*") or node.name == test or (":" in test and test.endswith(":*"))


def _axis(ctx: Context, node: Node, axis: str, test: str) -> list[Node]:
    if node is _DOCUMENT:
        root = ctx.env.root
        if axis == "child":
            return [root] if _matches(root, test) else []
        if axis in ("descendant", "descendant-or-self"):
            return [n for n in root.iter() if _matches(n, test)]
        return [] if axis != "self" else [node]
    if axis == "child":
        if test in ("node()", "*"):
            return list(node.children)
        if test == "text()":
            return [node] if not node.children else []
        return list(node.by_name.get(test, ()))
    if axis == "self":
        return [node] if _matches(node, test) else []
    if axis == "parent":
        parent = node.parent
        if parent is None:
            return [_DOCUMENT] if node is ctx.env.root and test == "node()" else []
        return [parent] if _matches(parent, test) else []
    if axis == "attribute":
        return [
            Node(name, parent=node, value=value)
            for name, value in node.attrs.items()
            if test in ("*", "node()") or name == test
        ]
    if axis == "descendant-or-self":
        return [n for n in node.iter() if _matches(n, test)]
    if axis == "descendant":
        return [n for n in node.iter()[1:] if _matches(n, test)]
    if axis in ("ancestor", "ancestor-or-self"):
        out: list[Node] = []
        current: Node | None = node if axis == "ancestor-or-self" else node.parent
        while current is not None:
            if _matches(current, test):
                out.append(current)
            current = current.parent
        return out  # reverse axis: nearest first, as positions count
    if axis in ("following-sibling", "preceding-sibling"):
        if node.parent is None:
            return []
        siblings = node.parent.children
        index = siblings.index(node)
        chosen = siblings[index + 1 :] if axis == "following-sibling" else siblings[:index][::-1]
        return [n for n in chosen if _matches(n, test)]
    raise XPathEvalError(f"the {axis} axis is not supported")


def apply_predicate(ctx: Context, nodes: list[Node], predicate: Compiled) -> list[Node]:
    size = len(nodes)
    kept: list[Node] = []
    for index, candidate in enumerate(nodes, start=1):
        result = predicate(ctx.at(candidate, index, size))
        if isinstance(result, float) and not isinstance(result, bool):
            if result == index:
                kept.append(candidate)
        elif to_boolean(result):
            kept.append(candidate)
    return kept


def apply_step(
    ctx: Context, nodes: list[Node], axis: str, test: str, predicates: list[Compiled]
) -> list[Node]:
    out: list[Node] = []
    seen: set[int] = set()
    for node in nodes:
        found = _axis(ctx, node, axis, test)
        for predicate in predicates:
            found = apply_predicate(ctx, found, predicate)
        for item in found:
            if id(item) not in seen:
                seen.add(id(item))
                out.append(item)
    if len(nodes) > 1 and axis not in ("child", "attribute"):
        return document_order(out)
    return out


def _order_key(node: Node) -> tuple[int, ...]:
    key: list[int] = []
    current = node
    while current.parent is not None:
        key.append(current.parent.children.index(current))
        current = current.parent
    return tuple(reversed(key))


def document_order(nodes: list[Node]) -> list[Node]:
    unique = list({id(n): n for n in nodes}.values())
    return sorted(unique, key=_order_key)


def compile_expression(tree: ast.Expr, source: str, binder: Binder | None = None) -> Compiled:
    """Compile `tree` (parsed from `source`). Raises `XPathStaticError` for unknown
    functions, wrong argument counts and unknown fields."""
    return Compiler(source, binder).compile(tree)
