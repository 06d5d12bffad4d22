"""`samluat db …`: create, check and back up the local database.

Passwords are asked for with `getpass`, or read one per line from standard
input with `--password-stdin` (for scripts; never put a password in argv).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from app.bundle.central import check_central
from app.bundle.keys import COORDINATOR_IDENTITY_FILE
from app.bundle.target import BundleTarget, is_coordinator_database
from app.cli.files import ask_secret, require_file_path, write_failed
from app.core import paths
from app.core.errors import SamluatError
from app.engine.loader import load_form
from app.fieldwork.library import RegisteredForm, register_study_forms
from app.fieldwork.syncing import coordinator_key_file
from app.store.crypto import DEFAULT_KDF
from app.store.db import default_db_path
from app.store.fileio import atomic_write_bytes
from app.store.store import LocalStore, create_store, open_store
from app.study.forms import instrument_files


def database_file(value: str) -> Path:
    """`--db` of the commands that open a database file (never echoing a URL's password)."""
    if "://" in value:
        raise argparse.ArgumentTypeError(
            "this command works on a database file; a central store (postgresql://…) is "
            "opened by the bundle, sync, keys and assign commands, db check, user add and user list"
        )
    return Path(value)


def is_central(location: Path | str | None) -> bool:
    """Whether `--db` named a central store by URL rather than a database file."""
    return isinstance(location, str)


def database_file_or_url(value: str) -> Path | str:
    """`--db` of the commands that also work on a central store: its URL stays text."""
    return value if "://" in value else Path(value)


def add_login_arguments(parser: argparse.ArgumentParser, *, central: bool = False) -> None:
    """--db, --user, --password-stdin (shared by the store's command groups).

    With `central`, `--db` may also be a central store's URL, where `--user`
    (no password: the server decides who connects) names who acts, if anyone.
    """
    if central:
        parser.add_argument(
            "--db",
            type=database_file_or_url,
            default=None,
            metavar="PATH|URL",
            help="database file (default: samluat.db in the user data folder) or "
            "postgresql://… central store",
        )
    else:
        parser.add_argument(
            "--db",
            type=database_file,
            default=None,
            metavar="PATH",
            help="database file (default: samluat.db in the user data folder)",
        )
    parser.add_argument(
        "--user",
        required=not central,
        metavar="NAME",
        help="log in as this user" + (" (needed for a database file)" if central else ""),
    )
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read password(s) from standard input, one per line",
    )


def read_passwords(args: argparse.Namespace, prompts: list[str]) -> list[str]:
    """One password per prompt, from stdin lines or interactive `getpass`."""
    if args.password_stdin:
        values = []
        for prompt in prompts:
            line = sys.stdin.readline()
            if not line:
                raise SamluatError(f"missing on standard input: {prompt.rstrip(': ')}")
            values.append(line.rstrip("\r\n"))
        return values
    return [ask_secret(prompt) for prompt in prompts]


def login(args: argparse.Namespace) -> LocalStore:
    """Open the database named by the arguments as `--user`."""
    if not args.user:
        raise SamluatError("--user is needed to open a database file")
    (password,) = read_passwords(args, [f"Password for {args.user}: "])
    return open_store(username=args.user, password=password, path=args.db)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = subparsers.add_parser("db", help="create, check and back up the local database")
    commands = db.add_subparsers(dest="db_command", metavar="COMMAND", required=True)

    init = commands.add_parser("init", help="create a new database and its first coordinator")
    add_login_arguments(init)
    init.add_argument("--display-name", default="", metavar="TEXT")
    init.add_argument(
        "--no-encrypt",
        action="store_true",
        help="store data unencrypted (not recommended on field laptops)",
    )
    init.add_argument(
        "--forms",
        type=Path,
        default=None,
        metavar="DIR",
        help="the study's forms folder, whose forms are stored as the app does at its first "
        "run (default: the forms shipped with Samluat)",
    )
    init.set_defaults(handler=run_init)

    check = commands.add_parser("check", help="integrity, counts per table, canonical content hash")
    add_login_arguments(check, central=True)
    check.add_argument(
        "--quick", action="store_true", help="quick_check instead of integrity_check"
    )
    check.set_defaults(handler=run_check)

    backup = commands.add_parser(
        "backup",
        help="online backup (SQLite backup API) to DEST, with its key file and, on the "
        "coordinator, the coordinator key (DEST's folder/keys/)",
    )
    add_login_arguments(backup)
    backup.add_argument("dest", type=Path, metavar="DEST")
    backup.add_argument("--overwrite", action="store_true")
    backup.set_defaults(handler=run_backup)

    where = commands.add_parser("path", help="print where the database is")
    where.set_defaults(handler=run_path)


