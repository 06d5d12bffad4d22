"""FormSession: one filling of a form, in pure Python.

It owns the instance tree, applies answers, keeps relevance, calculations,
required / read-only / constraint state and filtered choices up to date, and
reports exactly which nodes changed so a UI can redraw only those.

Evaluation follows JavaRosa: at start every vertex of the form's sorted
dependency graph is evaluated once; after an answer changes only the
vertices reachable from it are recomputed, in topological order, and only
inside the repeat instance the change can reach (scoped edges). Readers of a
whole repeat (count, sum, position…) are recomputed across instances.
"""

from __future__ import annotations

import heapq
import logging
import re
import uuid as uuid_module
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.core.errors import AnswerError, XPathError
from app.core.i18n import _
from app.engine import graph as g
from app.engine.answers import calculated_storage, to_storage
from app.engine.compiled import EXTERNAL_PREFIX, FIELD, GROUP, REPEAT, CompiledForm, FieldDef
from app.engine.instance import Node
from app.engine.model import NON_INPUT_KINDS, ChoiceList, Group, Kind, Question, Repeat
from app.engine.xpath.functions._common import java_long
from app.engine.xpath.functions.selects import ParkMiller, shuffle
from app.engine.xpath.registry import Context, Environment
from app.engine.xpath.values import (
    date_value,
    datetime_value,
    to_boolean,
    to_number,
    to_string,
)

log = logging.getLogger(__name__)

MAX_REPEAT_COUNT = 5000  # a runaway repeat_count must not exhaust memory
_LABEL_REF = re.compile(r"\$\{([^}]+)\}")


@dataclass
class Changes:
    """Nodes whose state changed during one operation (for the UI to redraw)."""

    values: set[Node] = field(default_factory=set)
    relevance: set[Node] = field(default_factory=set)
    required: set[Node] = field(default_factory=set)
    readonly: set[Node] = field(default_factory=set)
    validity: set[Node] = field(default_factory=set)
    choices: set[Node] = field(default_factory=set)
    labels: set[Node] = field(default_factory=set)
    structure: set[Node] = field(default_factory=set)  # containers whose repeat instances changed
    # Instances a repeat_count took away while answering (kept aside: see `set_value`).
    dropped: dict[Node, list[Node]] = field(default_factory=dict)  # container → instances

    def any(self) -> bool:
        return any(
            (
                self.values,
                self.relevance,
                self.required,
                self.readonly,
                self.validity,
                self.choices,
                self.labels,
                self.structure,
            )
        )


@dataclass(frozen=True)
class Problem:
    """A reason the submission cannot be finalised yet."""

    node: Node
    ref: str  # e.g. "grp/systems[2]/name"
    kind: str  # "required", "constraint" or "error"
    message: str


@dataclass(frozen=True)
class Page:
    """What one screen shows: a field-list group's questions, or one question."""

    nodes: tuple[Node, ...]
    group: Node | None = None

    @property
    def first(self) -> Node:
        return self.nodes[0]


def _lca(a: Node, b: Node) -> Node:
    while a.depth > b.depth and a.parent is not None:
        a = a.parent
    while b.depth > a.depth and b.parent is not None:
        b = b.parent
    while a is not b and a.parent is not None and b.parent is not None:
        a = a.parent
        b = b.parent
    return a


