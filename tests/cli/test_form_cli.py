"""`samluat form check` and `samluat form fill`, run as a user would run them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.cli.main import main
from app.core import paths
from app.study.forms import instrument_files
from tests.engine.formtools import write_form

GOOD = """
| survey |
| | type | name | label::English (en) | label::Lao (lo) | relevant | calculation | constraint | constraint_message::English (en) | constraint_message::Lao (lo) | required |
| | integer | staff | Staff with data roles | ພະນັກງານທີ່ມີບົດບາດດ້ານຂໍ້ມູນ | | | . >= 0 | Cannot be negative | ບໍ່ສາມາດເປັນຄ່າລົບ | yes |
| | select_one yn | has_unit | Data unit? | ມີໜ່ວຍງານຂໍ້ມູນບໍ? | | | | | | yes |
| | text | unit_name | Unit name | ຊື່ໜ່ວຍງານ | ${has_unit} = 'yes' | | | | | yes |
| | begin repeat | system | Data system | ລະບົບຂໍ້ມູນ | | | | | | |
| | text | sys_name | Name | ຊື່ | | | | | | |
| | end repeat | | | | | | | | | |
| | calculate | n_systems | | | | count(${system}) | | | | |
| choices |
| | list_name | name | label::English (en) | label::Lao (lo) |
| | yn | yes | Yes | ແມ່ນ |
| | yn | no | No | ບໍ່ແມ່ນ |
| settings |
| | form_id | form_title | version | default_language |
| | org | Organisation | 2 | English (en) |
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_check_prints_ok_with_question_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_form(tmp_path, GOOD)
    code, out, _err = run(capsys, "form", "check", str(path))
    assert code == 0
    assert out.strip() == f"ok {path} 4"


def test_check_lists_every_error_with_location_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_form(tmp_path, GOOD, name="good.md")
    bad = write_form(
        tmp_path,
        """
| survey |
| | type | name | label | relevant | constraint |
| | integer | a | A | ${nothere} > 1 | |
| | integer | b | B | | . >>= 2 |
""",
        name="bad.md",
    )
    code, out, _err = run(capsys, "form", "check", str(good), str(bad))
    assert code == 1
    lines = out.strip().splitlines()
    assert lines[0] == f"ok {good} 4"
    assert any(
        line.startswith(f"{bad}:survey:2:relevant:") and "${nothere}" in line for line in lines
    )
    assert any(line.startswith(f"{bad}:survey:3:constraint:") for line in lines)


def test_fill_applies_answers_and_reports_values_relevance_and_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_form(tmp_path, GOOD)
    answers = tmp_path / "answers.json"
    answers.write_text(
        json.dumps(
            {
                "staff": -2,
                "has_unit": "yes",
                "system": [{"sys_name": "HMIS"}, {"sys_name": "ລະບົບບັນຊີ"}],
            }
        ),
        encoding="utf-8",
    )
    code, out, _err = run(
        capsys, "form", "fill", str(path), "--answers", str(answers), "--lang", "lo"
    )
    assert code == 0
    report = json.loads(out)
    assert report["fields"]["staff"] == {"value": -2, "relevant": True}
    assert report["fields"]["unit_name"] == {"value": None, "relevant": True}
    assert report["fields"]["system[2]/sys_name"]["value"] == "ລະບົບບັນຊີ"
    assert report["fields"]["n_systems"]["value"] == "2"
    assert report["valid"] is False
    assert {(e["field"], e["kind"]) for e in report["errors"]} == {
        ("staff", "constraint"),
        ("unit_name", "required"),
    }
    assert next(e for e in report["errors"] if e["field"] == "staff")["message"] == "ບໍ່ສາມາດເປັນຄ່າລົບ"
    assert report["document"]["data"]["system"] == [{"sys_name": "HMIS"}, {"sys_name": "ລະບົບບັນຊີ"}]