def run_init(args: argparse.Namespace) -> int:
    forms_dir = args.forms or paths.default_forms_dir()
    check_forms_folder(forms_dir)  # a typo or a broken form makes no database
    first, second = read_passwords(
        args, [f"New password for {args.user}: ", "Repeat the password: "]
    )
    if first != second:
        raise SamluatError("the two passwords differ")
    store = create_store(
        username=args.user,
        password=first,
        path=args.db,
        display_name=args.display_name,
        encrypted=not args.no_encrypt,
        kdf=DEFAULT_KDF,
    )
    with store:
        state = "encrypted" if store.db.encrypted else "NOT encrypted"
        print(f"created {store.path} ({state}); coordinator: {store.user.username}")
        # As the app's first run: without them the coordinator's bundles carry no forms.
        print(forms_line(register_study_forms(store, forms_dir), forms_dir))
    return 0


def check_forms_folder(folder: Path) -> None:
    """Load every form of the folder (`FormError` names a broken one) before anything is made."""
    if not folder.is_dir():
        raise SamluatError(f"--forms {folder}: no such folder")
    for path in instrument_files(folder):
        load_form(path)


def forms_line(forms: list[RegisteredForm], folder: Path) -> str:
    """E.g. ``stored 2 form version(s) from forms: dg_survey 2026061501, dg_swot 3``."""
    added = [f"{form.form_id} {form.version}" for form in forms if form.added]
    return f"stored {len(added)} form version(s) from {folder}" + (
        ": " + ", ".join(added) if added else ""
    )


def run_check(args: argparse.Namespace) -> int:
    if is_central(args.db):
        with BundleTarget.open_url(args.db, username=args.user) as target:
            report = check_central(target)
    else:
        with login(args) as store:
            report = store.check(full=not args.quick)
    print(f"database: {report.path}")
    print(f"encrypted: {'yes' if report.encrypted else 'no'}")
    print(f"schema: {report.schema_revision}")
    print(f"integrity: {'; '.join(report.integrity)}")
    print(
        f"foreign keys: {'ok' if report.foreign_key_problems == 0 else report.foreign_key_problems}"
    )
    print("counts:")
    width = max(len(name) for name in report.counts)
    for name, count in report.counts.items():
        print(f"  {name:<{width}}  {count}")
    print(f"content hash: {report.content_hash}")
    return 0 if report.ok else 1


def run_backup(args: argparse.Namespace) -> int:
    dest: Path = args.dest
    if dest.is_dir():
        raise SamluatError(
            f"{dest} is a folder: give the backup's file name, e.g. {dest / 'samluat-backup.db'}"
        )
    require_file_path(dest, "backup")
    key_copy = key_backup_path(dest)
    with login(args) as store:
        key = coordinator_key_of(store)
        if key is not None and key.is_file():
            refuse_to_replace_another_key(key, key_copy, overwrite=args.overwrite)
        try:
            result = store.backup(dest=dest, overwrite=args.overwrite)
        except OSError as error:
            raise write_failed(f"the backup {dest}", error) from error
        if key is not None and key.is_file():
            copy_key_file(key, key_copy)
    print(f"backup: {result.path} ({result.size} bytes)")
    if result.keyring is not None:
        print(f"key file: {result.keyring} (keep it with the backup)")
    if key is not None:
        print(key_line(key, key_copy))
    print(f"content hash: {result.content_hash}")
    return 0


def key_backup_path(dest: Path) -> Path:
    """Where a backup keeps the coordinator key: in keys/ beside the database copy, as in
    the data folder, so that putting the backup folder's files back restores it too."""
    return dest.expanduser().parent / "keys" / COORDINATOR_IDENTITY_FILE


def coordinator_key_of(store: LocalStore) -> Path | None:
    """The coordinator key file that belongs with a coordinator's database (None for a
    field laptop's): without it a restored coordinator cannot open the laptops' bundles."""
    if not is_coordinator_database(BundleTarget.from_store(store)):
        return None
    return coordinator_key_file()


def refuse_to_replace_another_key(key: Path, copy: Path, *, overwrite: bool) -> None:
    """A backup folder may already keep an older coordinator key, which the bundles
    encrypted to it still need: it is replaced only with --overwrite."""
    try:
        differs = copy.exists() and copy.read_bytes() != key.read_bytes()
    except OSError as error:
        raise write_failed(f"the coordinator key {copy}", error) from error
    if differs and not overwrite:
        raise SamluatError(
            f"{copy} already holds another coordinator key (bundles encrypted to it need it): "
            "back up into another folder, or add --overwrite to replace it"
        )


def copy_key_file(key: Path, copy: Path) -> None:
    """Copy the passphrase-protected key file atomically, readable by its owner only."""
    try:
        copy.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(copy, key.read_bytes())
    except OSError as error:
        raise write_failed(f"the coordinator key {copy}", error) from error
    with contextlib.suppress(OSError):  # (no such modes on some sticks' file systems)
        copy.chmod(0o600)


def key_line(key: Path, copy: Path) -> str:
    """What `db backup` says about the coordinator key."""
    if not key.is_file():
        return (
            f"coordinator key: none at {key}; if you keep it elsewhere, back it up too "
            "(without it the laptops' bundles cannot be opened)"
        )
    return f"coordinator key: {copy} (passphrase-protected; keep it with the backup)"


def run_path(args: argparse.Namespace) -> int:
    print(default_db_path())
    return 0
