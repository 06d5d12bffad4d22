"""Cases for interviewers from the coordinator's spreadsheet (CSV or Excel).

Coordinators plan fieldwork in a spreadsheet: one row per case, who is to
be interviewed, with which form, by whom. The columns (header row first,
names in any case and order):

* ``form`` (required): a form id of this database (``dg_survey``…);
* ``institution`` (required when the form asks for one): a code of the form's
  institution list, or the institution's name in English or Lao as the list
  writes it;
* ``interviewer`` (required): a username of this database (a laptop's users
  arrive with its first bundle, named ``name@<laptop id>``; ``name`` alone is
  enough while no other laptop has a user of that name);
* ``respondent``, ``notes``: free text;
* ``cluster``, ``province``: codes or names of the form's lists; the cluster
  defaults to the institution's own, and must agree with it when given.

Every row is checked before anything is stored: one bad row stores nothing,
and each problem is reported as ``file:row: column: what is wrong`` (rows
numbered as the spreadsheet numbers them, the header being row 1; in a
workbook ``file:sheet:row: …``). A file with no case row is refused too. A case
already assigned (same form, institution, respondent and interviewer) is
skipped, so importing the same file again adds nothing. The cases reach each
interviewer's laptop in the next coordinator bundle. Given a study folder,
the import checks the rows against the folder's forms and stores those form
versions only with an accepted file: a refused file changes nothing.

No cell is dropped in silence: a row with non-empty cells past the header's
last column (in a CSV, usually a comma inside an unquoted cell), or under a
column without a name, is refused; empty ones, as Excel leaves after a row, are
harmless. Nor is a row: a CSV row running over several lines (a quote not
closed, which takes in the rows after it) is refused at the row where it
starts. A workbook's cases are read from the sheet whose first row names the
columns (else the first sheet); two such sheets are refused. A date cell is
read as an ISO date (2026-01-02), and a formula without a saved value (a file
no spreadsheet program has saved) is refused rather than read as empty.

Reading uses the standard `csv` module and openpyxl (read-only) for .xlsx;
the checks are ours because they are the study's: its forms, lists and users.
A workbook passes the form loader's zip-bomb check first, and its sheet is
streamed once to refuse rows of more than `MAX_COLUMNS` cells, which openpyxl
would hold whole in memory (and to find formulas without a value); openpyxl
then reads every row, whatever the sheet's ``<dimension>`` claims (some
applications write it wrong).
Problems are worded in the UI language (the column names stay as the
spreadsheet's header writes them).
"""

from __future__ import annotations

import codecs
import csv
import errno
import io
import os
import stat
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from app.core.errors import FormError, Location, SamluatError
from app.core.i18n import _
from app.engine.compiled import CompiledForm
from app.engine.ingest import check_zip
from app.engine.loader import load_form_bytes
from app.engine.model import ChoiceList
from app.fieldwork.library import FormLibrary, register_study_forms
from app.store import LocalStore, Role
from app.store.users import UserInfo
from app.study.config import StudyConfig
from app.study.forms import instrument_files

REQUIRED = ("form", "institution", "interviewer")
OPTIONAL = ("respondent", "cluster", "province", "notes")
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 200  # cells in one .xlsx row, empty ones included
MAX_TEXT = {"respondent": 200, "notes": 2000}
MAX_PROBLEMS_SHOWN = 20
INTERVIEWING_ROLES = (Role.ENUMERATOR, Role.INTERVIEWER, Role.SUPERVISOR, Role.COORDINATOR)