def test_fill_names_the_bad_answer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_form(tmp_path, GOOD)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"staff": 3, "has_unit": "maybe"}), encoding="utf-8")
    code, _out, err = run(capsys, "form", "fill", str(path), "--answers", str(answers))
    assert code == 1
    assert f"{answers}: has_unit: 'maybe' is not one of the choices" in err
    answers.write_text('{"staff": 3,', encoding="utf-8")
    code, _out, err = run(capsys, "form", "fill", str(path), "--answers", str(answers))
    assert code == 1
    assert f"{answers}:1:" in err and "not valid JSON" in err
    answers.write_text("[" * 30_000 + "]" * 30_000, encoding="utf-8")
    code, _out, err = run(capsys, "form", "fill", str(path), "--answers", str(answers))
    assert code == 1
    assert f"{answers}: not valid JSON: nested too deeply" in err
    answers.write_text(json.dumps({"sys_name": "x"}), encoding="utf-8")
    code, _out, err = run(capsys, "form", "fill", str(path), "--answers", str(answers))
    assert code == 1
    assert "sys_name: not a field of the top level (is it inside a repeat?)" in err


def test_console_script_runs_as_a_separate_process(tmp_path: Path) -> None:
    path = write_form(tmp_path, GOOD)
    result = subprocess.run(
        [sys.executable, "-m", "app", "form", "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
        env={"SAMLUAT_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok ")


def test_check_goes_on_past_a_form_too_deep_to_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], samluat_home: Path
) -> None:
    expression = " or ".join(f"${{q1}} = '{i}'" for i in range(400))
    long = write_form(
        tmp_path,
        f"""
| survey |
| | type | name | label | relevant |
| | text | q1 | Q1 | |
| | text | q2 | Q2 | {expression} |
""",
        name="long_relevant.md",
    )
    good = write_form(tmp_path, GOOD, name="good.md")
    code, out, err = run(capsys, "form", "check", str(long), str(good))
    assert (code, err) == (0, "")
    assert out.splitlines() == [f"ok {long} 2", f"ok {good} 4"]
    cached = [p.name for p in (samluat_home / "cache" / "forms").iterdir()]
    assert len(cached) == 1 and cached[0].endswith(".pickle")  # good.md only, no temp file


TYPES = """
| survey |
| | type | name | label |
| | integer | your_age | Age |
| | decimal | weight | Weight |
| | text | your_name | Name |
"""


@pytest.mark.parametrize(
    ("answers_text", "problem"),
    [
        *(
            (f'{{"{field}": 1{"0" * 400}}}', f"{field}: the number is too large")
            for field in ("your_age", "weight", "your_name")
        ),
        ('{"your_age": 1' + "0" * 5000 + "}", "not valid JSON: a number has too many digits"),
        (
            '{"your_name": "Noy \\ud800"}',
            "your_name: the answer is not valid text (a lone surrogate)",
        ),
    ],
    ids=["integer", "decimal", "text", "5000-digits", "lone-surrogate"],
)
def test_fill_names_what_is_wrong_with_an_answer_instead_of_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], answers_text: str, problem: str
) -> None:
    """A 400-digit number overflowed float(), 5,000 digits passed Python's conversion limit,
    and a lone surrogate was stored and then broke the printing half-way."""
    path = write_form(tmp_path, TYPES)
    answers = tmp_path / "answers.json"
    answers.write_text(answers_text, encoding="utf-8")
    code, out, err = run(capsys, "form", "fill", str(path), "--answers", str(answers))
    assert (code, out) == (1, "")
    assert err == f"error: {answers}: {problem}\n"


