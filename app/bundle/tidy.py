"""Which bundle files in a sync folder have done their work, and removing them on request.

Folder sync never deletes: a USB stick or a synced folder keeps every bundle
ever written to it, and fills up. This module says, for one database, which
files it knows to be delivered, and removes those the user asked to remove:

* **acknowledged**: this laptop's own bundle, which the coordinator reported
  applied (its acknowledgement came back in a coordinator bundle);
* **imported**: a bundle for this database (a laptop's, on the coordinator's
  computer; the coordinator's, on the laptop it was for) that is applied here;
* **replaced**: a coordinator bundle this computer wrote for a laptop, when a
  newer one for the same laptop is in the same folder (coordinator bundles
  are complete states: the laptop needs the newest one only).

A file counts only when its bytes are those this database recorded (the
SHA-256 of the whole file, as written or as applied), so a file with a
known name but other bytes, another laptop's bundle, a bundle still waiting,
one refused or one still being written stays. Before removing, each file's
size and modification time are compared with those it had when judged: a
file that changed since stays.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, Select, select

from app.bundle import format as fmt
from app.bundle.applier import T_DEVICE, T_OUT
from app.bundle.errors import BundleRejected
from app.bundle.export import T_IMPORTED
from app.bundle.sync import DEFAULT_SETTLE_SECONDS, candidate_files, file_signature
from app.bundle.target import BundleTarget, is_coordinator_database
from app.store.fileio import readable_name
from app.store.tables_bundle import OutgoingStatus

log = logging.getLogger(__name__)


class Delivered(StrEnum):
    ACKNOWLEDGED = "acknowledged by the coordinator"
    IMPORTED = "imported here"
    REPLACED = "replaced by a newer bundle for the same laptop"


@dataclass(frozen=True)
class DeliveredFile:
    """A bundle file in the folder that is no longer needed, and why."""

    path: Path
    size: int
    why: Delivered
    source_name: str
    sequence: int
    signature: str  # size and time when judged: a file changed since is not removed

    def __str__(self) -> str:
        return (
            f"{readable_name(self.path.name)}: bundle {self.sequence} from "
            f"{self.source_name}, {self.why.value}"
        )


@dataclass
class TidyReport:
    """What `remove_delivered` did."""

    removed: list[DeliveredFile] = field(default_factory=list)
    kept: list[tuple[DeliveredFile, str]] = field(default_factory=list)  # with why not removed
    gone: list[DeliveredFile] = field(default_factory=list)  # removed by someone else meanwhile

    @property
    def freed(self) -> int:
        return sum(f.size for f in self.removed)


@dataclass(frozen=True)
class _Seen:
    path: Path
    envelope: fmt.Envelope
    signature: str

    @property
    def header(self) -> fmt.Header:
        return self.envelope.header


def delivered_files(
    target: BundleTarget,
    folder: Path,
    *,
    settle_seconds: float = DEFAULT_SETTLE_SECONDS,
    progress: Callable[[float, str], None] | None = None,
) -> list[DeliveredFile]:
    """The bundle files in `folder` (and its sub-folders, as sync reads them) that this
    database knows to be delivered, in the folder's order.

    Headers say which files may be delivered (a bundle id this database recorded as
    applied, or wrote); only those are read whole, to compare their SHA-256 with the
    one recorded: other laptops' recordings in a shared folder are not read.
    `progress(fraction, name)` follows the files read whole."""
    ready, _busy = candidate_files(folder, settle_seconds=settle_seconds)
    seen = [found for found in map(_read_header, ready) if found is not None]
    coordinator = is_coordinator_database(target)
    me = target.device_id
    with target.session() as session:
        connection = session.connection()
        applied = {
            str(row.id): str(row.sha256)
            for row in _by_id(
                connection,
                select(T_IMPORTED.c.id, T_IMPORTED.c.sha256).where(
                    T_IMPORTED.c.status == "applied"
                ),
                T_IMPORTED.c.id,
                [s.header.bundle_id for s in seen if s.header.source_device_id != me],
            )
        }
        written = {
            str(row.id): (str(row.sha256), str(row.status))
            for row in _by_id(
                connection,
                select(T_OUT.c.id, T_OUT.c.sha256, T_OUT.c.status),
                T_OUT.c.id,
                [s.header.bundle_id for s in seen if s.header.source_device_id == me],
            )
            if row.sha256 is not None  # still being written, or known by its acknowledgement only
        }
        # Laptops by the name the team gave them here (`keys rename`), not the one they
        # wrote in their headers.
        names = {
            str(row.id): str(row.name)
            for row in _by_id(
                connection,
                select(T_DEVICE.c.id, T_DEVICE.c.name),
                T_DEVICE.c.id,
                list({s.header.source_device_id for s in seen}),
            )
        }
    # What each file's header claims, and the SHA-256 recorded for that bundle.
    claims: list[tuple[_Seen, Delivered, str]] = []
    for s in seen:
        claim = _claim(s.header, me, coordinator, applied, written)
        if claim is not None:
            claims.append((s, *claim))
    verified: list[tuple[_Seen, Delivered]] = []
    for index, (s, why, recorded) in enumerate(claims):
        if progress is not None:
            progress(index / max(len(claims), 1), readable_name(s.path.name))
        if _sha256_unchanged(s) == recorded:
            verified.append((s, why))
    # Coordinator bundles are complete states: older ones for a laptop are replaced by
    # the newest one of ours in this folder.
    newest: dict[str, int] = {}
    for s, why in verified:
        if why is Delivered.REPLACED:
            newest[s.header.target] = max(newest.get(s.header.target, 0), s.header.sequence)
    return [
        DeliveredFile(
            path=s.path,
            size=s.envelope.size,
            why=why,
            source_name=names.get(s.header.source_device_id, s.header.source_name),
            sequence=s.header.sequence,
            signature=s.signature,
        )
        for s, why in verified
        if why is not Delivered.REPLACED or s.header.sequence < newest[s.header.target]
    ]


def _claim(
    header: fmt.Header,
    me: str,
    coordinator: bool,
    applied: dict[str, str],
    written: dict[str, tuple[str, str]],
) -> tuple[Delivered, str] | None:
    """Why the bundle the header names would be delivered, with the SHA-256 this
    database recorded for it (the file must have exactly those bytes). REPLACED is
    said of every coordinator bundle of ours; the caller keeps the older ones only."""
    if header.source_device_id == me:
        if header.bundle_id not in written:
            return None
        sha256, status = written[header.bundle_id]
        if header.kind == fmt.KIND_FIELD and not coordinator:
            acknowledged = status == OutgoingStatus.ACKNOWLEDGED.value
            return (Delivered.ACKNOWLEDGED, sha256) if acknowledged else None
        if header.kind == fmt.KIND_COORDINATOR and coordinator:
            return Delivered.REPLACED, sha256
        return None
    recorded = applied.get(header.bundle_id)
    if recorded is None:
        return None
    if coordinator and header.kind == fmt.KIND_FIELD:
        return Delivered.IMPORTED, recorded
    if not coordinator and header.kind == fmt.KIND_COORDINATOR and header.target == me:
        return Delivered.IMPORTED, recorded
    return None


def _read_header(path: Path) -> _Seen | None:
    """A bundle file's header and trailer; None for anything else (left alone)."""
    try:
        signature = file_signature(path)
        envelope = fmt.read_envelope(path)
    except (BundleRejected, OSError) as error:
        log.info("tidy: %s left alone: %s", readable_name(path.name), error)
        return None
    return None if signature is None else _Seen(path, envelope, signature)


