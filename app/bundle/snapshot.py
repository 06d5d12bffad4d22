"""A document's JSON data turned back into the engine's stored values (a snapshot).

Every value must be of its field's type and every choice one of its list's;
`to_storage` (the engine's own conversion) decides and words a refusal. This
runs for every document of every imported bundle, so per form a plan is made
once: for each group, its fields by name with the converter of each, and a
shortcut for the values documents usually hold (tested equal to
`to_storage`). The plan is built eagerly from the compiled form and kept
with it; one document then costs one dictionary lookup per answer.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from app.core.errors import AnswerError
from app.engine.answers import from_json, to_storage
from app.engine.compiled import FIELD, GROUP, REPEAT, CompiledForm, FieldDef
from app.engine.model import DataType, Kind, Question

MAX_DEPTH = 32
MAX_REPEAT = 10_000
INT_MAX = 2**31 - 1

Converter = Callable[[Any], str]  # a document's JSON value → stored text; raises AnswerError
# A group's plan: child name → (role, the field's converter or the group's plan).
Plan = dict[str, tuple[str, Any]]

# ODK's dateTime text as `to_storage` writes it (`format_datetime`): a real instant in
# this shape is stored as it is. "-00:00" is written "+00:00", so it takes the long way.
_STORED_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{2}:[0-9]{2}"
)

_PLANS: weakref.WeakKeyDictionary[CompiledForm, Plan] = weakref.WeakKeyDictionary()


def document_values(form: CompiledForm, data: Any) -> dict[str, Any]:
    """The snapshot of a document's `data`; `ValueError` naming the field if refused."""
    plan = _PLANS.get(form)
    if plan is None:
        plan = _PLANS[form] = _plan(form, form.root)
    return _values(plan, data, "", 0)


def _plan(form: CompiledForm, definition: FieldDef) -> Plan:
    plan: Plan = {}
    for child in definition.children:
        if child.role == FIELD:
            plan[child.name] = (FIELD, converter(form, child))
        elif child.role in (GROUP, REPEAT):
            plan[child.name] = (child.role, _plan(form, child))
        else:
            plan[child.name] = (child.role, None)
    return plan


def _values(plan: Plan, data: Any, where: str, depth: int) -> dict[str, Any]:
    if depth > MAX_DEPTH:
        raise ValueError(f"{where or '/'}: nested too deeply")
    if not isinstance(data, dict):
        raise ValueError(f"{where or 'data'}: a group must be a JSON object")
    out: dict[str, Any] = {}
    for name, value in data.items():
        entry = plan.get(name)
        if entry is None:
            raise ValueError(f"{where}{name}: no such field in this form version")
        role, step = entry
        if role == FIELD:
            if isinstance(value, dict) or (
                type(value) is list and not all(isinstance(v, str | int | float) for v in value)
            ):
                raise ValueError(f"{where}{name}: a value of the wrong shape")
            try:
                out[name] = step(value)
            except AnswerError as error:
                raise ValueError(f"{where}{name}: {error.message}") from None
        elif role == GROUP:
            out[name] = _values(step, value, f"{where}{name}/", depth + 1)
        elif role == REPEAT:
            if not isinstance(value, list) or len(value) > MAX_REPEAT:
                raise ValueError(f"{where}{name}: a repeat must be a list of objects")
            out[name] = [
                _values(step, item, f"{where}{name}[{i + 1}]/", depth + 1)
                for i, item in enumerate(value)
            ]
        else:
            raise ValueError(f"{where}{name}: not a field")
    return out


def allowed_names(form: CompiledForm, question: Question) -> set[str] | None:
    """The choice names a select question accepts (None: not checked against a list)."""
    if question.choice_list is None or question.external_choices:
        return None
    choice_list = form.formdef.choice_lists.get(question.choice_list)
    names = {c.name for c in choice_list.choices} if choice_list else set()
    if question.or_other:
        names.add("other")
    return names


def converter(form: CompiledForm, definition: FieldDef) -> Converter:
    """`to_storage` for one field, with a shortcut for the values documents usually hold.

    A shortcut accepts only values for which `to_storage` returns the same text
    (a choice name from the list, a str for a text question, an int in range,
    a canonical ISO date); everything else goes through `to_storage` itself,
    which also words the refusal.
    """
    question = definition.question
    data_type = definition.data_type
    if question is None:  # not possible for a loaded form's field; refused all the same

        def refuse(value: Any) -> str:
            raise AnswerError(definition.name, "not a field")

        return refuse
    if question.calculate is not None:

        def convert(value: Any) -> str:
            return from_json(data_type, value)

        return convert
    allowed = allowed_names(form, question)

    def slow(value: Any) -> str:
        return "" if value is None else to_storage(question, value, allowed)

    # Names `to_storage` accepts as they are: non-empty, no white space.
    names = frozenset(n for n in allowed or () if n and not any(c.isspace() for c in n))
    if data_type == DataType.SELECT1.value and allowed is not None:

        def select_one(value: Any) -> str:
            return value if type(value) is str and value in names else slow(value)

        return select_one
    if data_type == DataType.SELECT.value and allowed is not None:

        def select_many(value: Any) -> str:
            if (
                type(value) is list
                and all(type(v) is str and v in names for v in value)
                and len(set(value)) == len(value)
            ):
                return " ".join(value)
            return slow(value)

        return select_many
    if data_type == DataType.STRING.value and question.kind is Kind.TEXT:

        def text(value: Any) -> str:
            return value if type(value) is str else slow(value)

        return text
    if data_type == DataType.STRING.value and question.kind not in (Kind.ACKNOWLEDGE, Kind.TRIGGER):
        # Metadata and the like: blank text clears them, other text is kept as it is.

        def other_text(value: Any) -> str:
            return value if type(value) is str and value.strip() else slow(value)

        return other_text
    if data_type == DataType.INT.value:

        def integer(value: Any) -> str:
            if type(value) is int and -INT_MAX <= value <= INT_MAX:
                return str(value)
            return slow(value)

        return integer
    if data_type == DataType.DATE.value:

        def iso_date(value: Any) -> str:
            if type(value) is str and len(value) == 10:
                try:
                    if date.fromisoformat(value).isoformat() == value:
                        return value
                except ValueError:
                    pass
            return slow(value)

        return iso_date
    if data_type == DataType.DATETIME.value:

        def date_time(value: Any) -> str:
            if (
                type(value) is str
                and len(value) == 29
                and _STORED_DATETIME.fullmatch(value)
                and not value.endswith("-00:00")
            ):
                try:
                    datetime.fromisoformat(value)
                except ValueError:
                    pass
                else:
                    return value
            return slow(value)

        return date_time
    return slow
