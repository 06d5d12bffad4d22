"""`samluat bundle …`: export/inspect/import; resolve conflicts, decide duplicates; review; gaps.

`--db` is a database file (log in with `--user`, password asked or read
from standard input with `--password-stdin`) or a central store URL
(``postgresql://…``). Passwords and passphrases read from standard input
come one per line: the database password first, then the key passphrase.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from app.bundle import format as fmt
from app.bundle.errors import BundleRejected
from app.bundle.export import export_coordinator_bundle, export_field_bundle
from app.bundle.importer import ImportResult, ImportStatus, import_many
from app.bundle.keys import (
    COORDINATOR_IDENTITY_FILE,
    ESCROW_IDENTITY_FILE,
    AgeIdentity,
    check_key_file,
    unlock_identity_file,
    verify,
)
from app.bundle.merge import (
    DuplicateGroup,
    conflict_queue,
    decide_duplicates,
    likely_duplicates,
    resolve_conflict,
    sequence_gaps,
)
from app.bundle.reviews import Review, review_feedback, review_once
from app.bundle.target import BundleTarget
from app.cli.files import ask_secret, require_existing_folder, require_folder, write_failed
from app.core import paths
from app.core.errors import SamluatError
from app.store.errors import NotFoundError
from app.store.fileio import readable_name
from app.store.repo_reviews import ReviewInfo
from app.store.store import open_store
from app.store.tables import Device, ReviewOutcome, Submission, User

MIN_PREFIX = 8  # shortest revision id, key hash or instance id prefix the commands accept
SHOWN_PREFIX = 12  # key hash characters `bundle duplicates` shows
SHOWN_MATCHES = 5  # instance ids named when a prefix matches several
UUID_SCHEME = "uuid:"  # instance ids are "uuid:<uuid>"; the scheme may be left out
DECISION_WORDS = {ReviewOutcome.APPROVED: "approved", ReviewOutcome.REJECTED: "returned"}


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
    return ask_secret(prompt)


@contextmanager
def open_target(args: argparse.Namespace, *, acts: str = "") -> Iterator[BundleTarget]:
    """The database named by --db: a logged-in local store or a central store URL.

    `acts` names what the command records under the acting user's name (a
    review, a resolution): on a central store `--user` must then name one.
    """
    if args.db is not None and "://" in args.db:
        if acts and not args.user:
            raise SamluatError(
                f"{acts} on a central store needs --user NAME, the account it is recorded "
                "under (create one with: samluat user add --db URL NAME --role coordinator)"
            )
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
    for file in files:  # a missing key is told before anyone types its passphrase
        check_key_file(file)
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

    resolve = commands.add_parser(
        "resolve", help="coordinator: settle a conflict by keeping one of its versions"
    )
    resolve.add_argument(
        "instance_id", metavar="INSTANCE_ID", help="as `bundle conflicts` lists it"
    )
    resolve.add_argument(
        "--keep",
        required=True,
        metavar="REV_ID",
        help="the version to keep: its revision id or a unique prefix "
        f"(at least {MIN_PREFIX} characters)",
    )
    resolve.add_argument(
        "--reason", required=True, metavar="TEXT", help="why (kept in the history)"
    )
    resolve.add_argument(
        "--document",
        type=Path,
        default=None,
        metavar="FILE.json",
        help="record this hand-merged document instead of the kept version's",
    )
    add_target_arguments(resolve)
    resolve.set_defaults(handler=run_resolve)

    decide = commands.add_parser("decide", help="coordinator: judge a group of likely duplicates")
    decide.add_argument(
        "group",
        metavar="GROUP",
        help="the group's key hash as `bundle duplicates` shows it "
        f"(a unique prefix of at least {MIN_PREFIX} characters)",
    )
    verdict = decide.add_mutually_exclusive_group(required=True)
    verdict.add_argument(
        "--same",
        dest="duplicate",
        action="store_const",
        const=True,
        help="the same interview (both are kept; the group stays listed, marked confirmed)",
    )
    verdict.add_argument(
        "--different",
        dest="duplicate",
        action="store_const",
        const=False,
        help="different interviews (the group is no longer listed)",
    )
    decide.add_argument("--comment", default="", metavar="TEXT", help="kept with the verdict")
    add_target_arguments(decide)
    decide.set_defaults(handler=run_decide)

    review = commands.add_parser(
        "review", help="coordinator: approve an interview, or return it to its interviewer"
    )
    review.add_argument(
        "instance_id",
        metavar="INSTANCE_ID",
        help=f"the interview's instance id or a unique prefix (at least {MIN_PREFIX} characters)",
    )
    outcome = review.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--approve", action="store_true", help="approve its current version")
    outcome.add_argument(
        "--return",
        dest="comment",
        default=None,
        metavar="COMMENT",
        help="return it to its interviewer, saying what to correct (travels with the next "
        "coordinator bundle)",
    )
    add_target_arguments(review)
    review.set_defaults(handler=run_review)

    reviews = commands.add_parser(
        "reviews", help="list the interviews returned to their interviewers (--all: approved too)"
    )
    reviews.add_argument("--all", action="store_true", help="also list the approved interviews")
    add_target_arguments(reviews)
    reviews.set_defaults(handler=run_reviews)


def find_device(target: BundleTarget, given: str, *, option: str) -> str:
    """The id of the one other device `given` names: its id, or a unique prefix of it (bundle
    file names and `samluat user list` show the first 8 characters)."""
    with target.session() as session:
        ids = sorted(
            session.exec(select(Device.id).where(col(Device.id) != target.device_id)).all()
        )
    found = match_prefix(given, ids, option=option)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise SamluatError(f"{option} {given} matches {len(found)} devices: {', '.join(found)}")
    return given.strip()  # unknown here: the library says so in its own words


def run_export(args: argparse.Namespace) -> int:
    require_existing_folder(args.out, "--out")
    with open_target(args) as target:
        try:
            if args.to is None:
                result = export_field_bundle(
                    target, folder=args.out, everything=args.all, create_folder=False
                )
                results = [result] if result is not None else []
            else:
                from app.bundle.export import registered_field_devices

                devices = (
                    registered_field_devices(target)
                    if args.to == "all"
                    else [find_device(target, args.to, option="--to")]
                )
                results = [
                    r
                    for d in devices
                    if (
                        r := export_coordinator_bundle(
                            target, device_id=d, folder=args.out, create_folder=False
                        )
                    )
                    is not None
                ]
        except OSError as error:
            raise write_failed(f"a bundle into {args.out}", error) from error
    for result in results:
        print(f"wrote {result} [{result.size} bytes, sha256 {result.sha256[:16]}…] (verified)")
    return 0


def run_inspect(args: argparse.Namespace) -> int:
    try:
        envelope = fmt.read_envelope(args.file)
        file_sha, payload_sha = fmt.hash_file(envelope)
    except BundleRejected as error:
        print(f"{args.file}: not a valid bundle: {error}", file=sys.stderr)
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
    print(f"sequence: {sequence_text(header)}")
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


def sequence_text(header: fmt.Header) -> str:
    """The bundle's number, and which earlier bundles it carries again: those numbered
    covers_since … sequence-1 (docs/bundle-format.md); none when covers_since is its own
    number, i.e. it carries only what is new since the last acknowledged bundle."""
    first, last = header.covers_since, header.sequence - 1
    if first > last:
        return str(header.sequence)
    span = f"bundle {first}" if first == last else f"bundles {first}–{last}"
    return f"{header.sequence} (also carries again everything of {span})"


def run_import(args: argparse.Namespace) -> int:
    if args.quarantine is not None:
        require_folder(args.quarantine, "--quarantine")
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
        for line in quarantine_lines(result):
            print(line)
        if result.status is ImportStatus.REJECTED:
            failed += 1
    return 1 if failed else 0


def quarantine_lines(result: ImportResult) -> list[str]:
    """Where a refused file was copied, or that it could not be (see the log)."""
    if result.quarantined is not None:
        return [f"  quarantined: {readable_name(result.quarantined)}"]
    if result.status is ImportStatus.REJECTED and result.path.is_file():
        return [f"  NOT quarantined (copying it failed, see the log): {readable_name(result.path)}"]
    return []


def people_and_devices(target: BundleTarget) -> tuple[dict[str, str], dict[str, str]]:
    """User names by user id, and ``name (id prefix)`` by device id, for listings."""
    with target.session() as session:
        users = {i: one_line(name) for i, name in session.exec(select(User.id, User.username))}
        devices = {
            i: f"{one_line(name)} ({i[:8]})" if name else i
            for i, name in session.exec(select(Device.id, Device.name))
        }
    return users, devices


def run_conflicts(args: argparse.Namespace) -> int:
    with open_target(args) as target:
        queue = conflict_queue(target)
        users, devices = people_and_devices(target)
    for item in queue:
        print(f"{item.instance_id} ({item.form_id}): provisional winner {item.provisional_winner}")
        for head in item.heads:
            when = (
                head.finalised_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
                if head.finalised_at is not None
                else "not finalised"
            )
            why = f": {one_line(head.reason)}" if head.reason and head.reason.strip() else ""
            print(
                f"  {head.rev_id}  by {users.get(head.author_id, head.author_id)} "
                f"on {devices.get(head.device_id, head.device_id)} at {when}{why}"
            )
    print(f"{len(queue)} conflict(s)")
    return 0


def run_duplicates(args: argparse.Namespace) -> int:
    with open_target(args) as target:
        groups = likely_duplicates(target)
        _users, devices = people_and_devices(target)
    for group in groups:
        confirmed = " (confirmed: the same interview)" if group.confirmed else ""
        print(
            f"{group.key_hash[:SHOWN_PREFIX]}  {group.form_id}: "
            f"{group.institution} / {group.respondent}{confirmed}"
        )
        for member in group.members:
            print(f"  {member.instance_id} from {devices.get(member.device_id, member.device_id)}")
    print(f"{len(groups)} group(s) of likely duplicates")
    return 0


def match_prefix(prefix: str, ids: Sequence[str], *, option: str) -> list[str]:
    """The ids `prefix` names: one id given in full, or those starting with it, ignoring
    case (at least `MIN_PREFIX` characters: a short prefix may match later ids too)."""
    prefix = prefix.strip()
    if prefix in ids:
        return [prefix]
    if len(prefix) < MIN_PREFIX:
        raise SamluatError(f"{option} needs at least {MIN_PREFIX} characters, got {prefix!r}")
    return [i for i in ids if i.lower().startswith(prefix.lower())]


def read_document(path: Path) -> dict[str, Any]:
    """A hand-merged document: one JSON object."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SamluatError(f"{path}: cannot read the document: {error}") from error
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise SamluatError(f"{path}: not valid JSON: {error}") from error
    except RecursionError:
        raise SamluatError(f"{path}: not valid JSON: nested too deeply") from None
    if not isinstance(document, dict):
        raise SamluatError(f"{path}: not a document (expected a JSON object)")
    return document


