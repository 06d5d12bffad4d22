"""Import bundle files: check everything, then apply in one transaction or not at all.

The order of checks is the one in docs/bundle-format.md: structure → already
imported? → registered device → signature over header and ciphertext →
revocation and replay → recipient → decrypt (streaming) with every part hash,
record and document checked → apply → commit. A refused bundle is copied to
the quarantine folder with its reason and leaves the database exactly as it
was; a bundle that needs an earlier one first is reported as *waiting*.

Everything runs in the calling thread; `progress(fraction, message)` and
`cancel()` let a UI run it off the UI thread and stop it (a cancelled import
rolls back like any other failure).
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from app import __version__
from app.bundle import format as fmt
from app.bundle.applier import Applier, ApplyStats
from app.bundle.canon import parse_time, time_text
from app.bundle.decrypt import decrypt_payload
from app.bundle.errors import BundleError, BundleRejected, BundleWaiting, Refusal
from app.bundle.grouping import ImportGroups
from app.bundle.keys import AgeIdentity, load_local_keys, verify
from app.bundle.merge import refresh_summaries, update_business_keys
from app.bundle.precheck import PrecheckTask, precheck
from app.bundle.staging import StagedAttachments, discard_quietly, stage_attachments
from app.bundle.target import BundleTarget
from app.bundle.validate import FormCache, Prechecked, default_workers
from app.core import paths
from app.store.canonical import canonical_text
from app.store.fileio import json_bytes, readable_name
from app.store.tables import Device, DeviceRole, ImportedBundle
from app.store.types import utcnow

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]
T_IMPORTED = ImportedBundle.__table__  # type: ignore[attr-defined]


class ImportStatus(StrEnum):
    APPLIED = "applied"
    ALREADY = "already imported"
    WAITING = "waiting"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ImportResult:
    """The outcome of importing one file, with a message for people."""

    path: Path
    status: ImportStatus
    message: str
    bundle_id: str | None = None
    source_device_id: str | None = None
    source_name: str | None = None
    sequence: int | None = None
    kind: str | None = None
    sha256: str | None = None
    quarantined: Path | None = None
    stats: dict[str, int] = field(default_factory=dict)
    refusal: BundleRejected | None = None  # why it was refused, for the app to word

    @property
    def ok(self) -> bool:
        return self.status in (ImportStatus.APPLIED, ImportStatus.ALREADY)

    @property
    def name(self) -> str:
        """The file's name, fit to print (undecodable bytes shown as `\\xe9`)."""
        return readable_name(self.path.name)

    def __str__(self) -> str:
        return f"{self.name}: {self.status.value}: {self.message}"


class ImportCancelled(BundleError):
    """The user cancelled an import; nothing was changed."""


def default_quarantine_dir() -> Path:
    """`<data>/quarantine` (created on first use)."""
    return paths.data_dir() / "quarantine"


REASON_SUFFIX = ".reason.txt"
# File names are at most 255 bytes (ext4; 255 UTF-16 units on NTFS and APFS), and the
# reason file adds its suffix to the copy's name.
QUARANTINE_NAME_BYTES = 255 - len(REASON_SUFFIX)
# Refused files larger than this get their reason written, not a copy.
QUARANTINE_COPY_LIMIT = 512 * 1024**2


