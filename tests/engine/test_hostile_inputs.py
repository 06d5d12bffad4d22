"""Forms and answers that once escaped as tracebacks: each is refused with a message
naming the file or field, or simply works."""

from __future__ import annotations

import codecs
import dataclasses
from pathlib import Path

import pytest

from app.core import paths
from app.core.errors import AnswerError, FormError
from app.engine.ingest import read_xlsform_bytes
from app.engine.loader import load_form
from app.engine.model import FormDef
from app.engine.session import FormSession
from tests.engine.formtools import compile_md, md_table, write_form

TYPES = md_table(
    "survey",
    ["type", "name", "label"],
    [["integer", "age", "Age"], ["decimal", "weight", "Weight"], ["text", "name", "Name"]],
)


def nested_groups(depth: int) -> str:
    rows = [["begin group", f"g{i}", f"G{i}"] for i in range(depth)]
    rows += [["text", "q", "Q"]] + [["end group", "", ""]] * depth
    return md_table("survey", ["type", "name", "label"], rows)


# -- the compiled-form cache -----------------------------------------------------------


def test_form_too_deep_to_pickle_loads_and_leaves_no_temp_file(tmp_path: Path) -> None:
    # 400 `or` clauses parse fine but nest too deeply for pickle (RecursionError).
    expression = " or ".join(f"${{q1}} = '{i}'" for i in range(400))
    path = write_form(
        tmp_path,
        md_table(
            "survey",
            ["type", "name", "label", "relevant"],
            [["text", "q1", "Q1", ""], ["text", "q2", "Q2", expression]],
        ),
    )
    for _ in range(2):  # the second load finds no cache entry and parses again
        form = load_form(path)
        assert form.formdef.count_questions() == 2
    assert list((paths.cache_dir() / "forms").iterdir()) == []


def test_cached_form_still_loads_from_the_cache(tmp_path: Path) -> None:
    path = write_form(tmp_path, TYPES)
    load_form(path)
    (entry,) = (paths.cache_dir() / "forms").iterdir()
    assert entry.suffix == ".pickle"
    assert load_form(path).formdef.count_questions() == 3


# -- answers ---------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["age", "weight", "name"])
def test_number_beyond_float_range_names_the_field(tmp_path: Path, field: str) -> None:
    session = FormSession(compile_md(tmp_path, TYPES))
    with pytest.raises(AnswerError) as caught:
        session.set_value(field, 10**400)
    assert str(caught.value) == f"{field}: the number is too large"
    assert session.value(field) == ""


def test_lone_surrogate_is_refused_when_set(tmp_path: Path) -> None:
    session = FormSession(compile_md(tmp_path, TYPES))
    with pytest.raises(AnswerError) as caught:
        session.set_value("name", "Noy \ud800")
    assert str(caught.value) == "name: the answer is not valid text (a lone surrogate)"
    assert session.value("name") == ""
    session.set_value("name", "Noy 😀 ນ້ອຍ")  # a real pair, and Lao, are fine
    assert session.value("name") == "Noy 😀 ນ້ອຍ"


# -- form files ------------------------------------------------------------------------

CSV = b"survey,type,name,label\n,text,your_name,Your name\n,integer,your_age,Your age\n"


@pytest.mark.parametrize(
    ("name", "data", "questions"),
    [("form.md", TYPES.encode() + b"\n", 3), ("form.csv", CSV, 2)],
    ids=["md", "csv"],
)
def test_utf8_bom_is_ignored(name: str, data: bytes, questions: int) -> None:
    def without_hash(formdef: FormDef) -> FormDef:
        return dataclasses.replace(formdef, source_hash="")

    plain = read_xlsform_bytes(data, name)
    with_bom = read_xlsform_bytes(codecs.BOM_UTF8 + data, name)
    assert without_hash(with_bom) == without_hash(plain)
    assert with_bom.count_questions() == questions


def test_bom_alone_is_an_empty_file() -> None:
    with pytest.raises(FormError) as caught:
        read_xlsform_bytes(codecs.BOM_UTF8 + b"\n", "bom.csv")
    assert str(caught.value) == "bom.csv: the form file is empty"


def test_groups_nested_too_deeply_are_named_as_such() -> None:
    with pytest.raises(FormError) as caught:
        read_xlsform_bytes(nested_groups(400).encode(), "deep400.md")
    assert str(caught.value) == "deep400.md:survey: the form is too deeply nested"


def _xlsx(rows: list[list[str]], dimension: bytes | None = None) -> bytes:
    """A one-sheet survey workbook; `dimension` rewrites the size the sheet declares."""
    import io
    import re
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    for row in rows:
        sheet.append(row)
    saved = io.BytesIO()
    book.save(saved)
    if dimension is None:
        return saved.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":  # a tool that left it stale
                body = re.sub(
                    rb'<dimension ref="[^"]*"/>', b'<dimension ref="%s"/>' % dimension, body
                )
            target.writestr(info, body)
    return out.getvalue()


def test_questions_past_a_stale_sheet_size_are_not_dropped() -> None:
    rows = [["type", "name", "label"], ["text", "q1", "Q1"], ["integer", "q2", "Q2"]]
    rows.append(["text", "q3", "Q3"])
    honest = read_xlsform_bytes(_xlsx(rows), "form.xlsx")
    stale = read_xlsform_bytes(_xlsx(rows, dimension=b"A1:C2"), "form.xlsx")
    assert stale.count_questions() == honest.count_questions() == 3


def test_a_header_written_twice_names_its_sheet_and_columns() -> None:
    """pyxform said only "Duplicate column header: label", not where."""
    rows = [["type", "name", "label", "hint", "label"], ["text", "q1", "Q1", "", "Q1 again"]]
    with pytest.raises(FormError) as caught:
        read_xlsform_bytes(_xlsx(rows), "form.xlsx")
    assert str(caught.value) == (
        "form.xlsx:survey:1:E: the column header 'label' appears 2 times (columns C, E): "
        "keep one, or rename the others"
    )


def test_a_damaged_workbook_is_still_a_form_error() -> None:
    data = bytearray(_xlsx([["type", "name", "label"], ["text", "q1", "Q1"]]))
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)  # a stick's bad sector
    with pytest.raises(FormError, match=r"form\.xlsx"):
        read_xlsform_bytes(bytes(data), "form.xlsx")


def test_files_that_are_no_xlsform_say_what_to_do() -> None:
    """pyxform's "Argument 'definition' was not recognized" (and an IndexError) told
    nobody what was wrong with their file."""
    workbook = _xlsx([["type", "name", "label"], ["text", "q1", "Q1"]])
    cases = {
        "saved_as.xls": (workbook, "this is an .xlsx workbook with an .xls name: rename it"),
        "semicolons.csv": (b"type;name;label\ntext;q1;Q1\n", "separated by semicolons (;)"),
        "notes.md": (b"# notes\nno table here\n", "no survey table found"),
        "ragged.md": (
            b"| survey |\n| | type | name | label |\n| | text | q1 | Q1 | extra |\n",
            "this row has 5 cells, its header 4",
        ),
    }
    for name, (data, expected) in cases.items():
        with pytest.raises(FormError) as caught:
            read_xlsform_bytes(data, name)
        assert expected in caught.value.message, name
    with pytest.raises(FormError) as caught:
        read_xlsform_bytes(cases["ragged.md"][0], "ragged.md")
    assert str(caught.value).startswith("ragged.md:survey:2: ")
