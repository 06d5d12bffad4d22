"""Check many snapshots of one form in a row, on one instance tree built once.

Importing bundles checks tens of thousands of documents against a handful of
forms. A fresh session per document spends a third of its time creating the
same nodes again; a `SnapshotChecker` builds the form's tree once and, per
snapshot, writes the values into it, rebuilds only the repeat instances, and
evaluates as `FormSession.check_snapshot` does. Its verdicts are exactly
those of `check_snapshot` (tests compare both on sequences of snapshots).

A checker is not thread-safe: use one per thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from app.engine.compiled import FIELD, GROUP, REPEAT, CompiledForm, FieldDef
from app.engine.instance import Node
from app.engine.model import NON_INPUT_KINDS, Kind
from app.engine.session import NOT_NEEDED_TO_VALIDATE, Changes, FormSession, Problem


class SnapshotChecker:
    """`FormSession.check_snapshot` for one form, many times, reusing its tree."""

    def __init__(self, form: CompiledForm) -> None:
        self.form = form
        self._session = FormSession(form, _restore={}, _skip=NOT_NEEDED_TO_VALIDATE)
        # The one node of every definition outside repeats, and the definitions
        # whose nodes are made anew for every snapshot (repeats and what they hold).
        self._static: dict[int, Node] = {}
        for node in self._session.root.iter():
            self._static[id(node.definition)] = node
        self._fresh: list[int] = []
        self._with_repeats: set[int] = set()
        stack: list[tuple[FieldDef, bool]] = [(form.root, False)]
        while stack:
            definition, inside = stack.pop()
            if inside:
                self._fresh.append(id(definition))
            if any(child.role == REPEAT for child in definition.children):
                self._with_repeats.add(id(definition))
            for child in definition.children:
                stack.append((child, inside or child.role == REPEAT))
        self._index = {key: [node] for key, node in self._static.items()}
        # The fields that can have a problem, in document order.
        self._checked = [
            definition
            for definition in _fields(form.root)
            if definition.constraint is not None
            or (
                definition.required is not None
                and definition.question is not None
                and definition.question.kind not in NON_INPUT_KINDS - {Kind.NOTE}
            )
        ]

    def problems(
        self, snapshot: dict[str, Any], *, instance_id: str | None = None
    ) -> list[Problem]:
        """What `FormSession.check_snapshot(form, snapshot)` would report."""
        session = self._session
        session.errors = {}
        session._changes = Changes()
        session._instance_id = instance_id
        index = dict(self._index)
        for key in self._fresh:
            index[key] = []
        self._fill(session.root, self.form.root, snapshot, index)
        session._evaluate_everything(NOT_NEEDED_TO_VALIDATE, index)
        if session._changes.structure:  # a repeat_count changed the tree: walk all of it
            return session._lazy_problems()
        found = session._lazy_problems(
            node for definition in self._checked for node in index[id(definition)]
        )
        if session.errors:  # an expression failed: reported wherever it was
            return session._lazy_problems()
        if len(found) > 1:  # by field, then instance: put back in document order
            order = {id(node): n for n, node in enumerate(session.root.iter())}
            found.sort(key=lambda problem: order[id(problem.node)])
        return found

    def _fill(
        self,
        node: Node,
        definition: FieldDef,
        saved: dict[str, Any],
        index: dict[int, list[Node]],
    ) -> None:
        static = self._static
        children: list[Node] | None = [] if id(definition) in self._with_repeats else None
        for child in definition.children:
            name = child.name
            if child.role == REPEAT:
                assert children is not None
                instances = self._session._restore_instances(node, child, saved.get(name), index)
                children.extend(instances)
                node.by_name[name] = instances
                continue
            mine = static[id(child)]
            if children is not None:
                children.append(mine)
            if child.role == GROUP:
                group = saved.get(name)
                self._fill(mine, child, group if isinstance(group, dict) else {}, index)
            else:
                value = saved.get(name)
                mine.value = value if isinstance(value, str) else ""
        if children is not None:
            node.children = children


def _fields(definition: FieldDef) -> Iterator[FieldDef]:
    """The fields under `definition`, in document order."""
    for child in definition.children:
        if child.role == FIELD:
            yield child
        else:
            yield from _fields(child)