def _sha256_unchanged(seen: _Seen) -> str | None:
    """The file's SHA-256, or None if it cannot be read or changed since its header was."""
    try:
        sha256, _payload = fmt.hash_file(seen.envelope)
    except OSError:
        return None
    return sha256 if file_signature(seen.path) == seen.signature else None


def _by_id(
    connection: Connection, statement: Select[Any], column: Any, values: Sequence[str]
) -> list[Row[Any]]:
    """The rows of `statement` whose `column` is one of `values` (asked 500 at a time)."""
    rows: list[Row[Any]] = []
    unique = sorted(set(values))
    for start in range(0, len(unique), 500):
        rows.extend(connection.execute(statement.where(column.in_(unique[start : start + 500]))))
    return rows


def remove_delivered(files: Sequence[DeliveredFile]) -> TidyReport:
    """Remove `files` (as `delivered_files` listed them). A file whose size or time
    changed since it was judged, or that cannot be removed, is kept and said why."""
    report = TidyReport()
    for item in files:
        now = file_signature(item.path)
        if now is None:
            report.gone.append(item)
            continue
        if now != item.signature:
            report.kept.append((item, "changed since it was looked at"))
            continue
        try:
            os.unlink(item.path)
        except OSError as error:
            report.kept.append((item, error.strerror or str(error)))
            continue
        log.info("removed delivered bundle %s", item)
        report.removed.append(item)
    return report