def run_resolve(args: argparse.Namespace) -> int:
    document = read_document(args.document) if args.document is not None else None
    with open_target(args, acts="resolving a conflict") as target:
        queue = {i.instance_id: i for i in conflict_queue(target)}
        found = match_instance(args.instance_id, sorted(queue))
        if len(found) != 1:
            problem = (
                f"matches {len(found)} conflicts: {', '.join(found)}"
                if found
                else "has no conflict to resolve (see `samluat bundle conflicts`)"
            )
            raise SamluatError(f"{args.instance_id} {problem}")
        item = queue[found[0]]
        heads = [h.rev_id for h in item.heads]
        found = match_prefix(args.keep, heads, option="--keep")
        if len(found) != 1:
            problem = "matches several" if found else "matches none"
            raise SamluatError(
                f"--keep {args.keep} {problem} of the conflicting versions of "
                f"{item.instance_id}: {', '.join(found or heads)}"
            )
        kept = found[0]
        new = resolve_conflict(
            target,
            instance_id=item.instance_id,
            winner_rev_id=kept,
            reason=args.reason,
            document=document,
        )
    print(f"resolved {item.instance_id}: kept {kept}, recorded as revision {new}")
    return 0


def describe_group(group: DuplicateGroup) -> str:
    return (
        f"{group.key_hash[:SHOWN_PREFIX]} ({group.form_id}: {group.institution} / "
        f"{group.respondent}, {len(group.members)} interviews)"
    )


