"""The coordinator's spreadsheet of cases: checked whole, stored whole, re-imported harmlessly."""

from __future__ import annotations

import io
import re
import shutil
import sys
import zipfile
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from app.bundle.keys import create_coordinator_keys
from app.bundle.target import BundleTarget
from app.cli.main import main
from app.core import paths
from app.core.i18n import translator
from app.fieldwork.assigning import AssignmentFileError, import_assignments
from app.fieldwork.library import FormLibrary, register_study_forms
from app.store import LocalStore, Role
from app.store.store import create_store
from app.study.config import StudyConfig, load_study
from tests.bundle.bundletools import FAST_KDF, PASSPHRASE

PASSWORD = "correct horse battery"
HEADER = "form,institution,respondent,interviewer,province,cluster,notes\n"


@pytest.fixture
def coordinator_db(tmp_path: Path) -> Iterator[LocalStore]:
    store = create_store(
        username="keo", password=PASSWORD, kdf=FAST_KDF, path=tmp_path / "coordinator.db"
    )
    keys = tmp_path / "keys"
    create_coordinator_keys(BundleTarget.from_store(store), out_dir=keys, passphrase=PASSPHRASE)
    register_study_forms(store, paths.default_forms_dir())
    store.add_user(username="noy", password=PASSWORD, role=Role.ENUMERATOR)
    store.add_user(username="bounmy", password=PASSWORD, role=Role.INTERVIEWER)
    yield store
    store.close()


@pytest.fixture
def study() -> StudyConfig:
    return load_study(paths.default_forms_dir() / "study.toml")