class AssignmentFileError(SamluatError):
    """The file cannot be used; `problems` lists every one found (file:row: column: what)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        shown = self.problems[:MAX_PROBLEMS_SHOWN]
        more = len(self.problems) - len(shown)
        text = "\n".join(shown)
        if more:
            text += "\n" + _("… and {count} more").format(count=more)
        super().__init__(_("No case was assigned:") + "\n" + text)


@dataclass(frozen=True)
class PlannedCase:
    row: int
    form_id: str
    form_version: str
    institution: str
    cluster: str
    province: str
    respondent: str
    interviewer_id: str
    interviewer: str  # the username, for the summary
    notes: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.form_id, self.institution, self.respondent.casefold(), self.interviewer_id)


@dataclass
class AssignmentImport:
    """What an import did."""

    added: int = 0
    already: int = 0  # rows for cases assigned before (skipped)
    by_interviewer: dict[str, int] = field(default_factory=dict)  # username → cases added
    sheet: str | None = None  # the sheet read, when the workbook has several


# -- reading ------------------------------------------------------------------------------


@dataclass
class CaseTable:
    """A spreadsheet's rows as text, and what reading them found wrong."""

    label: str  # how problems name it: "cases.csv", or "cases.xlsx:Cases" (the sheet)
    rows: Iterator[list[str]]
    sheet: str | None = None  # the sheet read, when the workbook has several
    # Filled while the rows are read, each before its row is yielded:
    row_problems: dict[int, str] = field(default_factory=dict)  # row → what
    # row → [(column index, what)], known before any row is read:
    cell_problems: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    is_csv: bool = False  # (a comma inside an unquoted cell splits it)
    close: Callable[[], None] = lambda: None


def open_table(path: Path) -> CaseTable:
    """The CSV (UTF-8) or .xlsx file at `path`, refused whole if it cannot be read."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        size = info.st_size
    except OSError as error:
        raise _cannot_read(path, error) from None
    if size > MAX_FILE_BYTES:
        raise AssignmentFileError(
            [
                _("{file}: {size} MB is too large for a list of cases (at most 20 MB)").format(
                    file=path, size=round(size / 1e6)
                )
            ]
        )
    return _csv_table(path) if path.suffix.lower() != ".xlsx" else _xlsx_table(path)


def read_rows(table: CaseTable, problems: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, {column: text}) for each non-empty row after the header.

    A row with cells past the header's columns, or one the reader found wrong, is not
    yielded: it is added to `problems`. A file without any case row is refused.
    """
    header: list[str] | None = None
    any_case = False
    for number, cells in enumerate(table.rows, start=1):
        if header is None:
            if 1 in table.row_problems:  # (a quote never closed in it)
                raise AssignmentFileError([f"{table.label}:1: {table.row_problems[1]}"])
            header = [_clean(c).casefold() for c in cells]
            _check_header(table.label, header)
            continue
        if number > MAX_ROWS + 1:
            raise AssignmentFileError(
                [_("{file}: more than {count} rows").format(file=table.label, count=MAX_ROWS)]
            )
        wrong = _row_problems(table, header, number, cells)
        if wrong:
            problems += wrong
            continue
        values = {name: _clean(cells[i]) if i < len(cells) else "" for i, name in enumerate(header)}
        if any(values.values()):
            any_case = True
            yield number, values
    if header is None:
        raise AssignmentFileError(
            [
                _("{file}: empty (expected a header row: {columns})").format(
                    file=table.label, columns=", ".join(REQUIRED)
                )
            ]
        )
    if not any_case and not problems:  # "assigned 0 cases" would hide a wrong or cut file
        raise AssignmentFileError(
            [_("{file}: no case rows under the header row").format(file=table.label)]
        )


def _row_problems(table: CaseTable, header: list[str], number: int, cells: list[str]) -> list[str]:
    """What is wrong with a row as read, before its values are checked."""
    where = f"{table.label}:{number}"
    if number in table.row_problems:
        return [f"{where}: {table.row_problems[number]}"]
    if number in table.cell_problems:
        return [
            f"{where}: {_column_name(header, index)}: {text}"
            for index, text in table.cell_problems[number]
        ]
    # Cells past the header would be lost; trailing empty ones (Excel's) are harmless.
    width, columns = _width(cells), _width(header)
    if width > columns:
        text = _("{cells} cells but the header has {columns} columns").format(
            cells=width, columns=columns
        )
        if table.is_csv:
            text += " " + _("(a comma inside a cell needs quotes)")
        return [f"{where}: {text}"]
    nameless = next(
        (i for i, name in enumerate(header[:width]) if not name and _clean(cells[i])), None
    )
    if nameless is not None:  # it would be dropped: no column to keep it under
        return [
            f"{where}: "
            + _("a value in column {column}, which has no name in the header row").format(
                column=nameless + 1
            )
        ]
    return []


