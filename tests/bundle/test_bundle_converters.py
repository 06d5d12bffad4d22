"""The importer's shortcuts from a document's JSON values to stored text agree with
`to_storage` (the engine's own conversion) on every value, valid or not."""

from __future__ import annotations

from datetime import timedelta, timezone
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
digits = st.sampled_from("0123456789")


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.lists(digits, min_size=n, max_size=n).map("".join)


# Text in the shape of a stored dateTime, real instants or not.
datetime_shaped = st.builds(
    "{}-{}-{}T{}:{}:{}.{}{}{}:{}".format,
    _digits(4),
    _digits(2),
    _digits(2),
    _digits(2),
    _digits(2),
    _digits(2),
    _digits(3),
    st.sampled_from("+-"),
    _digits(2),
    _digits(2),
) | st.datetimes(
    timezones=st.sampled_from(
        [None, *(timezone(timedelta(minutes=m)) for m in (-840, -570, 0, 345, 420, 840))]
    )
).map(lambda d: d.isoformat(timespec="milliseconds"))
values = st.one_of(
    scalars,
    datetime_shaped,
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
    assert {"select1", "select", "string", "int", "date", "dateTime"} <= types


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
    "2026-05-11T01:02:03.004+07:00",
    "2026-05-11T01:02:03.004-07:30",
    "2026-05-11T01:02:03.004+00:00",
    "2026-05-11T01:02:03.004-00:00",  # stored as +00:00
    "2026-05-11T01:02:03.004+24:00",
    "2026-05-11T01:02:03.004+23:59",
    "2026-05-11T24:00:00.000+07:00",
    "2026-02-29T01:02:03.004+07:00",
    "2024-02-29T01:02:03.004+07:00",
    "0000-01-01T00:00:00.000+00:00",
    "0001-01-01T00:00:00.000+01:00",
    "9999-12-31T23:59:59.999-14:00",
    "2026-05-11T01:02:03.004Z",
    "2026-05-11T01:02:03+07:00",
    "2026-05-11 01:02:03.004+07:00",
    "2026-05-11T01:02:60.004+07:00",
    "໒໐໒໖-05-11T01:02:03.004+07:00",
]


@pytest.mark.parametrize("value", EDGES, ids=repr)
def test_shortcut_equals_to_storage_on_every_field(value: Any) -> None:
    for form, definition in FIELDS:
        shortcut = outcome(fast, form, definition, value)
        assert shortcut == outcome(reference, form, definition, value), (definition, value)


@given(value=values, pick=st.integers(min_value=0))
@settings(max_examples=1500, deadline=None)
def test_shortcut_equals_to_storage_on_any_field(value: Any, pick: int) -> None:
    form, definition = FIELDS[pick % len(FIELDS)]
    assert outcome(fast, form, definition, value) == outcome(reference, form, definition, value)
