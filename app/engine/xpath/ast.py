"""Expression tree produced by the parser. Immutable and picklable."""

from __future__ import annotations

from dataclasses import dataclass


class Expr:
    """Base class of every expression node; `pos` is the 0-based source offset."""

    __slots__ = ()
    pos: int


@dataclass(frozen=True, slots=True)
class Literal(Expr):
    pos: int
    value: str


@dataclass(frozen=True, slots=True)
class Number(Expr):
    pos: int
    value: float


@dataclass(frozen=True, slots=True)
class Ref(Expr):
    """ODK's ``${name}``: a field looked up by name, resolved at compile time."""

    pos: int
    name: str


@dataclass(frozen=True, slots=True)
class Step:
    pos: int
    axis: str  # "child", "parent", "self", "attribute", "descendant-or-self", …
    test: str  # a name, "*", "node()" or "text()"
    predicates: tuple[Expr, ...] = ()


@dataclass(frozen=True, slots=True)
class Path(Expr):
    """A location path; `base` is a filter expression it starts from (e.g. `instance('x')`)."""

    pos: int
    absolute: bool
    steps: tuple[Step, ...]
    base: Expr | None = None


@dataclass(frozen=True, slots=True)
class Filter(Expr):
    """``primary[predicate]…`` where primary is not a path step."""

    pos: int
    base: Expr
    predicates: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Binary(Expr):
    pos: int
    op: str  # or and = != < <= > >= + - * div mod |
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Negate(Expr):
    pos: int
    operand: Expr


@dataclass(frozen=True, slots=True)
class Call(Expr):
    pos: int
    name: str
    args: tuple[Expr, ...]


def walk(node: Expr) -> list[Expr]:
    """Every expression node in `node`, including those inside predicates, pre-order."""
    out: list[Expr] = []
    stack: list[Expr] = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        if isinstance(current, Binary):
            stack.extend((current.right, current.left))
        elif isinstance(current, Negate):
            stack.append(current.operand)
        elif isinstance(current, Call):
            stack.extend(reversed(current.args))
        elif isinstance(current, Filter):
            stack.extend(reversed(current.predicates))
            stack.append(current.base)
        elif isinstance(current, Path):
            for step in reversed(current.steps):
                stack.extend(reversed(step.predicates))
            if current.base is not None:
                stack.append(current.base)
    return out