def _width(cells: Sequence[str]) -> int:
    """How many cells up to the last non-empty one."""
    return next((i + 1 for i in range(len(cells) - 1, -1, -1) if _clean(cells[i])), 0)


def _column_name(header: Sequence[str], index: int) -> str:
    """The header's name of a column, else its spreadsheet letter (E)."""
    if index < len(header) and header[index]:
        return header[index]
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise _cannot_read(path, error) from None


def _cannot_read(path: Path, error: OSError) -> AssignmentFileError:
    return AssignmentFileError(
        [_("{file}: cannot be read ({reason})").format(file=path, reason=error.strerror)]
    )


# -- CSV


def _csv_table(path: Path) -> CaseTable:
    data = _read_bytes(path)
    body = data.removeprefix(codecs.BOM_UTF8)  # Excel's "CSV UTF-8" starts with one
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        offset = len(data) - len(body) + error.start
        raise AssignmentFileError([_not_utf8(path, body, offset)]) from None
    problems: dict[int, str] = {}
    return CaseTable(
        path.name, _csv_records(path.name, text, problems), row_problems=problems, is_csv=True
    )


def _not_utf8(path: Path, body: bytes, offset: int) -> str:
    """The first byte that is not UTF-8, by row and column (a "CSV" saved in the
    computer's own code page, as Excel does by default)."""
    where = str(path)
    text = body.decode("utf-8", errors="surrogateescape")  # such bytes become U+DC80…U+DCFF
    try:
        records = csv.reader(io.StringIO(text, newline=""))
        header: list[str] = []
        for number, cells in enumerate(records, start=1):
            index = next((i for i, cell in enumerate(cells) if _undecodable(cell)), None)
            if index is None:
                header = header or cells
                continue
            column = _clean(header[index]) if index < len(header) else ""
            where = f"{path.name}:{number}" + (f": {column}" if column else "")
            break
    except csv.Error:  # no row to name then: the file and the byte's offset still say where
        pass
    return _("{file}: byte {offset} is not UTF-8 text (save the sheet as 'CSV UTF-8')").format(
        file=where, offset=offset
    )


def _undecodable(text: str) -> bool:
    return any("\udc80" <= c <= "\udcff" for c in text)


# Read after the text, it is a row of its own unless a quote is still open at the end:
# then it ends the last cell. A Unicode noncharacter, in no one's text.
END_PROBE = "\uffff"


def _csv_records(label: str, text: str, problems: dict[int, str]) -> Iterator[list[str]]:
    """The CSV's records (rows). One that runs over several lines is noted in `problems`
    at its row; so is a quote never closed, which takes in every later row."""
    newline = "" if not text or text.endswith(("\n", "\r")) else "\n"
    lines = list(io.StringIO(text + newline + END_PROBE, newline=""))
    records = csv.reader(lines)
    number = 0
    first_line = 1
    try:
        for number, cells in enumerate(records, start=1):
            if cells == [END_PROBE]:
                return
            if cells and cells[-1].endswith(END_PROBE):
                problems[number] = _(
                    'a quote (") opened in this row is never closed: every later row is in it'
                )
            elif records.line_num > first_line:
                problems[number] = _(
                    "a cell runs over lines {first}–{last}: a line break inside a cell, or a "
                    'quote (") not closed where it should be'
                ).format(first=first_line, last=records.line_num)
            first_line = records.line_num + 1
            yield cells
    except csv.Error as error:  # e.g. a cell past the csv module's size limit
        raise AssignmentFileError(
            [
                _("{file}: not a readable CSV file ({reason})").format(
                    file=f"{label}:{number + 1}", reason=error
                )
            ]
        ) from None


# -- Excel


