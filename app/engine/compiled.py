"""A `FormDef` made evaluable: every expression compiled, the dependency graph sorted.

`CompiledForm.build(formdef)` is done once per form version and shared by all
sessions of that form. It reports, as `FormError`s with the row and column,
what the ingest step cannot see: unknown functions, wrong argument counts,
paths to fields that do not exist, and cycles in relevance / calculation
logic (naming the fields involved).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from app.core.errors import FormError, FormErrors, XPathStaticError, XPathSyntaxError
from app.engine import graph as g
from app.engine.instance import Node, build_secondary
from app.engine.model import (
    DataType,
    Element,
    Expr,
    FormDef,
    Group,
    Question,
    Repeat,
)
from app.engine.xpath import ast
from app.engine.xpath.compiler import Compiled, compile_expression
from app.engine.xpath.registry import Context, lookup
from app.engine.xpath.values import Value

log = logging.getLogger(__name__)

ROOT, GROUP, REPEAT, FIELD = "root", "group", "repeat", "field"
EXTERNAL_PREFIX = "external:"  # key of external choice lists among secondary instances
_NOT_SELF = {g.VALUE: "calculation", g.RELEVANT: "relevance"}  # may not read their own field


@dataclass(eq=False)
class FieldDef:
    """One element of the form with its compiled expressions and graph vertices."""

    element: Element
    name: str
    path: tuple[str, ...]
    parent: FieldDef | None
    role: str  # root, group, repeat or field
    data_type: str = DataType.STRING.value
    index: int = 0  # document order
    children: list[FieldDef] = field(default_factory=list)
    repeats: tuple[FieldDef, ...] = ()  # repeat ancestors-or-self, outermost first
    relevant: Compiled | None = None
    calculate: Compiled | None = None
    constraint: Compiled | None = None
    required: Compiled | None = None
    readonly: Compiled | None = None
    choice_filter: Compiled | None = None
    repeat_count: Compiled | None = None
    default: Compiled | None = None
    seed: Compiled | None = None  # randomize seed for the choice order
    label_refs: dict[str, Compiled] = field(default_factory=dict)
    vertices: dict[str, g.Vertex] = field(default_factory=dict)
    dynamic_relevance: bool = False
    # For repeats: the vertices of everything inside, in topological order, to
    # initialise a new instance.
    inner_vertices: list[g.Vertex] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return len(self.path) - 1

    @property
    def question(self) -> Question | None:
        return self.element if isinstance(self.element, Question) else None

    def __repr__(self) -> str:
        return f"<FieldDef {'/'.join(self.path)}>"


@dataclass(frozen=True)
class _Read:
    target: FieldDef
    scoped: bool


def _common_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def make_walker(context: FieldDef | None, target: FieldDef) -> Compiled:
    """A node-set closure for `target`, contextualised against the context's instance.

    Steps shared with the context's path follow the context node's own
    ancestors (so `${q}` inside repeat instance 3 reads instance 3); the rest
    fan out over every instance.
    """
    shared = _common_prefix(context.path, target.path) if context is not None else 1
    anchor_depth = max(shared - 1, 0)
    names = target.path[shared:]
    if not names:

        def ancestor(ctx: Context) -> Value:
            node = ctx.current
            while node.depth > anchor_depth and node.parent is not None:
                node = node.parent
            return [node]

        return ancestor

    def walk(ctx: Context) -> Value:
        node = ctx.current
        while node.depth > anchor_depth and node.parent is not None:
            node = node.parent
        nodes = [node]
        for name in names:
            if len(nodes) == 1:
                found = nodes[0].by_name.get(name)
                if not found:
                    return []
                nodes = list(found) if len(found) > 1 else [found[0]]
            else:
                nodes = [child for n in nodes for child in n.by_name.get(name, ())]
        return nodes

    return walk


class _Binder:
    """Resolves `${name}` and absolute paths for expressions of one context field."""

    def __init__(self, form: CompiledForm, context: FieldDef | None) -> None:
        self.form = form
        self.context = context

    def ref(self, name: str, pos: int) -> Compiled:
        target = self.form.resolve_name(name, pos)
        return make_walker(self.context, target)

    def absolute(self, names: tuple[str, ...]) -> Compiled | None:
        target = self.form.by_path.get(names)
        if target is None:
            return None
        return make_walker(self.context, target)


class CompiledForm:
    """An evaluable form: field definitions, compiled expressions and the sorted graph."""

    def __init__(self, formdef: FormDef) -> None:
        self.formdef = formdef
        self.errors: list[FormError] = []
        self.by_path: dict[tuple[str, ...], FieldDef] = {}
        self.by_name: dict[str, list[FieldDef]] = {}
        self.fields: list[FieldDef] = []
        root_group = Group(
            name=formdef.root_name,
            path=(formdef.root_name,),
            location=formdef.source,
            children=formdef.children,
        )
        self.root = self._add(root_group, None, ROOT)
        self.graph = g.Graph()
        self._self_refs: set[tuple[int, str]] = set()  # (field, property) reported
        self.instance_name: Compiled | None = None
        self._collectors: dict[tuple[int, int], _Collector] = {}
        self._secondary: dict[str | None, dict[str, Node]] = {}

    # -- building ------------------------------------------------------------------
    @classmethod
    def build(cls, formdef: FormDef) -> CompiledForm:
        """Compile `formdef`; raises `FormErrors` listing every problem found."""
        form = cls(formdef)
        form._compile_all()
        if not form.errors:
            form._build_graph()
        if form.errors:
            raise FormErrors(form.errors) if len(form.errors) > 1 else form.errors[0]
        return form

    def _add(self, element: Element, parent: FieldDef | None, role: str) -> FieldDef:
        data_type = element.data_type.value if isinstance(element, Question) else ""
        definition = FieldDef(
            element=element,
            name=element.name,
            path=element.path if parent is not None else (element.name,),
            parent=parent,
            role=role,
            data_type=data_type,
            index=len(self.fields),
        )
        inherited = parent.repeats if parent is not None else ()
        definition.repeats = (*inherited, definition) if role == REPEAT else inherited
        self.fields.append(definition)
        self.by_path[definition.path] = definition
        if parent is not None:
            parent.children.append(definition)
            self.by_name.setdefault(element.name, []).append(definition)
        if isinstance(element, Group):
            for child in element.children:
                child_role = (
                    REPEAT
                    if isinstance(child, Repeat)
                    else GROUP
                    if isinstance(child, Group)
                    else FIELD
                )
                self._add(child, definition, child_role)
        return definition

    def resolve_name(self, name: str, pos: int = 0) -> FieldDef:
        found = self.by_name.get(name)
        if not found:
            raise XPathStaticError(f"unknown field ${{{name}}}", "${" + name + "}", pos)
        if len(found) > 1:
            raise XPathStaticError(
                f"${{{name}}} is ambiguous: {len(found)} fields have that name",
                "${" + name + "}",
                pos,
            )
        return found[0]

    def _compile(
        self, expr: Expr | None, context: FieldDef | None, relative_to_items: bool = False
    ) -> Compiled | None:
        """Compile one expression; `relative_to_items`: relative paths read choice items
        (choice_filter), not the primary instance."""
        if expr is None:
            return None
        try:
            compiled = compile_expression(expr.ast, expr.source, _Binder(self, context))
            self._check_paths(expr, context, relative_to_items)
        except XPathSyntaxError as error:
            self.errors.append(FormError(_describe(error, expr), expr.location))
            return None
        return compiled

    def _collected(
        self, expr: Expr, context: FieldDef | None, relative_to_items: bool
    ) -> _Collector:
        """What `expr` reads, worked out once per (expression, context) and reused."""
        key = (id(expr), id(context))
        collector = self._collectors.get(key)
        if collector is None:
            collector = _Collector(self, context)
            collector.collect(expr.ast, None if relative_to_items else context)
            self._collectors[key] = collector
        return collector

    def _check_paths(self, expr: Expr, context: FieldDef | None, relative_to_items: bool) -> None:
        """Paths into the primary instance must name fields that exist (as JavaRosa checks)."""
        collector = self._collected(expr, context, relative_to_items)
        if collector.problem is not None:
            message, pos = collector.problem
            raise XPathStaticError(message, expr.source, pos)

    def _compile_all(self) -> None:
        formdef = self.formdef
        self.instance_name = self._compile(formdef.instance_name, self.root)
        for definition in self.fields[1:]:
            element = definition.element
            definition.relevant = self._compile(element.relevant, definition)
            if isinstance(element, Repeat):
                # jr:count is evaluated in the container, before any instance exists.
                definition.repeat_count = self._compile(element.repeat_count, definition.parent)
            if isinstance(element, Question):
                definition.calculate = self._compile(element.calculate, definition)
                definition.constraint = self._compile(element.constraint, definition)
                definition.required = self._compile(element.required, definition)
                definition.readonly = self._compile(element.readonly, definition)
                definition.choice_filter = self._compile(
                    element.choice_filter, definition, relative_to_items=True
                )
                definition.default = self._compile(element.default_expr, definition)
                definition.seed = self._compile(element.seed, definition)
                if (
                    element.choice_list
                    and element.choice_list not in formdef.choice_lists
                    and (not element.external_choices)
                ):
                    self.errors.append(
                        FormError(
                            f"choice list {element.choice_list!r} does not exist", element.location
                        )
                    )
                for name in sorted(element.label_refs):
                    try:
                        definition.label_refs[name] = make_walker(
                            definition, self.resolve_name(name)
                        )
                    except XPathStaticError as error:
                        self.errors.append(
                            FormError(error.message + " in a label or hint", element.location)
                        )
            for name in _trigger_names(element):
                if name not in self.by_name:
                    self.errors.append(
                        FormError(f"trigger names unknown field ${{{name}}}", element.location)
                    )

    # -- graph ---------------------------------------------------------------------
    def _vertex(self, definition: FieldDef, prop: str) -> g.Vertex:
        vertex = definition.vertices.get(prop)
        if vertex is None:
            vertex = self.graph.add(definition, prop)
            definition.vertices[prop] = vertex
        return vertex

    def _build_graph(self) -> None:
        graph = self.graph
        # Vertices in form order, so that ties in the sort keep the form's order.
        for definition in self.fields[1:]:
            parent = definition.parent
            assert parent is not None
            definition.dynamic_relevance = (
                definition.relevant is not None or parent.dynamic_relevance
            )
            if definition.dynamic_relevance:
                self._vertex(definition, g.RELEVANT)
            if definition.role == REPEAT:
                self._vertex(definition, g.INSTANCES)
                if definition.repeat_count is not None:
                    self._vertex(definition, g.REPEAT_COUNT)
            if definition.role == FIELD:
                self._vertex(definition, g.VALUE)
                for prop, compiled in (
                    (g.REQUIRED, definition.required),
                    (g.READONLY, definition.readonly),
                    (g.CONSTRAINT, definition.constraint),
                    (g.CHOICES, definition.choice_filter),
                ):
                    if compiled is not None:
                        self._vertex(definition, prop)
                if definition.label_refs:
                    self._vertex(definition, g.LABEL)
        for definition in self.fields[1:]:
            self._wire(definition)
        try:
            graph.sort()
            self._plan_fanout()
        except g.CycleError as cycle:
            names = " → ".join(f"{v.field.name} ({v.prop})" for v in cycle.cycle)
            first = cycle.cycle[0].field.element
            self.errors.append(FormError(f"circular logic between fields: {names}", first.location))

    def _plan_fanout(self) -> None:
        """For each edge, how far up from a changed node the reader must be recomputed.

        A scoped edge recomputes the reader only inside the repeat instance
        both share (depth of their common path); an unscoped one everywhere (-1).
        """
        for vertex in self.graph.vertices:
            vertex.fanout = [
                (
                    target,
                    _common_prefix(vertex.field.path, target.field.path) - 1 if scoped else -1,
                )
                for target, scoped in vertex.out
            ]
        for definition in self.fields:
            if definition.role == REPEAT:
                inside = [
                    v
                    for v in self.graph.vertices
                    if v.field.path[: len(definition.path)] == definition.path
                    and not (v.field is definition and v.prop in (g.INSTANCES, g.REPEAT_COUNT))
                ]
                definition.inner_vertices = inside

    def _wire(self, definition: FieldDef) -> None:
        element = definition.element
        parent = definition.parent
        assert parent is not None
        relevant_vertex = definition.vertices.get(g.RELEVANT)
        if relevant_vertex is not None:
            if parent.dynamic_relevance:
                self.graph.edge(parent.vertices[g.RELEVANT], relevant_vertex, scoped=True)
            if element.relevant is not None:
                self._reads(element.relevant, definition, relevant_vertex)
        if isinstance(element, Repeat) and element.repeat_count is not None:
            count_vertex = definition.vertices[g.REPEAT_COUNT]
            self._reads(element.repeat_count, parent, count_vertex)
            self.graph.edge(count_vertex, definition.vertices[g.INSTANCES], scoped=True)
        if not isinstance(element, Question):
            return
        value_vertex = definition.vertices[g.VALUE]
        if element.calculate is not None:
            triggers = _trigger_names(element)
            if triggers:
                # ODK `trigger`: recompute only when a named field changes.
                for name in triggers:
                    self._depend(self.resolve_name(name), definition, value_vertex)
            else:
                self._reads(element.calculate, definition, value_vertex)
        for prop, expr in (
            (g.REQUIRED, element.required),
            (g.READONLY, element.readonly),
            (g.CONSTRAINT, element.constraint),
            (g.CHOICES, element.choice_filter),
        ):
            if expr is not None:
                self._reads(expr, definition, definition.vertices[prop], prop == g.CHOICES)
        if g.CONSTRAINT in definition.vertices:
            # A constraint reads the field's own value through `.`.
            self.graph.edge(value_vertex, definition.vertices[g.CONSTRAINT], scoped=True)
        label_vertex = definition.vertices.get(g.LABEL)
        if label_vertex is not None:
            for name in definition.label_refs:
                self._depend(self.resolve_name(name), definition, label_vertex)

    def _reads(
        self, expr: Expr, context: FieldDef, reader: g.Vertex, relative_to_items: bool = False
    ) -> None:
        collector = self._collected(expr, context, relative_to_items)
        if collector.reads_everything:
            for other in self.fields[1:]:
                for prop in (g.VALUE, g.RELEVANT, g.INSTANCES):
                    source = other.vertices.get(prop)
                    if source is not None and source is not reader:
                        self.graph.edge(source, reader, scoped=False)
        for read in collector.reads:
            # Only a direct read: reading a group (`..`) reads its children, self included.
            if (
                read.target is reader.field
                and read.target.role == FIELD
                and reader.prop in _NOT_SELF
            ):
                self._refers_to_itself(reader)
            self._depend(read.target, context, reader, read.scoped)
        for repeat in collector.structure:
            self.graph.edge(repeat.vertices[g.INSTANCES], reader, scoped=False)

    def _depend(
        self, target: FieldDef, context: FieldDef, reader: g.Vertex, scoped: bool | None = None
    ) -> None:
        if scoped is None:
            scoped = _is_scoped(target, context)
        for prop in (g.VALUE, g.RELEVANT):
            source = target.vertices.get(prop)
            if source is not None and source is not reader:
                self.graph.edge(source, reader, scoped)
        # A reader of fields inside repeats it is not part of sees every instance:
        # adding or removing instances changes what it reads.
        for repeat in target.repeats:
            if repeat not in context.repeats:
                self.graph.edge(repeat.vertices[g.INSTANCES], reader, scoped=False)
        if target.role in (GROUP, REPEAT, ROOT):
            for child in target.children:
                self._depend(child, context, reader, scoped)

    def _refers_to_itself(self, reader: g.Vertex) -> None:
        """A calculation or relevance that reads its own field never settles: ODK refuses
        it as a cycle (use once() to keep a first value), and a question relevant only
        when answered would lose its answer for good."""
        key = (id(reader.field), reader.prop)
        if key in self._self_refs:
            return
        self._self_refs.add(key)
        name = reader.field.name
        what = _NOT_SELF[reader.prop]
        self.errors.append(
            FormError(
                f"circular logic: the {what} of ${{{name}}} refers to ${{{name}}} itself",
                reader.field.element.location,
            )
        )

    # -- queries -------------------------------------------------------------------
    def secondary_instances(self, language: str | None) -> dict[str, Node]:
        """Choice lists as secondary instances (`instance('list')/root/item/<column>`),
        labels in `language`. Built once per language and shared by every session:
        expressions only read them. External lists (ODK's itemsets.csv) are kept under
        `EXTERNAL_PREFIX` + name, used only to filter their own select."""
        cached = self._secondary.get(language)
        if cached is not None:
            return cached
        formdef = self.formdef
        lists = list(formdef.choice_lists.items())
        lists += [(EXTERNAL_PREFIX + n, c) for n, c in formdef.external_choice_lists.items()]
        built: dict[str, Node] = {}
        for key, choice_list in lists:
            rows = [
                {
                    "name": c.name,
                    "label": c.label.get_text(language, formdef.default_language),
                    **c.extra,
                }
                for c in choice_list.choices
            ]
            built[key] = build_secondary(key, rows)
        self._secondary[language] = built
        return built


def _trigger_names(element: Element) -> tuple[str, ...]:
    return element.trigger if isinstance(element, Question) else ()


def _is_scoped(target: FieldDef, context: FieldDef) -> bool:
    """True when every repeat around `target` also surrounds `context`."""
    return all(repeat in context.repeats for repeat in target.repeats)


def _describe(error: XPathSyntaxError, expr: Expr) -> str:
    if isinstance(error, XPathStaticError):
        return f"{error.message} in {expr.source!r}"
    return f"{error.message} at character {error.position + 1} of {expr.source!r}"


class _Collector:
    """Finds which fields (and repeat structures) an expression reads, statically.

    Paths are followed over the form's definitions: `${x}`, absolute paths,
    relative paths from the context field and `current()`. Anything it cannot
    follow statically (`//`, wildcards, other axes) makes the reader depend on
    every field, which is always correct, just slower.
    """

    def __init__(self, form: CompiledForm, context: FieldDef | None) -> None:
        self.form = form
        self.context = context
        self.reads: list[_Read] = []
        self.structure: set[FieldDef] = set()
        self.reads_everything = False
        self.problem: tuple[str, int] | None = None

    def _fail(self, message: str, pos: int) -> None:
        if self.problem is None:
            self.problem = (message, pos)

    def _read(self, target: FieldDef) -> None:
        context = self.context
        scoped = context is not None and _is_scoped(target, context)
        self.reads.append(_Read(target, scoped))

    def collect(self, node: ast.Expr, here: FieldDef | None) -> None:
        """`here` is the static context for relative paths (None inside secondary instances).

        Iterative over operators, so a 3,000-term sum does not hit Python's
        recursion limit.
        """
        stack: list[tuple[ast.Expr, FieldDef | None]] = [(node, here)]
        while stack:
            current, where = stack.pop()
            if isinstance(current, ast.Ref):
                named = self.form.by_name.get(current.name)
                if named and len(named) == 1:
                    self._read(named[0])
            elif isinstance(current, ast.Binary):
                stack.append((current.right, where))
                stack.append((current.left, where))
            elif isinstance(current, ast.Negate):
                stack.append((current.operand, where))
            elif isinstance(current, ast.Call):
                stack.extend((arg, where) for arg in reversed(current.args))
                function = lookup(current.name)
                if function is not None and function.reads_repeat:
                    for arg in current.args:
                        for read in self._targets(arg, where):
                            self.structure.update(read.repeats)
            elif isinstance(current, ast.Filter):
                stack.append((current.base, where))
                stack.extend((predicate, None) for predicate in current.predicates)
            elif isinstance(current, ast.Path):
                for reached in self._targets(current, where):
                    self._read(reached)

    def _targets(self, node: ast.Expr, here: FieldDef | None) -> list[FieldDef]:
        """The definitions a node-set expression ends on (collecting predicates on the way)."""
        if isinstance(node, ast.Ref):
            target = self.form.by_name.get(node.name)
            return [target[0]] if target and len(target) == 1 else []
        if not isinstance(node, ast.Path):
            if isinstance(node, ast.Filter):
                for predicate in node.predicates:
                    self.collect(predicate, None)
                return self._targets(node.base, here)
            return []
        start: list[FieldDef] | None = None
        if node.base is None:
            if not node.absolute and here is not None:
                start = [here]
        elif isinstance(node.base, ast.Call) and node.base.name == "current":
            start = [self.context] if self.context is not None else None
        elif isinstance(node.base, ast.Ref):
            start = self._targets(node.base, here)
        else:
            # instance('…') or another expression: not the primary instance.
            self.collect(node.base, here)
            for step in node.steps:
                for predicate in step.predicates:
                    self.collect(predicate, None)
            return []
        steps = list(node.steps)
        if node.absolute and node.base is None:
            if not steps:
                return []
            first = steps.pop(0)
            if first.axis == "child" and first.test == self.form.root.name:
                start = [self.form.root]
            elif first.axis == "child":
                self._fail(f"no field at /{first.test}", first.pos)
                return []
            else:
                self.reads_everything = True
                return []
            for predicate in first.predicates:
                self.collect(predicate, self.form.root)
        if start is None:
            return []
        current = start
        for step in steps:
            following: list[FieldDef] = []
            for definition in current:
                if step.axis == "self":
                    following.append(definition)
                elif step.axis == "parent":
                    if definition.parent is not None:
                        following.append(definition.parent)
                elif step.axis == "child" and step.test not in ("*", "node()", "text()"):
                    child = next((c for c in definition.children if c.name == step.test), None)
                    if child is None:
                        self._fail(
                            f"no field {step.test!r} under /{'/'.join(definition.path)}",
                            step.pos,
                        )
                        return []
                    following.append(child)
                elif step.axis == "child" and step.test == "text()":
                    following.append(definition)
                else:
                    self.reads_everything = True
                    return []
            current = following
            for predicate in step.predicates:
                for definition in current:
                    self.collect(predicate, definition)
        return current