def _write(tmp_path: Path, text: str, name: str = "cases.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _import(store: LocalStore, study: StudyConfig, path: Path) -> object:
    return import_assignments(store, FormLibrary(store), study, path)


def test_cases_by_code_or_name_reach_the_database_once(
    coordinator_db: LocalStore, study: StudyConfig, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        HEADER
        + "dg_survey,mtc,Director of IT,noy,vt,,first visit\n"
        + "dg_interview,ທະນາຄານການຄ້າຕ່າງປະເທດລາວ ມະຫາຊົນ (BCEL),ທ່ານ ບຸນມີ,Bounmy,Vientiane Capital,,\n"
        + ",,,,,,\n",  # a blank line of a spreadsheet: ignored
    )
    result = _import(coordinator_db, study, path)
    assert (result.added, result.already) == (2, 0)  # type: ignore[attr-defined]
    assert result.by_interviewer == {"noy": 1, "bounmy": 1}  # type: ignore[attr-defined]
    cases = {a.form_id: a for a in coordinator_db.list_assignments()}
    survey, interview = cases["dg_survey"], cases["dg_interview"]
    assert (survey.institution, survey.cluster, survey.province) == ("mtc", "core_regulatory", "vt")
    assert survey.notes == "first visit" and survey.respondent == "Director of IT"
    # Names in Lao or English become the list's codes; the cluster is the institution's own.
    assert (interview.institution, interview.cluster, interview.province) == (
        "bcel",
        "private_sector",
        "vt",
    )
    assert interview.respondent == "ທ່ານ ບຸນມີ"

    again = _import(coordinator_db, study, path)
    assert (again.added, again.already) == (0, 2)  # type: ignore[attr-defined]
    assert len(coordinator_db.list_assignments()) == 2


def test_an_excel_workbook_is_read_like_a_csv(
    coordinator_db: LocalStore, study: StudyConfig, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Form", "Institution", "Interviewer", "Respondent"])
    sheet.append(["dg_swot", None, "noy", None])  # a SWOT statement: no institution
    sheet.append([None, None, None, None])
    sheet.append(["dg_survey", "Ministry of Health", "noy", 42])  # a number typed in a cell
    path = tmp_path / "cases.xlsx"
    book.save(path)
    result = _import(coordinator_db, study, path)
    assert result.added == 2  # type: ignore[attr-defined]
    assert {a.respondent for a in coordinator_db.list_assignments()} == {"", "42"}


HOSTILE = [
    ("", "cases.csv: empty"),
    ("form,institution\ndg_survey,mtc\n", "cases.csv:1: column 'interviewer' is missing"),
    (
        "form,institution,interviewer,instituton\ndg_survey,mtc,noy,x\n",
        "cases.csv:1: column 'instituton' is not known",
    ),
    (
        "form,institution,interviewer,form\ndg_survey,mtc,noy,dg_survey\n",
        "column 'form' appears twice",
    ),
    (HEADER + "dg_nothing,mtc,,noy,,,\n", "cases.csv:3: form: 'dg_nothing' is not a form"),
    (HEADER + "dg_survey,mtc,,nobody,,,\n", "cases.csv:3: interviewer: 'nobody' is not a user"),
    (HEADER + "dg_survey,xyz,,noy,,,\n", "cases.csv:3: institution: 'xyz' is not in"),
    (HEADER + "dg_survey,,,noy,,,\n", "cases.csv:3: institution: is empty"),
    (
        HEADER + "dg_swot,mtc,,noy,,,\n",
        "institution: this form does not ask for an institution",
    ),
    (HEADER + "dg_survey,mtc,,noy,Paris,,\n", "province: 'Paris' is not in"),
    (
        HEADER + "dg_survey,mtc,,noy,vt,sectoral,\n",
        "cluster: 'sectoral' is not the cluster of mtc",
    ),
    (HEADER + "dg_survey,mtc,,noy,vt,galaxy,\n", "cluster: 'galaxy' is not in"),
    (HEADER + "dg_survey,mtc,a\x07b,noy,,,\n", "respondent: contains control characters"),
    (HEADER + "dg_survey,mtc," + "x" * 201 + ",noy,,,\n", "respondent: longer than 200"),
    (
        HEADER + "dg_survey,mtc,Ms A,noy,,,\ndg_survey,mtc,ms a,noy,,,\n",
        "cases.csv:4: repeats row 3",
    ),
    (HEADER + 'dg_survey,"mtc,noy\n', 'cases.csv:3: a quote (") opened in this row is never'),
]


@pytest.mark.parametrize(("text", "expected"), HOSTILE)
def test_a_bad_file_is_refused_whole_with_the_row_and_column(
    coordinator_db: LocalStore,
    study: StudyConfig,
    tmp_path: Path,
    text: str,
    expected: str,
) -> None:
    # A good row first: it must not be stored when a later row is bad.
    good = "dg_survey,moh,Someone,noy,,,\n"
    body = text.replace(HEADER, HEADER + good, 1) if text.startswith(HEADER) else text
    path = _write(tmp_path, body)
    with pytest.raises(AssignmentFileError) as refused:
        _import(coordinator_db, study, path)
    assert expected in str(refused.value)
    assert coordinator_db.list_assignments() == []


def test_every_problem_is_listed_and_nothing_is_stored(
    coordinator_db: LocalStore, study: StudyConfig, tmp_path: Path
) -> None:
    rows = "".join(f"dg_survey,nowhere{n},,noy,,,\n" for n in range(30))
    path = _write(tmp_path, HEADER + rows)
    with pytest.raises(AssignmentFileError) as refused:
        _import(coordinator_db, study, path)
    assert len(refused.value.problems) == 30
    assert refused.value.problems[29].startswith("cases.csv:31: institution:")
    assert str(refused.value).endswith("… and 10 more")


def test_files_that_are_not_lists_of_cases(
    coordinator_db: LocalStore, study: StudyConfig, tmp_path: Path
) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + "dg_survey,mtc,Mme Noël,noy,,,\n".encode("latin-1"))
    with pytest.raises(AssignmentFileError, match="not UTF-8 text"):
        _import(coordinator_db, study, latin)
    fake = tmp_path / "cases.xlsx"
    fake.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(AssignmentFileError, match="not a readable Excel workbook"):
        _import(coordinator_db, study, fake)
    with pytest.raises(AssignmentFileError, match="cannot be read"):
        _import(coordinator_db, study, tmp_path / "missing.csv")
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as out:
        out.truncate(21 * 1024 * 1024)
    with pytest.raises(AssignmentFileError, match="too large"):
        _import(coordinator_db, study, huge)
    assert coordinator_db.list_assignments() == []


def test_a_disabled_account_gets_no_cases(
    coordinator_db: LocalStore, study: StudyConfig, tmp_path: Path
) -> None:
    coordinator_db.set_user_active(username="noy", active=False)
    path = _write(tmp_path, HEADER + "dg_survey,mtc,,noy,,,\n")
    with pytest.raises(AssignmentFileError, match="'noy' cannot be given cases"):
        _import(coordinator_db, study, path)


def test_problems_are_worded_in_the_ui_language(
    coordinator_db: LocalStore, study: StudyConfig, tmp_path: Path
) -> None:
    path = _write(tmp_path, HEADER + "dg_survey,MTCC,,noy,,,\n")
    translator.set_language("lo")
    try:
        with pytest.raises(AssignmentFileError) as refused:
            _import(coordinator_db, study, path)
    finally:
        translator.set_language("en")
    assert refused.value.problems == [
        "cases.csv:2: institution: 'MTCC' ບໍ່ຢູ່ໃນລາຍການ institution ຂອງແບບຟອມ"
    ]
    assert str(refused.value).startswith("ບໍ່ມີກໍລະນີໃດຖືກມອບໝາຍ:")


# -- hostile and damaged spreadsheets (QA) ---------------------------------------------------

CASES_HEADER = ["form", "institution", "interviewer", "respondent"]


def _xlsx(tmp_path: Path, rows: Sequence[Sequence[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    path = tmp_path / "cases.xlsx"
    book.save(path)
    return path


def _rewrite_sheet(path: Path, change: Callable[[bytes], bytes]) -> None:
    """Rewrite the workbook with its first sheet's XML changed (as a careless tool would)."""
    with zipfile.ZipFile(path) as old:
        members = [(info.filename, old.read(info)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as new:
        for name, data in members:
            new.writestr(name, change(data) if name == "xl/worksheets/sheet1.xml" else data)


def test_rows_past_a_wrong_dimension_tag_are_assigned(
    coordinator_db: LocalStore, study: StudyConfig, tmp_path: Path
) -> None:
    path = _xlsx(
        tmp_path, [CASES_HEADER, *(["dg_survey", "mof", "noy", f"Case {n}"] for n in (1, 2, 3))]
    )
    # Some applications write a <dimension> smaller than the sheet: here, one case row.
    _rewrite_sheet(
        path, lambda xml: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:D2"/>', xml)
    )
    with zipfile.ZipFile(path) as book:
        assert b'<dimension ref="A1:D2"/>' in book.read("xl/worksheets/sheet1.xml")
    result = _import(coordinator_db, study, path)
    assert result.added == 3  # type: ignore[attr-defined]
    assert sorted(a.respondent for a in coordinator_db.list_assignments()) == [
        "Case 1",
        "Case 2",
        "Case 3",
    ]


def test_cells_past_the_header_refuse_the_file(
    coordinator_db: LocalStore, study: StudyConfig, tmp_path: Path
) -> None:
    header = "form,institution,interviewer,respondent,notes\n"
    path = _write(
        tmp_path,
        header
        + "dg_survey,nowhere,noy,Mr F,\n"
        + "dg_survey,moh,noy,Mr G,call before 9, ask for the director, bring letter\n"
        + "dg_survey,mtc,noy,Ms H,fine\n",
    )
    with pytest.raises(AssignmentFileError) as refused:
        _import(coordinator_db, study, path)
    assert refused.value.problems == [
        "cases.csv:2: institution: 'nowhere' is not in the form's institution list",
        "cases.csv:3: 7 cells but the header has 5 columns (a comma inside a cell needs quotes)",
    ]
    assert coordinator_db.list_assignments() == []

    # Empty cells after a row, as Excel's CSV often has, lose nothing: accepted.
    path = _write(tmp_path, header + "dg_survey,moh,noy,Mr G,call before 9,, ,\n")
    assert _import(coordinator_db, study, path).added == 1  # type: ignore[attr-defined]
    assert [a.notes for a in coordinator_db.list_assignments()] == ["call before 9"]


def test_a_value_under_a_column_without_a_name_refuses_the_file(
    coordinator_db: LocalStore, study: StudyConfig, tmp_path: Path
) -> None:
    path = _write(tmp_path, "form,,institution,interviewer\ndg_survey,Mr G,moh,noy\n")
    with pytest.raises(AssignmentFileError) as refused:
        _import(coordinator_db, study, path)
    assert refused.value.problems == [
        "cases.csv:2: a value in column 2, which has no name in the header row"
    ]
    assert coordinator_db.list_assignments() == []
    # The same column left empty loses nothing: accepted.
    path = _write(tmp_path, "form,,institution,interviewer\ndg_survey,,moh,noy\n")
    assert _import(coordinator_db, study, path).added == 1  # type: ignore[attr-defined]


def test_excel_cells_past_the_header_refuse_the_file(
    coordinator_db: LocalStore, study: StudyConfig, tmp_path: Path
) -> None:
    path = _xlsx(
        tmp_path,
        [
            CASES_HEADER,
            ["dg_survey", "moh", "noy", "Mr G"],
            ["dg_survey", "mtc", "noy", "Ms H", None, "call before 9"],
        ],
    )
    with pytest.raises(AssignmentFileError) as refused:
        _import(coordinator_db, study, path)
    assert refused.value.problems == ["cases.xlsx:Sheet:3: 6 cells but the header has 4 columns"]
    assert coordinator_db.list_assignments() == []


def test_a_refused_file_stores_none_of_the_study_folders_forms(
    coordinator_db: LocalStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A study folder with a new version of the survey (`assign import --forms DIR`).
    (stored,) = coordinator_db.list_form_versions(form_id="dg_survey")
    folder = tmp_path / "study"
    shutil.copytree(paths.default_forms_dir(), folder)
    survey = folder / "survey_questionnaire.md"
    text = survey.read_text(encoding="utf-8")
    assert f"| dg_survey | {stored.version} |" in text
    survey.write_text(
        text.replace(f"| dg_survey | {stored.version} |", "| dg_survey | 2099010101 |"),
        encoding="utf-8",
    )

    def assign(path: Path) -> int:
        monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
        argv = ["assign", "import", str(path), "--forms", str(folder)]
        return main([*argv, "--db", str(coordinator_db.path), "--user", "keo", "--password-stdin"])

    def database() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        versions = [(v.form_id, v.version) for v in coordinator_db.list_form_versions()]
        cases = [(a.respondent, a.form_version or "") for a in coordinator_db.list_assignments()]
        return sorted(versions), sorted(cases)

    before = database()
    typo = _write(tmp_path, "form,institution,interviewer\ndg_survey,mtc,ghost\n", "typo.csv")
    assert assign(typo) == 1
    assert "typo.csv:2: interviewer: 'ghost' is not a user" in capsys.readouterr().err
    assert database() == before

    good = _write(tmp_path, "form,institution,interviewer,respondent\ndg_survey,mtc,noy,Ms A\n")
    assert assign(good) == 0
    versions, cases = database()
    assert versions == sorted([*before[0], ("dg_survey", "2099010101")])
    assert cases == [("Ms A", "2099010101")]


def test_an_excel_zip_bomb_is_refused_before_it_is_inflated(
    coordinator_db: LocalStore, study: StudyConfig, tmp_path: Path
) -> None:
    path = _xlsx(tmp_path, [CASES_HEADER, ["dg_survey", "moh", "noy", "Mr X"]])
    # 20 MB of blanks between rows deflate to some 20 kB (the real ones reach gigabytes).
    _rewrite_sheet(path, lambda xml: xml.replace(b"</row>", b"</row>" + b" " * 20_000_000, 1))
    assert path.stat().st_size < 100_000
    with pytest.raises(AssignmentFileError) as refused:
        _import(coordinator_db, study, path)
    assert refused.value.problems == [
        f"{path}: not a readable Excel workbook "
        "(the .xlsx file expands to an implausible size; refusing it)"
    ]
    assert coordinator_db.list_assignments() == []


def test_an_excel_row_of_too_many_cells_is_refused(
    coordinator_db: LocalStore, study: StudyConfig, tmp_path: Path
) -> None:
    wide = ["dg_survey", "moh", "noy", "Mr X", *(["x"] * 201)]  # 205 cells
    path = _xlsx(tmp_path, [CASES_HEADER, ["dg_survey", "mtc", "noy", "Ms A"], wide])
    with pytest.raises(AssignmentFileError) as refused:
        _import(coordinator_db, study, path)
    assert refused.value.problems == ["cases.xlsx:Sheet:3: more than 200 cells in one row"]
    assert coordinator_db.list_assignments() == []


# -- what the command-line QA found in real spreadsheets -------------------------------------

QUOTE_NEVER_CLOSED = 'a quote (") opened in this row is never closed: every later row is in it'
NO_SAVED_VALUE = "a formula with no saved value: open and save the file in a spreadsheet program"


def _refused(store: LocalStore, study: StudyConfig, path: Path) -> list[str]:
    with pytest.raises(AssignmentFileError) as refused:
        _import(store, study, path)
    assert store.list_assignments() == []
    return refused.value.problems


def test_a_csv_that_is_not_utf8_is_named_by_row_and_column(
    coordinator_db: LocalStore, study: StudyConfig, tmp_path: Path
) -> None:
    """QA: "byte 69 is not UTF-8 text", and no row to look at."""
    path = tmp_path / "latin.csv"
    data = (
        b"\xef\xbb\xbf"  # Excel's BOM: counted in the offset, as a hex editor shows it
        + b"form,institution,interviewer,notes\ndg_survey,moh,noy,fine\n"
        + "dg_survey,mtc,noy,Directeur général\n".encode("latin-1")
    )
    path.write_bytes(data)
    offset = data.index("é".encode("latin-1"))
    assert _refused(coordinator_db, study, path) == [
        f"latin.csv:3: notes: byte {offset} is not UTF-8 text (save the sheet as 'CSV UTF-8')"
    ]


def test_a_quote_never_closed_is_named_at_the_row_where_it_opens(
    coordinator_db: LocalStore, study: StudyConfig, tmp_path: Path
) -> None:
    """QA (k_quote.csv): row 3 vanished into row 2's respondent, which was then refused
    for "control characters"."""
    header = "form,institution,interviewer,respondent\n"
    path = _write(tmp_path, header + 'dg_survey,lncci,noy,"unterminated\ndg_survey,mof,noy,R2\n')
    assert _refused(coordinator_db, study, path) == [f"cases.csv:2: {QUOTE_NEVER_CLOSED}"]
    # In the header itself: nothing else can be read.
    path = _write(tmp_path, 'form,institution,"interviewer\ndg_survey,mof,noy\n')
    assert _refused(coordinator_db, study, path) == [f"cases.csv:1: {QUOTE_NEVER_CLOSED}"]


def test_a_quote_closed_rows_later_names_the_lines_it_joined(
    coordinator_db: LocalStore, study: StudyConfig, tmp_path: Path
) -> None:
    header = "form,institution,interviewer,respondent\n"
    rows = 'dg_survey,mof,noy,"Ms A\ndg_survey,moh,noy,Mr B"\ndg_survey,nowhere,noy,Mr C\n'
    path = _write(tmp_path, header + rows)
    # The spreadsheet's row numbers, as Excel shows the file: the joined lines are row 2.
    assert _refused(coordinator_db, study, path) == [
        'cases.csv:2: a cell runs over lines 2–3: a line break inside a cell, or a quote (") '
        "not closed where it should be",
        "cases.csv:3: institution: 'nowhere' is not in the form's institution list",
    ]


@pytest.mark.parametrize(
    ("name", "rows"),
    [("cases.csv", [CASES_HEADER]), ("cases.xlsx", [CASES_HEADER, [None, None], []])],
    ids=["csv", "xlsx-with-blank-rows"],
)
def test_a_file_without_case_rows_is_refused(
    coordinator_db: LocalStore,
    study: StudyConfig,
    tmp_path: Path,
    name: str,
    rows: list[list[object]],
) -> None:
    """QA (g_header.csv): "assigned 0 case(s)", exit code 0, for a sheet cut after its header."""
    if name.endswith(".csv"):
        path = _write(tmp_path, ",".join(CASES_HEADER) + "\n", name)
        label = "cases.csv"
    else:
        path = _xlsx(tmp_path, rows)
        label = "cases.xlsx:Sheet"
    assert _refused(coordinator_db, study, path) == [f"{label}: no case rows under the header row"]


def _two_sheets(tmp_path: Path, first: str, second: str, *, header_on_both: bool) -> Path:
    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = first
    notes.append(CASES_HEADER if header_on_both else ["read me"])
    notes.append(["dg_survey", "mof", "noy", "From the first sheet"] if header_on_both else [])
    cases = book.create_sheet(second)
    cases.append(CASES_HEADER)
    cases.append(["dg_survey", "MPII", "noy", "R7"])
    cases.append(["dg_survey", "mpi", "noy", "R8"])
    path = tmp_path / "plan.xlsx"
    book.save(path)
    return path


def test_the_sheet_with_the_header_is_read_and_named(
    coordinator_db: LocalStore, study: StudyConfig, tmp_path: Path
) -> None:
    """QA (m_twosheets.xlsx): only the first sheet (notes) was read, and the problems
    did not say which sheet they were about."""
    path = _two_sheets(tmp_path, "Notes", "Cases", header_on_both=False)
    assert _refused(coordinator_db, study, path) == [
        "plan.xlsx:Cases:2: institution: 'MPII' is not in the form's institution list"
    ]
    book = load_workbook(path)
    book["Cases"]["B2"] = "mpi"
    book.save(path)
    result = _import(coordinator_db, study, path)
    assert (result.added, result.sheet) == (2, "Cases")  # type: ignore[attr-defined]
    assert sorted(a.respondent for a in coordinator_db.list_assignments()) == ["R7", "R8"]


def test_cases_on_two_sheets_are_refused_rather_than_half_read(
    coordinator_db: LocalStore, study: StudyConfig, tmp_path: Path
) -> None:
    path = _two_sheets(tmp_path, "Vientiane", "Pakse", header_on_both=True)
    assert _refused(coordinator_db, study, path) == [
        "plan.xlsx: the sheets 'Vientiane', 'Pakse' each have a header row of cases: keep "
        "the cases on one sheet"
    ]


def test_excel_dates_are_iso_dates_and_formulas_need_a_saved_value(
    coordinator_db: LocalStore, study: StudyConfig, tmp_path: Path
) -> None:
    """QA (n_types.xlsx): a date became respondent "2026-01-02 00:00:00", and a formula
    without a saved value (a file no spreadsheet program saved) an empty cell."""
    path = _xlsx(
        tmp_path,
        [
            [*CASES_HEADER, "notes"],
            ["dg_survey", "mpi", "noy", datetime(2026, 1, 2)],
            ["dg_survey", "mof", "noy", datetime(2026, 1, 2, 9, 30)],
            ["dg_survey", "moh", "noy", "R9", "=1+1"],
        ],
    )
    assert _refused(coordinator_db, study, path) == [f"cases.xlsx:Sheet:4: notes: {NO_SAVED_VALUE}"]

    # Saved by a spreadsheet program: the formula's value is read (here 2).
    _rewrite_sheet(path, lambda xml: xml.replace(b"<f>1+1</f><v></v>", b"<f>1+1</f><v>2</v>"))
    _import(coordinator_db, study, path)
    cases = {a.respondent: a.notes for a in coordinator_db.list_assignments()}
    assert cases == {"2026-01-02": "", "2026-01-02 09:30:00": "", "R9": "2"}


def test_a_formula_whose_saved_value_is_empty_text_is_read_as_empty(
    coordinator_db: LocalStore, study: StudyConfig, tmp_path: Path
) -> None:
    """=IF(…;"";…) is saved as <c t="str"><f>…</f><v></v></c>: a value, the empty text."""
    path = _xlsx(tmp_path, [[*CASES_HEADER, "notes"], ["dg_survey", "moh", "noy", "R9", '=""']])
    _rewrite_sheet(path, lambda xml: xml.replace(b'<c r="E2">', b'<c r="E2" t="str">'))
    assert _import(coordinator_db, study, path).added == 1  # type: ignore[attr-defined]
    assert [a.notes for a in coordinator_db.list_assignments()] == [""]