def run_decide(args: argparse.Namespace) -> int:
    with open_target(args, acts="judging duplicates") as target:
        groups = {g.key_hash: g for g in likely_duplicates(target)}
        found = match_prefix(args.group, list(groups), option="GROUP")
        if not found:
            raise SamluatError(
                f"no listed group of likely duplicates starts with {args.group} "
                "(see `samluat bundle duplicates`)"
            )
        if len(found) > 1:
            raise SamluatError(
                f"{args.group} matches several groups of likely duplicates: "
                + "; ".join(describe_group(groups[k]) for k in found)
            )
        group = groups[found[0]]
        decide_duplicates(target, group=group, duplicate=args.duplicate, comment=args.comment)
    verdict = (
        "the same interview (still listed, marked confirmed)"
        if args.duplicate
        else "different interviews (no longer listed)"
    )
    print(f"group {describe_group(group)}: recorded as {verdict}")
    return 0


def run_gaps(args: argparse.Namespace) -> int:
    with open_target(args) as target:
        gaps = sequence_gaps(target)
    for gap in gaps:
        print(gap)
    if not gaps:
        print("no gaps")
    return 0


def one_line(text: str) -> str:
    """`text` on one line, without control characters (comments are free text)."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def match_instance(given: str, ids: Sequence[str]) -> list[str]:
    """The instance ids `given` names: one in full, or those it is a prefix of (at least
    `MIN_PREFIX` characters; the ``uuid:`` scheme may be left out)."""
    found = match_prefix(given, ids, option="INSTANCE_ID")
    if not found and not given.strip().lower().startswith(UUID_SCHEME):
        found = match_prefix(UUID_SCHEME + given.strip(), ids, option="INSTANCE_ID")
    return found


def find_instance(target: BundleTarget, given: str) -> str:
    """The one submission `given` names: its instance id, or a unique prefix of it (the
    ``uuid:`` scheme may be left out)."""
    with target.session() as session:
        ids = sorted(session.exec(select(Submission.instance_id)))
    found = match_instance(given, ids)
    if not found:
        raise SamluatError(f"no interview in {target.label} has the instance id {given}")
    if len(found) > 1:
        shown = ", ".join(found[:SHOWN_MATCHES]) + (" …" if len(found) > SHOWN_MATCHES else "")
        raise SamluatError(f"{given} matches {len(found)} interviews: {shown}")
    return found[0]


def run_review(args: argparse.Namespace) -> int:
    decision = ReviewOutcome.APPROVED if args.approve else ReviewOutcome.REJECTED
    comment = "" if args.approve else str(args.comment)
    if decision is ReviewOutcome.REJECTED and not comment.strip():
        raise SamluatError(
            "a return needs a comment: tell the interviewer what to correct (--return TEXT)"
        )
    with open_target(args, acts="reviewing") as target:
        try:
            review = review_once(
                target, instance_id=args.instance_id, decision=decision, comment=comment
            )
        except NotFoundError:
            instance = find_instance(target, args.instance_id)
            if instance == args.instance_id:
                raise
            review = review_once(target, instance_id=instance, decision=decision, comment=comment)
    print(review_line(review))
    return 0


def review_line(review: Review) -> str:
    """What `bundle review` did, or that the same decision was there already."""
    info = review.info
    if review.repeated:
        what = (
            "approved"
            if info.decision is ReviewOutcome.APPROVED
            else "returned to its interviewer with that comment"
        )
        when = info.decided_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return (
            f"{info.instance_id} (revision {info.rev_id}) is already {what} ({when}): "
            "nothing stored"
        )
    if info.decision is ReviewOutcome.APPROVED:
        return f"approved {info.instance_id} (revision {info.rev_id})"
    return (
        f"returned {info.instance_id} (revision {info.rev_id}) to its interviewer: "
        f"{one_line(info.comment)}"
    )


def reviewer_names(target: BundleTarget, infos: Sequence[ReviewInfo]) -> dict[str, str]:
    """Reviewers' display names (else user names) by user id, for those this database knows."""
    ids = {info.reviewer_id for info in infos}
    if not ids:
        return {}
    with target.session() as session:
        rows = session.exec(
            select(User.id, User.display_name, User.username).where(col(User.id).in_(ids))
        )
        return {user_id: one_line(shown or name) for user_id, shown, name in rows}


def run_reviews(args: argparse.Namespace) -> int:
    with open_target(args) as target:
        infos = review_feedback(target, rejected_only=not args.all)
        names = reviewer_names(target, infos)
    for info in infos:
        when = info.decided_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        said = f": {one_line(info.comment)}" if info.comment.strip() else ""
        print(
            f"{info.instance_id}  {DECISION_WORDS[info.decision]}  {when}  "
            f"by {names.get(info.reviewer_id, info.reviewer_id)}{said}"
        )
    if not infos:
        print("no review decisions" if args.all else "no interview is returned")
    return 0
