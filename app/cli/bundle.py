"""`samluat bundle …`: export, inspect and import bundle files; conflicts, duplicates, gaps.

`--db` is a database file (log in with `--user`, password asked or read
from standard input with `--password-stdin`) or a central store URL
(``postgresql://…``). Passwords and passphrases read from standard input
come one per line: the database password first, then the key passphrase.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.bundle import format as fmt
from app.bundle.errors import BundleRejected
from app.bundle.export import export_coordinator_bundle, export_field_bundle
from app.bundle.importer import ImportStatus, import_many
from app.bundle.keys import (
    COORDINATOR_IDENTITY_FILE,
    ESCROW_IDENTITY_FILE,
    AgeIdentity,
    unlock_identity_file,
    verify,
)
from app.bundle.merge import conflict_queue, likely_duplicates, sequence_gaps
from app.bundle.target import BundleTarget
from app.core import paths
from app.core.errors import SamluatError
from app.store.store import open_store
from app.store.tables import Device


def add_target_arguments(parser: argparse.ArgumentParser, *, user_required: bool = False) -> None:
    """--db (file or postgresql:// URL), --user, --password-stdin."""
    parser.add_argument(
        "--db",
        default=None,
        metavar="PATH|URL",
        help="database file (default: the user data folder) or postgresql://… central store",
    )
    parser.add_argument(
        "--user", required=user_required, metavar="NAME", help="log in as this user"
    )
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password (then any passphrase) from standard input, one per line",
    )


def read_secret(args: argparse.Namespace, prompt: str) -> str:
    """The next line of standard input (`--password-stdin`) or an interactive prompt."""
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise SamluatError(f"missing on standard input: {prompt.rstrip(': ')}")
        return line.rstrip("\r\n")
    return getpass.getpass(prompt)


@contextmanager
def open_target(args: argparse.Namespace) -> Iterator[BundleTarget]:
    """The database named by --db: a logged-in local store or a central store URL."""
    if args.db is not None and "://" in args.db:
        with BundleTarget.open_url(args.db, username=args.user) as target:
            yield target
        return
    if not args.user:
        raise SamluatError("--user is needed to open a database file")
    password = read_secret(args, f"Password for {args.user}: ")
    path = Path(args.db) if args.db else None
    with open_store(username=args.user, password=password, path=path) as store:
        yield BundleTarget.from_store(store)


def unlock_identities(args: argparse.Namespace) -> list[AgeIdentity]:
    """The coordinator key (and escrow key with --escrow), unlocked with their passphrases."""
    files: list[Path] = []
    keys_dir = paths.data_dir() / "keys"
    files.append(Path(args.identity) if args.identity else keys_dir / COORDINATOR_IDENTITY_FILE)
    if getattr(args, "escrow", None):
        files.append(Path(args.escrow))
    return [unlock_identity_file(f, read_secret(args, f"Passphrase for {f.name}: ")) for f in files]


