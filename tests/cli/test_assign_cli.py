"""`samluat assign import` and `samluat assign list`, run in-process on a real database."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

from app.bundle.keys import create_coordinator_keys
from app.bundle.target import BundleTarget
from app.cli.main import main
from app.core import paths
from app.fieldwork.library import register_study_forms
from app.store import Role
from app.store.store import create_store, open_store
from tests.bundle.bundletools import FAST_KDF, PASSPHRASE

PASSWORD = "correct horse battery"
HEADER = "form,institution,respondent,interviewer,province,cluster,notes\n"
GOOD_ROWS = (
    "dg_survey,mtc,Director of IT,noy,vt,,first visit\ndg_interview,bcel,ທ່ານ ບຸນມີ,bounmy,,,\n"
)

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A coordinator's database (keo) with its coordinator key, but no forms yet (the
    import stores the study's), an enumerator and an interviewer."""
    path = tmp_path / "coordinator.db"
    with create_store(username="keo", password=PASSWORD, kdf=FAST_KDF, path=path) as store:
        target = BundleTarget.from_store(store)
        create_coordinator_keys(target, out_dir=tmp_path / "keys", passphrase=PASSPHRASE)
        store.add_user(username="noy", password=PASSWORD, role=Role.ENUMERATOR)
        store.add_user(username="bounmy", password=PASSWORD, role=Role.INTERVIEWER)
    return path