def _xlsx_table(path: Path) -> CaseTable:
    from openpyxl import load_workbook

    data = _read_bytes(path)
    try:
        check_zip(data, Location(path.name))  # the form loader's zip-bomb guard
    except FormError as error:
        raise _unreadable(path, error.message) from None
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on damaged files
        raise _unreadable(path, error) from None
    try:
        sheet = _case_sheet(path, book.worksheets)
        label = f"{path.name}:{sheet.title}"
        unsaved = _scan_sheet(path, label, sheet, last_row=MAX_ROWS + 1)
    except BaseException:
        book.close()
        raise
    return CaseTable(
        label,
        _sheet_rows(path, sheet),
        sheet=sheet.title if len(book.worksheets) > 1 else None,
        cell_problems=unsaved,
        close=book.close,
    )


def _case_sheet(path: Path, sheets: Sequence[Any]) -> Any:
    """The sheet whose first row names the required columns (a workbook often has a
    sheet of notes or lists too); else the first one, whose header problems name it."""
    if not sheets:
        raise _unreadable(path, "no sheet")
    if len(sheets) == 1:
        return sheets[0]
    with_header = [sheet for sheet in sheets if set(REQUIRED) <= set(_first_row(path, sheet))]
    if len(with_header) > 1:  # reading one would leave the others' cases out in silence
        names = ", ".join(f"'{sheet.title}'" for sheet in with_header)
        raise AssignmentFileError(
            [
                _(
                    "{file}: the sheets {names} each have a header row of cases: keep the "
                    "cases on one sheet"
                ).format(file=path.name, names=names)
            ]
        )
    return with_header[0] if with_header else sheets[0]


def _first_row(path: Path, sheet: Any) -> list[str]:
    """The names in a sheet's first row, as the header check reads them."""
    _scan_sheet(path, f"{path.name}:{sheet.title}", sheet, last_row=1)
    sheet.reset_dimensions()
    try:
        first = next(sheet.iter_rows(max_row=1, values_only=True), ())
    except Exception as error:  # a damaged sheet: openpyxl and lxml raise many kinds
        raise _unreadable(path, error) from None
    return [_clean(_cell_text(value)).casefold() for value in first]


def _sheet_rows(path: Path, sheet: Any) -> Iterator[list[str]]:
    # Read-only mode stops where the sheet's <dimension> says, which may be wrong.
    sheet.reset_dimensions()
    try:
        for cells in sheet.iter_rows(values_only=True):
            yield [_cell_text(value) for value in cells]
    except Exception as error:  # a damaged sheet: openpyxl and lxml raise many kinds
        raise _unreadable(path, error) from None


def _cell_text(value: object) -> str:
    """A cell's text. A date is written as an ISO date (2026-01-02): Excel makes one of
    what was typed as "2026-01-02" or "2/1", unasked, and the ISO form is what the person
    meant and reads the same everywhere; a code column refuses it as it would the text."""
    if value is None:
        return ""
    if isinstance(value, datetime) and value.time() == time():
        return value.date().isoformat()
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _scan_sheet(
    path: Path, label: str, sheet: Any, *, last_row: int
) -> dict[int, list[tuple[int, str]]]:
    """Stream the sheet's XML up to `last_row` (expat keeps nothing), before openpyxl
    reads it: a row of more than MAX_COLUMNS cells is refused, as openpyxl would build
    it whole in memory (a small zip can hold a row of millions); and the formulas with no
    saved value are returned, row → [(column index, what)], as openpyxl reads them as
    empty cells (a file written by a program, never opened in a spreadsheet)."""
    scan = _SheetScan(label, last_row)
    parser = expat.ParserCreate()
    parser.StartElementHandler = scan.start
    parser.CharacterDataHandler = scan.text
    parser.EndElementHandler = scan.end
    # `_get_source` (openpyxl's own stream of this sheet's XML) is not public API, but it
    # is how read-only sheets read themselves; tests cover it on upgrades.
    source: IO[bytes] = sheet._get_source()
    with source:
        try:
            while scan.row <= last_row and (chunk := source.read(1 << 20)):
                parser.Parse(chunk)
        except expat.ExpatError as error:
            raise _unreadable(path, error) from None
    return scan.unsaved


