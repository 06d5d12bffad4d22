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
from app.bundle.applier import T_OUT
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
    header: fmt.Header
    sha256: str
    size: int
    signature: str


def delivered_files(
    target: BundleTarget,
    folder: Path,
    *,
    settle_seconds: float = DEFAULT_SETTLE_SECONDS,
    progress: Callable[[float, str], None] | None = None,
) -> list[DeliveredFile]:
    """The bundle files in `folder` (and its sub-folders, as sync reads them) that this
    database knows to be delivered, in the folder's order. Reads every bundle file once
    (to hash it); `progress(fraction, name)` follows the files."""
    ready, _busy = candidate_files(folder, settle_seconds=settle_seconds)
    seen: list[_Seen] = []
    for index, path in enumerate(ready):
        if progress is not None:
            progress(index / max(len(ready), 1), readable_name(path.name))
        found = _read(path)
        if found is not None:
            seen.append(found)
    coordinator = is_coordinator_database(target)
    me = target.device_id
    with target.session() as session:
        connection = session.connection()
        applied = {
            str(row.sha256)
            for row in _by_sha256(
                connection,
                select(T_IMPORTED.c.sha256).where(T_IMPORTED.c.status == "applied"),
                T_IMPORTED.c.sha256,
                [s.sha256 for s in seen if s.header.source_device_id != me],
            )
        }
        written = {
            str(row.sha256): str(row.status)
            for row in _by_sha256(
                connection,
                select(T_OUT.c.sha256, T_OUT.c.status),
                T_OUT.c.sha256,
                [s.sha256 for s in seen if s.header.source_device_id == me],
            )
        }
    newest: dict[str, int] = {}  # laptop -> the newest coordinator bundle for it in the folder
    if coordinator:
        for s in seen:
            if s.header.kind == fmt.KIND_COORDINATOR and s.sha256 in written:
                newest[s.header.target] = max(newest.get(s.header.target, 0), s.header.sequence)
    out: list[DeliveredFile] = []
    for s in seen:
        why = _why(s, me, coordinator, applied, written, newest)
        if why is not None:
            out.append(
                DeliveredFile(
                    path=s.path,
                    size=s.size,
                    why=why,
                    source_name=s.header.source_name,
                    sequence=s.header.sequence,
                    signature=s.signature,
                )
            )
    return out


def _why(
    s: _Seen,
    me: str,
    coordinator: bool,
    applied: set[str],
    written: dict[str, str],
    newest: dict[str, int],
) -> Delivered | None:
    header = s.header
    if header.source_device_id == me:
        status = written.get(s.sha256)
        if status is None:
            return None
        if header.kind == fmt.KIND_FIELD and not coordinator:
            acknowledged = status == OutgoingStatus.ACKNOWLEDGED.value
            return Delivered.ACKNOWLEDGED if acknowledged else None
        if header.kind == fmt.KIND_COORDINATOR and coordinator:
            replaced = header.sequence < newest.get(header.target, 0)
            return Delivered.REPLACED if replaced else None
        return None
    if s.sha256 not in applied:
        return None
    if coordinator and header.kind == fmt.KIND_FIELD:
        return Delivered.IMPORTED
    if not coordinator and header.kind == fmt.KIND_COORDINATOR and header.target == me:
        return Delivered.IMPORTED
    return None


def _read(path: Path) -> _Seen | None:
    """The header and SHA-256 of a bundle file; None for anything else (left alone)."""
    try:
        before = file_signature(path)
        envelope = fmt.read_envelope(path)
        sha256, _payload = fmt.hash_file(envelope)
    except (BundleRejected, OSError) as error:
        log.info("tidy: %s left alone: %s", readable_name(path.name), error)
        return None
    if before is None or file_signature(path) != before:
        return None  # changed while read: judged at a later look
    return _Seen(path, envelope.header, sha256, envelope.size, before)


def _by_sha256(
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
