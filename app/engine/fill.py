"""Apply answers given as JSON to a session, and report the result.

This is the headless way to test a form and to key in data captured on
paper: answers are a JSON object of field name → value; a repeat's answers
are a list of objects (one per instance); a group may be given as a nested
object or left implicit (field names are unique in a form).
"""

from __future__ import annotations

from typing import Any

from app.core.errors import AnswerError, SamluatError
from app.engine.answers import to_json
from app.engine.compiled import FIELD, GROUP, REPEAT, FieldDef
from app.engine.instance import Node
from app.engine.serialize import to_document
from app.engine.session import FormSession


class AnswersError(SamluatError):
    """Answers that cannot be applied, naming the answers file and the field."""


def _locate(session: FormSession, container: Node, name: str, source: str) -> FieldDef:
    """The definition `name` inside `container`, not inside a deeper repeat."""
    candidates = session.form.by_name.get(name)
    if not candidates:
        raise AnswersError(f"{source}: {name}: no such field in this form")
    base: FieldDef = container.definition
    for definition in candidates:
        if definition.path[: len(base.path)] != base.path:
            continue
        between = definition.path[len(base.path) : -1]
        walk = base
        inside_other_repeat = False
        for step in between:
            walk = next(c for c in walk.children if c.name == step)
            if walk.role == REPEAT:
                inside_other_repeat = True
        if not inside_other_repeat:
            return definition
    where = session.ref(container) or "the top level"
    raise AnswersError(f"{source}: {name}: not a field of {where} (is it inside a repeat?)")


def _node_for(container: Node, definition: FieldDef) -> Node:
    base: FieldDef = container.definition
    node = container
    for step in definition.path[len(base.path) : -1]:
        found = node.child(step)
        assert found is not None
        node = found
    return node


def apply_answers(
    session: FormSession,
    answers: dict[str, Any],
    *,
    source: str = "answers",
    container: Node | None = None,
) -> None:
    """Apply `answers` in order. Raises `AnswersError` naming the field on any problem."""
    container = container if container is not None else session.root
    for name, value in answers.items():
        definition = _locate(session, container, name, source)
        parent = _node_for(container, definition)
        where = f"{source}: {session.ref(parent) + '/' if session.ref(parent) else ''}{name}"
        if definition.role == REPEAT:
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise AnswersError(f"{where}: a repeat's answers must be a list of objects")
            _apply_repeat(session, parent, definition, value, source, where)
        elif definition.role == GROUP:
            if not isinstance(value, dict):
                raise AnswersError(f"{where}: a group's answers must be an object")
            group_node = parent.child(name)
            assert group_node is not None
            apply_answers(session, value, source=source, container=group_node)
        else:
            node = parent.child(name)
            assert node is not None
            try:
                session.set_value(node, value)
            except AnswerError as error:
                raise AnswersError(f"{where}: {error.message}") from None


def _apply_repeat(
    session: FormSession,
    parent: Node,
    definition: FieldDef,
    items: list[dict[str, Any]],
    source: str,
    where: str,
) -> None:
    user_driven = definition.repeat_count is None
    instances = session.repeat_instances(parent, definition.name)
    if not user_driven and len(items) > len(instances):
        raise AnswersError(
            f"{where}: the form sets {len(instances)} instance(s) through repeat_count; "
            f"{len(items)} were given"
        )
    while user_driven and len(session.repeat_instances(parent, definition.name)) < len(items):
        session.add_repeat(parent, definition.name)
    while user_driven and len(session.repeat_instances(parent, definition.name)) > len(items):
        session.remove_repeat(session.repeat_instances(parent, definition.name)[-1])
    for index, item in enumerate(items):
        instance = session.repeat_instances(parent, definition.name)[index]
        apply_answers(session, item, source=source, container=instance)


def fill_report(session: FormSession) -> dict[str, Any]:
    """Every field's value and relevance, the validation problems and the document."""
    fields: dict[str, Any] = {}
    for node in session.root.iter():
        definition = node.definition
        if not isinstance(definition, FieldDef) or definition.role != FIELD:
            continue
        fields[session.ref(node)] = {
            "value": to_json(definition.data_type, node.value) if node.relevant else None,
            "relevant": node.relevant,
        }
    problems = session.problems()
    return {
        "form_id": session.formdef.form_id,
        "form_version": session.formdef.version,
        "language": session.language,
        "fields": fields,
        "errors": [{"field": p.ref, "kind": p.kind, "message": p.message} for p in problems],
        "valid": not problems,
        "document": to_document(session),
    }