class _SheetScan:
    """expat's handlers for `_scan_sheet`: cells counted row by row, formulas noted."""

    def __init__(self, label: str, last_row: int) -> None:
        self.label, self.last_row = label, last_row
        self.row = self.cells = self.column = 0
        self.kind = ""  # the cell's type: "str" for a formula's text result
        self.formula = self.saved = self.in_value = False
        self.unsaved: dict[int, list[tuple[int, str]]] = {}

    def start(self, name: str, attributes: dict[str, str]) -> None:
        tag = name.rpartition(":")[2]
        if tag == "row":
            number = attributes.get("r", "")
            self.row = int(number) if number.isdigit() else self.row + 1
            self.cells, self.column = 0, -1
        elif self.row > self.last_row:
            return
        elif tag == "c":
            self.cells += 1
            if self.cells > MAX_COLUMNS:
                raise AssignmentFileError(
                    [
                        f"{self.label}:{self.row}: "
                        + _("more than {count} cells in one row").format(count=MAX_COLUMNS)
                    ]
                )
            self.column = _column_index(attributes.get("r", ""), self.column + 1)
            self.kind, self.formula, self.saved = attributes.get("t", ""), False, False
        elif tag == "f":
            self.formula = True
        elif tag == "v":
            self.in_value = True
            self.saved = self.saved or self.kind == "str"  # an empty text result is <v/>

    def text(self, data: str) -> None:
        self.saved = self.saved or (self.in_value and bool(data))

    def end(self, name: str) -> None:
        tag = name.rpartition(":")[2]
        self.in_value = self.in_value and tag != "v"
        if tag == "c" and self.formula and not self.saved and self.row <= self.last_row:
            what = _(
                "a formula with no saved value: open and save the file in a spreadsheet program"
            )
            self.unsaved.setdefault(self.row, []).append((self.column, what))


def _column_index(reference: str, default: int) -> int:
    """0 for A1, 4 for E6; `default` for a cell without a usable reference."""
    from openpyxl.utils import column_index_from_string

    letters = reference.rstrip("0123456789")
    try:
        return int(column_index_from_string(letters)) - 1
    except ValueError:
        return default


def _unreadable(path: Path, reason: object) -> AssignmentFileError:
    return AssignmentFileError(
        [_("{file}: not a readable Excel workbook ({reason})").format(file=path, reason=reason)]
    )


def _clean(value: Any) -> str:
    return unicodedata.normalize("NFC", str(value)).strip()


def _check_header(label: str, header: list[str]) -> None:
    known = set(REQUIRED) | set(OPTIONAL)
    expected = ", ".join(REQUIRED + OPTIONAL)
    problems = [
        f"{label}:1: "
        + _("column '{name}' is not known (expected {columns})").format(name=name, columns=expected)
        for name in header
        if name and name not in known
    ]
    problems += [
        f"{label}:1: " + _("column '{name}' is missing").format(name=name)
        for name in REQUIRED
        if name not in header
    ]
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    problems += [
        f"{label}:1: " + _("column '{name}' appears twice").format(name=name) for name in repeated
    ]
    if problems:
        raise AssignmentFileError(problems)


def not_listed(value: str, column: str) -> str:
    return _("'{value}' is not in the form's {column} list").format(value=value, column=column)


# -- checking --------------------------------------------------------------------------------


class _Lists:
    """A form's institution, cluster and province lists: codes by code or by name."""

    def __init__(self, form: CompiledForm, study: StudyConfig | None) -> None:
        lists = form.formdef.choice_lists
        self.institution = lists.get(study.choices.institution_list if study else "institution")
        self.cluster = lists.get(study.choices.cluster_list if study else "cluster")
        self.province = lists.get("province")

    @staticmethod
    def find(choices: ChoiceList | None, text: str) -> str | None:
        if choices is None:
            return None
        if choices.by_name(text) is not None:
            return text
        folded = text.casefold()
        for choice in choices.choices:
            if any(label.casefold() == folded for label in dict(choice.label).values()):
                return choice.name
        return None


