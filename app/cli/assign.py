"""`samluat assign …`: cases for interviewers from the coordinator's spreadsheet.

``assign import FILE`` checks every row of a CSV (UTF-8) or .xlsx file against
the database's forms, choice lists and users (see `app.fieldwork.assigning`)
and stores all its cases or none (and the ``--forms`` folder's new form
versions only with its cases); when it refuses the file it prints every
problem, one per line, as ``file:row: column: what`` (``file:sheet:row: …`` for
a workbook). It runs on the coordinator's database only: the cases reach the
laptops in its bundles. ``assign list`` shows the cases. Log in as with
`samluat user …` (``--user``, password asked or read from standard input with
``--password-stdin``); on a central store
(``--db postgresql://…``), ``--user`` names the account the cases are recorded
under, without a password.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.bundle.central import acting_store
from app.bundle.target import BundleTarget
from app.cli.db import add_login_arguments, is_central, login
from app.cli.keys import require_coordinator_database
from app.core import paths
from app.core.errors import SamluatError
from app.fieldwork.assigning import (
    AssignmentFileError,
    AssignmentImport,
    Interviewers,
    import_assignments,
)
from app.fieldwork.library import FormLibrary
from app.store.errors import PermissionDeniedError
from app.store.repo_cases import AssignmentInfo
from app.store.store import LocalStore
from app.store.tables import Role
from app.study.config import STUDY_FILE, StudyConfig, load_study

ASSIGNING_ROLES = (Role.SUPERVISOR, Role.COORDINATOR)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    assign = subparsers.add_parser("assign", help="assign cases to interviewers")
    commands = assign.add_subparsers(dest="assign_command", metavar="COMMAND", required=True)

    imp = commands.add_parser(
        "import",
        help="supervisor or coordinator: assign the cases of a spreadsheet (CSV UTF-8 or .xlsx)",
    )
    imp.add_argument(
        "file",
        type=Path,
        metavar="FILE",
        help="one row per case; columns form, institution, interviewer "
        "(and respondent, cluster, province, notes)",
    )
    imp.add_argument(
        "--forms",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"the study folder whose {STUDY_FILE} names the choice lists "
        "(default: the forms shipped with Samluat)",
    )
    add_login_arguments(imp, central=True)
    imp.set_defaults(handler=run_import)

    listing = commands.add_parser("list", help="list the cases of this database")
    add_login_arguments(listing, central=True)
    listing.add_argument(
        "--interviewer", default=None, metavar="USERNAME", help="only this interviewer's cases"
    )
    listing.set_defaults(handler=run_list)


def study_of(folder: Path | None) -> StudyConfig | None:
    """The study of `folder`/study.toml (None when the folder has no study file)."""
    folder = folder if folder is not None else paths.default_forms_dir()
    if not folder.is_dir():
        raise SamluatError(f"--forms {folder}: no such folder")
    path = folder / STUDY_FILE
    return load_study(path) if path.is_file() else None


def require_assigner(store: LocalStore) -> None:
    user = store.user
    if user.role not in ASSIGNING_ROLES:
        raise PermissionDeniedError(
            f"{user.username} is {'an' if user.role.value[0] in 'aeiou' else 'a'} "
            f"{user.role.value}: only a supervisor or coordinator may assign cases"
        )


def describe(result: AssignmentImport) -> str:
    """E.g. ``assigned 12 case(s) (3 already assigned) from sheet 'Cases': noy 7, bounmy 5``
    (the sheet named when the workbook has several)."""
    text = f"assigned {result.added} case(s) ({result.already} already assigned)"
    if result.sheet is not None:
        text += f" from sheet '{result.sheet}'"
    if result.by_interviewer:
        text += ": " + ", ".join(f"{name} {n}" for name, n in result.by_interviewer.items())
    return text


@contextmanager
def assigning_store(args: argparse.Namespace) -> Iterator[LocalStore]:
    """The database file logged in as --user, or the central store acting as --user."""
    if not is_central(args.db):
        with login(args) as store:
            yield store
        return
    if not args.user:
        raise SamluatError(
            "assigning cases on a central store needs --user NAME, the account they are "
            "recorded under (create one with: samluat user add --db URL NAME --role coordinator)"
        )
    with BundleTarget.open_url(args.db, username=args.user) as target:
        yield acting_store(target)


def run_import(args: argparse.Namespace) -> int:
    study = study_of(args.forms)
    with assigning_store(args) as store:
        require_assigner(store)
        require_coordinator_database(
            BundleTarget.from_store(store),
            "cases are assigned on the coordinator's computer and reach the laptops in its bundles",
        )
        # The study's forms, stored if new as at a supervisor's login, but only with an
        # accepted file: a refused one changes nothing.
        forms_dir = args.forms or paths.default_forms_dir()
        try:
            result = import_assignments(store, FormLibrary(store), study, args.file, forms_dir)
        except AssignmentFileError as error:
            print(
                f"no case was assigned: {len(error.problems)} problem(s) in {args.file}",
                file=sys.stderr,
            )
            for problem in error.problems:
                print(problem, file=sys.stderr)
            return 1
    print(describe(result))
    return 0


def run_list(args: argparse.Namespace) -> int:
    with assigning_store(args) as store:
        users = store.list_users()
        names = {u.id: u.username for u in users}
        if args.interviewer is None:
            cases = store.list_assignments(limit=None)
        else:
            found = Interviewers(store).find(args.interviewer)
            if found is None:
                raise SamluatError(f"--interviewer {args.interviewer}: no such user")
            cases = store.list_assignments(assigned_to=found.id, limit=None)
    if not cases:
        print("no cases")
        return 0

    def interviewer(case: AssignmentInfo) -> str:
        if case.assigned_to is None:
            return "-"
        return names.get(case.assigned_to, case.assigned_to)

    for case in sorted(
        cases, key=lambda c: (interviewer(c), c.form_id, c.institution, c.respondent, c.id)
    ):
        print(
            "\t".join(
                (
                    case.form_id,
                    case.institution or "-",
                    case.respondent or "-",
                    interviewer(case),
                    case.status.value,
                    case.id,
                )
            )
        )
    return 0
