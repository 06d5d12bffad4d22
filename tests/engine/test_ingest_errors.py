"""XLSForm ingest errors: every problem names file:sheet:row:column, nothing else escapes."""

from __future__ import annotations

import io
import os
import random
import re
import zipfile
from pathlib import Path

import pytest

from app.core.errors import FormError, FormErrors
from app.engine.ingest import read_xlsform, read_xlsform_bytes, read_xlsform_dict


def sheet(name: str, header: list[str], *rows: list[str]) -> str:
    lines = [f"| {name} |", "| | " + " | ".join(header) + " |"]
    lines += ["| | " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def errors_of(data: bytes | str, name: str = "f.md") -> list[str]:
    """The error lines for a form given as text or bytes (file named `name`)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with pytest.raises((FormError, FormErrors)) as caught:
        read_xlsform_bytes(raw, name)
    error = caught.value
    if isinstance(error, FormErrors):
        assert len(error.errors) > 1, "FormErrors is for several errors"
        return [str(e) for e in error.errors]
    assert isinstance(error, FormError)
    return [str(error)]


def one_error(data: bytes | str, name: str = "f.md") -> str:
    found = errors_of(data, name)
    assert len(found) == 1, found
    return found[0]


# A Python exception's name (UnicodeDecodeError, TypeError …) in a message for form authors.
PYTHON_NAME = re.compile(r"\b[A-Z]\w*(?:Error|Exception)\b")


def assert_for_authors(message: str) -> None:
    """One line, and no Python exception names in it."""
    assert "\n" not in message, message
    assert not PYTHON_NAME.search(message), message


Q = ["type", "name", "label"]


# -- locations of each kind of error -------------------------------------------------


def test_unknown_type() -> None:
    text = sheet("survey", Q, ["text", "a", "A"], ["colour_picker", "b", "B"])
    assert (
        one_error(text) == "f.md:survey:3:type: unsupported: unknown question type 'colour_picker'"
    )


def test_unknown_type_column_as_written() -> None:
    text = sheet("survey", ["TYPE", "NAME", "LABEL"], ["mystery", "b", "B"])
    assert one_error(text) == "f.md:survey:2:TYPE: unsupported: unknown question type 'mystery'"


def test_unsupported_include() -> None:
    text = sheet("survey", Q, ["include", "other_form", "X"])
    assert one_error(text) == (
        "f.md:survey:2:type: unsupported: include (sections taken from other files)"
    )


def test_unsupported_external_instances() -> None:
    text = sheet("survey", Q, ["csv-external", "households", ""])
    assert one_error(text).startswith("f.md:survey:2:type: unsupported: csv-external")


def test_unsupported_select_from_previous_answers() -> None:
    text = sheet("survey", Q, ["text", "x", "X"], ["select_one ${x}", "q", "Q"])
    assert one_error(text) == (
        "f.md:survey:3:type: unsupported: choices from the answers of another question (${x})"
    )


def test_unsupported_last_saved() -> None:
    text = sheet(
        "survey", [*Q, "default"], ["text", "x", "X", ""], ["text", "y", "Y", "${last-saved#x}"]
    )
    assert one_error(text).startswith("f.md:survey:3:default: unsupported: ${last-saved#x}")


def test_bad_classification() -> None:
    text = sheet("survey", [*Q, "classification"], ["text", "a", "A", "secret"])
    assert one_error(text) == (
        "f.md:survey:2:classification: classification 'secret' is not one of "
        "public, internal, confidential, restricted"
    )


def test_unknown_ref_in_relevant_and_in_label_together() -> None:
    text = sheet(
        "survey",
        [*Q, "relevant"],
        ["integer", "a", "A ${zz}", ""],
        ["integer", "b", "B", "${nope} > 1"],
    )
    assert errors_of(text) == [
        "f.md:survey:2:label: unknown field ${zz}",
        "f.md:survey:3:relevant: unknown field ${nope}",
    ]


def test_unknown_ref_in_a_translated_hint() -> None:
    text = sheet(
        "survey",
        ["type", "name", "label::English (en)", "hint::Lao (lo)"],
        ["text", "a", "A", "ບອກ ${ghost}"],
    )
    assert one_error(text) == "f.md:survey:2:hint::Lao (lo): unknown field ${ghost}"


def test_unknown_ref_in_choice_label() -> None:
    text = sheet("survey", Q, ["select_one yn", "q", "Q"]) + sheet(
        "choices", ["list_name", "name", "label"], ["yn", "y", "Yes"], ["yn", "n", "No ${who}"]
    )
    assert one_error(text) == "f.md:choices:3:label: unknown field ${who}"


def test_ambiguous_ref() -> None:
    text = sheet(
        "survey",
        [*Q, "relevant"],
        ["begin group", "g1", "G1", ""],
        ["text", "a", "A", ""],
        ["end group", "", "", ""],
        ["begin group", "g2", "G2", ""],
        ["text", "a", "A", ""],
        ["end group", "", "", ""],
        ["text", "b", "B", "${a} = 'x'"],
    )
    assert one_error(text) == (
        "f.md:survey:8:relevant: ambiguous reference ${a}: several fields have this name"
    )


@pytest.mark.parametrize(
    "select",
    ["select_one", "select_multiple", "rank", "select_one_external", "select_one_from_file"],
)
def test_select_without_list_needs_a_choice_list(select: str) -> None:
    """`select_one` alone was reported as "unknown question type 'select_one'"."""
    text = sheet("survey", Q, ["text", "a", "A"], [select, "c", "Colour"]) + sheet(
        "choices", ["list_name", "name", "label"], ["yn", "yes", "Yes"]
    )
    assert one_error(text) == "f.md:survey:3:type: a select question needs a choice list"


def test_missing_choice_list() -> None:
    text = sheet("survey", Q, ["select_one nolist", "q", "Q"]) + sheet(
        "choices", ["list_name", "name", "label"], ["yn", "y", "Yes"]
    )
    assert one_error(text) == "f.md:survey:2:type: unknown choice list 'nolist'"


def test_broken_expression_names_row_column_and_position() -> None:
    text = sheet(
        "survey", [*Q, "constraint"], ["integer", "a", "A", ""], ["integer", "b", "B", ". > ("]
    )
    message = one_error(text)
    assert message.startswith("f.md:survey:3:constraint: invalid expression: ")
    assert "at character 6 of '. > ('" in message


def test_broken_required_expression() -> None:
    text = sheet(
        "survey", [*Q, "required"], ["integer", "a", "A", "yes"], ["integer", "b", "B", "${a} >"]
    )
    assert one_error(text).startswith("f.md:survey:3:required: invalid expression: ")


def test_broken_instance_name() -> None:
    text = sheet("survey", Q, ["text", "a", "A"]) + sheet(
        "settings", ["form_title", "instance_name"], ["T", "concat(${a}"]
    )
    assert one_error(text).startswith("f.md:settings:2:instance_name: invalid expression: ")


def test_broken_choice_filter_and_repeat_count() -> None:
    text = sheet(
        "survey",
        [*Q, "choice_filter", "repeat_count"],
        ["select_one yn", "q", "Q", "name = = 'y'", ""],
        ["begin repeat", "r", "R", "", "3 +"],
        ["text", "t", "T", "", ""],
        ["end repeat", "", "", "", ""],
    ) + sheet("choices", ["list_name", "name", "label"], ["yn", "y", "Yes"])
    found = errors_of(text)
    assert [e.split(": invalid expression:")[0] for e in found] == [
        "f.md:survey:2:choice_filter",
        "f.md:survey:3:repeat_count",
    ]


def test_question_without_label_or_hint() -> None:
    text = sheet("survey", Q, ["text", "a", ""])
    assert one_error(text) == "f.md:survey:2:label: the question 'a' has no label or hint"


def test_duplicate_names() -> None:
    message = one_error(sheet("survey", Q, ["text", "q", "Q"], ["text", "q", "Q2"]))
    assert message.startswith("f.md:survey:3:name: the 'name' value 'q' is invalid.")


def test_invalid_name() -> None:
    message = one_error(sheet("survey", Q, ["text", "1bad", "Q"]))
    assert message.startswith("f.md:survey:2:name: ")


def test_row_without_name() -> None:
    assert one_error(sheet("survey", Q, ["text", "", "Q"])) == (
        "f.md:survey:2:name: this row has a type but no name"
    )


def test_unmatched_begin_group() -> None:
    message = one_error(sheet("survey", Q, ["begin group", "g", "G"], ["text", "a", "A"]))
    assert message.startswith("f.md:survey:2: ")
    assert "end_group" in message


def test_all_errors_in_one_pass_in_row_order() -> None:
    text = sheet(
        "survey",
        [*Q, "relevant", "classification"],
        ["text", "a", "A", "", "top-secret"],
        ["text", "b", "B", "${a} = ", ""],
        ["wizard", "c", "C", "", ""],
        ["text", "d", "D ${ghost}", "", ""],
    )
    found = errors_of(text)
    assert [line.split(": ")[0] for line in found] == [
        "f.md:survey:2:classification",
        "f.md:survey:3:relevant",
        "f.md:survey:4:type",
        "f.md:survey:5:label",
    ]


def test_errors_are_collected_even_when_pyxform_stops_early() -> None:
    # pyxform stops at the duplicate name; our own checks still report the other rows.
    text = sheet(
        "survey",
        [*Q, "relevant"],
        ["text", "q", "Q", "${q} = ("],
        ["text", "q", "Q2", ""],
        ["mystery", "z", "Z", ""],
    )
    sources = [line.split(": ")[0] for line in errors_of(text)]
    assert sources == ["f.md:survey:2:relevant", "f.md:survey:3:name", "f.md:survey:4:type"]


# -- hostile files -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["empty.md", "empty.xlsx", "empty.xls", "empty.csv"])
def test_empty_file(name: str) -> None:
    assert one_error(b"", name) == f"{name}: the form file is empty"


@pytest.mark.parametrize("name", ["noise.xlsx", "noise.xls", "noise.csv", "noise.md"])
def test_random_bytes(name: str) -> None:
    noise = random.Random(7).randbytes(4096)
    message = one_error(noise, name)
    assert message.startswith(f"{name}: ")
    assert "internal error" not in message
    assert_for_authors(message)


def test_zip_that_is_not_a_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a spreadsheet")
    assert one_error(buffer.getvalue(), "fake.xlsx").startswith("fake.xlsx: ")


def test_zip_bomb_is_refused_before_inflating() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    assert one_error(buffer.getvalue(), "bomb.xlsx") == (
        "bomb.xlsx: the .xlsx file expands to an implausible size; refusing it"
    )


def test_invalid_utf8_markdown() -> None:
    data = sheet("survey", Q, ["text", "a", "A"]).encode() + b"| | text | b | \xff\xfe |\n"
    assert one_error(data, "bad.md") == (
        "bad.md: the file is not UTF-8 text (first non-UTF-8 byte on line 4): save it as UTF-8 text"
    )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "latin1.csv",
            "survey,type,name,label\n,text,cafe,Café\n".encode("latin-1"),
            'the file is not UTF-8 text (first non-UTF-8 byte on line 2): save it as "CSV UTF-8"',
        ),
        (
            "excel.csv",
            "survey,type,name,label\n,text,a,A\n,text,b,“B”\n".encode("cp1252"),
            'the file is not UTF-8 text (first non-UTF-8 byte on line 3): save it as "CSV UTF-8"',
        ),
        (
            "utf16.csv",
            "survey,type,name,label\n,text,a,A\n".encode("utf-16"),
            'the file is UTF-16 text, not UTF-8: save it as "CSV UTF-8"',
        ),
    ],
)
def test_text_that_is_not_utf8_names_the_line_and_the_fix(
    name: str, data: bytes, message: str
) -> None:
    """It said "cannot read the file as .csv (UnicodeDecodeError: … position 36 …)"."""
    assert one_error(data, name) == f"{name}: {message}"


def test_md_without_survey_sheet() -> None:
    text = sheet("choices", ["list_name", "name", "label"], ["yn", "y", "Yes"]) + sheet(
        "settings", ["form_title"], ["T"]
    )
    assert one_error(text) == "f.md: You must have a sheet named 'survey'."


def test_md_with_no_tables_at_all() -> None:
    assert one_error("just some prose, no tables\n").startswith("f.md: ")


def test_unsupported_suffix() -> None:
    assert one_error(b"type,name\ntext,a\n", "form.txt") == (
        "form.txt: unsupported: file type '.txt' (use .xlsx, .xls, .csv or .md)"
    )


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.xlsx"
    with pytest.raises(FormError) as caught:
        read_xlsform(path)
    assert str(caught.value).startswith(f"{path}: cannot read the form file")


def test_directory_instead_of_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.md"
    folder.mkdir()
    with pytest.raises(FormError) as caught:
        read_xlsform(folder)
    assert str(caught.value).startswith(f"{folder}: ")


def test_huge_row_loads() -> None:
    label = "ລາວ" * 35_000  # 105,000 characters
    form = read_xlsform_bytes(sheet("survey", Q, ["text", "a", label]).encode(), "big.md")
    (question,) = [q for q in form.questions() if q.name == "a"]
    assert len(question.label["default"]) == len(label)


def test_huge_broken_expression_reports_position() -> None:
    expression = " + ".join(["1"] * 20_000) + " +"
    message = one_error(sheet("survey", [*Q, "calculation"], ["calculate", "c", "", expression]))
    assert message.startswith("f.md:survey:2:calculation: invalid expression: ")


def test_deeply_nested_expression_is_a_form_error() -> None:
    expression = "(" * 5000 + "1" + ")" * 5000
    message = one_error(sheet("survey", [*Q, "calculation"], ["calculate", "c", "", expression]))
    assert message.startswith("f.md:survey:2:calculation: invalid expression: ")
    assert len(message) < 300  # the 10,000-character expression is quoted only in part


def test_csv_with_foreign_sheet_names() -> None:
    """From pyxform's corpus: a plain CSV table (a choices file). It said "cannot read the
    file as .csv (TypeError: DefinitionData.__init__() got an unexpected keyword …)"."""
    data = b"name_key,name\nmango,Mango\norange,Orange\nbanana,Banana\npapaya,Papaya\n"
    assert one_error(data, "fruits.csv") == (
        "fruits.csv: no survey sheet found: an XLSForm CSV names its sheet (survey) in the "
        "first column"
    )


def test_csv_naming_a_sheet_that_is_no_xlsform_sheet_names_its_line() -> None:
    data = b"survey,type,name,label\n,text,a,A\nnotes,,,\n,ask the chief first,,\n"
    assert one_error(data, "f.csv") == (
        "f.csv: line 3: 'notes' in the first column is not an XLSForm sheet; the first column "
        "names the sheet (survey, choices, settings) and is otherwise empty"
    )


def test_workbook_dict_with_an_unknown_sheet_names_it() -> None:
    workbook = {"survey": [{"type": "text", "name": "a", "label": "A"}], "villages": []}
    with pytest.raises(FormError) as caught:
        read_xlsform_dict(workbook, "gen.md")
    assert str(caught.value) == "gen.md: not an XLSForm workbook: unknown sheet 'villages'"


def test_an_internal_error_is_one_line_without_python_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.engine import ingest

    def broken(*_args: object) -> None:
        raise KeyError("children")

    monkeypatch.setattr(ingest, "_load", broken)
    message = one_error(sheet("survey", Q, ["text", "a", "A"]))
    assert message == (
        "f.md: internal error while loading the form: please report it (the log has details)"
    )


def test_nothing_but_form_errors_for_the_whole_corpus_under_byte_flips() -> None:
    corpus = Path(__file__).resolve().parents[1] / "data" / "corpus" / "xlsform"
    rng = random.Random(2024)
    for path in sorted(corpus.iterdir()):
        data = bytearray(path.read_bytes())
        for _ in range(3):
            flipped = bytearray(data)
            for _ in range(8):
                flipped[rng.randrange(len(flipped))] = rng.randrange(256)
            try:
                read_xlsform_bytes(bytes(flipped), path.name)
            except FormErrors as errors:
                for error in errors.errors:
                    assert path.name in str(error)
                    assert_for_authors(str(error))
            except FormError as error:
                assert path.name in str(error)
                assert "internal error" not in str(error)
                assert_for_authors(str(error))


def test_read_only_file_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "ro.md"
    path.write_text(sheet("survey", Q, ["text", "a", "A"]), encoding="utf-8")
    os.chmod(path, 0o444)
    assert read_xlsform(path).form_id == "ro"


def test_malformed_references_are_reported_once_per_problem() -> None:
    text = sheet(
        "survey", [*Q, "hint"], ["integer", "a", "A", ""], ["integer", "b", "B", "${1x} ${a"]
    )
    assert errors_of(text) == [
        "f.md:survey:3:hint: invalid reference ${1x}",
        "f.md:survey:3:hint: unterminated reference '${a'",
    ]


def test_pyxform_warnings_are_one_line_each() -> None:
    """`form check` printed pyxform's missing-translation warning over several lines."""
    text = sheet("survey", ["type", "name", "label::English (en)", "hint::Lao (lo)"]) + (
        "| | text | a | A | ຄຳແນະນຳ |\n"
    )
    (warning,) = read_xlsform_bytes(text.encode(), "f.md").warnings
    assert warning == (
        "Language 'English (en)' is missing the survey hint column. "
        "Language 'Lao (lo)' is missing the survey label column."
    )
