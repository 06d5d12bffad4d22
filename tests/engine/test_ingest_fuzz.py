"""Fuzzing XLSForm rows: whatever the rows hold, ingest gives a FormDef or a FormError.

Starting from small valid forms, hypothesis drops columns, swaps types, injects
broken expressions, references to nothing, self-references, Lao text, huge
cells, empty cells and numbers. An "internal error" (a bug in the adapter
turned into a FormError by the last-resort guard) fails the test too.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import FormError, FormErrors
from app.engine.ingest import read_xlsform_bytes, read_xlsform_dict
from app.engine.model import FormDef

BASE_FORMS: list[dict[str, list[dict[str, Any]]]] = [
    {
        "survey": [
            {
                "type": "integer",
                "name": "age",
                "label::English (en)": "Age",
                "label::Lao (lo)": "ອາຍຸ",
            },
            {"type": "select_one yn", "name": "ok", "label": "OK?", "relevant": "${age} > 3"},
            {"type": "text", "name": "why", "label": "Why ${age}?", "required": "yes"},
            {"type": "calculate", "name": "twice", "calculation": "${age} * 2"},
        ],
        "choices": [
            {"list_name": "yn", "name": "y", "label": "Yes", "cluster": "a"},
            {"list_name": "yn", "name": "n", "label": "No", "cluster": "b"},
        ],
        "settings": [{"form_title": "Fuzz", "form_id": "fuzz", "instance_name": "${age}"}],
    },
    {
        "survey": [
            {"type": "begin group", "name": "g", "label": "G", "appearance": "field-list"},
            {"type": "decimal", "name": "x", "label": "X", "constraint": ". > 0"},
            {"type": "end group"},
            {"type": "begin repeat", "name": "r", "label": "R", "repeat_count": "${x}"},
            {
                "type": "text",
                "name": "t",
                "label": "T",
                "pillar": "Legal",
                "classification": "public",
            },
            {
                "type": "select_multiple yn",
                "name": "m",
                "label": "M",
                "choice_filter": "cluster='a'",
            },
            {"type": "end repeat"},
            {"type": "begin loop over yn", "name": "lp", "label": "L"},
            {"type": "integer", "name": "n", "label": "How many %(label)s"},
            {"type": "end loop"},
        ],
        "choices": [
            {"list_name": "yn", "name": "y", "label": "Yes", "cluster": "a"},
            {"list_name": "yn", "name": "n", "label": "No", "cluster": "b"},
        ],
    },
]

COLUMNS = [
    "type", "name", "label", "label::Lao (lo)", "hint", "relevant", "constraint",
    "calculation", "required", "readonly", "default", "choice_filter", "repeat_count",
    "appearance", "parameters", "trigger", "classification", "pillar", "element",
    "constraint_message", "tags::x", "label::", "::", "bind::", "media::image",
]  # fmt: skip
TYPES = [
    "text", "integer", "decimal", "range", "date", "time", "dateTime", "note", "acknowledge",
    "calculate", "hidden", "geopoint", "image", "audio", "file", "barcode", "trigger", "start",
    "select_one yn", "select_multiple yn", "rank yn", "select_one yn or_other",
    "select_one nolist", "select_one ${age}", "select_one_from_file x.csv", "begin group",
    "end group", "begin repeat", "end repeat", "begin loop over yn", "end loop", "include",
    "csv-external", "audit", "osm yn", "ສຳຫຼວດ", "begin", "end", "select_one", "", " ",
]  # fmt: skip
EXPRESSIONS = [
    "${age} >", "(((", "${}", "${nope}", "${age} + ${age}", "${twice} = ${twice}",
    "selected(${ok}, 'y')", "concat(", "'unterminated", "1 div 0", "${ອາຍຸ} > 1",
    "../x", "/data/age", "$age", "${last-saved#age}", "instance('yn')/root/item[name=${ok}]",
    ". < 3 and", "yes", "no", "true()", "-", "${age", "]", "count(${r})",
]  # fmt: skip

text_values = st.one_of(
    st.sampled_from(EXPRESSIONS),
    st.sampled_from(TYPES),
    st.text(max_size=40),
    st.text(alphabet="ກຂຄງຈສຊຍດຕຖທນບປຜຝພຟມຢຣລວຫອຮະາິີຶືຸູເແໂໃໄ່້໊໋${}() ", max_size=30),
    st.builds(lambda n: "ລ" * n, st.integers(min_value=1000, max_value=12_000)),
)
cell_values = st.one_of(
    text_values, st.none(), st.integers(), st.floats(allow_nan=True), st.booleans()
)


@st.composite
def mutated_forms(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> dict[str, Any]:
    form = copy.deepcopy(draw(st.sampled_from(BASE_FORMS)))
    survey: list[dict[str, Any]] = form["survey"]
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        action = draw(
            st.sampled_from(
                ["set", "drop", "type", "expr", "self", "row", "delete", "dup", "choice"]
            )
        )
        if not survey:
            survey.append({"type": "text", "name": "a", "label": "A"})
        row = draw(st.sampled_from(survey))
        if action == "set":
            row[draw(st.sampled_from(COLUMNS))] = draw(values)
        elif action == "drop" and row:
            row.pop(draw(st.sampled_from(sorted(row, key=str))))
        elif action == "type":
            row["type"] = draw(st.one_of(st.sampled_from(TYPES), values))
        elif action == "expr":
            column = draw(st.sampled_from(["relevant", "constraint", "calculation", "default"]))
            row[column] = draw(st.sampled_from(EXPRESSIONS))
        elif action == "self" and isinstance(row.get("name"), str):
            row["relevant"] = f"${{{row['name']}}} > 0"
        elif action == "row":
            survey.insert(
                draw(st.integers(min_value=0, max_value=len(survey))),
                {draw(st.sampled_from(COLUMNS)): draw(values) for _ in range(3)},
            )
        elif action == "delete":
            survey.remove(row)
        elif action == "dup":
            survey.append(dict(row))
        elif action == "choice" and form.get("choices"):
            choice = draw(st.sampled_from(form["choices"]))
            choice[draw(st.sampled_from(["name", "label", "list_name", "cluster"]))] = draw(values)
    return form


def render_md(form: dict[str, Any]) -> str:
    """A workbook dict as pyxform's markdown tables (cells made safe for a table)."""

    def cell(value: Any) -> str:
        text = "" if value is None else str(value)
        return " ".join(text.replace("|", "/").split())

    lines: list[str] = []
    for sheet_name, rows in form.items():
        headers: list[str] = []
        for row in rows:
            headers += [cell(k) for k in row if cell(k) and cell(k) not in headers]
        lines.append(f"| {sheet_name} |")
        lines.append("| | " + " | ".join(headers) + " |")
        for row in rows:
            values = {cell(k): cell(v) for k, v in row.items()}
            lines.append("| | " + " | ".join(values.get(h, "") for h in headers) + " |")
    return "\n".join(lines) + "\n"