def plan_cases(
    store: LocalStore,
    library: FormLibrary,
    study: StudyConfig | None,
    table: CaseTable,
    forms_dir: Path | None = None,
) -> list[PlannedCase]:
    """Every row checked against this database's forms (as they will be once `forms_dir`'s
    are stored), lists and users."""
    forms = forms_to_assign(library, forms_dir)
    lists: dict[str, _Lists] = {}
    users = Interviewers(store)
    problems: list[str] = []
    planned: list[PlannedCase] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for number, values in read_rows(table, problems):
        where = f"{table.label}:{number}"
        before = len(problems)

        def problem(column: str, text: str, where: str = where) -> None:
            problems.append(f"{where}: {column}: {text}")

        for column in ("form", "interviewer"):
            if not values.get(column):
                problem(column, _("is empty"))
        for column, limit in MAX_TEXT.items():
            if len(values.get(column, "")) > limit:
                problem(column, _("longer than {count} characters").format(count=limit))
        for column, text in values.items():
            if any(unicodedata.category(c) == "Cc" for c in text):
                problem(column, _("contains control characters"))
        form = forms.get(values.get("form", ""))
        if values.get("form") and form is None:
            problem(
                "form", _("'{value}' is not a form of this database").format(value=values["form"])
            )
        user = users.find(values.get("interviewer", ""))
        namesakes = users.namesakes(values.get("interviewer", ""))
        if values.get("interviewer") and user is None and namesakes:
            problem(
                "interviewer",
                _("'{value}' is on several laptops: write one of {names}").format(
                    value=values["interviewer"], names=", ".join(namesakes)
                ),
            )
        elif values.get("interviewer") and user is None:
            problem(
                "interviewer",
                _("'{value}' is not a user of this database").format(value=values["interviewer"]),
            )
        elif user is not None and (
            not users.assignable(user) or user.role not in INTERVIEWING_ROLES
        ):
            problem(
                "interviewer",
                _("'{name}' cannot be given cases (account disabled)").format(name=user.username),
            )
        if form is None or user is None or len(problems) > before:
            continue
        found = lists.setdefault(form.formdef.form_id, _Lists(form, study))
        codes = _codes(found, values, problem)
        if codes is None:
            continue
        case = PlannedCase(
            row=number,
            form_id=form.formdef.form_id,
            form_version=form.formdef.version,
            institution=codes["institution"],
            cluster=codes["cluster"],
            province=codes["province"],
            respondent=values.get("respondent", ""),
            interviewer_id=user.id,
            interviewer=user.username,
            notes=values.get("notes", ""),
        )
        if case.key in seen:
            problems.append(
                where
                + ": "
                + _(
                    "repeats row {row} (same form, institution, respondent and interviewer)"
                ).format(row=seen[case.key])
            )
            continue
        seen[case.key] = number
        planned.append(case)
    if problems:
        raise AssignmentFileError(problems)
    return planned


def forms_to_assign(library: FormLibrary, forms_dir: Path | None) -> dict[str, CompiledForm]:
    """The version of each form a row gets: the newest stored one, or `forms_dir`'s when
    that version is not stored yet (`register_study_forms` will store it as the newest).
    The folder's forms are compiled here, not stored."""
    forms = {f.formdef.form_id: f for f in library.latest()}
    if forms_dir is None:
        return forms
    stored = {(i.form_id, i.version) for i in library.store.list_form_versions()}
    for file in instrument_files(forms_dir):
        form = load_form_bytes(file.read_bytes(), file.name)
        if (form.formdef.form_id, form.formdef.version) not in stored:
            forms[form.formdef.form_id] = form
    return forms