class FormSession:
    """One instance of a form being filled."""

    def __init__(
        self,
        form: CompiledForm,
        *,
        language: str | None = None,
        now: Callable[[], datetime] | None = None,
        properties: dict[str, str] | None = None,
        seed: int | None = None,
        instance_id: str | None = None,
        _restore: dict[str, Any] | None = None,
        _skip: frozenset[str] = frozenset(),
    ) -> None:
        self.form = form
        self.formdef = form.formdef
        self.language = language or self.formdef.default_language
        self._now = now or (lambda: datetime.now().astimezone())
        self.env = Environment(
            root=Node(self.formdef.root_name),
            now=self._now,
            properties=dict(properties or {}),
        )
        if seed is not None:
            self.env.rng.seed(seed)
        self.env.choice_label = self._choice_label
        self.env.choice_list_of = self._choice_list_of
        self.env.language = self.language
        self._build_secondary()
        self._changes = Changes()
        self.errors: dict[Node, str] = {}  # expression failures, shown at validation
        self.listeners: list[Callable[[Node, str, str], None]] = []  # (node, old, new)
        self._seeds: dict[int, float] = {}  # randomize seeds of questions without one
        self._index: dict[int, list[Node]] | None = None
        # Instances a lowered repeat_count removed while answering, by (container, repeat):
        # raising the count again brings them back with their answers (see `set_value`).
        self._set_aside: dict[tuple[int, str], tuple[Node, list[Node]]] = {}
        self._answering = False
        self.root = self.env.root
        self.root.definition = form.root
        self._instance_id = instance_id
        # Every node of each definition, in document order, gathered while the tree
        # is built: the first sweep's vertices all have the whole form as scope.
        index: dict[int, list[Node]] = {id(form.root): [self.root]}
        if _restore is None:
            self._build_children(self.root, form.root, index=index)
        else:
            self._restore_children(self.root, form.root, _restore, index)
        if _restore is None:
            self._apply_creation_values(self.root)
        self._evaluate_everything(_skip, index)
        self._changes = Changes()

    # -- construction --------------------------------------------------------------
    def _build_secondary(self) -> None:
        """Choice lists as `instance('list')/root/item` (shared, read-only, per language)."""
        self.env.secondary = self.form.secondary_instances(self.language)

    def _new_node(self, definition: FieldDef, parent: Node) -> Node:
        node = Node(definition.name, parent, "", definition, definition.data_type)
        parent.append(node)
        node.relevant = parent.relevant
        question = definition.question
        if question is not None and question.default is not None:
            node.value = question.default
        return node

    def _build_children(
        self,
        node: Node,
        definition: FieldDef,
        restore: dict[str, Any] | None = None,
        index: dict[int, list[Node]] | None = None,
    ) -> None:
        """Create `definition`'s children under `node` (from `restore`, a snapshot part).

        With `index`, also file every new node under its definition, in document order.
        """
        for child in definition.children:
            if child.role == REPEAT:
                saved = restore.get(child.name) if restore is not None else None
                if restore is not None:
                    count = len(saved) if isinstance(saved, list) else 0
                else:
                    count = 0 if child.repeat_count is not None else 1
                for position in range(count):
                    instance = self._new_node(child, node)
                    if index is not None:
                        index.setdefault(id(child), []).append(instance)
                    item = saved[position] if isinstance(saved, list) else None
                    self._build_children(
                        instance, child, item if isinstance(item, dict) else {}, index
                    )
            else:
                created = self._new_node(child, node)
                if index is not None:
                    index.setdefault(id(child), []).append(created)
                if child.role == GROUP:
                    saved_group = restore.get(child.name) if restore is not None else None
                    self._build_children(
                        created,
                        child,
                        saved_group
                        if isinstance(saved_group, dict)
                        else ({} if restore is not None else None),
                        index,
                    )
                elif restore is not None:
                    saved_value = restore.get(child.name)
                    created.value = saved_value if isinstance(saved_value, str) else ""

    def _restore_children(
        self,
        node: Node,
        definition: FieldDef,
        saved: dict[str, Any],
        index: dict[int, list[Node]],
    ) -> None:
        """`_build_children` from a snapshot part, on the path every restore and every
        imported document takes: every node starts relevant, and stored values
        replace defaults."""
        children = node.children
        by_name = node.by_name
        for child in definition.children:
            name = child.name
            role = child.role
            if role == REPEAT:
                instances = self._restore_instances(node, child, saved.get(name), index)
                children.extend(instances)
                by_name.setdefault(name, []).extend(instances)
                continue
            created = Node(name, node, "", child, child.data_type)
            children.append(created)
            by_name.setdefault(name, []).append(created)
            index.setdefault(id(child), []).append(created)
            if role == GROUP:
                group = saved.get(name)
                self._restore_children(
                    created, child, group if isinstance(group, dict) else {}, index
                )
            else:
                value = saved.get(name)
                if isinstance(value, str):
                    created.value = value

    def _restore_instances(
        self, container: Node, definition: FieldDef, items: Any, index: dict[int, list[Node]]
    ) -> list[Node]:
        """The instances of repeat `definition` in a snapshot's list `items`, built and
        filed in `index`; the caller links them into `container`'s children."""
        filed = index.setdefault(id(definition), [])
        instances: list[Node] = []
        for item in items if isinstance(items, list) else ():
            instance = Node(definition.name, container, "", definition, definition.data_type)
            instances.append(instance)
            filed.append(instance)
            self._restore_children(
                instance, definition, item if isinstance(item, dict) else {}, index
            )
        return instances

    def _apply_creation_values(self, top: Node) -> None:
        """Preloads (instanceID, start, today, device properties) and dynamic defaults."""
        for node in top.iter():
            definition: FieldDef | None = node.definition
            question = definition.question if definition is not None else None
            if question is None:
                continue
            if question.preload is not None:
                node.value = self._preload(question, node.value)
            if definition is not None and definition.default is not None and node.value == "":
                node.value = self._safe_calculated(definition, node, definition.default)

    def _preload(self, question: Question, current: str) -> str:
        kind, params = question.preload or ("", "")
        if kind == "uid":
            return self._instance_id or current or f"uuid:{uuid_module.uuid4()}"
        if kind == "timestamp" and params == "start":
            return str(datetime_value(self._now()))
        if kind == "date" and params == "today":
            return str(date_value(self._now().date()))
        if kind == "property":
            return self.env.properties.get(params, current)
        return current

    # -- evaluation ----------------------------------------------------------------
    def _evaluate_everything(
        self, skip: frozenset[str] = frozenset(), index: dict[int, list[Node]] | None = None
    ) -> None:
        """Evaluate every vertex once, in order (properties in `skip` are left alone).

        `index` holds every node by definition (see `_instances`); a repeat_count
        that changes the structure drops it (`_apply_repeat_count`).
        """
        if index is None:
            index = {}
            for node in self.root.iter():
                index.setdefault(id(node.definition), []).append(node)
        self._index = index
        try:
            for vertex in _sweep(self.form, skip):
                self._evaluate(vertex, self.root)
        finally:
            self._index = None

    def _instances(self, definition: FieldDef, scope: Node) -> list[Node]:
        if scope is self.root and self._index is not None:
            return self._index.get(id(definition), [])
        nodes = [scope]
        for name in definition.path[scope.depth + 1 :]:
            if len(nodes) == 1:
                nodes = list(nodes[0].by_name.get(name, ()))
            else:
                nodes = [c for n in nodes for c in n.by_name.get(name, ())]
        return nodes

    def _context(self, node: Node) -> Context:
        return Context(node, self.env)

    def _safe_calculated(self, definition: FieldDef, node: Node, compiled: Any) -> str:
        try:
            return calculated_storage(definition.data_type, compiled(self._context(node)))
        except XPathError as error:
            self._record_error(node, error)
            return ""

    def _record_error(self, node: Node, error: Exception) -> None:
        log.warning("expression failed at %s: %s", node.path_string(), error)
        self.errors[node] = str(error)

    def _safe_bool(self, node: Node, compiled: Any, fallback: bool) -> bool:
        try:
            return to_boolean(compiled(self._context(node)))
        except XPathError as error:
            self._record_error(node, error)
            return fallback

    def _evaluate(self, vertex: g.Vertex, scope: Node) -> Node | None:
        """Recompute `vertex` for every instance under `scope`; return the LCA of changes."""
        definition: FieldDef = vertex.field
        prop = vertex.prop
        changed: Node | None = None
        changes = self._changes
        if prop == g.INSTANCES:
            return scope
        if prop == g.REPEAT_COUNT:
            assert definition.parent is not None
            for container in self._instances(definition.parent, scope):
                if self._apply_repeat_count(definition, container):
                    changed = container if changed is None else _lca(changed, container)
            return changed
        # One loop per property (the property is the same for every node).
        nodes = self._instances(definition, scope)
        if prop == g.RELEVANT:
            expression = definition.relevant
            for node in nodes:
                own = self._safe_bool(node, expression, True) if expression is not None else True
                parent = node.parent
                effective = own and (parent.relevant if parent is not None else True)
                if effective == node.relevant:
                    continue
                node.relevant = effective
                changes.relevance.add(node)
                changed = node if changed is None else _lca(changed, node)
        elif prop == g.VALUE:
            if definition.calculate is None:
                return None
            for node in nodes:
                text = self._safe_calculated(definition, node, definition.calculate)
                if text == node.value:
                    continue
                old = node.value
                node.value = text
                changes.values.add(node)
                self._notify(node, old, text)
                changed = node if changed is None else _lca(changed, node)
        elif prop == g.REQUIRED:
            # `required: yes` is `true()`: nothing to evaluate, nothing that can fail.
            always = _always_true(definition)
            for node in nodes:
                flag = True if always else self._safe_bool(node, definition.required, False)
                if flag == node.required:
                    continue
                node.required = flag
                changes.required.add(node)
                changed = node if changed is None else _lca(changed, node)
        elif prop == g.READONLY:
            for node in nodes:
                flag = self._safe_bool(node, definition.readonly, False)
                if flag == node.readonly:
                    continue
                node.readonly = flag
                changes.readonly.add(node)
                changed = node if changed is None else _lca(changed, node)
        elif prop == g.CONSTRAINT:
            for node in nodes:
                flag = node.value == "" or self._safe_bool(node, definition.constraint, False)
                if flag == node.constraint_ok:
                    continue
                node.constraint_ok = flag
                changes.validity.add(node)
                changed = node if changed is None else _lca(changed, node)
        elif prop == g.CHOICES:
            for node in nodes:
                allowed = self._filter_choices(definition, node)
                if allowed == node.choices:
                    continue
                node.choices = allowed
                changes.choices.add(node)
                changed = node if changed is None else _lca(changed, node)
        elif prop == g.LABEL:
            for node in nodes:
                changes.labels.add(node)
                changed = node if changed is None else _lca(changed, node)
        return changed

    def _filter_choices(self, definition: FieldDef, node: Node) -> tuple[str, ...]:
        question = definition.question
        assert question is not None and definition.choice_filter is not None
        prefix = EXTERNAL_PREFIX if question.external_choices else ""
        instance = self.env.secondary.get(prefix + (question.choice_list or ""))
        if instance is None:
            return ()
        kept: list[str] = []
        items = instance.children[0].children
        size = len(items)
        for position, item in enumerate(items, start=1):
            ctx = Context(item, self.env, current=node, position=position, size=size)
            try:
                keep = to_boolean(definition.choice_filter(ctx))
            except XPathError as error:
                self._record_error(node, error)
                return ()
            if keep:
                name_node = item.child("name")
                kept.append(name_node.value if name_node is not None else "")
        return tuple(kept)

    def _propagate(self, seeds: Iterable[tuple[g.Vertex, Node]]) -> None:
        pending: dict[int, Node] = {}
        heap: list[tuple[int, int, g.Vertex]] = []
        root = self.root

        def fan_out(vertex: g.Vertex, changed: Node) -> None:
            for target, depth in vertex.fanout:
                scope = root if depth < 0 else changed.ancestor_at(depth)
                key = id(target)
                previous = pending.get(key)
                if previous is None:
                    pending[key] = scope
                    heapq.heappush(heap, (target.order, key, target))
                elif previous is not scope:
                    pending[key] = _lca(previous, scope)

        for vertex, node in seeds:
            fan_out(vertex, node)
        while heap:
            _order, key, vertex = heapq.heappop(heap)
            scope = pending.pop(key)
            changed = self._evaluate(vertex, scope)
            if changed is not None:
                fan_out(vertex, changed)

    def _notify(self, node: Node, old: str, new: str) -> None:
        for listener in self.listeners:
            listener(node, old, new)

    # -- repeats -------------------------------------------------------------------
    def _apply_repeat_count(self, definition: FieldDef, container: Node) -> bool:
        assert definition.repeat_count is not None
        try:
            number = to_number(definition.repeat_count(self._context(container)))
        except XPathError as error:
            self._record_error(container, error)
            number = 0.0
        wanted = 0 if number != number or number < 0 else min(int(number), MAX_REPEAT_COUNT)
        instances = container.by_name.get(definition.name, [])
        if len(instances) == wanted:
            return False
        self._index = None  # the structure changes under the sweep's index
        aside = self._aside(container, definition.name)
        while len(container.by_name.get(definition.name, [])) > wanted:
            instance = container.by_name[definition.name][-1]
            container.remove(instance)
            if aside is not None:
                aside.append(instance)
                self._changes.dropped.setdefault(container, []).append(instance)
        while len(container.by_name.get(definition.name, [])) < wanted:
            if aside:
                self._bring_back(definition, container, aside.pop())
            else:
                self._create_instance(definition, container)
        self._changes.structure.add(container)
        return True

    def _aside(self, container: Node, name: str) -> list[Node] | None:
        """The instances of `name` set aside in `container`; None when not answering (a
        restored or checked document keeps nothing aside: its tree is its document)."""
        if not self._answering:
            return None
        key = (id(container), name)
        kept = self._set_aside.get(key)
        if kept is None or kept[0] is not container:  # (an id reused by a new container)
            kept = self._set_aside[key] = (container, [])
        return kept[1]

    def _bring_back(self, definition: FieldDef, container: Node, instance: Node) -> None:
        """Put a set-aside instance back at the end, its answers kept and its
        calculations and relevance worked out again."""
        self._place_instance(definition, container, instance)
        self._evaluate_inside(definition, instance)

    def _create_instance(
        self, definition: FieldDef, container: Node, after: Node | None = None
    ) -> Node:
        node = Node(definition.name, definition=definition)
        self._place_instance(definition, container, node, after)
        self._build_children(node, definition)
        self._apply_creation_values(node)
        self._evaluate_inside(definition, node)
        return node

    def _place_instance(
        self, definition: FieldDef, container: Node, node: Node, after: Node | None = None
    ) -> None:
        """Link an instance into `container`: after `after`, else after the last one."""
        siblings = container.by_name.get(definition.name)
        if after is not None:
            container.insert_after(node, after)
        elif siblings:
            container.insert_after(node, siblings[-1])
        else:
            # Place the first instance where the repeat sits in the form's order.
            container.append(node)
            self._reorder_container(container)
        node.relevant = container.relevant

    def _evaluate_inside(self, definition: FieldDef, node: Node) -> None:
        """Work out an instance's own relevance and calculations (triggered ones wait)."""
        for vertex in definition.inner_vertices:
            if vertex.prop == g.VALUE and _has_trigger(vertex.field):
                continue
            self._evaluate(vertex, node)

    def _reorder_container(self, container: Node) -> None:
        definition: FieldDef = container.definition
        order = {child.name: index for index, child in enumerate(definition.children)}
        container.children.sort(key=lambda n: order.get(n.name, len(order)))

    def _user_repeat(self, container: Node, name: str) -> FieldDef:
        definition: FieldDef = container.definition
        repeat = next((c for c in definition.children if c.name == name and c.role == REPEAT), None)
        if repeat is None:
            raise AnswerError(name, f"no repeat named {name!r} here")
        if repeat.repeat_count is not None:
            raise AnswerError(name, "this repeat's count is set by the form (repeat_count)")
        return repeat

    def add_repeat(self, container: Node, name: str, after: Node | None = None) -> Node:
        """Add an instance of repeat `name` under `container` (after `after`, or last)."""
        definition = self._user_repeat(container, name)
        self._changes = Changes()
        node = self._create_instance(definition, container, after)
        self._changes.structure.add(container)
        self._propagate([(definition.vertices[g.INSTANCES], container)])
        return node

    def remove_repeat(self, instance: Node) -> Changes:
        container = instance.parent
        if container is None:
            raise AnswerError(instance.name, "not a repeat instance")
        definition = self._user_repeat(container, instance.name)
        self._changes = Changes()
        container.remove(instance)
        for node in instance.iter():
            self.errors.pop(node, None)
        self._changes.structure.add(container)
        self._propagate([(definition.vertices[g.INSTANCES], container)])
        return self._changes

    def move_repeat(self, instance: Node, new_index: int) -> Changes:
        """Move an instance to 0-based position `new_index` among its siblings."""
        container = instance.parent
        if container is None:
            raise AnswerError(instance.name, "not a repeat instance")
        definition = self._user_repeat(container, instance.name)
        count = len(container.by_name[instance.name])
        if not 0 <= new_index < count:
            raise AnswerError(instance.name, f"position {new_index + 1} is outside 1…{count}")
        self._changes = Changes()
        container.move(instance, new_index)
        self._changes.structure.add(container)
        self._propagate([(definition.vertices[g.INSTANCES], container)])
        return self._changes

    def repeat_instances(self, container: Node, name: str) -> list[Node]:
        return list(container.by_name.get(name, ()))

    def sets_a_repeat_count(self, node: Node) -> bool:
        """Whether answering `node` can change how many instances a repeat has (its
        value reaches a repeat_count, directly or through calculations)."""
        definition: FieldDef | None = node.definition
        vertex = definition.vertices.get(g.VALUE) if definition is not None else None
        seen: set[int] = set()
        stack = [vertex] if vertex is not None else []
        while stack:
            current = stack.pop()
            if current.prop == g.REPEAT_COUNT:
                return True
            for reader, _scoped in current.out:
                if id(reader) not in seen:
                    seen.add(id(reader))
                    stack.append(reader)
        return False

    # -- answers -------------------------------------------------------------------
    def node(self, ref: str) -> Node:
        """Find a node by `name` (outside repeats), or by path `grp/rep[2]/q` below the root."""
        ref = ref.strip()
        if ref.startswith("/"):
            parts = ref.strip("/").split("/")
            if parts and parts[0] == self.root.name:
                parts = parts[1:]
        elif "/" not in ref and "[" not in ref:
            definition = self.form.by_name.get(ref)
            if not definition:
                raise AnswerError(ref, "no such field in this form")
            if len(definition) > 1:
                raise AnswerError(ref, "several fields have this name; give its path")
            parts = list(definition[0].path[1:])
        else:
            parts = ref.split("/")
        node = self.root
        for part in parts:
            match = re.fullmatch(r"(.+?)(?:\[(\d+)\])?", part)
            if match is None:
                raise AnswerError(ref, f"bad path step {part!r}")
            name, index = match[1], int(match[2] or 1)
            found = node.by_name.get(name, [])
            if not 1 <= index <= len(found):
                raise AnswerError(ref, f"no {name}[{index}] here")
            node = found[index - 1]
        return node

    def allowed_choices(self, node: Node) -> list[str]:
        """The choices to offer, in display order: after choice_filter, with "other"
        for or_other, shuffled as ODK does when the question has `randomize`."""
        definition: FieldDef = node.definition
        question = definition.question
        if question is None or question.choice_list is None:
            return []
        choice_list = self.formdef.choices_for(question)
        names = [c.name for c in choice_list.choices] if choice_list else []
        if node.choices is not None:
            names = [n for n in names if n in node.choices]
        if question.or_other and "other" not in names:
            names.append("other")
        if question.randomize:
            names = shuffle(names, ParkMiller(java_long(self._choice_seed(node))).random)
        return names

    def _choice_seed(self, node: Node) -> float:
        """The form's seed expression, else one random seed per question for this session
        (so the order stays put while the enumerator goes back and forth)."""
        definition: FieldDef = node.definition
        if definition.seed is not None:
            try:
                return to_number(definition.seed(self._context(node)))
            except XPathError as error:
                self._record_error(node, error)
        key = id(node)
        if key not in self._seeds:
            self._seeds[key] = float(self.env.rng.randrange(1, 2**31))
        return self._seeds[key]

    def set_value(self, target: Node | str, value: Any) -> Changes:
        """Answer a field. Raises `AnswerError` for a wrong type, unknown choice,
        a calculated or read-only field; returns what changed."""
        node = self.node(target) if isinstance(target, str) else target
        definition: FieldDef | None = node.definition
        question = definition.question if definition is not None else None
        if definition is None or question is None or definition.role != FIELD:
            raise AnswerError(node.name, "this is not a question that takes an answer")
        if question.calculate is not None:
            raise AnswerError(question.name, "this field is calculated by the form")
        if question.kind in (Kind.NOTE,) and question.readonly is None:
            raise AnswerError(question.name, "a note takes no answer")
        if node.readonly:
            raise AnswerError(question.name, "this field is read-only")
        allowed: set[str] | None = None
        choice_list = self.formdef.choices_for(question)
        # select_one_from_file lists live in a media file Samluat does not read: any value.
        if choice_list is not None or (
            question.choice_list is not None and not question.external_choices
        ):
            allowed = set(self.allowed_choices(node))
            if question.choice_filter is not None and choice_list is not None:
                # An answer outside the current filter is accepted if it is a real choice:
                # the filter may still change (ODK keeps it and flags nothing either).
                allowed |= {c.name for c in choice_list.choices}
        text = to_storage(question, value, allowed)
        self._changes = Changes()
        if text == node.value:
            return self._changes
        old = node.value
        node.value = text
        self._changes.values.add(node)
        self._notify(node, old, text)
        # A count typed digit by digit, or cleared and retyped, lowers a repeat_count on the
        # way: the instances it removes are set aside, not destroyed, while answering.
        self._answering = True
        try:
            self._propagate([(definition.vertices[g.VALUE], node)])
        finally:
            self._answering = False
        return self._changes

    def clear(self, target: Node | str) -> Changes:
        return self.set_value(target, None)

    def value(self, target: Node | str) -> str:
        node = self.node(target) if isinstance(target, str) else target
        return node.value if node.relevant else ""

    # -- text ----------------------------------------------------------------------
    def set_language(self, language: str | None) -> None:
        """Switch the form language (labels, hints, messages, choice labels)."""
        self.language = language
        self.env.language = language
        self._build_secondary()

    def text(self, node: Node, which: str = "label") -> str:
        """A label/hint/guidance_hint/constraint_message/required_message, with ${…} filled in."""
        definition: FieldDef = node.definition
        element = definition.element
        texts = getattr(element, which, None)
        if texts is None:
            return ""
        raw: str = texts.get_text(self.language, self.formdef.default_language)
        if "${" not in raw:
            return raw

        def substitute(match: re.Match[str]) -> str:
            name = match[1].strip()
            walker = definition.label_refs.get(name)
            if walker is None:
                return match[0]
            try:
                return to_string(walker(self._context(node)))
            except XPathError:
                return ""

        return _LABEL_REF.sub(substitute, raw)

    def choice_label(self, node: Node, choice: str) -> str:
        definition: FieldDef = node.definition
        question = definition.question
        if question is None or question.choice_list is None:
            return choice
        return self._label_in(self.formdef.choices_for(question), choice, self.language)

    def _choice_label(self, list_name: str, choice: str, language: str | None) -> str:
        return self._label_in(self.formdef.choice_lists.get(list_name), choice, language)

    def _label_in(self, choice_list: ChoiceList | None, choice: str, language: str | None) -> str:
        found = choice_list.by_name(choice) if choice_list is not None else None
        if found is None:
            return _("Other") if choice == "other" else choice
        return (
            found.label.get_text(language or self.language, self.formdef.default_language) or choice
        )

    def _choice_list_of(self, node: Node) -> str | None:
        definition = node.definition
        if not isinstance(definition, FieldDef) or definition.question is None:
            return None
        return definition.question.choice_list

    # -- validation ----------------------------------------------------------------
    def problems(self) -> list[Problem]:
        """Everything that blocks finalising: required answers missing, constraints
        failing, expressions that could not be evaluated. Non-relevant fields are skipped."""
        found: list[Problem] = []
        for node in self.root.iter():
            definition = node.definition
            if not isinstance(definition, FieldDef) or definition.role != FIELD:
                continue
            if not node.relevant:
                continue
            question = definition.question
            assert question is not None
            if node in self.errors:
                found.append(Problem(node, self.ref(node), "error", self.errors[node]))
            if (
                node.required
                and node.value == ""
                and question.kind not in NON_INPUT_KINDS - {Kind.NOTE}
            ):
                message = self.text(node, "required_message") or _("This answer is required.")
                found.append(Problem(node, self.ref(node), "required", message))
            elif not node.constraint_ok:
                message = self.text(node, "constraint_message") or _("This answer is not allowed.")
                found.append(Problem(node, self.ref(node), "constraint", message))
        return found

    @classmethod
    def check_snapshot(
        cls, form: CompiledForm, snapshot: dict[str, Any], **options: Any
    ) -> list[Problem]:
        """The problems a stored snapshot has, evaluating only what decides them
        (values, relevance, required, constraints; not choice filters, read-only
        or labels). For checking records arriving from other machines in bulk."""
        session = cls(form, _restore=snapshot, _skip=NOT_NEEDED_TO_VALIDATE, **options)
        return session._lazy_problems()

    def _lazy_problems(self, nodes: Iterable[Node] | None = None) -> list[Problem]:
        """`problems()` for a session built without its required and constraint
        vertices (nothing reads them): each is evaluated only where it decides
        something, a required expression on a relevant empty answer, a constraint
        on a relevant given one. `nodes`: only these (in document order)."""
        found: list[Problem] = []
        for node in self.root.iter() if nodes is None else nodes:
            definition = node.definition
            if not node.relevant or not isinstance(definition, FieldDef):
                continue
            if definition.role != FIELD:
                continue
            question = definition.question
            assert question is not None
            kind = ""
            if node.value == "":
                if question.kind in NON_INPUT_KINDS - {Kind.NOTE} or definition.required is None:
                    pass
                elif _always_true(definition) or self._safe_bool(node, definition.required, False):
                    kind = "required"
            elif definition.constraint is not None and not self._safe_bool(
                node, definition.constraint, False
            ):
                kind = "constraint"
            if node in self.errors:
                found.append(Problem(node, self.ref(node), "error", self.errors[node]))
            if kind == "required":
                message = self.text(node, "required_message") or _("This answer is required.")
                found.append(Problem(node, self.ref(node), "required", message))
            elif kind == "constraint":
                message = self.text(node, "constraint_message") or _("This answer is not allowed.")
                found.append(Problem(node, self.ref(node), "constraint", message))
        return found

    def ref(self, node: Node) -> str:
        """`grp/rep[2]/q`: a node's path below the root with repeat positions."""
        parts: list[str] = []
        current: Node | None = node
        while current is not None and current.parent is not None:
            definition = current.definition
            if isinstance(definition, FieldDef) and definition.role == REPEAT:
                parts.append(f"{current.name}[{current.position()}]")
            else:
                parts.append(current.name)
            current = current.parent
        return "/".join(reversed(parts))

    # -- pages ---------------------------------------------------------------------
    def pages(self, include_hidden: bool = False) -> list[Page]:
        """Screens in order: a field-list group is one page, otherwise one question per page."""
        pages: list[Page] = []
        self._collect_pages(self.root, pages, include_hidden)
        return pages

    def _visible(self, node: Node, include_hidden: bool) -> bool:
        definition: FieldDef = node.definition
        question = definition.question
        if question is not None and question.kind in (Kind.CALCULATE, Kind.HIDDEN, Kind.METADATA):
            return False
        return include_hidden or node.relevant

    def _collect_pages(self, container: Node, pages: list[Page], include_hidden: bool) -> None:
        for node in container.children:
            definition: FieldDef = node.definition
            element = definition.element
            if definition.role == FIELD:
                if self._visible(node, include_hidden):
                    pages.append(Page((node,)))
                continue
            assert isinstance(element, Group)
            if element.bodyless or not (include_hidden or node.relevant):
                continue
            if element.field_list:
                items = [
                    leaf
                    for leaf in node.iter()[1:]
                    if isinstance(leaf.definition, FieldDef)
                    and leaf.definition.role == FIELD
                    and self._visible(leaf, include_hidden)
                ]
                if items:
                    pages.append(Page(tuple(items), node))
            else:
                self._collect_pages(node, pages, include_hidden)

    # -- output --------------------------------------------------------------------
    @property
    def instance_id(self) -> str:
        meta = self.root.child("meta")
        node = meta.child("instanceID") if meta is not None else None
        if node is not None and node.value:
            return node.value
        if self._instance_id is None:
            self._instance_id = f"uuid:{uuid_module.uuid4()}"
        return self._instance_id

    def instance_name(self) -> str:
        if self.form.instance_name is None:
            return ""
        try:
            return to_string(self.form.instance_name(self._context(self.root)))
        except XPathError:
            return ""

    def stamp_end(self) -> None:
        """Set `end` metadata fields to now (on finalising)."""
        for node in self.root.iter():
            definition = node.definition
            question = definition.question if isinstance(definition, FieldDef) else None
            if question is not None and question.preload == ("timestamp", "end"):
                node.value = str(datetime_value(self._now()))

    def snapshot(self) -> dict[str, Any]:
        """Every stored value (relevant or not) and every repeat instance: a draft."""
        return _snapshot(self.root)

    @classmethod
    def restore(cls, form: CompiledForm, snapshot: dict[str, Any], **options: Any) -> FormSession:
        """Reopen a draft exactly as it was saved."""
        return cls(form, _restore=snapshot, **options)


