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
numbered as the spreadsheet numbers them, the header being row 1). A case
already assigned (same form, institution, respondent and interviewer) is
skipped, so importing the same file again adds nothing. The cases reach each
interviewer's laptop in the next coordinator bundle. Given a study folder,
the import checks the rows against the folder's forms and stores those form
versions only with an accepted file: a refused file changes nothing.

No cell is dropped in silence: a row with non-empty cells past the header's
last column (in a CSV, usually a comma inside an unquoted cell), or under a
column without a name, is refused; empty ones, as Excel leaves after a row, are
harmless.

Reading uses the standard `csv` module and openpyxl (read-only) for .xlsx;
the checks are ours because they are the study's: its forms, lists and users.
A workbook passes the form loader's zip-bomb check first, and its sheet is
streamed once to refuse rows of more than `MAX_COLUMNS` cells, which openpyxl
would hold whole in memory; openpyxl then reads every row, whatever the
sheet's ``<dimension>`` claims (some applications write it wrong).
Problems are worded in the UI language (the column names stay as the
spreadsheet's header writes them).
"""

from __future__ import annotations

import csv
import errno
import io
import os
import stat
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
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


# -- reading ------------------------------------------------------------------------------


def read_rows(path: Path, problems: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, {column: text}) for each non-empty row after the header.

    A row with cells past the header's columns is not yielded: it is added to `problems`.
    """
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        size = info.st_size
    except OSError as error:
        raise AssignmentFileError(
            [_("{file}: cannot be read ({reason})").format(file=path, reason=error.strerror)]
        ) from None
    if size > MAX_FILE_BYTES:
        raise AssignmentFileError(
            [
                _("{file}: {size} MB is too large for a list of cases (at most 20 MB)").format(
                    file=path, size=round(size / 1e6)
                )
            ]
        )
    is_csv = path.suffix.lower() != ".xlsx"
    table = _csv_rows(path) if is_csv else _xlsx_rows(path)
    header: list[str] | None = None
    columns = 0  # up to the header's last name
    for number, cells in enumerate(table, start=1):
        if header is None:
            header = [_clean(c).casefold() for c in cells]
            _check_header(path, header)
            columns = _width(header)
            continue
        if number > MAX_ROWS + 1:
            raise AssignmentFileError(
                [_("{file}: more than {count} rows").format(file=path, count=MAX_ROWS)]
            )
        # Cells past the header would be lost; trailing empty ones (Excel's) are harmless.
        width = _width(cells)
        if width > columns:
            text = _("{cells} cells but the header has {columns} columns").format(
                cells=width, columns=columns
            )
            if is_csv:
                text += " " + _("(a comma inside a cell needs quotes)")
            problems.append(f"{path.name}:{number}: {text}")
            continue
        nameless = next(
            (i for i, name in enumerate(header[:width]) if not name and _clean(cells[i])), None
        )
        if nameless is not None:  # it would be dropped: no column to keep it under
            problems.append(
                f"{path.name}:{number}: "
                + _("a value in column {column}, which has no name in the header row").format(
                    column=nameless + 1
                )
            )
            continue
        values = {name: _clean(cells[i]) if i < len(cells) else "" for i, name in enumerate(header)}
        if any(values.values()):
            yield number, values
    if header is None:
        raise AssignmentFileError(
            [
                _("{file}: empty (expected a header row: {columns})").format(
                    file=path, columns=", ".join(REQUIRED)
                )
            ]
        )


def _width(cells: Sequence[str]) -> int:
    """How many cells up to the last non-empty one."""
    return next((i + 1 for i in range(len(cells) - 1, -1, -1) if _clean(cells[i])), 0)


def _csv_rows(path: Path) -> Iterator[list[str]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise AssignmentFileError(
            [_("{file}: cannot be read ({reason})").format(file=path, reason=error.strerror)]
        ) from None
    except UnicodeDecodeError as error:
        raise AssignmentFileError(
            [
                _("{file}: byte {offset} is not UTF-8 text (save the sheet as 'CSV UTF-8')").format(
                    file=path, offset=error.start
                )
            ]
        ) from None
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as error:
        raise AssignmentFileError(
            [_("{file}: not a readable CSV file ({reason})").format(file=path, reason=error)]
        ) from None


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        data = path.read_bytes()
    except OSError as error:
        raise AssignmentFileError(
            [_("{file}: cannot be read ({reason})").format(file=path, reason=error.strerror)]
        ) from None
    try:
        check_zip(data, Location(path.name))  # the form loader's zip-bomb guard
    except FormError as error:
        raise _unreadable(path, error.message) from None
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on damaged files
        raise _unreadable(path, error) from None
    try:
        sheet = book.worksheets[0]
        # `_get_source` (openpyxl's own stream of this sheet's XML) is not public API, but
        # it is how read-only sheets read themselves; tests cover it on upgrades.
        _check_row_lengths(path, sheet._get_source())
        # Read-only mode stops where the sheet's <dimension> says, which may be wrong.
        sheet.reset_dimensions()
        try:
            for cells in sheet.iter_rows(values_only=True):
                yield ["" if c is None else str(c) for c in cells]
        except Exception as error:  # a damaged sheet: openpyxl and lxml raise many kinds
            raise _unreadable(path, error) from None
    finally:
        book.close()


def _check_row_lengths(path: Path, source: IO[bytes]) -> None:
    """Refuse a row of more than MAX_COLUMNS cells before openpyxl builds it whole in
    memory (a small zip can hold a row of millions). expat streams, keeping nothing."""
    row = cells = 0

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal row, cells
        tag = name.rpartition(":")[2]
        if tag == "row":
            number = attributes.get("r", "")
            row, cells = (int(number) if number.isdigit() else row + 1), 0
        elif tag == "c":
            cells += 1
            if cells > MAX_COLUMNS:
                raise AssignmentFileError(
                    [
                        f"{path.name}:{row}: "
                        + _("more than {count} cells in one row").format(count=MAX_COLUMNS)
                    ]
                )

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    with source:
        try:
            # Past MAX_ROWS rows read_rows refuses the file anyway.
            while row <= MAX_ROWS + 1 and (chunk := source.read(1 << 20)):
                parser.Parse(chunk)
        except expat.ExpatError as error:
            raise _unreadable(path, error) from None


def _unreadable(path: Path, reason: object) -> AssignmentFileError:
    return AssignmentFileError(
        [_("{file}: not a readable Excel workbook ({reason})").format(file=path, reason=reason)]
    )


def _clean(value: Any) -> str:
    return unicodedata.normalize("NFC", str(value)).strip()


def _check_header(path: Path, header: list[str]) -> None:
    known = set(REQUIRED) | set(OPTIONAL)
    expected = ", ".join(REQUIRED + OPTIONAL)
    problems = [
        f"{path.name}:1: "
        + _("column '{name}' is not known (expected {columns})").format(name=name, columns=expected)
        for name in header
        if name and name not in known
    ]
    problems += [
        f"{path.name}:1: " + _("column '{name}' is missing").format(name=name)
        for name in REQUIRED
        if name not in header
    ]
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    problems += [
        f"{path.name}:1: " + _("column '{name}' appears twice").format(name=name)
        for name in repeated
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
    path: Path,
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
    for number, values in read_rows(path, problems):
        where = f"{path.name}:{number}"
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
    planned = plan_cases(store, library, study, path, forms_dir)
    if forms_dir is not None:
        # Only now that every row passed: a refused file must leave the database as it was.
        # (The store API has no transaction spanning both; this is the next best.)
        register_study_forms(store, forms_dir)
    existing = {
        (a.form_id, a.institution, a.respondent.casefold(), a.assigned_to or "")
        for a in store.list_assignments(limit=None)
    }
    new = [case for case in planned if case.key not in existing]
    result = AssignmentImport(added=len(new), already=len(planned) - len(new))
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
