"""The importer's shortcuts from a document's JSON values to stored text agree with
`to_storage` (the engine's own conversion) on every value, valid or not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.bundle.snapshot import allowed_names, converter
from app.core.errors import AnswerError
from app.engine.answers import from_json, to_storage
from app.engine.compiled import FIELD, CompiledForm
from app.engine.loader import load_form
from app.study.forms import instrument_files

FORMS = Path(__file__).resolve().parents[2] / "forms"


def study_fields() -> list[tuple[CompiledForm, Any]]:
    out = []
    for path in instrument_files(FORMS):
        form = load_form(path)
        stack = [form.root]
        while stack:
            definition = stack.pop()
            stack.extend(definition.children)
            if definition.role == FIELD:
                out.append((form, definition))
    return out


FIELDS = study_fields()

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**33), max_value=2**33),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            "1",
            "2",
            "98",
            "yes",
            "no",
            "other",
            "2026-05-11",
            "2026-02-30",
            "20260511",
            " 1",
            "1 2",
            "",
            " ",
            "mof",
            "ministry_finance",
        ]
    ),
)
values = st.one_of(
    scalars,
    st.lists(
        st.one_of(st.text(max_size=6), st.sampled_from(["1", "2", "3", "98", "other", "a b"])),
        max_size=4,
    ),
)


def reference(form: CompiledForm, definition: Any, value: Any) -> str:
    question = definition.question
    if question.calculate is not None or value is None:
        return from_json(definition.data_type, value)
    return to_storage(question, value, allowed_names(form, question))


def fast(form: CompiledForm, definition: Any, value: Any) -> str:
    return converter(form, definition)(value)


def outcome(call: Any, *args: Any) -> tuple[str, str]:
    try:
        return "ok", call(*args)
    except AnswerError as error:
        return "refused", error.message


def test_study_forms_have_fields_of_every_kind_the_shortcuts_cover() -> None:
    types = {d.data_type for _f, d in FIELDS}
    assert {"select1", "select", "string", "int", "date"} <= types


EDGES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    2**31 - 1,
    2**31,
    -(2**31),
    1.0,
    1.5,
    float("nan"),
    "",
    " ",
    "1",
    "1 2",
    "98",
    "other",
    "2026-05-11",
    "2026-02-30",
    "20260511",
    "2026-5-11",
    ["1"],
    ["1", "1"],
    ["1", "2"],
    [1],
    [],
    ["a b"],
    "x" * 300,
    "ລາວ",
]


@pytest.mark.parametrize("value", EDGES, ids=repr)
def test_shortcut_equals_to_storage_on_every_field(value: Any) -> None:
    for form, definition in FIELDS:
        shortcut = outcome(fast, form, definition, value)
        assert shortcut == outcome(reference, form, definition, value), (definition, value)


@given(value=values, pick=st.integers(min_value=0))
@settings(max_examples=400, deadline=None)
def test_shortcut_equals_to_storage_on_any_field(value: Any, pick: int) -> None:
    form, definition = FIELDS[pick % len(FIELDS)]
    assert outcome(fast, form, definition, value) == outcome(reference, form, definition, value)