def quarantine(
    path: Path,
    reason: str,
    folder: Path,
    sha256: str | None,
    *,
    refusal: BundleRejected | None = None,
    header: fmt.Header | None = None,
) -> Path | None:
    """Copy `path` into `folder` with a `.reason.txt` beside it; the original stays.

    The copy is named `<first 16 digits of sha256, or "unreadable">-<file name>`
    (undecodable bytes of the name written as `\\xe9`, long names cut to fit,
    keeping the suffix). A different file already kept under that name is left
    alone: this one gets a short hash of its bytes added to its name. The same
    bytes again are not copied twice; their reason is the latest one. A file
    over `QUARANTINE_COPY_LIMIT`, or that is no file (a pipe), gets its reason only
    (None is returned). The
    reason file also keeps the refusal's kind and facts and who the file claims to
    come from, for the app to word it in its language (`app.bundle.refused`).
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        info = path.stat()
        size = info.st_size
        record = _reason_record(path, reason, sha256, refusal, header)
        if size > QUARANTINE_COPY_LIMIT or not stat.S_ISREG(info.st_mode):  # a pipe: no copy
            _record_without_copy(path, record, folder, sha256, size)
            return None
        tmp = folder / f".incoming-{uuid.uuid4().hex[:12]}.partial"
        try:
            digest = _copy_hashing(path, tmp)
            dest = _keep(
                tmp, folder, (sha256 or "unreadable")[:16], readable_name(path.name), digest
            )
        finally:
            tmp.unlink(missing_ok=True)
        text = json_bytes({**record, "sha256": sha256 or digest}, sort_keys=False)
        dest.with_name(dest.name + REASON_SUFFIX).write_bytes(text + b"\n")
        return dest
    except OSError:
        log.warning("could not quarantine %s", readable_name(path), exc_info=True)
        return None


def _reason_record(
    path: Path,
    reason: str,
    sha256: str | None,
    refusal: BundleRejected | None,
    header: fmt.Header | None,
) -> dict[str, Any]:
    """What a `.reason.txt` holds (read back by `app.bundle.refused`)."""
    record: dict[str, Any] = {
        "file": readable_name(path.absolute()),  # where it was, however it was named
        "rejected_at": time_text(utcnow()),
        "reason": reason,
        "sha256": sha256,
        "app_version": __version__,
    }
    if refusal is not None:
        record["refusal"] = {
            "kind": refusal.reason.value,
            "laptop": refusal.laptop,
            "when": time_text(refusal.when),
            "sequence": refusal.sequence,
        }
    if header is not None:  # who the file claims to come from (not verified if refused)
        record["claimed"] = {
            "kind": header.kind,
            "source_name": header.source_name,
            "sequence": header.sequence,
        }
    return record


def _record_without_copy(
    path: Path, record: dict[str, Any], folder: Path, sha256: str | None, size: int
) -> None:
    """The `.reason.txt` of a refused file too large to copy (hours of audio cut short):
    copies of such files would fill the disk the database needs, and the original stays
    where it is. Never written over another file's reason."""
    prefix, name = (sha256 or "unreadable")[:16], readable_name(path.name)
    for tag in ("", uuid.uuid4().hex[:8]):
        target = folder / (quarantine_name(prefix, name, tag) + REASON_SUFFIX)
        if not os.path.lexists(target):
            break
    text = json_bytes({**record, "size": size, "copied": False}, sort_keys=False)
    target.write_bytes(text + b"\n")


