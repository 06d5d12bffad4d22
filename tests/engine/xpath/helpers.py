"""Evaluate an expression against a small instance tree, for the XPath tests.

    root = build({"age": ("34", "int"), "hh": [{"name": "Noy"}, {"name": "Kham"}]})
    evaluate("count(/data/hh)", root)            # 2.0
    evaluate("${name}", root, context="/data/hh[2]/name")  # the node in the 2nd instance

A leaf is a string (a `string` field) or a `(value, data_type)` pair; a dict
is a group; a list of dicts is a repeat (one element per instance). `${name}`
is resolved by a tiny binder: the nodes of that name that share the deepest
ancestor with the current node, the way a form resolves a reference inside a
repeat instance. The environment's clock, random generator and uuid are fixed
unless given.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from app.engine.instance import Node
from app.engine.xpath import ast
from app.engine.xpath.compiler import compile_expression
from app.engine.xpath.parser import parse
from app.engine.xpath.registry import Context, Environment
from app.engine.xpath.values import Value, to_string

# Friday 2024-03-01 09:05:30.250 in Vientiane.
FIXED_NOW = datetime(2024, 3, 1, 9, 5, 30, 250000, tzinfo=timezone(timedelta(hours=7)))


def build(spec: dict[str, Any], name: str = "data") -> Node:
    """A primary instance tree from nested dicts (see the module docstring)."""
    root = Node(name)
    _fill(root, spec)
    return root


def _fill(parent: Node, spec: dict[str, Any]) -> None:
    for key, value in spec.items():
        if isinstance(value, dict):
            _fill(parent.append(Node(key)), value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    _fill(parent.append(Node(key)), item)
                else:
                    parent.append(_leaf(key, item))
        else:
            parent.append(_leaf(key, value))


def _leaf(name: str, value: str | tuple[str, str]) -> Node:
    if isinstance(value, tuple):
        text, data_type = value
        return Node(name, value=text, data_type=data_type)
    return Node(name, value=value)


def _shared_depth(node: Node, other: Node) -> int:
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


class NameBinder:
    """Resolves `${name}` by name, preferring the current repeat instance."""

    def __init__(self, root: Node) -> None:
        self.root = root

    def ref(self, name: str, pos: int) -> Callable[[Context], Value]:
        def resolve(ctx: Context) -> Value:
            found = [node for node in ctx.env.root.iter() if node.name == name]
            if len(found) <= 1:
                return found
            best = max(_shared_depth(node, ctx.current) for node in found)
            return [node for node in found if _shared_depth(node, ctx.current) == best]

        return resolve

    def absolute(self, names: tuple[str, ...]) -> Callable[[Context], Value] | None:
        return None


def make_env(root: Node | None = None, **overrides: Any) -> Environment:
    """An environment with a fixed clock, a seeded generator and a fixed uuid."""
    settings: dict[str, Any] = {
        "now": lambda: FIXED_NOW,
        "rng": random.Random(1234),
        "uuid": lambda: "6f1c2b8e-8a59-4b8e-9d6e-2f0c1a7e5b3d",
    }
    settings.update(overrides)
    return Environment(root if root is not None else build({}), **settings)


def find(root: Node, path: str) -> Node:
    """The single node at an absolute path such as '/data/hh[2]/name'."""
    found = compile_expression(parse(path), path)(Context(root, make_env(root)))
    assert isinstance(found, list) and len(found) == 1, f"{path} matched {found!r}"
    node: Node = found[0]
    return node


def evaluate(
    expression: str,
    root: Node | None = None,
    *,
    context: str | Node | None = None,
    env: Environment | None = None,
    **env_overrides: Any,
) -> Value:
    """Parse, compile and evaluate `expression`; the context node defaults to the root."""
    if env is None:
        env = make_env(root, **env_overrides)
    tree_root = env.root
    if isinstance(context, str):
        node = find(tree_root, context)
    else:
        node = context if context is not None else tree_root
    compiled = compile_expression(parse(expression), expression, NameBinder(tree_root))
    return compiled(Context(node, env))


def evaluate_string(expression: str, root: Node | None = None, **kwargs: Any) -> str:
    """`evaluate` followed by XPath string conversion (how a calculate is stored)."""
    return to_string(evaluate(expression, root, **kwargs))


def shape(node: object) -> object:
    """An expression tree as nested tuples without source positions, to compare shapes."""
    if isinstance(node, ast.Literal | ast.Number):
        return (type(node).__name__, node.value)
    if isinstance(node, ast.Ref):
        return ("Ref", node.name)
    if isinstance(node, ast.Binary):
        return (node.op, shape(node.left), shape(node.right))
    if isinstance(node, ast.Negate):
        return ("neg", shape(node.operand))
    if isinstance(node, ast.Call):
        return ("call", node.name, tuple(shape(arg) for arg in node.args))
    if isinstance(node, ast.Filter):
        return ("filter", shape(node.base), tuple(shape(p) for p in node.predicates))
    if isinstance(node, ast.Path):
        steps = tuple(
            (step.axis, step.test, tuple(shape(p) for p in step.predicates)) for step in node.steps
        )
        base = shape(node.base) if node.base is not None else None
        return ("path", node.absolute, steps, base)
    raise AssertionError(f"not an expression: {node!r}")
