"""Export bundles: field laptop → coordinator, and coordinator → one field laptop.

A **field bundle** carries every finalised revision the coordinator has not
acknowledged yet (or all of them, on request), each with its whole ancestry
so that it can be applied alone; the attachments of those revisions not
acknowledged yet; the paradata events that belong to them; every user of
the laptop; and the form versions, assignments and studies they refer to.

A **coordinator bundle** is a complete state for one laptop: every form
version, the assignments of that laptop's users, the review decisions on its
revisions (rejections carry the reviewer's comment back), the device
registry, the coordinator's recipients and acknowledgements of every bundle
applied from that laptop.

The sequence number is taken in a short transaction before writing; the
items a bundle carries are recorded after the file is written and verified.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from app import __version__
from app.bundle import format as fmt
from app.bundle.applier import (
    T_ASSIGN,
    T_ATT,
    T_DELIVERED,
    T_DEVICE,
    T_DEVUSER,
    T_EVENT,
    T_FORM,
    T_LINK,
    T_MERGE,
    T_OUT,
    T_OUTITEM,
    T_REV,
    T_REVIEW,
    T_STUDY,
    T_SUB,
    T_USER,
)
from app.bundle.canon import b64e, fingerprint, time_text
from app.bundle.errors import BundleError, KeysNotSetUpError, LaptopRevokedError
from app.bundle.keys import LocalKeys, active_recipients, load_local_keys
from app.bundle.merge import chunks
from app.bundle.target import BundleTarget
from app.bundle.writer import (
    AttachmentPart,
    JsonPart,
    Part,
    WrittenBundle,
    verify_written,
    write_bundle,
)
from app.store.attachments import iter_attachment
from app.store.canonical import canonical_text
from app.store.repo_paradata import EventKind
from app.store.tables import ImportedBundle, RevisionStatus
from app.store.tables_bundle import ItemKind, OutgoingStatus, RecipientRole
from app.store.types import utcnow

log = logging.getLogger(__name__)

RECORDS_PER_PART = 2_000
PARADATA_ALONE_AFTER = timedelta(days=1)  # see `_FieldSelection.worth_writing`
SESSION_EVENTS = frozenset({EventKind.LOGIN.value, EventKind.LOGOUT.value})
RESEND_RECORDINGS_AFTER = timedelta(days=7)  # see `_recently_sent_attachments`
T_IMPORTED = ImportedBundle.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ExportResult:
    """A written, verified bundle and what it holds."""

    path: Path
    sha256: str
    size: int
    bundle_id: str
    sequence: int
    target: str
    counts: dict[str, int]

    def __str__(self) -> str:
        what = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in self.counts.items() if v)
        return f"{self.path.name}: bundle {self.sequence} to {self.target} ({what or 'no records'})"


def bundle_file_name(kind: str, source: str, target: str, sequence: int) -> str:
    """`samluat-field-3f2a91c0-to-coordinator-000007.samluat` (names are never trusted)."""
    return f"{_name_prefix(kind, source, target)}{sequence:06d}{fmt.BUNDLE_SUFFIX}"


def _name_prefix(kind: str, source: str, target: str) -> str:
    safe = "".join(ch for ch in target[:12] if ch.isalnum() or ch == "-")
    return f"samluat-{kind}-{source[:8]}-to-{safe}-"


def numbers_used_in(folder: Path, kind: str, keys: LocalKeys, target: str, above: int) -> int:
    """The highest bundle number above `above` that this laptop's key signed among
    the files in `folder` (0 if none).

    A laptop restored from a backup does not remember the bundles it wrote
    after the backup; when they are still in the folder it writes to (a USB
    stick, a synced folder), its next bundle takes a number after theirs
    instead of one the coordinator has already seen. Only a file whose
    signature verifies counts (anyone can drop a file claiming a number), and
    only numbers above the laptop's own are checked, so a normal export reads
    nothing but headers.
    """
    prefix = _name_prefix(kind, keys.device_id, target)
    claims: list[tuple[int, Path]] = []
    try:
        names = [p for p in folder.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return 0
    for path in names:
        try:
            header = fmt.read_envelope(path).header
        except (BundleError, OSError):
            continue  # a partial copy, someone else's file: not ours to count
        if (
            header.source_device_id == keys.device_id
            and header.signing_key == keys.public
            and header.target == target
            and header.kind == kind
            and header.sequence > above
        ):
            claims.append((header.sequence, path))
    for sequence, path in sorted(claims, reverse=True):
        try:
            verify_written(path)
        except (BundleError, OSError):
            continue
        return sequence
    return 0


def _rows(connection: Connection, statement: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in connection.execute(statement)]


def _batched(records: list[dict[str, Any]], kind: str) -> Iterator[JsonPart]:
    for start in range(0, len(records), RECORDS_PER_PART):
        yield JsonPart(kind, records[start : start + RECORDS_PER_PART])


# -- record encoders ----------------------------------------------------------------------


def _device_record(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "role": row["role"],
        "signing_key": b64e(row["public_key"]) if row["public_key"] else None,
        "age_recipient": row["age_recipient"],
        "registered_at": time_text(row["registered_at"]),
        "revoked_at": time_text(row["revoked_at"]),
    }


def _user_record(row: dict[str, Any], device_of: dict[str, str]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "username": row["username"],
        "display_name": row["display_name"],
        "role": row["role"],
        "device_id": device_of.get(row["id"]),
    }


def _study_record(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "code": row["code"],
        "title": row["title"],
        "description": row["description"],
        "created_at": time_text(row["created_at"]),
    }


def _form_record(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "form_id": row["form_id"],
        "version": row["version"],
        "title": row["title"],
        "source_name": row["source_name"],
        "source": b64e(bytes(row["source"])),
        "content_hash": row["content_hash"],
        "study_id": row["study_id"],
        "created_at": time_text(row["created_at"]),
    }


def _assignment_record(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["created_at"] = time_text(row["created_at"])
    out["updated_at"] = time_text(row["updated_at"])
    return out


def _submission_record(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "instance_id": row["instance_id"],
        "form_id": row["form_id"],
        "form_version": row["form_version"],
        "assignment_id": row["assignment_id"],
        "created_at": time_text(row["created_at"]),
        "created_by": row["created_by"],
        "device_id": row["device_id"],
    }


def _revision_record(row: dict[str, Any], merged: list[str]) -> dict[str, Any]:
    return {
        "rev_id": row["rev_id"],
        "instance_id": row["instance_id"],
        "parent_rev": row["parent_rev"],
        "merged_parents": merged,
        "author_id": row["author_id"],
        "device_id": row["device_id"],
        "created_at": time_text(row["created_at"]),
        "saved_at": time_text(row["saved_at"]),
        "finalised_at": time_text(row["finalised_at"]),
        "reason": row["reason"],
        "content_hash": row["content_hash"],
        "document": json.loads(row["document"]),
    }


def _event_record(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "uid": row["uid"],
        "at": time_text(row["at"]),
        "kind": row["kind"],
        "user_id": row["user_id"],
        "device_id": row["device_id"],
        "instance_id": row["instance_id"],
        "rev_id": row["rev_id"],
        "field": row["field"],
        "old_value": row["old_value"],
        "new_value": row["new_value"],
        "reason": row["reason"],
        "detail": row["detail"],
    }


def _review_record(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "rev_id": row["rev_id"],
        "reviewer_id": row["reviewer_id"],
        "device_id": row["device_id"],
        "decision": row["decision"],
        "comment": row["comment"],
        "decided_at": time_text(row["decided_at"]),
    }


def _in(connection: Connection, column: Any, values: set[str], *extra: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for chunk in chunks(values):
        out.extend(_rows(connection, select(column.table).where(column.in_(chunk), *extra)))
    return out


def _parents_first(rev_ids: Collection[str], parents: Mapping[str, list[str]]) -> list[str]:
    """`rev_ids` in an order where each comes after its parents and merged parents (those
    among `rev_ids`), ties by id: the order the importer needs them in."""
    level: dict[str, int] = {}
    wanted = set(rev_ids)
    for start in sorted(wanted):
        stack = [start]
        while stack:
            node = stack[-1]
            if node in level:
                stack.pop()
                continue
            above = [p for p in parents.get(node, []) if p in wanted]
            pending = [p for p in above if p not in level]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            level[node] = 1 + max((level[p] for p in above), default=-1)
    return sorted(wanted, key=lambda r: (level[r], r))


# -- field bundles -----------------------------------------------------------------------------


@dataclass
class _FieldSelection:
    revisions: list[dict[str, Any]]  # parents first
    merged: dict[str, list[str]]
    submissions: list[dict[str, Any]]
    attachments: list[dict[str, Any]]  # sha256, size, media_type
    links: list[dict[str, Any]]
    events: list[dict[str, Any]]
    forms: list[dict[str, Any]]
    assignments: list[dict[str, Any]]
    studies: list[dict[str, Any]]
    users: list[dict[str, Any]]
    devices: list[dict[str, Any]]
    # What no bundle of this laptop in the destination folder carries (never put in a
    # bundle, or put in one that is not there: a lost USB stick, another folder).
    missing_content: int = 0  # all but logins and logouts
    oldest_missing_event: datetime | None = None

    def worth_writing(self, now: datetime) -> bool:
        """Whether folder sync should write this: interviews, recordings or accounts that
        the folder lacks at once; logins and logouts alone once they are a day old.
        Otherwise every login wrote a bundle, which the coordinator then acknowledged with
        one of its own."""
        if self.missing_content:
            return True
        oldest = self.oldest_missing_event
        return oldest is not None and now - oldest >= PARADATA_ALONE_AFTER

    def counts(self) -> dict[str, int]:
        return {
            "devices": len(self.devices),
            "users": len(self.users),
            "studies": len(self.studies),
            "form_versions": len(self.forms),
            "assignments": len(self.assignments),
            "submissions": len(self.submissions),
            "revisions": len(self.revisions),
            "attachments": len(self.attachments),
            "attachment_bytes": sum(int(a["size"]) for a in self.attachments),
            "revision_attachments": len(self.links),
            "events": len(self.events),
        }

    def items(self) -> list[tuple[str, str]]:
        return (
            [(ItemKind.REVISION.value, r["rev_id"]) for r in self.revisions]
            + [(ItemKind.ATTACHMENT.value, a["sha256"]) for a in self.attachments]
            + [(ItemKind.EVENT.value, e["uid"]) for e in self.events]
        )


def _delivered(connection: Connection, kind: ItemKind) -> set[str]:
    return {
        str(k)
        for (k,) in connection.execute(
            select(T_DELIVERED.c.item_key).where(T_DELIVERED.c.kind == kind.value)
        )
    }


def _carried_in(connection: Connection, folder: Path) -> set[tuple[str, str]]:
    """The items of this laptop's unacknowledged bundles whose files are still in `folder`
    (by name: reading every file at each sync pass would cost more than sending again).
    Acknowledged bundles are left out: their items are delivered, never selected again,
    and over a study they are hundreds of files and their items hundreds of thousands."""
    here = [
        bundle_id
        for bundle_id, file_name in connection.execute(
            select(T_OUT.c.id, T_OUT.c.file_name).where(
                T_OUT.c.kind == fmt.KIND_FIELD,
                T_OUT.c.status == OutgoingStatus.WRITTEN.value,
            )
        )
        if file_name and (folder / file_name).is_file()
    ]
    carried: set[tuple[str, str]] = set()
    for start in range(0, len(here), 500):
        carried.update(
            (str(kind), str(key))
            for kind, key in connection.execute(
                select(T_OUTITEM.c.kind, T_OUTITEM.c.item_key).where(
                    T_OUTITEM.c.bundle_id.in_(here[start : start + 500])
                )
            )
        )
    return carried


def _recently_sent_attachments(connection: Connection, now: datetime) -> set[str]:
    """Recordings and photos this laptop put in a bundle in the last week, not
    acknowledged yet. The next bundles to the same folder leave them out while that
    bundle is still there (their revisions still travel; the coordinator applies such a
    bundle once the one with the recordings is in), so that hours of audio do not travel
    again in every bundle until the coordinator answers. A week without an
    acknowledgement sends them again: that bundle may be lost."""
    since = now - RESEND_RECORDINGS_AFTER
    return {
        str(key)
        for (key,) in connection.execute(
            select(T_OUTITEM.c.item_key)
            .join(T_OUT, T_OUT.c.id == T_OUTITEM.c.bundle_id)
            .where(
                T_OUTITEM.c.kind == ItemKind.ATTACHMENT.value,
                T_OUT.c.kind == fmt.KIND_FIELD,
                T_OUT.c.created_at >= since,
                T_OUT.c.created_at <= now,  # a clock set back: not "recent", send again
            )
        )
    }


def _select_field(
    connection: Connection, everything: bool, local_device: str, now: datetime, folder: Path
) -> _FieldSelection:
    finalised = RevisionStatus.FINALISED.value
    rev_meta = {
        r.rev_id: r
        for r in connection.execute(
            select(T_REV.c.rev_id, T_REV.c.instance_id, T_REV.c.parent_rev, T_REV.c.status)
        )
    }
    final_ids = {k for k, r in rev_meta.items() if r.status == finalised}
    final_instances = {r.instance_id for r in rev_meta.values() if r.status == finalised}
    merged: dict[str, list[str]] = {}
    for rev_id, parent in connection.execute(select(T_MERGE.c.rev_id, T_MERGE.c.parent_rev)):
        merged.setdefault(str(rev_id), []).append(str(parent))
    delivered_revs = set() if everything else _delivered(connection, ItemKind.REVISION)
    delivered_events = set() if everything else _delivered(connection, ItemKind.EVENT)
    delivered_atts = set() if everything else _delivered(connection, ItemKind.ATTACHMENT)
    wanted = final_ids - delivered_revs
    # Paradata whose revision (or submission) can travel; the rest waits for finalising.
    events = [
        e
        for e in _rows(connection, select(T_EVENT).order_by(T_EVENT.c.id))
        if e["uid"] not in delivered_events
        and (e["rev_id"] is None or e["rev_id"] in final_ids)
        and (e["instance_id"] is None or e["instance_id"] in final_instances)
    ]
    instances = {e["instance_id"] for e in events if e["instance_id"] is not None}
    wanted |= {e["rev_id"] for e in events if e["rev_id"] is not None}
    for instance in instances:  # an event on a submission carries one of its revisions
        if not any(rev_meta[r].instance_id == instance for r in wanted):
            wanted.add(min(r for r in final_ids if rev_meta[r].instance_id == instance))
    closure: set[str] = set()
    stack = list(wanted)
    while stack:
        rev_id = stack.pop()
        if rev_id in closure:
            continue
        closure.add(rev_id)
        parent = rev_meta[rev_id].parent_rev
        stack.extend(p for p in [parent, *merged.get(rev_id, [])] if p is not None)
    order = _parents_first(
        closure,
        {r: [p for p in [rev_meta[r].parent_rev, *merged.get(r, [])] if p] for r in closure},
    )
    revisions = _in(connection, T_REV.c.rev_id, closure)
    by_id = {r["rev_id"]: r for r in revisions}
    revisions = [by_id[r] for r in order]
    instances |= {r["instance_id"] for r in revisions}
    submissions = sorted(
        _in(connection, T_SUB.c.instance_id, instances), key=lambda s: s["instance_id"]
    )
    links = sorted(
        _in(connection, T_LINK.c.rev_id, closure), key=lambda x: (x["rev_id"], x["name"])
    )
    shas = {x["sha256"] for x in links} - delivered_atts
    carried = _carried_in(connection, folder)
    if not everything:
        shas -= {
            sha
            for sha in _recently_sent_attachments(connection, now)
            if (ItemKind.ATTACHMENT.value, sha) in carried
        }
    attachments = sorted(
        (
            {"sha256": a["sha256"], "size": a["size"], "media_type": a["media_type"]}
            for a in _in(connection, T_ATT.c.sha256, shas)
        ),
        key=lambda a: a["sha256"],
    )
    form_keys = {(s["form_id"], s["form_version"]) for s in submissions}
    forms = [
        f
        for f in _rows(connection, select(T_FORM).order_by(T_FORM.c.form_id, T_FORM.c.version))
        if (f["form_id"], f["version"]) in form_keys
    ]
    assignments = _in(
        connection, T_ASSIGN.c.id, {s["assignment_id"] for s in submissions if s["assignment_id"]}
    )
    study_ids = {f["study_id"] for f in forms if f["study_id"]} | {
        a["study_id"] for a in assignments if a["study_id"]
    }
    studies = _in(connection, T_STUDY.c.id, study_ids)
    users = _rows(connection, select(T_USER).order_by(T_USER.c.id))
    device_ids = (
        {local_device}
        | {r["device_id"] for r in revisions}
        | {s["device_id"] for s in submissions}
        | {e["device_id"] for e in events if e["device_id"]}
    )
    devices = sorted(_in(connection, T_DEVICE.c.id, device_ids), key=lambda d: d["id"])
    selection = _FieldSelection(
        revisions=revisions,
        merged=merged,
        submissions=submissions,
        attachments=attachments,
        links=links,
        events=events,
        forms=forms,
        assignments=sorted(assignments, key=lambda a: a["id"]),
        studies=sorted(studies, key=lambda s: s["id"]),
        users=users,
        devices=devices,
    )
    missing = [item for item in selection.items() if item not in carried]
    missing_uids = {key for kind, key in missing if kind == ItemKind.EVENT.value}
    missing_events = [e for e in events if e["uid"] in missing_uids]
    selection.missing_content = sum(
        1 for kind, _key in missing if kind != ItemKind.EVENT.value
    ) + sum(1 for e in missing_events if e["kind"] not in SESSION_EVENTS)
    selection.oldest_missing_event = min((e["at"] for e in missing_events), default=None)
    return selection


def _field_parts(
    target: BundleTarget, header: fmt.Header, sel: _FieldSelection, local_device: str
) -> Iterator[Part]:
    yield JsonPart(
        "bundle",
        [
            {
                "bundle_id": header.bundle_id,
                "kind": header.kind,
                "source_device_id": header.source_device_id,
                "target": header.target,
                "sequence": header.sequence,
            }
        ],
    )
    yield from _batched([_device_record(d) for d in sel.devices], "devices")
    yield from _batched(
        [_user_record(u, {u["id"]: local_device for u in sel.users}) for u in sel.users], "users"
    )
    yield from _batched([_study_record(s) for s in sel.studies], "studies")
    yield from _batched([_form_record(f) for f in sel.forms], "form_versions")
    yield from _batched([_assignment_record(a) for a in sel.assignments], "assignments")
    yield from _batched([_submission_record(s) for s in sel.submissions], "submissions")
    yield from _batched(
        [_revision_record(r, sorted(sel.merged.get(r["rev_id"], []))) for r in sel.revisions],
        "revisions",
    )
    db = target.store.db if target.store is not None else None
    for attachment in sel.attachments:
        yield AttachmentPart(
            sha256=attachment["sha256"],
            size=int(attachment["size"]),
            media_type=attachment["media_type"],
            chunks=_attachment_chunks(target, attachment["sha256"], db),
        )
    yield from _batched(
        [{"rev_id": x["rev_id"], "name": x["name"], "sha256": x["sha256"]} for x in sel.links],
        "revision_attachments",
    )
    yield from _batched([_event_record(e) for e in sel.events], "events")


def _attachment_chunks(target: BundleTarget, sha256: str, db: Any) -> Iterator[bytes]:
    if db is not None:
        yield from iter_attachment(db=db, sha256=sha256)
        return
    from app.bundle.staging import T_CHUNK

    with target.session() as session:
        blob_id = session.execute(
            select(T_ATT.c.blob_id).where(T_ATT.c.sha256 == sha256)
        ).scalar_one()
    seq = 0
    while True:
        with target.session() as session:
            data = session.execute(
                select(T_CHUNK.c.data).where(T_CHUNK.c.blob_id == blob_id, T_CHUNK.c.seq == seq)
            ).scalar()
        if data is None:
            return
        yield bytes(data)
        seq += 1


def _last_sequence(target: BundleTarget, bundle_target: str) -> int:
    with target.session() as session:
        last = session.execute(
            select(func.max(T_OUT.c.sequence)).where(T_OUT.c.target == bundle_target)
        ).scalar()
    return int(last or 0)


def _reserve(
    target: BundleTarget,
    *,
    bundle_target: str,
    kind: str,
    covers_since: int | None,
    used: int = 0,
) -> tuple[str, int, int]:
    """A new bundle's id, number and first covered number; numbers up to `used`
    are taken (see `numbers_used_in`)."""
    with target.session(write=True) as session:
        connection = session.connection()
        last = connection.execute(
            select(func.max(T_OUT.c.sequence)).where(T_OUT.c.target == bundle_target)
        ).scalar()
        sequence = max(int(last or 0), used) + 1
        if covers_since is None:
            acked = connection.execute(
                select(func.max(T_OUT.c.sequence)).where(
                    T_OUT.c.target == bundle_target,
                    T_OUT.c.status == OutgoingStatus.ACKNOWLEDGED.value,
                )
            ).scalar()
            covers_since = int(acked or 0) + 1
        bundle_id = str(uuid.uuid4())
        connection.execute(
            insert(T_OUT),
            [
                {
                    "id": bundle_id,
                    "target": bundle_target,
                    "sequence": sequence,
                    "covers_since": min(covers_since, sequence),
                    "kind": kind,
                    "status": OutgoingStatus.WRITING.value,
                    "created_at": utcnow(),
                }
            ],
        )
    return bundle_id, sequence, min(covers_since, sequence)


@contextmanager
def _number_given_back_on_failure(
    target: BundleTarget, bundle_id: str, path: Path
) -> Iterator[None]:
    """A write that failed before its file reached `path` (a full stick, a folder that is
    not one) gives its sequence number back: nobody can have that bundle, so keeping the
    number would show as a gap at the coordinator for ever. Once the file is there
    (it then failed its check), the number stays taken."""
    try:
        yield
    except BaseException:
        if not path.exists():
            with target.session(write=True) as session:
                session.connection().execute(
                    delete(T_OUT).where(
                        T_OUT.c.id == bundle_id, T_OUT.c.status == OutgoingStatus.WRITING.value
                    )
                )
        raise


def _record_written(
    target: BundleTarget,
    bundle_id: str,
    written: WrittenBundle,
    items: list[tuple[str, str]],
    digest: str | None,
    counts: dict[str, int],
) -> None:
    with target.session(write=True) as session:
        connection = session.connection()
        connection.execute(
            update(T_OUT)
            .where(T_OUT.c.id == bundle_id)
            .values(
                status=OutgoingStatus.WRITTEN.value,
                sha256=written.sha256,
                file_name=written.path.name,
                state_digest=digest,
                summary=canonical_text(counts),
            )
        )
        unique = sorted(set(items))
        for start in range(0, len(unique), 5_000):
            connection.execute(
                insert(T_OUTITEM),
                [
                    {"bundle_id": bundle_id, "kind": k, "item_key": key}
                    for k, key in unique[start : start + 5_000]
                ],
            )


def _header(
    keys: LocalKeys,
    *,
    bundle_id: str,
    kind: str,
    target: str,
    sequence: int,
    covers_since: int,
    recipients: list[str],
    counts: dict[str, int],
) -> fmt.Header:
    return fmt.Header(
        bundle_id=bundle_id,
        kind=kind,
        created_at=time_text(utcnow()) or "",
        source_device_id=keys.device_id,
        source_name=keys.name,
        signing_key=keys.public,
        target=target,
        sequence=sequence,
        covers_since=covers_since,
        recipients=tuple(fingerprint(r) for r in recipients),
        counts={k: counts.get(k, 0) for k in fmt.COUNT_KEYS},
        app_version=__version__,
    )


def export_field_bundle(
    target: BundleTarget,
    *,
    folder: Path,
    everything: bool = False,
    only_if_new: bool = False,
    progress: Callable[[int, int], None] | None = None,
    create_folder: bool = True,
) -> ExportResult | None:
    """Write this laptop's bundle for the coordinator into `folder`.

    `progress(done, total)` follows the attachment bytes written.

    Carries what the coordinator has not acknowledged (all finalised data
    with `everything=True`). With `only_if_new`, returns None without
    writing when `folder` holds a bundle of this laptop with everything worth a
    bundle (`_FieldSelection.worth_writing`; folder sync uses it so that it does
    not write a bundle on every pass, and so that work whose bundle was lost on
    the way, or went to another folder, travels again). `create_folder`: see
    `write_bundle`.
    """
    with target.session() as session:
        keys = load_local_keys(session, target.device_id)
        revoked = session.execute(
            select(T_DEVICE.c.revoked_at).where(T_DEVICE.c.id == target.device_id)
        ).scalar()
        if revoked is not None:
            raise LaptopRevokedError(
                f"The coordinator revoked this laptop on {time_text(revoked)}: bundles it "
                "writes are refused. Ask your coordinator what to do with its data "
                "(a new laptop registration, or a copy of its database)."
            )
        recipients = [r for r, _role in active_recipients(session)]
        roles = [role for _r, role in active_recipients(session)]
        if RecipientRole.COORDINATOR.value not in roles:
            raise KeysNotSetUpError(
                "No coordinator key is trusted on this laptop yet. Import the coordinator's "
                "card first (samluat keys trust-coordinator)."
            )
        now = utcnow()
        selection = _select_field(session.connection(), everything, target.device_id, now, folder)
    if only_if_new and not selection.worth_writing(now):
        return None
    counts = selection.counts()
    bundle_id, sequence, covers = _reserve(
        target,
        bundle_target=fmt.TARGET_COORDINATOR,
        kind=fmt.KIND_FIELD,
        covers_since=1 if everything else None,
        used=numbers_used_in(
            folder,
            fmt.KIND_FIELD,
            keys,
            fmt.TARGET_COORDINATOR,
            above=_last_sequence(target, fmt.TARGET_COORDINATOR),
        ),
    )
    header = _header(
        keys,
        bundle_id=bundle_id,
        kind=fmt.KIND_FIELD,
        target=fmt.TARGET_COORDINATOR,
        sequence=sequence,
        covers_since=covers,
        recipients=recipients,
        counts=counts,
    )
    file_name = bundle_file_name(fmt.KIND_FIELD, keys.device_id, fmt.TARGET_COORDINATOR, sequence)
    with _number_given_back_on_failure(target, bundle_id, folder / file_name):
        written = write_bundle(
            folder=folder,
            file_name=file_name,
            header=header,
            parts=_field_parts(target, header, selection, target.device_id),
            keys=keys,
            recipients=recipients,
            progress=progress,
            create_folder=create_folder,
        )
    _record_written(target, bundle_id, written, selection.items(), None, counts)
    return ExportResult(
        path=written.path,
        sha256=written.sha256,
        size=written.size,
        bundle_id=bundle_id,
        sequence=sequence,
        target=fmt.TARGET_COORDINATOR,
        counts={k: v for k, v in counts.items() if v},
    )


# -- coordinator bundles --------------------------------------------------------------------------

# The parts of a coordinator bundle after its `bundle` part, in order.
COORDINATOR_PARTS = (
    "devices",
    "users",
    "studies",
    "form_versions",
    "assignments",
    "submissions",
    "revisions",
    "reviews",
    "acks",
    "recipients",
)


def _coordinator_versions(
    connection: Connection, laptop: str, coordinator: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], set[str]]:
    """(submissions, revisions, their users) for the laptop: the versions made on this
    database (edits, conflict decisions) of interviews the laptop took part in, each
    with its interview's whole version tree, parents first.

    So the laptop's next edit of such an interview continues the coordinator's
    version instead of meeting it as a new conflict. A revision record carries its
    attachment links (`attachments`: name → SHA-256); an interview whose versions
    link a recording no version from the laptop links is left out (the laptop could
    not place it without that recording).
    """
    finalised = RevisionStatus.FINALISED.value
    ours = {
        str(i)
        for (i,) in connection.execute(
            select(T_REV.c.instance_id)
            .where(T_REV.c.device_id == coordinator, T_REV.c.status == finalised)
            .distinct()
        )
    }
    if not ours:
        return [], [], set()
    tree = _in(connection, T_REV.c.instance_id, ours, T_REV.c.status == finalised)
    rev_ids = {r["rev_id"] for r in tree}
    merged: dict[str, list[str]] = {}
    for row in _in(connection, T_MERGE.c.rev_id, rev_ids):
        merged.setdefault(row["rev_id"], []).append(row["parent_rev"])
    links: dict[str, dict[str, str]] = {}
    for row in _in(connection, T_LINK.c.rev_id, rev_ids):
        links.setdefault(row["rev_id"], {})[row["name"]] = row["sha256"]
    on_laptop = {r["instance_id"] for r in tree if r["device_id"] == laptop}
    laptop_shas = {
        sha for r in tree if r["device_id"] == laptop for sha in links.get(r["rev_id"], {}).values()
    }
    unplaceable = {
        r["instance_id"]
        for r in tree
        if not set(links.get(r["rev_id"], {}).values()) <= laptop_shas
    }
    sent = {r["rev_id"]: r for r in tree if r["instance_id"] in on_laptop - unplaceable}
    order = _parents_first(
        sent,
        {r: [p for p in [row["parent_rev"], *merged.get(r, [])] if p] for r, row in sent.items()},
    )
    revisions = []
    for rev_id in order:
        record = _revision_record(sent[rev_id], sorted(merged.get(rev_id, [])))
        record["attachments"] = dict(sorted(links.get(rev_id, {}).items()))
        revisions.append(record)
    submissions = sorted(
        _in(connection, T_SUB.c.instance_id, {r["instance_id"] for r in sent.values()}),
        key=lambda s: s["instance_id"],
    )
    users = {r["author_id"] for r in sent.values()} | {s["created_by"] for s in submissions}
    return [_submission_record(s) for s in submissions], revisions, users


def _coordinator_records(
    connection: Connection, device_id: str, coordinator: str
) -> dict[str, list[dict[str, Any]]]:
    users_of_device = {
        str(u)
        for (u,) in connection.execute(
            select(T_DEVUSER.c.user_id).where(T_DEVUSER.c.device_id == device_id)
        )
    }
    assignments = sorted(
        _in(connection, T_ASSIGN.c.assigned_to, users_of_device), key=lambda a: a["id"]
    )
    submissions, revisions, authors = _coordinator_versions(connection, device_id, coordinator)
    # Decisions on its versions, and on the coordinator's versions it now has.
    reviews = _rows(
        connection,
        select(T_REVIEW)
        .select_from(T_REVIEW.join(T_REV, T_REV.c.rev_id == T_REVIEW.c.rev_id))
        .where(T_REV.c.device_id == device_id),
    )
    seen = {r["id"] for r in reviews}
    reviews += [
        r
        for r in _in(connection, T_REVIEW.c.rev_id, {r["rev_id"] for r in revisions})
        if r["id"] not in seen
    ]
    reviews.sort(key=lambda r: r["id"])
    user_ids = (
        {a["assigned_to"] for a in assignments if a["assigned_to"]}
        | {a["created_by"] for a in assignments if a["created_by"]}
        | {r["reviewer_id"] for r in reviews}
        | authors
    )
    devices = _rows(connection, select(T_DEVICE).order_by(T_DEVICE.c.id))
    device_of = {
        str(u): str(d)
        for d, u in connection.execute(select(T_DEVUSER.c.device_id, T_DEVUSER.c.user_id))
    }
    users = sorted(_in(connection, T_USER.c.id, user_ids), key=lambda u: u["id"])
    forms = _rows(connection, select(T_FORM).order_by(T_FORM.c.form_id, T_FORM.c.version))
    study_ids = {f["study_id"] for f in forms if f["study_id"]} | {
        a["study_id"] for a in assignments if a["study_id"]
    }
    acks = [
        {"bundle_id": r["id"], "sequence": r["sequence"], "applied_at": time_text(r["imported_at"])}
        for r in _rows(
            connection,
            select(T_IMPORTED)
            .where(
                T_IMPORTED.c.source_device_id == device_id,
                T_IMPORTED.c.status == "applied",
                T_IMPORTED.c.kind == fmt.KIND_FIELD,
            )
            .order_by(T_IMPORTED.c.sequence, T_IMPORTED.c.id),
        )
    ]
    return {
        "devices": [_device_record(d) for d in devices],
        "users": [_user_record(u, device_of) for u in users],
        "studies": [
            _study_record(s)
            for s in sorted(_in(connection, T_STUDY.c.id, study_ids), key=lambda s: s["id"])
        ],
        "form_versions": [_form_record(f) for f in forms],
        "assignments": [_assignment_record(a) for a in assignments],
        "submissions": submissions,
        "revisions": revisions,
        "reviews": [_review_record(r) for r in reviews],
        "acks": acks,
    }


def export_coordinator_bundle(
    target: BundleTarget,
    *,
    device_id: str,
    folder: Path,
    only_if_changed: bool = False,
    notify_revoked: bool = False,
    create_folder: bool = True,
) -> ExportResult | None:
    """Write the coordinator bundle for one registered laptop into `folder`.

    With `only_if_changed`, returns None when the laptop's state is the same
    as in the last bundle written to it. A revoked laptop gets nothing, or with
    `notify_revoked` a notice: a bundle holding only its own registry record,
    which says it was revoked (no forms, people, assignments or keys).
    """
    with target.session() as session:
        connection = session.connection()
        keys = load_local_keys(session, target.device_id)
        device = connection.execute(select(T_DEVICE).where(T_DEVICE.c.id == device_id)).first()
        if device is None or device.public_key is None or device.age_recipient is None:
            raise BundleError(f"Device {device_id!r} is not registered here.")
        if device.revoked_at is not None and not notify_revoked:
            raise BundleError(f"Device {device.name!r} is revoked; nothing is sent to it.")
        if device.revoked_at is not None:
            records: dict[str, list[dict[str, Any]]] = {kind: [] for kind in COORDINATOR_PARTS}
            records["devices"] = [_device_record(dict(device._mapping))]
        else:
            records = _coordinator_records(connection, device_id, target.device_id)
            records["recipients"] = [
                {"recipient": r, "role": role} for r, role in active_recipients(session)
            ]
        digest = hashlib.sha256(canonical_text(records).encode("utf-8")).hexdigest()
        last = connection.execute(
            select(T_OUT.c.state_digest)
            .where(T_OUT.c.target == device_id, T_OUT.c.status != OutgoingStatus.WRITING.value)
            .order_by(T_OUT.c.sequence.desc())
            .limit(1)
        ).scalar()
    if only_if_changed and last == digest:
        return None
    counts = {k: len(v) for k, v in records.items()}
    recipients = [str(device.age_recipient)]
    bundle_id, sequence, covers = _reserve(
        target,
        bundle_target=device_id,
        kind=fmt.KIND_COORDINATOR,
        covers_since=1,
        used=numbers_used_in(
            folder,
            fmt.KIND_COORDINATOR,
            keys,
            device_id,
            above=_last_sequence(target, device_id),
        ),
    )
    header = _header(
        keys,
        bundle_id=bundle_id,
        kind=fmt.KIND_COORDINATOR,
        target=device_id,
        sequence=sequence,
        covers_since=covers,
        recipients=recipients,
        counts=counts,
    )

    def parts() -> Iterator[Part]:
        yield JsonPart(
            "bundle",
            [
                {
                    "bundle_id": bundle_id,
                    "kind": fmt.KIND_COORDINATOR,
                    "source_device_id": keys.device_id,
                    "target": device_id,
                    "sequence": sequence,
                }
            ],
        )
        for kind in COORDINATOR_PARTS:
            yield from _batched(records[kind], kind)

    file_name = bundle_file_name(fmt.KIND_COORDINATOR, keys.device_id, device_id, sequence)
    with _number_given_back_on_failure(target, bundle_id, folder / file_name):
        written = write_bundle(
            folder=folder,
            file_name=file_name,
            header=header,
            parts=parts(),
            keys=keys,
            recipients=recipients,
            create_folder=create_folder,
        )
    _record_written(target, bundle_id, written, [], digest, counts)
    return ExportResult(
        path=written.path,
        sha256=written.sha256,
        size=written.size,
        bundle_id=bundle_id,
        sequence=sequence,
        target=device_id,
        counts={k: v for k, v in counts.items() if v},
    )


def registered_field_devices(target: BundleTarget) -> list[str]:
    """Ids of the registered, unrevoked laptops other than this one."""
    return _field_devices(target, revoked=False)


def revoked_field_devices(target: BundleTarget) -> list[str]:
    """Ids of the laptops registered here and revoked since (they get a notice)."""
    return _field_devices(target, revoked=True)


def _field_devices(target: BundleTarget, *, revoked: bool) -> list[str]:
    revoked_at = T_DEVICE.c.revoked_at
    with target.session() as session:
        return [
            str(r)
            for (r,) in session.execute(
                select(T_DEVICE.c.id)
                .where(
                    T_DEVICE.c.is_local.is_(False),
                    T_DEVICE.c.public_key.is_not(None),
                    T_DEVICE.c.age_recipient.is_not(None),
                    revoked_at.is_not(None) if revoked else revoked_at.is_(None),
                )
                .order_by(T_DEVICE.c.id)
            )
        ]