def _copy_hashing(source: Path, dest: Path) -> str:
    """Copy `source` to `dest`; the SHA-256 (hex) of the bytes copied."""
    digest = hashlib.sha256()
    with open(source, "rb") as reader, open(dest, "wb") as writer:
        while chunk := reader.read(fmt.READ_CHUNK):
            digest.update(chunk)
            writer.write(chunk)
    return digest.hexdigest()


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as reader:
        while chunk := reader.read(fmt.READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _keep(tmp: Path, folder: Path, prefix: str, name: str, digest: str) -> Path:
    """Move the copy `tmp` (bytes hashing to `digest`) to a name of its own in `folder`."""
    for tag in ("", digest[:8], digest):
        dest = folder / quarantine_name(prefix, name, tag)
        if not os.path.lexists(dest):
            os.replace(tmp, dest)
            return dest
        if dest.is_file() and not dest.is_symlink() and _sha256_of(dest) == digest:
            return dest  # the same file refused again: one copy is enough
    raise FileExistsError(f"no free name for a copy of {name} in {readable_name(folder)}")


def quarantine_name(prefix: str, name: str, tag: str = "") -> str:
    """`<prefix>-<name>`, or `<prefix>-<stem>-<tag><suffix>`, cut to at most
    `QUARANTINE_NAME_BYTES` bytes of UTF-8 by shortening the stem (the suffix stays)."""
    dot = name.rfind(".")
    suffix = name[dot:] if dot > 0 and len(name[dot:].encode("utf-8")) <= 32 else ""
    stem = name[: len(name) - len(suffix)]
    end = (f"-{tag}" if tag else "") + suffix
    room = QUARANTINE_NAME_BYTES - len(f"{prefix}-{end}".encode())
    stem = stem.encode("utf-8")[: max(room, 0)].decode("utf-8", "ignore")
    return f"{prefix}-{stem}{end}"


@dataclass
class _Checked:
    envelope: fmt.Envelope
    file_sha: str
    payload_sha: bytes


def _named(name: str, device_id: str) -> str:
    """How messages name a device: the name this database registered it under (the
    coordinator may have renamed it; the bundle header has the laptop's own), and the
    start of its id, which tells apart laptops that all call themselves e.g. 'vm'."""
    return f"{name!r} ({device_id[:8]})"


def _unknown_signer(header: fmt.Header, *, receiver_role: str) -> BundleRejected:
    """The refusal of a bundle signed by a device this database does not know, with the
    command that fixes it here: a coordinator registers a laptop's card, while a field
    laptop trusts only its coordinator's card (`keys register` refuses that card)."""
    who = (
        f"signed by an unknown device {header.source_name!r} ({header.source_device_id}, "
        f"key {header.signer_fingerprint})"
    )
    if receiver_role == DeviceRole.COORDINATOR.value:
        fix = "register its card first (samluat keys register)"
    else:
        fix = (
            "if it is your coordinator, trust its coordinator card first "
            "(samluat keys trust-coordinator coordinator.card.json)"
        )
    return BundleRejected(f"{who}: {fix}", Refusal.UNKNOWN_LAPTOP, laptop=header.source_name)


def _check_outside(
    target: BundleTarget, path: Path, limits: fmt.Limits
) -> tuple[_Checked | None, ImportResult | None]:
    """Steps 1–5: everything that needs no decryption. Raises `BundleRejected`."""
    envelope = fmt.read_envelope(path, limits)
    file_sha, payload_sha = fmt.hash_file(envelope)
    return _check_read(target, envelope, file_sha, payload_sha)


def _check_read(
    target: BundleTarget, envelope: fmt.Envelope, file_sha: str, payload_sha: bytes
) -> tuple[_Checked | None, ImportResult | None]:
    """Steps 2–5 for a file whose structure was checked and whose bytes were hashed."""
    path = envelope.path
    header = envelope.header
    with target.session() as session:
        done = session.execute(
            select(T_IMPORTED.c.imported_at).where(
                T_IMPORTED.c.sha256 == file_sha, T_IMPORTED.c.status == "applied"
            )
        ).first()
        device = session.get(Device, header.source_device_id)
        if done is not None:
            sender = device.name if device is not None else header.source_name
            return None, ImportResult(
                path=path,
                status=ImportStatus.ALREADY,
                message=(
                    f"already imported on {time_text(done.imported_at)} (bundle "
                    f"{header.sequence} from {_named(sender, header.source_device_id)}); "
                    "nothing changed"
                ),
                bundle_id=header.bundle_id,
                source_device_id=header.source_device_id,
                source_name=header.source_name,
                sequence=header.sequence,
                kind=header.kind,
                sha256=file_sha,
            )
        local = session.get(Device, target.device_id)
        assert local is not None
        if device is None or device.public_key is None:
            raise _unknown_signer(header, receiver_role=local.role)
        if device.public_key != header.signing_key:
            raise BundleRejected(
                f"signed with key {header.signer_fingerprint}, which is not the registered key of "
                f"device {_named(device.name, device.id)}",
                Refusal.NOT_ITS_KEY,
                laptop=device.name,
            )
        message = fmt.signature_message(
            envelope.prefix_sha256, envelope.payload_length, payload_sha
        )
        if payload_sha != envelope.payload_sha256 or not verify(
            device.public_key, envelope.signature, message
        ):
            raise BundleRejected(
                f"the signature of device {_named(device.name, device.id)} does not verify: the "
                "file was "
                "damaged or altered after it was signed",
                Refusal.BAD_SIGNATURE,
                laptop=device.name,
            )
        if device.revoked_at is not None:
            raise BundleRejected(
                f"device {_named(device.name, device.id)} was revoked on "
                f"{time_text(device.revoked_at)}; its bundles are refused",
                Refusal.REVOKED,
                laptop=device.name,
                when=device.revoked_at,
            )
        if header.kind == fmt.KIND_FIELD:
            if header.target != fmt.TARGET_COORDINATOR:
                raise BundleRejected("a field bundle must be addressed to the coordinator")
        else:
            if device.role != DeviceRole.COORDINATOR.value:
                raise BundleRejected(
                    f"device {_named(device.name, device.id)} is not a trusted coordinator",
                    Refusal.NOT_A_COORDINATOR,
                    laptop=device.name,
                )
            if header.target != target.device_id:
                raise BundleRejected(
                    f"addressed to another laptop ({header.target}), not to this one",
                    Refusal.FOR_ANOTHER_LAPTOP,
                )
        replay = session.execute(
            select(T_IMPORTED.c.id, T_IMPORTED.c.sequence).where(
                (T_IMPORTED.c.id == header.bundle_id)
                | (
                    (T_IMPORTED.c.source_device_id == header.source_device_id)
                    & (T_IMPORTED.c.target == header.target)
                    & (T_IMPORTED.c.sequence == header.sequence)
                )
            )
        ).first()
        if replay is not None and replay.id == header.bundle_id:
            raise BundleRejected(
                f"bundle {header.sequence} of device {_named(device.name, device.id)} was already "
                "imported from a different file: this one is a replay or a forgery",
                Refusal.REPLAYED,
                laptop=device.name,
                sequence=header.sequence,
            )
        if replay is not None:
            # Signed by the device's own key, so written by that laptop (or a copy of
            # its database): most likely restored from a backup that predates bundle N.
            raise BundleRejected(
                f"device {_named(device.name, device.id)} used bundle number {header.sequence} "
                "twice "
                f"(first for bundle {replay.id}): if the laptop was restored from a backup, "
                "send it a coordinator bundle and have it export again (its next bundle "
                "carries this one's work); otherwise this file is a replay or a forgery",
                Refusal.NUMBER_REUSED,
                laptop=device.name,
                sequence=header.sequence,
            )
    return _Checked(envelope, file_sha, payload_sha), None


def _identities(
    target: BundleTarget, header: fmt.Header, identities: Sequence[AgeIdentity]
) -> list[AgeIdentity]:
    if header.kind == fmt.KIND_COORDINATOR:
        with target.session() as session:
            return [load_local_keys(session, target.device_id).receiving]
    return list(identities)


def import_bundle(
    target: BundleTarget,
    path: Path,
    *,
    identities: Sequence[AgeIdentity] = (),
    quarantine_dir: Path | None = None,
    limits: fmt.Limits = fmt.DEFAULT_LIMITS,
    forms: FormCache | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> ImportResult:
    """Import one bundle file. Never raises for a bad bundle: see `ImportResult.status`.

    `identities` are the unlocked coordinator (and escrow) keys for field
    bundles; a field laptop decrypts coordinator bundles with its own key.
    """
    quarantine_dir = quarantine_dir or default_quarantine_dir()
    path = Path(path)
    sha: str | None = None
    header: fmt.Header | None = None
    try:
        envelope = fmt.read_envelope(path, limits)
        header = envelope.header  # as the file claims it (refusals say who it claims)
        sha, payload_sha = fmt.hash_file(envelope)  # from here on, a refused file has a hash
        checked, early = _check_read(target, envelope, sha, payload_sha)
        if early is not None:
            return early
        assert checked is not None
        keys = _identities(target, header, identities)
        mine = {k.fingerprint for k in keys}
        if not mine & set(header.recipients):
            raise BundleRejected(
                f"encrypted to another coordinator's key ({', '.join(header.recipients)[:80]}); "
                f"this database opens {', '.join(sorted(mine)) or 'no key (unlock yours)'}",
                Refusal.OTHER_COORDINATOR,
            )
        stats = _decrypt_and_apply(
            target, checked, keys, limits, forms or FormCache(), progress, cancel
        )
    except BundleWaiting as error:
        log.info("bundle %s waits: %s", readable_name(path.name), error)
        return _result(path, ImportStatus.WAITING, str(error), header, sha)
    except BundleRejected as error:
        where = (
            None  # what is there now is not the file judged: it is read afresh next time
            if error.reason is Refusal.CHANGED_WHILE_READING
            else quarantine(path, str(error), quarantine_dir, sha, refusal=error, header=header)
        )
        log.warning("bundle %s rejected: %s", readable_name(path.name), error)
        return _result(
            path, ImportStatus.REJECTED, str(error), header, sha, quarantined=where, refusal=error
        )
    result = _result(
        path,
        ImportStatus.APPLIED,
        _summary(stats),
        header,
        sha,
        stats=stats.as_dict(),
    )
    log.info("bundle %s applied: %s", result.name, result.message)
    return result


def _result(
    path: Path,
    status: ImportStatus,
    message: str,
    header: fmt.Header | None,
    sha: str | None,
    *,
    quarantined: Path | None = None,
    stats: dict[str, int] | None = None,
    refusal: BundleRejected | None = None,
) -> ImportResult:
    return ImportResult(
        path=path,
        status=status,
        message=message,
        bundle_id=header.bundle_id if header else None,
        source_device_id=header.source_device_id if header else None,
        source_name=header.source_name if header else None,
        sequence=header.sequence if header else None,
        kind=header.kind if header else None,
        sha256=sha,
        quarantined=quarantined,
        stats=stats or {},
        refusal=refusal,
    )


def _summary(stats: ApplyStats) -> str:
    parts = [
        f"{stats.revisions_new} new revision(s)",
        f"{stats.revisions_known} already here",
        f"{stats.submissions_new} new submission(s)",
    ]
    if stats.attachments_new:
        parts.append(f"{stats.attachments_new} attachment(s)")
    if stats.events_new:
        parts.append(f"{stats.events_new} paradata event(s)")
    if stats.form_versions_new:
        parts.append(f"{stats.form_versions_new} form version(s)")
    if stats.assignments_changed:
        parts.append(f"{stats.assignments_changed} assignment(s)")
    if stats.reviews_new:
        parts.append(f"{stats.reviews_new} review decision(s)")
    if stats.acks_applied:
        parts.append(f"{stats.acks_applied} acknowledgement(s)")
    if stats.interviews_left_out:
        parts.append(
            f"the coordinator's versions of {stats.interviews_left_out} interview(s) left "
            "out (a recording or an earlier version they need is not on this laptop)"
        )
    return ", ".join(parts)


def _decrypt_and_apply(
    target: BundleTarget,
    checked: _Checked,
    identities: list[AgeIdentity],
    limits: fmt.Limits,
    forms: FormCache,
    progress: Progress | None,
    cancel: Cancel | None,
) -> ApplyStats:
    envelope = checked.envelope
    header = envelope.header
    total_records = max(sum(v for k, v in header.counts.items() if k != "attachment_bytes"), 1)
    done = [0]

    def tick(records: int) -> None:
        done[0] += records
        if cancel is not None and cancel():
            raise ImportCancelled("The import was cancelled; nothing was changed.")
        if progress is not None:
            progress(min(done[0] / total_records, 1.0), f"{done[0]} of {total_records} records")

    staged = (
        _stage(target, checked, identities, limits, progress, cancel)
        if header.counts.get("attachments")
        else None
    )
    try:
        return _apply_in_one_transaction(target, checked, identities, limits, forms, tick, staged)
    finally:
        if staged is not None:
            discard_quietly(staged)


def _stage(
    target: BundleTarget,
    checked: _Checked,
    identities: list[AgeIdentity],
    limits: fmt.Limits,
    progress: Progress | None,
    cancel: Cancel | None,
) -> StagedAttachments:
    """The first pass over a payload that carries attachments (`app.bundle.staging`)."""
    total = max(checked.envelope.header.counts.get("attachment_bytes", 0), 1)

    def on_bytes(done: int) -> None:
        if cancel is not None and cancel():
            raise ImportCancelled("The import was cancelled; nothing was changed.")
        if progress is not None:
            progress(
                min(done / total, 1.0), f"{done / 1e6:.0f} of {total / 1e6:.0f} MB of attachments"
            )

    return stage_attachments(
        target, checked.envelope, checked.payload_sha, identities, limits, on_bytes
    )


def _apply_in_one_transaction(
    target: BundleTarget,
    checked: _Checked,
    identities: list[AgeIdentity],
    limits: fmt.Limits,
    forms: FormCache,
    tick: Callable[[int], None],
    staged: StagedAttachments | None,
) -> ApplyStats:
    envelope = checked.envelope
    header = envelope.header
    with target.session(write=True) as session:
        connection = session.connection()
        applier = Applier(
            connection,
            header=header,
            local_device_id=target.device_id,
            forms=forms,
            progress=tick,
            prechecked=forms.prechecks.pop(checked.file_sha, None),
            staged=staged.blobs if staged else {},
        )
        if header.kind == fmt.KIND_COORDINATOR:
            newest = connection.execute(
                select(func.max(T_IMPORTED.c.sequence)).where(
                    T_IMPORTED.c.source_device_id == header.source_device_id,
                    T_IMPORTED.c.target == header.target,
                )
            ).scalar()
            applier.newest = newest is None or header.sequence > int(newest)
        finished: dict[str, Any] = {}

        def feed() -> None:
            """Every part of the payload to the applier, in order."""
            if staged is not None and staged.transcript is not None:
                fmt.replay(staged.transcript, applier)  # read once already, while staging
                finished.update(staged.end)
                return
            parser = fmt.PayloadParser(
                applier,
                payload_length=envelope.payload_length,
                limits=limits,
                on_end=lambda manifest, counts: finished.update(manifest=manifest, counts=counts),
            )
            decrypt_payload(envelope, identities, parser, checked.payload_sha)

        try:
            _apply(target, checked, applier, feed, finished)
        except BaseException:
            applier.close()
            raise
        return applier.stats


def _apply(
    target: BundleTarget,
    checked: _Checked,
    applier: Applier,
    feed: Callable[[], None],
    finished: dict[str, Any],
) -> None:
    header = checked.envelope.header
    connection = applier.c
    feed()
    fmt.check_counts(header, finished["counts"], finished["manifest"])
    head_of = applier.finish()
    head_of.update(refresh_summaries(connection, applier.refresh))
    update_business_keys(connection, head_of, known=applier.doc_keys, new=applier.new_submissions)
    connection.execute(
        insert(T_IMPORTED),
        [
            {
                "id": header.bundle_id,
                "sha256": checked.file_sha,
                "source_device_id": header.source_device_id,
                "imported_at": utcnow(),
                "imported_by": target.user_id,
                "status": "applied",
                "reason": None,
                "summary": canonical_text(applier.stats.as_dict()),
                "sequence": header.sequence,
                "target": header.target,
                "kind": header.kind,
                "covers_since": header.covers_since,
                "bundle_created_at": _created(header),
            }
        ],
    )
    # Last, so that the checks ran while everything above was written.
    applier.verdicts()


def _created(header: fmt.Header) -> Any:
    try:
        return parse_time(header.created_at, "created_at")
    except ValueError:
        return None


def import_many(
    target: BundleTarget,
    paths_: Iterable[Path],
    *,
    identities: Sequence[AgeIdentity] = (),
    quarantine_dir: Path | None = None,
    forms: FormCache | None = None,
    retry_waiting: bool = True,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> list[ImportResult]:
    """Import files in the given order; waiting ones are retried while that makes progress.

    Returns one result per file (the last attempt's), in the order given. Without
    `forms`, large batches of documents are checked in worker processes.
    """
    owned = forms is None
    forms = forms or FormCache(workers=default_workers())
    try:
        return _import_many(
            target,
            list(paths_),
            identities=identities,
            quarantine_dir=quarantine_dir,
            forms=forms,
            retry_waiting=retry_waiting,
            progress=progress,
            cancel=cancel,
        )
    finally:
        if owned:
            forms.close()


def _import_many(
    target: BundleTarget,
    files: list[Path],
    *,
    identities: Sequence[AgeIdentity],
    quarantine_dir: Path | None,
    forms: FormCache,
    retry_waiting: bool,
    progress: Progress | None,
    cancel: Cancel | None,
) -> list[ImportResult]:
    results: dict[int, ImportResult] = {}
    pending = list(range(len(files)))
    while pending:
        waiting = []
        applied_any = False
        ahead = Prechecks(target, [files[i] for i in pending], identities, forms)
        with ImportGroups(target, keep_on=(ImportCancelled,)) as groups:
            for count, index in enumerate(pending):
                ahead.schedule(count)
                if progress is not None:
                    progress(count / max(len(pending), 1), readable_name(files[index].name))
                groups.before(files[index])
                result = import_bundle(
                    target,
                    files[index],
                    identities=identities,
                    quarantine_dir=quarantine_dir,
                    forms=forms,
                    cancel=cancel,
                )
                results[index] = result
                if result.status is ImportStatus.WAITING:
                    waiting.append(index)
                elif result.status is ImportStatus.APPLIED:
                    applied_any = True
        ahead.drop()
        if not (retry_waiting and waiting and applied_any):
            break
        pending = waiting
    return [results[i] for i in range(len(files))]


# A precheck decrypts the whole file; past this much audio, the documents are checked
# by the workers as the import reads them instead.
PRECHECK_MAX_ATTACHMENT_BYTES = 64 * 1024 * 1024


class Prechecks:
    """Prechecks of the files about to be imported, so that workers check their
    documents while this process applies a bundle (see `app.bundle.precheck`).

    Call `schedule(i)` before importing the i-th file, `drop()` after the last.
    """

    def __init__(
        self,
        target: BundleTarget,
        files: list[Path],
        identities: Sequence[AgeIdentity],
        forms: FormCache,
    ) -> None:
        self.target = target
        self.files = files
        self.identities = tuple(identities)
        self.forms = forms
        self.next = 0  # the first file not scheduled yet
        self.scheduled: list[str] = []

    def schedule(self, current: int) -> None:
        """Have `current` and the files after it prechecked, one per worker."""
        if not self.identities or self.forms.workers <= 0:
            return
        self.next = max(self.next, current)
        while self.next < min(current + self.forms.workers, len(self.files)):
            self._submit(self.files[self.next])
            self.next += 1

    def _submit(self, path: Path) -> None:
        # The header decides first (cheap); only then is the whole file hashed and
        # its signature verified, as before any decryption.
        try:
            header = fmt.read_envelope(path, fmt.DEFAULT_LIMITS).header
        except (BundleError, OSError):
            return  # its import says what is wrong
        counts = header.counts
        if header.kind != fmt.KIND_FIELD or not self.forms.worth_workers(
            counts.get("revisions", 0)
        ):
            return
        if counts.get("attachment_bytes", 0) > PRECHECK_MAX_ATTACHMENT_BYTES:
            return  # decrypting gigabytes of audio twice to check a few documents: no
        try:
            checked, early = _check_outside(self.target, path, fmt.DEFAULT_LIMITS)
        except (BundleError, OSError):
            return
        if checked is None or early is not None or checked.file_sha in self.forms.prechecks:
            return
        envelope = checked.envelope
        task = PrecheckTask(
            path=str(path),
            payload_offset=envelope.payload_offset,
            payload_length=envelope.payload_length,
            payload_sha256=checked.payload_sha,
            identities=self.identities,
            limits=fmt.DEFAULT_LIMITS,
            known=self.forms.known_forms(),
        )
        future = self.forms.submit(precheck, task)
        if future is not None:
            self.forms.prechecks[checked.file_sha] = Prechecked(future)
            self.scheduled.append(checked.file_sha)

    def drop(self) -> None:
        """Forget prechecks no import took (a file refused before its payload was read)."""
        for sha in self.scheduled:
            found = self.forms.prechecks.pop(sha, None)
            if found is not None:
                found.cancel()
        self.scheduled = []