def add_identity_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--identity",
        default=None,
        metavar="FILE",
        help=f"coordinator key file (default: <data>/keys/{COORDINATOR_IDENTITY_FILE})",
    )
    parser.add_argument(
        "--escrow",
        default=None,
        metavar="FILE",
        help=f"also use an escrow key ({ESCROW_IDENTITY_FILE})",
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bundle = subparsers.add_parser("bundle", help="export, inspect and import bundle files")
    commands = bundle.add_subparsers(dest="bundle_command", metavar="COMMAND", required=True)

    export = commands.add_parser("export", help="write a bundle into a folder")
    add_target_arguments(export)
    export.add_argument("--out", type=Path, required=True, metavar="DIR")
    export.add_argument(
        "--all", action="store_true", help="everything finalised, not only what is unacknowledged"
    )
    export.add_argument(
        "--to",
        default=None,
        metavar="DEVICE",
        help="coordinator: the laptop to write for ('all' for every registered laptop)",
    )
    export.set_defaults(handler=run_export)

    inspect = commands.add_parser("inspect", help="show a bundle's header; check its signature")
    inspect.add_argument("file", type=Path, metavar="FILE")
    inspect.set_defaults(handler=run_inspect)

    imp = commands.add_parser("import", help="import bundle files")
    imp.add_argument("files", type=Path, nargs="+", metavar="FILE")
    add_target_arguments(imp)
    add_identity_arguments(imp)
    imp.add_argument("--quarantine", type=Path, default=None, metavar="DIR")
    imp.set_defaults(handler=run_import)

    for name, handler, text in (
        ("conflicts", run_conflicts, "list conflicting versions and their provisional winner"),
        ("duplicates", run_duplicates, "list likely duplicate interviews"),
        ("gaps", run_gaps, "list bundles missing per device"),
    ):
        sub = commands.add_parser(name, help=text)
        add_target_arguments(sub)
        sub.set_defaults(handler=handler)


def run_export(args: argparse.Namespace) -> int:
    with open_target(args) as target:
        if args.to is None:
            result = export_field_bundle(target, folder=args.out, everything=args.all)
            results = [result] if result is not None else []
        else:
            from app.bundle.export import registered_field_devices

            devices = registered_field_devices(target) if args.to == "all" else [args.to]
            results = [
                r
                for d in devices
                if (r := export_coordinator_bundle(target, device_id=d, folder=args.out))
                is not None
            ]
    for result in results:
        print(f"wrote {result} [{result.size} bytes, sha256 {result.sha256[:16]}…] (verified)")
    return 0


def run_inspect(args: argparse.Namespace) -> int:
    try:
        envelope = fmt.read_envelope(args.file)
        file_sha, payload_sha = fmt.hash_file(envelope)
    except BundleRejected as error:
        print(f"{args.file}: not a valid bundle: {error}")
        return 1
    header = envelope.header
    message = fmt.signature_message(envelope.prefix_sha256, envelope.payload_length, payload_sha)
    valid = payload_sha == envelope.payload_sha256 and verify(
        header.signing_key, envelope.signature, message
    )
    print(f"file: {args.file} ({envelope.size} bytes, sha256 {file_sha})")
    print(f"format: {fmt.FORMAT_NAME} version {fmt.FORMAT_VERSION}")
    print(f"bundle: {header.bundle_id} ({header.kind})")
    print(f"from: {header.source_name} ({header.source_device_id})")
    print(f"signing key fingerprint: {header.signer_fingerprint}")
    print(f"to: {header.target}")
    print(f"sequence: {header.sequence} (re-carries everything since {header.covers_since})")
    print(f"created: {header.created_at} by samluat {header.app_version}")
    print(f"encrypted to: {', '.join(header.recipients)}")
    print("counts: " + ", ".join(f"{k} {v}" for k, v in header.counts.items() if v))
    print(
        "signature: "
        + (
            "VALID for the key above (check that key belongs to the device)"
            if valid
            else "INVALID: the file was altered or damaged after signing"
        )
    )
    return 0 if valid else 1


def run_import(args: argparse.Namespace) -> int:
    with open_target(args) as target:
        with target.session() as session:
            local = session.get(Device, target.device_id)
            coordinator = local is not None and local.role == "coordinator"
        identities = unlock_identities(args) if coordinator or args.identity else []
        results = import_many(
            target, args.files, identities=identities, quarantine_dir=args.quarantine
        )
    failed = 0
    for result in results:
        print(result)
        if result.quarantined is not None:
            print(f"  quarantined: {result.quarantined}")
        if result.status is ImportStatus.REJECTED:
            failed += 1
    return 1 if failed else 0


def run_conflicts(args: argparse.Namespace) -> int:
    with open_target(args) as target:
        queue = conflict_queue(target)
    for item in queue:
        print(f"{item.instance_id} ({item.form_id}): provisional winner {item.provisional_winner}")
        for head in item.heads:
            print(
                f"  {head.rev_id}  by {head.author_id} on {head.device_id} at {head.finalised_at}"
            )
    print(f"{len(queue)} conflict(s)")
    return 0


def run_duplicates(args: argparse.Namespace) -> int:
    with open_target(args) as target:
        groups = likely_duplicates(target)
    for group in groups:
        print(f"{group.form_id}: {group.institution} / {group.respondent}")
        for member in group.members:
            print(f"  {member.instance_id} from device {member.device_id}")
    print(f"{len(groups)} group(s) of likely duplicates")
    return 0


def run_gaps(args: argparse.Namespace) -> int:
    with open_target(args) as target:
        gaps = sequence_gaps(target)
    for gap in gaps:
        print(gap)
    if not gaps:
        print("no gaps")
    return 0
