"""Forms and answers that once escaped as tracebacks: each is refused with a message
naming the file or field, or simply works."""

from __future__ import annotations

import codecs
import dataclasses
from collections.abc import Callable
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


@pytest.mark.parametrize(
    "declaration",
    [
        '<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">',  # billion laughs
        '<!ENTITY b SYSTEM "file:///etc/hostname">',  # an external entity
    ],
    ids=["billion-laughs", "xxe"],
)
def test_xml_entities_are_refused_in_one_line(declaration: str) -> None:
    """Refused safely, but with openpyxl's three lines ending "Please see the exception"."""
    import io
    import zipfile

    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [{declaration}]><worksheet '
        'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>type</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>name</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>&b;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(_xlsx([["type", "name"]]))) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for info in source.infolist():
            body = source.read(info)
            target.writestr(info, sheet if info.filename == "xl/worksheets/sheet1.xml" else body)
    with pytest.raises(FormError) as caught:
        read_xlsform_bytes(out.getvalue(), "laughs.xlsx")
    assert str(caught.value) == (
        "laughs.xlsx: the .xlsx file's XML declares entities (as XML bombs do); refusing it"
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


# -- sheet sizes and memory ------------------------------------------------------------


def _raw_xlsx(sheets: dict[str, list[list[str]]]) -> bytes:
    """A workbook written as XML directly, fast enough for 100,000 rows; `sheets` maps a
    sheet name to its rows (header first)."""
    import io
    import zipfile
    from xml.sax.saxutils import escape

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for n in range(1, len(sheets) + 1)
            )
            + "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            + "".join(
                f'<sheet name="{escape(name)}" sheetId="{n}" r:id="rId{n}"/>'
                for n, name in enumerate(sheets, start=1)
            )
            + "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{package}">'
            + "".join(
                f'<Relationship Id="rId{n}" Type="{rel}/worksheet" '
                f'Target="worksheets/sheet{n}.xml"/>'
                for n in range(1, len(sheets) + 1)
            )
            + "</Relationships>"
        ),
    }
    for n, rows in enumerate(sheets.values(), start=1):
        body = "".join(
            f'<row r="{r}">'
            + "".join(
                f'<c r="{"ABCDEFGH"[c]}{r}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
                for c, value in enumerate(row)
                if value
            )
            + "</row>"
            for r, row in enumerate(rows, start=1)
        )
        parts[f"xl/worksheets/sheet{n}.xml"] = (
            f'<worksheet xmlns="{main}"><sheetData>{body}</sheetData></worksheet>'
        )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


SELECT_FORM = [["type", "name", "label"], ["select_one village", "v", "Village"]]


def _villages(count: int) -> list[list[str]]:
    return [["list_name", "name", "label"]] + [
        ["village", f"v{n}", f"Village {n}"] for n in range(count)
    ]