class Interviewers:
    """The users a row may name. An account that arrived with a laptop's bundle is stored
    as ``name@<device>`` and cannot log in here (inactive), yet it is whom the cases are
    for (unless that laptop is revoked): the row may give it as ``name`` alone when only
    one such account has that name."""

    def __init__(self, store: LocalStore) -> None:
        everyone = store.list_users()
        self.by_name = {u.username.casefold(): u for u in everyone}
        # Cases never reach a revoked laptop.
        self.laptop_ids = {a.user_id for a in store.laptop_accounts().values() if not a.revoked}
        self.by_base: dict[str, list[UserInfo]] = {}
        for user in everyone:
            if user.id in self.laptop_ids and "@" in user.username:
                base = user.username.rsplit("@", 1)[0].casefold()
                self.by_base.setdefault(base, []).append(user)

    def find(self, name: str) -> UserInfo | None:
        key = name.strip().casefold()
        found = self.by_name.get(key)
        if found is None:
            candidates = self.by_base.get(key, [])
            found = candidates[0] if len(candidates) == 1 else None
        return found

    def namesakes(self, name: str) -> list[str]:
        """The full names of the laptop accounts `name` alone could mean (if more than one)."""
        candidates = self.by_base.get(name.strip().casefold(), [])
        return sorted(u.username for u in candidates) if len(candidates) > 1 else []

    def assignable(self, user: UserInfo) -> bool:
        return user.active or user.id in self.laptop_ids


def _codes(found: _Lists, values: Mapping[str, str], problem: Any) -> dict[str, str] | None:
    """The institution, cluster and province codes of a row (None after reporting a problem)."""
    given_institution = values.get("institution", "")
    if found.institution is None:  # e.g. a SWOT statement: not about one institution
        if given_institution:
            problem("institution", _("this form does not ask for an institution: leave it empty"))
            return None
        institution: str | None = ""
    elif not given_institution:
        problem("institution", _("is empty"))
        return None
    else:
        institution = found.find(found.institution, given_institution)
    if institution is None:
        problem("institution", not_listed(given_institution, "institution"))
        return None
    choice = found.institution.by_name(institution) if found.institution else None
    own_cluster = (choice.extra.get("cluster", "") if choice else "") or ""
    cluster = own_cluster
    if values.get("cluster"):
        given = found.find(found.cluster, values["cluster"])
        if given is None:
            problem("cluster", not_listed(values["cluster"], "cluster"))
            return None
        if own_cluster and given != own_cluster:
            problem(
                "cluster",
                _("'{value}' is not the cluster of {name}").format(
                    value=values["cluster"], name=institution
                ),
            )
            return None
        cluster = given
    province = ""
    if values.get("province"):
        found_province = found.find(found.province, values["province"])
        if found_province is None:
            problem("province", not_listed(values["province"], "province"))
            return None
        province = found_province
    return {"institution": institution, "cluster": cluster, "province": province}


# -- storing ---------------------------------------------------------------------------------


def import_assignments(
    store: LocalStore,
    library: FormLibrary,
    study: StudyConfig | None,
    path: Path,
    forms_dir: Path | None = None,
) -> AssignmentImport:
    """Check the whole file; then store `forms_dir`'s new form versions (as a supervisor's
    login does) and the file's new cases, these in one transaction."""
    with closing(open_table(path)) as table:
        planned = plan_cases(store, library, study, table, forms_dir)
    if forms_dir is not None:
        # Only now that every row passed: a refused file must leave the database as it was.
        # (The store API has no transaction spanning both; this is the next best.)
        register_study_forms(store, forms_dir)
    existing = {
        (a.form_id, a.institution, a.respondent.casefold(), a.assigned_to or "")
        for a in store.list_assignments(limit=None)
    }
    new = [case for case in planned if case.key not in existing]
    result = AssignmentImport(added=len(new), already=len(planned) - len(new), sheet=table.sheet)
    for case in new:
        result.by_interviewer[case.interviewer] = result.by_interviewer.get(case.interviewer, 0) + 1
    store.create_assignments(
        [
            {
                "form_id": case.form_id,
                "form_version": case.form_version,
                "institution": case.institution,
                "cluster": case.cluster,
                "province": case.province,
                "respondent": case.respondent,
                "assigned_to": case.interviewer_id,
                "notes": case.notes,
            }
            for case in new
        ]
    )
    return result
