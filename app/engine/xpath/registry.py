"""The function table and the evaluation context every compiled expression receives.

A function is registered once with its arity; the loader checks names and
argument counts against this table, and the compiler calls the implementation.

- Plain functions get already-evaluated arguments: ``impl(ctx, *values)``.
- Lazy functions (`if`, `once`, `coalesce`, …) get the compiled argument
  closures and decide what to evaluate: ``impl(ctx, *thunks)``, where each
  thunk is ``Callable[[Context], Value]``.
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.engine.instance import Node

Value = Any
Impl = Callable[..., Value]


@dataclass
class Environment:
    """What expressions may read besides the instance: clock, ids, choices, language."""

    root: Node
    secondary: dict[str, Node] = field(default_factory=dict)
    # Label of a choice: (list name, choice name, language) → text. Set by the session.
    choice_label: Callable[[str, str, str | None], str] | None = None
    # Choice list of a select field node (for jr:choice-name, selected-at labels).
    choice_list_of: Callable[[Node], str | None] | None = None
    language: str | None = None
    now: Callable[[], datetime] = datetime.now
    uuid: Callable[[], str] | None = None
    rng: _random.Random = field(default_factory=_random.Random)
    # Per-node memory for once(): node path → value already computed.
    once_values: dict[int, Value] = field(default_factory=dict)
    # Device properties for `property()` and metadata (deviceid, username, …).
    properties: dict[str, str] = field(default_factory=dict)


class Context:
    """The evaluation context: context node, position/size, `current()` and the environment."""

    __slots__ = ("current", "env", "node", "position", "size")

    def __init__(
        self,
        node: Node,
        env: Environment,
        current: Node | None = None,
        position: int = 1,
        size: int = 1,
    ) -> None:
        self.node = node
        self.env = env
        self.current = current if current is not None else node
        self.position = position
        self.size = size

    def at(self, node: Node, position: int = 1, size: int = 1) -> Context:
        """A context for evaluating a predicate or step at another node."""
        return Context(node, self.env, self.current, position, size)


@dataclass(frozen=True)
class Function:
    name: str
    impl: Impl
    min_args: int
    max_args: int | None  # None: any number
    lazy: bool = False
    # Reads the whole node-set of a repeat (count, sum, position…): the graph
    # recomputes it for every instance when any instance changes.
    reads_repeat: bool = False
    # Gives a different value on each call (now, random, uuid): never cached.
    volatile: bool = False

    def arity_text(self) -> str:
        if self.max_args is None:
            return f"at least {self.min_args}"
        if self.min_args == self.max_args:
            return str(self.min_args)
        return f"{self.min_args} to {self.max_args}"


FUNCTIONS: dict[str, Function] = {}


def function(
    name: str,
    min_args: int = 0,
    max_args: int | None = -1,
    *,
    lazy: bool = False,
    reads_repeat: bool = False,
    volatile: bool = False,
    aliases: tuple[str, ...] = (),
) -> Callable[[Impl], Impl]:
    """Register `impl` under `name` (and `aliases`). `max_args=-1` means exactly `min_args`."""

    def register(impl: Impl) -> Impl:
        upper = min_args if max_args == -1 else max_args
        for key in (name, *aliases):
            FUNCTIONS[key] = Function(key, impl, min_args, upper, lazy, reads_repeat, volatile)
        return impl

    return register


def lookup(name: str) -> Function | None:
    """A registered function, loading the library on first use."""
    if not FUNCTIONS:
        import app.engine.xpath.functions  # noqa: F401  (registers everything)
    return FUNCTIONS.get(name)