@pytest.fixture
def run(db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """`samluat ARGV --db <db> --user USER --password-stdin` → (exit code, stdout, stderr)."""

    def run(*argv: str, user: str = "keo", password: str = PASSWORD) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
        code = main([*argv, "--db", str(db), "--user", user, "--password-stdin"])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def write(tmp_path: Path, text: str, name: str = "cases.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def stored_cases(db: Path) -> int:
    with open_store(username="keo", password=PASSWORD, path=db) as store:
        return len(store.list_assignments(limit=None))


def test_import_lists_and_reimports_nothing(run: Run, db: Path, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + GOOD_ROWS)
    code, out, err = run("assign", "import", str(path))
    assert (code, err) == (0, "")
    assert out == "assigned 2 case(s) (0 already assigned): noy 1, bounmy 1\n"

    code, out, _ = run("assign", "list")
    assert code == 0
    lines = [line.split("\t") for line in out.splitlines()]
    assert [line[:5] for line in lines] == [
        ["dg_interview", "bcel", "ທ່ານ ບຸນມີ", "bounmy", "pending"],
        ["dg_survey", "mtc", "Director of IT", "noy", "pending"],
    ]
    with open_store(username="keo", password=PASSWORD, path=db) as store:
        assert {line[5] for line in lines} == {a.id for a in store.list_assignments()}

    code, out, _ = run("assign", "list", "--interviewer", "NOY")
    assert code == 0 and [line.split("\t")[3] for line in out.splitlines()] == ["noy"]

    code, out, err = run("assign", "import", str(path))
    assert (code, out, err) == (0, "assigned 0 case(s) (2 already assigned)\n", "")
    assert stored_cases(db) == 2


def test_every_problem_of_a_bad_file_is_printed_and_nothing_stored(
    run: Run, db: Path, tmp_path: Path
) -> None:
    rows = "".join(f"dg_survey,nowhere{n},,noy,,,\n" for n in range(25))
    path = write(tmp_path, HEADER + GOOD_ROWS + rows)
    code, out, err = run("assign", "import", str(path))
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0] == f"no case was assigned: 25 problem(s) in {path}"
    assert len(lines) == 26  # all of them, not the first 20
    assert lines[1:] == [
        f"cases.csv:{n + 4}: institution: 'nowhere{n}' is not in the form's institution list"
        for n in range(25)
    ]
    code, out, _ = run("assign", "list")
    assert (code, out) == (0, "no cases\n")
    assert stored_cases(db) == 0


def _not_utf8(tmp_path: Path) -> Path:
    path = tmp_path / "latin.csv"
    path.write_bytes(HEADER.encode() + "dg_survey,mtc,Mme Noël,noy,,,\n".encode("latin-1"))
    return path


def _fake_workbook(tmp_path: Path) -> Path:
    path = tmp_path / "cases.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    return path


def _header_only(tmp_path: Path) -> Path:
    return write(tmp_path, HEADER)


@pytest.mark.parametrize(
    ("make", "where", "expected"),
    [
        (lambda tmp: tmp / "missing.csv", None, "cannot be read (No such file or directory)"),
        (_fake_workbook, None, "not a readable Excel workbook"),
        # The row and column of the first byte that is not UTF-8 (QA: "byte 69" alone).
        (_not_utf8, "latin.csv:2: respondent", "byte 83 is not UTF-8 text (save the sheet as"),
        # QA: "assigned 0 case(s)", rc 0, for a sheet cut after its header.
        (_header_only, "cases.csv", "no case rows under the header row"),
    ],
    ids=["missing", "not-a-workbook", "not-utf8", "header-only"],
)
def test_files_that_are_not_lists_of_cases_are_refused(
    run: Run,
    db: Path,
    tmp_path: Path,
    make: Callable[[Path], Path],
    where: str | None,
    expected: str,
) -> None:
    path = make(tmp_path)
    code, out, err = run("assign", "import", str(path))
    assert code == 1 and out == ""
    first, problem = err.splitlines()
    assert first == f"no case was assigned: 1 problem(s) in {path}"
    assert problem.startswith(f"{where or path}: ") and expected in problem
    assert stored_cases(db) == 0


def test_the_sheet_read_from_a_workbook_of_several_is_named(
    run: Run, db: Path, tmp_path: Path
) -> None:
    """QA: a workbook whose first sheet is notes was read from that sheet only."""
    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "Read me"
    notes.append(["Cases for the Vientiane visits"])
    cases = book.create_sheet("Cases")
    for line in (HEADER + GOOD_ROWS).splitlines():
        cases.append(line.split(","))
    path = tmp_path / "plan.xlsx"
    book.save(path)
    code, out, err = run("assign", "import", str(path))
    assert (code, err) == (0, "")
    assert out == ("assigned 2 case(s) (0 already assigned) from sheet 'Cases': noy 1, bounmy 1\n")
    assert stored_cases(db) == 2


def test_an_enumerator_may_not_assign(run: Run, db: Path, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + GOOD_ROWS)
    code, out, err = run("assign", "import", str(path), user="noy")
    assert (code, out) == (1, "")
    assert err == (
        "error: noy is an enumerator: only a supervisor or coordinator may assign cases\n"
    )
    assert stored_cases(db) == 0


def test_a_wrong_password_opens_nothing(run: Run, db: Path, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + GOOD_ROWS)
    code, out, err = run("assign", "import", str(path), password="not the password")
    assert (code, out, err) == (1, "", "error: Wrong user name or password.\n")
    code, out, err = run("assign", "list", password="not the password")
    assert (code, out, err) == (1, "", "error: Wrong user name or password.\n")
    assert stored_cases(db) == 0


def test_a_study_folder_without_study_toml_still_imports(
    run: Run, db: Path, tmp_path: Path
) -> None:
    path = write(tmp_path, HEADER + GOOD_ROWS)
    empty = tmp_path / "no-study"
    empty.mkdir()
    with open_store(username="keo", password=PASSWORD, path=db) as store:
        register_study_forms(store, paths.default_forms_dir())  # the forms came before
    code, _, err = run("assign", "import", str(path), "--forms", str(tmp_path / "nowhere"))
    assert code == 1 and err == f"error: --forms {tmp_path / 'nowhere'}: no such folder\n"
    code, out, err = run("assign", "import", str(path), "--forms", str(empty))
    assert (code, err) == (0, "")
    assert out.startswith("assigned 2 case(s)")
    assert stored_cases(db) == 2


def test_list_names_an_unknown_interviewer(run: Run) -> None:
    code, out, err = run("assign", "list", "--interviewer", "nobody")
    assert (code, out) == (1, "")
    assert err == "error: --interviewer nobody: no such user\n"