def test_fill_reads_answers_saved_with_a_bom(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_form(tmp_path, TYPES)
    answers = tmp_path / "answers.json"
    answers.write_bytes(b"\xef\xbb\xbf" + '{"your_name": "ນ້ອຍ"}'.encode())
    code, out, err = run(capsys, "form", "fill", str(path), "--answers", str(answers))
    assert (code, err) == (0, "")
    assert "ນ້ອຍ" in out


def test_check_reads_forms_saved_with_a_bom_and_names_deep_nesting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "excel.csv"  # as Excel's "CSV UTF-8" saves it
    csv.write_bytes(b"\xef\xbb\xbfsurvey,type,name,label\n,text,your_name,Your name\n")
    md = write_form(tmp_path, GOOD, name="notepad.md")
    md.write_bytes(b"\xef\xbb\xbf" + md.read_bytes())
    deep = write_form(
        tmp_path,
        "| survey |\n| | type | name | label |\n"
        + "".join(f"| | begin group | g{i} | G{i} |\n" for i in range(400))
        + "| | text | q | Q |\n"
        + "| | end group | | |\n" * 400,
        name="deep400.md",
    )
    code, out, _err = run(capsys, "form", "check", "--no-cache", str(csv), str(md), str(deep))
    assert code == 1
    assert out.splitlines() == [
        f"ok {csv} 1",
        f"ok {md} 4",
        f"{deep}:survey: the form is too deeply nested",
    ]


# -- fill takes a response, as `samluat demo` writes it ---------------------------------

INSTRUMENTS = instrument_files(paths.default_forms_dir())
# What the app fills in itself, differently at each filling (the instanceID is kept).
APP_METADATA = frozenset({"start", "end", "today", "deviceid", "username"})


def without_app_metadata(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in APP_METADATA}


@pytest.mark.parametrize("form", INSTRUMENTS, ids=lambda p: p.name)
def test_a_demo_response_fills_back_as_it_is(
    form: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """fill refused demo output: "meta/instanceID: this field is read-only", "…: this field
    is calculated by the form", and a repeat given (sorted keys) before its count."""
    code, out, _err = run(capsys, "demo", "--form", str(form), "--count", "3", "--seed", "13")
    assert code == 0
    for number, line in enumerate(out.splitlines(), start=1):
        answers = tmp_path / f"response{number}.json"
        answers.write_text(line, encoding="utf-8")
        code, filled, err = run(capsys, "form", "fill", str(form), "--answers", str(answers))
        assert (code, err) == (0, "")
        report = json.loads(filled)
        assert report["valid"] is True, report["errors"]
        response = json.loads(line)
        document = report["document"]
        assert document["instance_id"] == response["instance_id"]
        assert without_app_metadata(document["data"]) == without_app_metadata(response["data"])


COUNTED = """
| survey |
| | type | name | label | repeat_count | calculation | read_only |
| | integer | n | How many? | | | |
| | begin repeat | a_items | Item | ${n} | | |
| | text | x | X | | | |
| | end repeat | | | | | |
| | calculate | total | | | ${n} * 10 | |
| | text | code | Code | | | yes |
"""


def fill(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], answers: dict[str, Any]
) -> tuple[int, str, str]:
    path = write_form(tmp_path, COUNTED)
    answers_file = tmp_path / "answers.json"
    answers_file.write_text(json.dumps(answers), encoding="utf-8")
    return run(capsys, "form", "fill", str(path), "--answers", str(answers_file))


def test_fill_applies_answers_in_the_form_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """In the file's key order, the repeat came before the count that makes its instances."""
    code, out, err = fill(tmp_path, capsys, {"a_items": [{"x": "A"}, {"x": "B"}], "n": 2})
    assert (code, err) == (0, "")
    assert json.loads(out)["document"]["data"]["a_items"] == [{"x": "A"}, {"x": "B"}]


def test_fill_compares_values_the_form_computes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    agreeing = {"n": 1, "a_items": [{"x": "A"}], "total": 10, "code": None}
    code, out, err = fill(tmp_path, capsys, {**agreeing, "meta": {"instanceID": "uuid:kept"}})
    assert (code, err) == (0, "")
    assert json.loads(out)["document"]["instance_id"] == "uuid:kept"
    answers = tmp_path / "answers.json"
    code, out, err = fill(tmp_path, capsys, {**agreeing, "total": 12})
    assert (code, out) == (1, "")
    assert err == (
        f'error: {answers}: total: this field is calculated by the form, which gives it "10"; '
        "the answers give 12\n"
    )
    code, out, err = fill(tmp_path, capsys, {**agreeing, "code": "X1"})
    assert err == (
        f"error: {answers}: code: this field is read-only, which gives it null; "
        'the answers give "X1"\n'
    )
    code, out, err = fill(tmp_path, capsys, {**agreeing, "nothere": 1})
    assert err == f"error: {answers}: nothere: no such field in this form\n"


def test_fill_refuses_a_response_to_another_form_or_several_responses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    response = {"format": "samluat.submission/1", "form_id": "other", "data": {"n": 0}}
    code, _out, err = fill(tmp_path, capsys, response)
    assert err == f"error: {tmp_path / 'answers.json'}: a response to form 'other', not to 'form'\n"
    path = write_form(tmp_path, COUNTED)
    answers = tmp_path / "two.jsonl"
    answers.write_text('{"n": 1}\n{"n": 2}\n', encoding="utf-8")
    code, _out, err = run(capsys, "form", "fill", str(path), "--answers", str(answers))
    assert code == 1
    assert err.startswith(f"error: {answers}:2:1: not valid JSON: Extra data (one response a")