# Checking a snapshot needs values and relevance; required and constraint are
# evaluated lazily (`_lazy_problems`), the rest decides nothing.
NOT_NEEDED_TO_VALIDATE = frozenset({g.CHOICES, g.READONLY, g.LABEL, g.REQUIRED, g.CONSTRAINT})

# The first sweep's vertices per form and skipped properties (see `_sweep`).
_SWEEPS: weakref.WeakKeyDictionary[CompiledForm, dict[frozenset[str], tuple[g.Vertex, ...]]] = (
    weakref.WeakKeyDictionary()
)


def _sweep(form: CompiledForm, skip: frozenset[str]) -> tuple[g.Vertex, ...]:
    """The vertices a first evaluation runs, in topological order: not the structure
    (instances exist already), not `skip`, not triggered calculations (they wait for
    their trigger), not the values of fields without a calculation (nothing to do)."""
    plans = _SWEEPS.setdefault(form, {})
    plan = plans.get(skip)
    if plan is None:
        plan = tuple(
            vertex
            for vertex in form.graph.vertices
            if vertex.prop != g.INSTANCES
            and vertex.prop not in skip
            and not (
                vertex.prop == g.VALUE
                and (vertex.field.calculate is None or _has_trigger(vertex.field))
            )
        )
        plans[skip] = plan
    return plan


def _always_true(definition: FieldDef) -> bool:
    question = definition.question
    required = question.required if question is not None else None
    return required is not None and required.source == "true()"


def _has_trigger(definition: FieldDef) -> bool:
    question = definition.question
    return question is not None and bool(question.trigger)


def _snapshot(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in node.children:
        definition = child.definition
        role = definition.role if isinstance(definition, FieldDef) else FIELD
        if role == REPEAT:
            out.setdefault(child.name, []).append(_snapshot(child))
        elif role == GROUP:
            out[child.name] = _snapshot(child)
        else:
            out[child.name] = child.value
    for definition in node.definition.children if isinstance(node.definition, FieldDef) else ():
        if definition.role == REPEAT and definition.name not in out:
            out[definition.name] = []
    return out


__all__ = ["Changes", "FormSession", "Page", "Problem", "Repeat"]