def _as_text(sheets: dict[str, list[list[str]]], suffix: str) -> bytes:
    """The same sheets as a .csv or .md form."""
    lines = []
    for name, rows in sheets.items():
        if suffix == ".md":
            lines.append(f"| {name} |")
            lines += ["| | " + " | ".join(row) + " |" for row in rows]
        else:
            lines.append(f"{name},,,")
            lines += ["," + ",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def _form_file(sheets: dict[str, list[list[str]]], suffix: str) -> bytes:
    return _raw_xlsx(sheets) if suffix == ".xlsx" else _as_text(sheets, suffix)


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Limits low enough for small test files; pyxform must not be reached past them."""
    from app.engine import ingest_limits

    monkeypatch.setattr(ingest_limits, "MAX_SHEET_ROWS", 50)
    monkeypatch.setattr(ingest_limits, "MAX_SHEET_CELLS", 200)
    monkeypatch.setattr(ingest_limits, "MAX_MD_TABLES", 5)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".md"])
def test_a_sheet_past_the_row_limit_is_refused_before_pyxform_reads_it(
    suffix: str, small_limits: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A million-row .xlsx took 5 minutes and 3.8 GB, or died with a traceback."""
    from app.engine import ingest

    fits = _form_file({"survey": SELECT_FORM, "choices": _villages(30)}, suffix)
    assert read_xlsform_bytes(fits, f"form{suffix}").choice_lists["village"].choices

    def pyxform_must_not_read(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the sheet was read in full")

    monkeypatch.setattr(ingest, "get_xlsform", pyxform_must_not_read)
    too_long = _form_file({"survey": SELECT_FORM, "choices": _villages(60)}, suffix)
    with pytest.raises(FormError) as caught:
        read_xlsform_bytes(too_long, f"form{suffix}")
    assert str(caught.value) == (
        f"form{suffix}: sheet 'choices' has more than 50 rows: not a form Samluat loads"
    )


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".md"])
def test_a_sheet_past_the_cell_limit_is_refused(suffix: str, small_limits: None) -> None:
    wide = [[*row, "x", "y", "z", "w"] for row in _villages(40)]  # 7 cells a row
    with pytest.raises(FormError) as caught:
        read_xlsform_bytes(
            _form_file({"survey": SELECT_FORM, "choices": wide}, suffix), f"f{suffix}"
        )
    assert str(caught.value) == (
        f"f{suffix}: sheet 'choices' has more than 200 filled cells: not a form Samluat loads"
    )


def test_sheets_pyxform_does_not_read_are_not_counted(small_limits: None) -> None:
    """A workbook may keep its source data (all villages) on a sheet of its own."""
    data = _raw_xlsx(
        {"survey": SELECT_FORM, "choices": _villages(3), "all villages": _villages(500)}
    )
    assert read_xlsform_bytes(data, "form.xlsx").count_questions() == 1


def test_a_markdown_file_of_endless_tables_is_refused(small_limits: None) -> None:
    tables = "".join(f"| t{n} |\n| | a |\n" for n in range(10))
    with pytest.raises(FormError) as caught:
        read_xlsform_bytes(tables.encode(), "f.md")
    assert str(caught.value) == "f.md: the file has more than 5 tables: not a form Samluat loads"


def test_the_row_limit_refuses_a_sheet_just_past_it_in_seconds() -> None:
    import time

    rows = [["type", "name", "label"]] + [["integer", f"q{n}", "Q"] for n in range(100_000)]
    data = _raw_xlsx({"survey": rows})  # 100,001 rows with the header
    started = time.monotonic()
    with pytest.raises(FormError) as caught:
        read_xlsform_bytes(data, "bomb.xlsx")
    assert str(caught.value) == (
        "bomb.xlsx: sheet 'survey' has more than 100,000 rows: not a form Samluat loads"
    )
    assert time.monotonic() - started < 10  # loading it took ~40 s and ~½ GB


@pytest.mark.parametrize("where", ["reading", "returning", "compiling"])
def test_running_out_of_memory_is_a_form_error(where: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Short of memory, the loader ended in `SystemError: error return without exception
    set`, raised where the reader returned; or in a MemoryError while compiling."""
    from app.engine import ingest
    from app.engine.compiled import CompiledForm
    from app.engine.loader import load_form_bytes

    def out_of_memory(error: type[Exception]) -> Callable[..., None]:
        def fail(*_args: object, **_kwargs: object) -> None:
            raise error()

        return fail

    target, name, error = {
        "reading": (ingest, "get_xlsform", MemoryError),
        "returning": (ingest, "read_xlsform_bytes", SystemError),
        "compiling": (CompiledForm, "build", MemoryError),
    }[where]
    monkeypatch.setattr(target, name, out_of_memory(error))
    form = _raw_xlsx({"survey": SELECT_FORM, "choices": _villages(2)})
    with pytest.raises(FormError) as caught:
        load_form_bytes(form, "big.xlsx", use_cache=False)
    assert str(caught.value) == (
        "big.xlsx: not enough memory to read this form: it is too large to load on this computer"
    )
