"""The dependency graph of a form: (field, property) vertices, sorted once at load.

An edge ``u → v`` means "v's expression reads what u computes". Edges are
*scoped* when the reader sees only the writer's value in its own repeat
instance (so a change in instance 3 only recomputes instance 3), and
unscoped when the reader sees the writer across all instances (count, sum,
a field outside the repeat).

This follows JavaRosa's design (a DAG of triggerables sorted at load); a
cycle is a load error that names the fields involved.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

# Properties a vertex can stand for.
VALUE = "value"  # the field's value (a source when answered, computed when calculated)
RELEVANT = "relevant"  # effective relevance (own expression and every ancestor's)
REQUIRED = "required"
READONLY = "readonly"
CONSTRAINT = "constraint"
CHOICES = "choices"  # the choice list after choice_filter
REPEAT_COUNT = "repeat_count"
LABEL = "label"  # a label or hint that contains ${…}
INSTANCES = "instances"  # the set of instances of a repeat (structure)


@dataclass(eq=False)
class Vertex:
    field: Any  # app.engine.compiled.FieldDef
    prop: str
    order: int = -1  # position in topological order, set by `Graph.sort`
    out: list[tuple[Vertex, bool]] = field(default_factory=list)  # (reader, scoped)
    into: list[Vertex] = field(default_factory=list)
    # (reader, depth): recompute the reader below the changed node's ancestor at
    # `depth`, or everywhere when depth is -1. Filled in after sorting.
    fanout: list[tuple[Vertex, int]] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"{self.field.name}.{self.prop}"

    def __lt__(self, other: Vertex) -> bool:
        return self.order < other.order


class CycleError(Exception):
    """Raised by `Graph.sort` with the vertices of one cycle, in order."""

    def __init__(self, cycle: list[Vertex]) -> None:
        self.cycle = cycle
        super().__init__(" → ".join(repr(v) for v in cycle))


class Graph:
    def __init__(self) -> None:
        self.vertices: list[Vertex] = []
        self._edges: set[tuple[int, int]] = set()
        self._closure_cache: dict[int, list[Vertex]] = {}

    def add(self, owner: Any, prop: str) -> Vertex:
        vertex = Vertex(owner, prop)
        vertex.order = len(self.vertices)  # provisional (creation order = form order)
        self.vertices.append(vertex)
        return vertex

    def edge(self, source: Vertex, target: Vertex, scoped: bool) -> None:
        key = (id(source), id(target))
        if key in self._edges:
            # An unscoped edge wins over a scoped one between the same vertices.
            if not scoped:
                source.out = [(t, s and t is not target) for t, s in source.out]
            return
        self._edges.add(key)
        source.out.append((target, scoped))
        target.into.append(source)

    def sort(self) -> None:
        """Order vertices so every vertex comes after all it reads; keep form order on ties."""
        indegree = {id(v): len(v.into) for v in self.vertices}
        # (creation order, vertex): creation follows the form, so ties keep form order.
        ready = [(v.order, v) for v in self.vertices if indegree[id(v)] == 0]
        heapq.heapify(ready)
        ordered: list[Vertex] = []
        while ready:
            _order, vertex = heapq.heappop(ready)
            ordered.append(vertex)
            for target, _scoped in vertex.out:
                indegree[id(target)] -= 1
                if indegree[id(target)] == 0:
                    heapq.heappush(ready, (target.order, target))
        if len(ordered) != len(self.vertices):
            remaining = [v for v in self.vertices if indegree[id(v)] > 0]
            raise CycleError(_find_cycle(remaining))
        for index, vertex in enumerate(ordered):
            vertex.order = index
        self.vertices = ordered
        self._closure_cache.clear()

    def closure(self, source: Vertex) -> list[Vertex]:
        """Every vertex reachable from `source` (excluding it), in topological order."""
        cached = self._closure_cache.get(id(source))
        if cached is not None:
            return cached
        seen: set[int] = set()
        stack = [t for t, _ in source.out]
        found: list[Vertex] = []
        while stack:
            vertex = stack.pop()
            if id(vertex) in seen:
                continue
            seen.add(id(vertex))
            found.append(vertex)
            stack.extend(t for t, _ in vertex.out)
        found.sort()
        self._closure_cache[id(source)] = found
        return found


def _find_cycle(candidates: list[Vertex]) -> list[Vertex]:
    """One cycle among vertices that Kahn's algorithm could not order.

    Every such vertex still has an unordered predecessor, so walking
    predecessors must revisit a vertex; the loop found is reported in reading
    order (each vertex reads the one before it).
    """
    pending = {id(v) for v in candidates}
    path: list[Vertex] = []
    index_in_path: dict[int, int] = {}
    vertex = candidates[0]
    while id(vertex) not in index_in_path:
        index_in_path[id(vertex)] = len(path)
        path.append(vertex)
        vertex = next(s for s in vertex.into if id(s) in pending)
    loop = path[index_in_path[id(vertex)] :]
    loop.reverse()
    return [*loop, loop[0]]