def assert_only_form_errors(load: Any) -> None:
    try:
        result = load()
    except (FormError, FormErrors) as error:
        message = str(error)
        assert message, "a FormError must say something"
        assert "internal error" not in message, message
        errors = error.errors if isinstance(error, FormErrors) else [error]
        for one in errors:
            assert one.location.file.startswith("fuzz"), str(one)
        return
    assert isinstance(result, FormDef)
    # A loaded form is fully formed: every question has a location in its file.
    for element in result.walk():
        assert element.location.file.startswith("fuzz")


FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def test_base_forms_are_valid() -> None:
    for number, form in enumerate(BASE_FORMS):
        assert isinstance(read_xlsform_dict(form, f"fuzz{number}.md"), FormDef)
        assert isinstance(read_xlsform_bytes(render_md(form).encode(), f"fuzz{number}.md"), FormDef)


@FUZZ
@given(mutated_forms(cell_values))
def test_mutated_workbook_dicts_raise_only_form_errors(form: dict[str, Any]) -> None:
    assert_only_form_errors(lambda: read_xlsform_dict(form, "fuzz.md"))


@FUZZ
@given(mutated_forms(text_values))
def test_mutated_markdown_forms_raise_only_form_errors(form: dict[str, Any]) -> None:
    data = render_md(form).encode("utf-8")
    assert_only_form_errors(lambda: read_xlsform_bytes(data, "fuzz.md"))
