"""Apply the records of one decrypted bundle inside the importer's single transaction.

`Applier` receives parts from the payload parser (`app.bundle.format`) and
turns them into rows: new rows are inserted, existing ones compared (a
different stored version of the same identity refuses the bundle), and
every revision document is validated against its form version before it is
written. Nothing here commits: the importer commits after the whole payload
has been read and checked, or rolls everything back. Attachment bytes are
not written here: the importer staged them before (`app.bundle.staging`);
each attachment part publishes its staged blob.

Inserting is a set union keyed by immutable identities (rev_id, instance_id,
event uid, attachment SHA-256), so applying bundles in any order, or twice,
gives the same rows. The only mutable rows that travel (assignments, the
device registry) merge by rules that do not depend on order (latest
`updated_at` then content; keys and revocations only ever get filled in).
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    delete,
    insert,
    select,
    update,
)

from app.bundle import format as fmt
from app.bundle.bulk import IN_CHUNK, bind_values, existing, in_values, insert_many
from app.bundle.canon import b64d, parse_time
from app.bundle.errors import BundleRejected, BundleWaiting, Refusal, changed_while_reading
from app.bundle.merge import NewSubmission, RevRow, document_key, key_paths, summary_of
from app.bundle.validate import CheckBatch, FormCache, Job, Prechecked, revision_label
from app.engine.compiled import CompiledForm
from app.store.attachments import AttachmentInfo, publish_blob
from app.store.canonical import canonical_matching, canonical_text, parse_json, sha256_hex
from app.store.errors import StoreError
from app.store.tables import (
    Assignment,
    AssignmentStatus,
    Attachment,
    BundleRecipient,
    DeliveredItem,
    Device,
    DeviceRole,
    DeviceUser,
    FormVersion,
    OutgoingBundle,
    OutgoingItem,
    ParadataEvent,
    ReviewDecision,
    ReviewOutcome,
    Revision,
    RevisionAttachment,
    RevisionMerge,
    RevisionStatus,
    Role,
    Study,
    Submission,
    User,
)
from app.store.tables_bundle import ItemKind, OutgoingStatus, RecipientRole
from app.store.types import utcnow

log = logging.getLogger(__name__)


def _t(model: Any) -> Any:
    return model.__table__


T_DEVICE = _t(Device)
T_USER = _t(User)
T_STUDY = _t(Study)
T_FORM = _t(FormVersion)
T_ASSIGN = _t(Assignment)
T_SUB = _t(Submission)
T_REV = _t(Revision)
T_MERGE = _t(RevisionMerge)
T_ATT = _t(Attachment)
T_LINK = _t(RevisionAttachment)
T_EVENT = _t(ParadataEvent)
T_REVIEW = _t(ReviewDecision)
T_DEVUSER = _t(DeviceUser)
T_RECIPIENT = _t(BundleRecipient)
T_OUT = _t(OutgoingBundle)
T_OUTITEM = _t(OutgoingItem)
T_DELIVERED = _t(DeliveredItem)


# -- record schema helpers ----------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _time(value: str) -> datetime:
    # Bundles repeat the same instants (a revision's created/saved/finalised times,
    # its paradata): each distinct text is parsed once. `ValueError` is not cached.
    parsed = parse_time(value, "time")
    assert parsed is not None
    return parsed


class Record:
    """Typed access to one record's fields, refusing the bundle on any bad value.

    `where` names the part and, with `index`, the record (for messages; built only
    when one is needed).
    """

    __slots__ = ("_index", "_label", "_where", "data")

    def __init__(
        self, data: dict[str, Any], where: str, allowed: set[str], index: int | None = None
    ) -> None:
        self.data = data
        self._where = where
        self._index = index
        self._label: str | None = None
        if not allowed.issuperset(data):
            extra = set(data) - allowed
            raise self.fail(f"unknown field(s) {', '.join(sorted(extra))[:200]}")

    @property
    def where(self) -> str:
        if self._label is None:
            index = self._index
            self._label = self._where if index is None else f"{self._where} record {index + 1}"
        return self._label

    @where.setter
    def where(self, label: str) -> None:
        self._label = label

    def fail(self, message: str) -> BundleRejected:
        return BundleRejected(f"{self.where}: {message}")

    def text(self, key: str, *, max_len: int = 100_000, optional: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise self.fail(f"'{key}' is missing or not text")
        if len(value) > max_len:
            raise self.fail(f"'{key}' is absurdly long ({len(value)} characters)")
        return value

    def ident(self, key: str, *, optional: bool = False) -> str | None:
        value = self.data.get(key)
        if type(value) is str and 0 < len(value) <= 128:
            return value  # the usual case, checked inline
        value = self.text(key, max_len=128, optional=optional)
        if value is not None and not value:
            raise self.fail(f"'{key}' is empty")
        return value

    def req(self, key: str, *, max_len: int = 100_000) -> str:
        value = self.text(key, max_len=max_len)
        assert value is not None
        return value

    def req_id(self, key: str) -> str:
        value = self.ident(key)
        assert value is not None
        return value

    def time(self, key: str, *, optional: bool = False) -> datetime | None:
        value = self.data.get(key)
        if type(value) is str:
            try:
                return _time(value)
            except ValueError:
                pass  # parsed again below for the message
        try:
            return parse_time(value, f"'{key}'", optional=optional)
        except ValueError as error:
            raise self.fail(str(error)) from None

    def req_time(self, key: str) -> datetime:
        value = self.time(key)
        assert value is not None
        return value

    def integer(self, key: str) -> int:
        value = self.data.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10**12:
            raise self.fail(f"'{key}' is not a valid number")
        return value

    def json_text(self, key: str) -> str | None:
        value = self.text(key, optional=True)
        if value is not None:
            try:
                parse_json(value)
            except (ValueError, RecursionError):
                raise self.fail(f"'{key}' is not JSON text") from None
        return value


# -- the applier -------------------------------------------------------------------------------


@dataclass
class ApplyStats:
    """What a bundle changed (for the import report)."""

    submissions_new: int = 0
    revisions_new: int = 0
    revisions_known: int = 0
    attachments_new: int = 0
    attachment_bytes_new: int = 0
    events_new: int = 0
    form_versions_new: int = 0
    assignments_changed: int = 0
    reviews_new: int = 0
    acks_applied: int = 0
    devices_changed: int = 0
    interviews_left_out: int = 0  # a coordinator's versions this laptop cannot place
    touched: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int)}


class Applier:
    """Turns parts into rows within one open transaction (see the module docstring)."""

    def __init__(
        self,
        connection: Connection,
        *,
        header: fmt.Header,
        local_device_id: str,
        forms: FormCache,
        validate: bool = True,
        progress: Callable[[int], None] | None = None,
        prechecked: Prechecked | None = None,
        staged: Mapping[str, int] | None = None,
    ) -> None:
        self.c = connection
        self.staged = staged or {}  # SHA-256 → blob, of the attachments staged for this bundle
        self.prechecked = prechecked
        self.header = header
        self.local_device_id = local_device_id
        self.forms = forms
        self.validate = validate
        self.progress = progress
        self.stats = ApplyStats()
        self.coordinator_bundle = header.kind == fmt.KIND_COORDINATOR
        self._bundle_seen = False
        self._form_sources: dict[tuple[str, str], tuple[bytes, str, str]] = {}
        self._instance_forms: dict[str, tuple[str, str]] = {}
        self._known_revs: set[str] = set()
        self._new_revs: set[str] = set()
        self._known_attachments: set[str] = set()
        self._attachment_exists = False
        self.users: set[str] = set()
        # New submissions wait here until the revisions that decide their summary
        # (state, head…) are known, so that each is written once, complete.
        self._pending: dict[str, dict[str, Any]] = {}
        self.new_submissions: dict[str, NewSubmission] = {}
        self._fresh_revs: dict[str, str] = {}  # rev_id → its new submission (summarised here)
        self.heads: dict[str, str | None] = {}  # head of each new submission summarised here
        self.refresh: set[str] = set()  # submissions whose summary the database must recompute
        self.doc_keys: dict[str, tuple[str, str]] = {}  # `document_key` of new revisions
        self._checks: list[CheckBatch] = []
        # Registry and recipients only from the newest coordinator bundle seen so far,
        # so that an old bundle arriving late never undoes a newer one.
        self.newest = True

    # -- dispatch -------------------------------------------------------------------------------

    def json_part(self, header: fmt.PartHeader, records: list[dict[str, Any]]) -> None:
        handler = getattr(self, f"_{header.type}")
        where = f"part {header.n} ({header.type})"
        if header.type != "bundle" and not self._bundle_seen:
            raise BundleRejected("the payload does not start with its bundle part")
        if header.type not in ("submissions", "revisions"):
            self._insert_pending()
        handler(records, where)
        if self.progress is not None:
            self.progress(len(records))

    def finish(self) -> dict[str, str | None]:
        """After the last part: write what is still pending; returns the heads of the
        submissions summarised here (the others are in `refresh`)."""
        self._insert_pending()
        return {i: h for i, h in self.heads.items() if i not in self.refresh}

    def verdicts(self) -> None:
        """Wait for every document check; `BundleRejected` with the first refusal."""
        checks, self._checks = self._checks, []
        for pending in checks:
            problem = pending.first_problem()
            if problem is not None:
                self._checks = checks
                self.close()
                raise BundleRejected(problem, Refusal.INVALID_DATA)

    def close(self) -> None:
        """Drop document checks not started (the import is failing anyway)."""
        for pending in self._checks:
            pending.cancel()
        self._checks = []
        if self.prechecked is not None:
            self.prechecked.cancel()

    # -- bundle identity ---------------------------------------------------------------------

    def _bundle(self, records: list[dict[str, Any]], where: str) -> None:
        if len(records) != 1:
            raise BundleRejected(f"{where}: must hold exactly one record")
        rec = Record(
            records[0], where, {"bundle_id", "kind", "source_device_id", "target", "sequence"}
        )
        h = self.header
        echo = (
            rec.req_id("bundle_id"),
            rec.req("kind"),
            rec.req_id("source_device_id"),
            rec.req_id("target"),
            rec.integer("sequence"),
        )
        if echo != (h.bundle_id, h.kind, h.source_device_id, h.target, h.sequence):
            raise BundleRejected(
                "the encrypted contents belong to another bundle than the signed header "
                "(header swapped or re-signed)"
            )
        self._bundle_seen = True

    # -- reference data ------------------------------------------------------------------------

    def _devices(self, records: list[dict[str, Any]], where: str) -> None:
        fields = {
            "id",
            "name",
            "role",
            "signing_key",
            "age_recipient",
            "registered_at",
            "revoked_at",
        }
        for index, data in enumerate(records):
            rec = Record(data, where, fields, index)
            device_id = rec.req_id("id")
            name = rec.req("name", max_len=200)
            role = rec.req("role")
            if role not in {r.value for r in DeviceRole}:
                raise rec.fail("unknown device role")
            key_text = rec.text("signing_key", optional=True)
            try:
                key = b64d(key_text, "signing_key") if key_text is not None else None
            except ValueError as error:
                raise rec.fail(str(error)) from None
            if key is not None and len(key) != 32:
                raise rec.fail("the signing key has the wrong length")
            recipient = rec.text("age_recipient", max_len=128, optional=True)
            registered = rec.req_time("registered_at")
            revoked = rec.time("revoked_at", optional=True)
            row = self.c.execute(select(T_DEVICE).where(T_DEVICE.c.id == device_id)).first()
            if row is None:
                # A field bundle never vouches for keys: only the coordinator's registry does.
                trusted = self.coordinator_bundle
                self.c.execute(
                    insert(T_DEVICE),
                    [
                        {
                            "id": device_id,
                            "name": name,
                            "is_local": False,
                            "public_key": key if trusted else None,
                            "age_recipient": recipient if trusted else None,
                            "registered_at": registered,
                            "revoked_at": revoked if trusted else None,
                            "role": role,
                        }
                    ],
                )
                self.stats.devices_changed += 1
                continue
            if self.coordinator_bundle and row.is_local:
                if row.revoked_at is None and revoked is not None:
                    # The coordinator revoked this laptop (see `export_coordinator_bundle`).
                    log.warning("the coordinator revoked this laptop on %s", revoked)
                    self.c.execute(
                        update(T_DEVICE)
                        .where(T_DEVICE.c.id == device_id)
                        .values(revoked_at=revoked)
                    )
                    self.stats.devices_changed += 1
                continue
            if not self.coordinator_bundle or row.is_local:
                continue
            changes: dict[str, Any] = {}
            if row.public_key is None and key is not None:
                changes["public_key"] = key
            if row.age_recipient is None and recipient is not None:
                changes["age_recipient"] = recipient
            if row.revoked_at is None and revoked is not None:
                changes["revoked_at"] = revoked
            if changes:
                self.c.execute(update(T_DEVICE).where(T_DEVICE.c.id == device_id).values(**changes))
                self.stats.devices_changed += 1

    def _users(self, records: list[dict[str, Any]], where: str) -> None:
        fields = {"id", "username", "display_name", "role", "device_id"}
        parsed = []
        for index, data in enumerate(records):
            rec = Record(data, where, fields, index)
            role = rec.req("role")
            if role not in {r.value for r in Role}:
                raise rec.fail("unknown role")
            parsed.append(
                (
                    rec.req_id("id"),
                    rec.req("username", max_len=64),
                    rec.req("display_name", max_len=200),
                    role,
                    rec.ident("device_id", optional=True),
                )
            )
        ids = {p[0] for p in parsed}
        have = existing(self.c, T_USER.c.id, ids)
        devices = existing(self.c, T_DEVICE.c.id, {p[4] for p in parsed if p[4]})
        for user_id, username, display_name, role, device_id in parsed:
            self.users.add(user_id)
            if user_id not in have:
                self.c.execute(
                    insert(T_USER),
                    [
                        {
                            "id": user_id,
                            "username": self._free_username(username, user_id, device_id),
                            "display_name": display_name,
                            "role": role,
                            "password_hash": None,
                            "active": False,
                            "created_at": utcnow(),
                            "created_by": None,
                            "password_changed_at": None,
                        }
                    ],
                )
                have.add(user_id)
            if device_id is not None and device_id in devices and device_id != self.local_device_id:
                known = self.c.execute(
                    select(T_DEVUSER.c.user_id).where(
                        T_DEVUSER.c.device_id == device_id, T_DEVUSER.c.user_id == user_id
                    )
                ).first()
                if known is None:
                    self.c.execute(
                        insert(T_DEVUSER), [{"device_id": device_id, "user_id": user_id}]
                    )

    def _free_username(self, username: str, user_id: str, device_id: str | None) -> str:
        # Accounts from other laptops never take a local user name: they are
        # named after their laptop, the same way whatever the import order.
        base = username.strip().casefold()[:40] or "user"
        for candidate in (f"{base}@{(device_id or 'remote')[:8]}", f"{base}@{user_id[:22]}"):
            taken = self.c.execute(
                select(T_USER.c.id).where(T_USER.c.username == candidate)
            ).first()
            if taken is None:
                return candidate
        return user_id[:64]

    def _studies(self, records: list[dict[str, Any]], where: str) -> None:
        for index, data in enumerate(records):
            rec = Record(
                data,
                f"{where} record {index + 1}",
                {"id", "code", "title", "description", "created_at"},
            )
            study_id, code = rec.req_id("id"), rec.req("code", max_len=64)
            row = self.c.execute(select(T_STUDY).where(T_STUDY.c.code == code)).first()
            if row is not None:
                if row.id != study_id:
                    raise rec.fail(f"study code {code!r} is used by another study here")
                continue
            if self.c.execute(select(T_STUDY.c.id).where(T_STUDY.c.id == study_id)).first():
                raise rec.fail("a study with this id has another code here")
            self.c.execute(
                insert(T_STUDY),
                [
                    {
                        "id": study_id,
                        "code": code,
                        "title": rec.req("title", max_len=1000),
                        "description": rec.req("description"),
                        "created_at": rec.req_time("created_at"),
                    }
                ],
            )

    def _form_versions(self, records: list[dict[str, Any]], where: str) -> None:
        fields = {
            "form_id",
            "version",
            "title",
            "source_name",
            "source",
            "content_hash",
            "study_id",
            "created_at",
        }
        for index, data in enumerate(records):
            rec = Record(data, where, fields, index)
            form_id, version = rec.req_id("form_id"), rec.req("version", max_len=64)
            try:
                source = b64d(rec.req("source", max_len=20_000_000), "source")
            except ValueError as error:
                raise rec.fail(str(error)) from None
            digest = rec.req("content_hash", max_len=64)
            if sha256_hex(source) != digest:
                raise rec.fail(
                    f"form {form_id!r} version {version!r}: the source does not match its hash"
                )
            source_name = rec.req("source_name", max_len=255)
            study_id = rec.ident("study_id", optional=True)
            row = self.c.execute(
                select(T_FORM.c.content_hash).where(
                    T_FORM.c.form_id == form_id, T_FORM.c.version == version
                )
            ).first()
            if row is not None:
                if row.content_hash != digest:
                    raise rec.fail(
                        f"form {form_id!r} version {version!r} differs from the one in this "
                        "database (a changed form must get a new version)"
                    )
            else:
                if study_id is not None and not existing(self.c, T_STUDY.c.id, {study_id}):
                    study_id = None
                self.c.execute(
                    insert(T_FORM),
                    [
                        {
                            "form_id": form_id,
                            "version": version,
                            "title": rec.req("title", max_len=1000),
                            "content_hash": digest,
                            "source_name": source_name,
                            "source": source,
                            "compiled": None,
                            "study_id": study_id,
                            "created_at": rec.req_time("created_at"),
                            "created_by": None,
                        }
                    ],
                )
                self.stats.form_versions_new += 1
            self._form_sources[(form_id, version)] = (source, source_name, digest)

    def _assignments(self, records: list[dict[str, Any]], where: str) -> None:
        fields = {
            "id",
            "study_id",
            "form_id",
            "form_version",
            "institution",
            "cluster",
            "province",
            "respondent",
            "assigned_to",
            "status",
            "notes",
            "created_at",
            "updated_at",
            "created_by",
        }
        for index, data in enumerate(records):
            rec = Record(data, where, fields, index)
            status = rec.req("status")
            if status not in {s.value for s in AssignmentStatus}:
                raise rec.fail("unknown assignment status")
            row: dict[str, Any] = {
                "id": rec.req_id("id"),
                "study_id": rec.ident("study_id", optional=True),
                "form_id": rec.req_id("form_id"),
                "form_version": rec.text("form_version", max_len=64, optional=True),
                "institution": rec.req("institution", max_len=1000),
                "cluster": rec.req("cluster", max_len=1000),
                "province": rec.req("province", max_len=1000),
                "respondent": rec.req("respondent", max_len=1000),
                "assigned_to": rec.ident("assigned_to", optional=True),
                "status": status,
                "notes": rec.req("notes"),
                "created_at": rec.req_time("created_at"),
                "updated_at": rec.req_time("updated_at"),
                "created_by": rec.ident("created_by", optional=True),
            }
            for key, table in (
                ("assigned_to", T_USER),
                ("created_by", T_USER),
                ("study_id", T_STUDY),
            ):
                if row[key] is not None and not existing(self.c, table.c.id, {row[key]}):
                    raise rec.fail(f"'{key}' refers to a record that is not in the bundle")
            current = self.c.execute(select(T_ASSIGN).where(T_ASSIGN.c.id == row["id"])).first()
            if current is None:
                self.c.execute(insert(T_ASSIGN), [row])
                self.stats.assignments_changed += 1
                continue
            mine = dict(current._mapping)
            if (row["updated_at"], _digest(row)) > (mine["updated_at"], _digest(mine)):
                values = {k: v for k, v in row.items() if k != "id"}
                self.c.execute(update(T_ASSIGN).where(T_ASSIGN.c.id == row["id"]).values(**values))
                self.stats.assignments_changed += 1

    # -- submissions and revisions ------------------------------------------------------------

    def _form_of(self, form_id: str, version: str, where: str) -> tuple[bytes, str, str]:
        key = (form_id, version)
        if key not in self._form_sources:
            row = self.c.execute(
                select(T_FORM.c.source, T_FORM.c.source_name, T_FORM.c.content_hash).where(
                    T_FORM.c.form_id == form_id, T_FORM.c.version == version
                )
            ).first()
            if row is None:
                raise BundleRejected(
                    f"{where}: form {form_id!r} version {version!r} is unknown here and not in "
                    "the bundle"
                )
            self._form_sources[key] = (bytes(row.source), row.source_name, row.content_hash)
        return self._form_sources[key]

    def _submissions(self, records: list[dict[str, Any]], where: str) -> None:
        fields = {
            "instance_id",
            "form_id",
            "form_version",
            "assignment_id",
            "created_at",
            "created_by",
            "device_id",
        }
        parsed: list[dict[str, Any]] = []
        for index, data in enumerate(records):
            rec = Record(data, where, fields, index)
            parsed.append(
                {
                    "instance_id": rec.req_id("instance_id"),
                    "form_id": rec.req_id("form_id"),
                    "form_version": rec.req("form_version", max_len=64),
                    "assignment_id": rec.ident("assignment_id", optional=True),
                    "created_at": rec.req_time("created_at"),
                    "created_by": rec.req_id("created_by"),
                    "device_id": rec.req_id("device_id"),
                }
            )
        users = existing(self.c, T_USER.c.id, {p["created_by"] for p in parsed})
        devices = existing(self.c, T_DEVICE.c.id, {p["device_id"] for p in parsed})
        assignments = existing(
            self.c, T_ASSIGN.c.id, {p["assignment_id"] for p in parsed if p["assignment_id"]}
        )
        ids = [p["instance_id"] for p in parsed]
        query = select(T_SUB).where(in_values(self.c, T_SUB.c.instance_id))
        stored: dict[str, Any] = {
            row.instance_id: row
            for start in range(0, len(ids), IN_CHUNK)
            for row in self.c.execute(query, bind_values(self.c, ids[start : start + IN_CHUNK]))
        }
        for p in parsed:
            instance_id = p["instance_id"]
            where_sub = f"submission {instance_id}"
            self._form_of(p["form_id"], p["form_version"], where_sub)
            if p["created_by"] not in users:
                raise BundleRejected(f"{where_sub}: its author is not in the bundle")
            if p["device_id"] not in devices:
                raise BundleRejected(f"{where_sub}: its device is not in the bundle")
            if p["assignment_id"] is not None and p["assignment_id"] not in assignments:
                raise BundleRejected(f"{where_sub}: its assignment is not in the bundle")
            self._instance_forms[instance_id] = (p["form_id"], p["form_version"])
            self.stats.touched.add(instance_id)
            row = stored.get(instance_id)
            if row is not None:
                mine = {k: getattr(row, k) for k in p}
                if mine != p:
                    raise BundleRejected(
                        f"{where_sub} differs from the stored submission with the same id"
                    )
                self.refresh.add(instance_id)
                continue
            seen = self._pending.get(instance_id)
            if seen is not None or instance_id in self.new_submissions:
                if seen is None or seen != p:
                    raise BundleRejected(f"{where_sub} appears twice in the bundle")
                continue
            self._pending[instance_id] = p

    def _insert_pending(
        self, revisions: Sequence[dict[str, Any]] = (), merged: AbstractSet[str] = frozenset()
    ) -> None:
        """Insert the new submissions, with the summary their `revisions` give them."""
        if not self._pending:
            return
        by_instance: dict[str, list[RevRow]] = {}
        for row in revisions:
            if row["instance_id"] in self._pending:
                by_instance.setdefault(row["instance_id"], []).append(
                    RevRow(
                        row["rev_id"],
                        row["instance_id"],
                        row["parent_rev"],
                        row["status"],
                        row["finalised_at"],
                        row["saved_at"],
                    )
                )
        rows = []
        for instance_id, p in self._pending.items():
            revs = by_instance.get(instance_id, [])
            summary = summary_of(revs, merged)
            rows.append({**p, **summary})
            self.heads[instance_id] = summary["head_rev_id"]
            self.new_submissions[instance_id] = NewSubmission(
                p["form_id"], p["device_id"], p["assignment_id"]
            )
            for rev in revs:
                self._fresh_revs[rev.rev_id] = instance_id
        self._pending = {}
        insert_many(self.c, T_SUB, rows)
        self.stats.submissions_new += len(rows)

    def _compiled(self, form: tuple[str, str], label: str) -> tuple[CompiledForm, str]:
        """The compiled form version and the SHA-256 of its source."""
        source, source_name, digest = self._form_of(form[0], form[1], label)
        compiled = self.forms.get(
            form_id=form[0], version=form[1], source=source, source_name=source_name, digest=digest
        )
        return compiled, digest

    def _job(self, form: tuple[str, str], row: dict[str, Any], label: str, document: Any) -> Job:
        _compiled, digest = self._compiled(form, label)
        return Job(
            (form[0], form[1], digest),
            row["document"],
            label,
            row["instance_id"],
            document,
            row["content_hash"],
        )

    def _revisions(self, records: list[dict[str, Any]], where: str) -> None:
        fields = {
            "rev_id",
            "instance_id",
            "parent_rev",
            "merged_parents",
            "author_id",
            "device_id",
            "created_at",
            "saved_at",
            "finalised_at",
            "reason",
            "content_hash",
            "document",
        }
        links: dict[str, dict[str, str]] = {}  # a coordinator bundle's, by revision
        if self.coordinator_bundle:
            fields.add("attachments")
            records = self._placeable(records)
        # Stored revisions are looked up first: they are compared, never checked against
        # their form again, and every other document goes to the checker as soon as it
        # is parsed, so that checking runs while the rest of the bundle is read.
        stored = self._stored_revisions(
            {r["rev_id"] for r in records if isinstance(r.get("rev_id"), str)}
        )
        checks = self.forms.batch(len(records), self.prechecked) if self.validate else None
        queued: set[str] = set()
        parsed: list[tuple[dict[str, Any], dict[str, Any], list[str]]] = []
        for index, data in enumerate(records):
            rec = Record(data, where, fields, index)
            rev_id = rec.req_id("rev_id")
            rec.where = f"revision {rev_id}"
            document = data.get("document")
            if not isinstance(document, dict):
                raise rec.fail("its document is not a JSON object")
            merged = data.get("merged_parents", [])
            if not isinstance(merged, list) or not all(isinstance(m, str) for m in merged):
                raise rec.fail("'merged_parents' is invalid")
            digest = rec.req("content_hash", max_len=64)
            if self.coordinator_bundle:
                links[rev_id] = _links(rec)
            try:
                data_bytes, matches = canonical_matching(document, digest)
            except (TypeError, ValueError):
                raise rec.fail("its document is not valid JSON") from None
            text = data_bytes.decode("utf-8")
            if not matches:
                raise rec.fail("the document does not match its content hash (damaged or tampered)")
            row: dict[str, Any] = {
                "rev_id": rev_id,
                "instance_id": rec.req_id("instance_id"),
                "parent_rev": rec.ident("parent_rev", optional=True),
                "status": RevisionStatus.FINALISED.value,
                "author_id": rec.req_id("author_id"),
                "device_id": rec.req_id("device_id"),
                "created_at": rec.req_time("created_at"),
                "saved_at": rec.req_time("saved_at"),
                "finalised_at": rec.req_time("finalised_at"),
                "reason": rec.text("reason", max_len=10_000, optional=True),
                "content_hash": digest,
                "document": text,
                "ui_state": None,
            }
            parsed.append((row, document, sorted(set(merged))))
            form = self._instance_forms.get(row["instance_id"])
            if (
                checks is not None
                and form is not None
                and rev_id not in stored
                and rev_id not in self._known_revs
                and rev_id not in queued
            ):
                label = revision_label(rev_id, row["instance_id"])
                checks.add(self._job(form, row, label, document))
                queued.add(rev_id)
        parents = {p[0]["parent_rev"] for p in parsed if p[0]["parent_rev"]} | {
            m for p in parsed for m in p[2]
        }
        parents_here = existing(self.c, T_REV.c.rev_id, parents - self._known_revs)
        users = existing(self.c, T_USER.c.id, {p[0]["author_id"] for p in parsed})
        devices = existing(self.c, T_DEVICE.c.id, {p[0]["device_id"] for p in parsed})
        new_rows: list[dict[str, Any]] = []
        merges: list[dict[str, str]] = []
        for row, document, merged in parsed:
            rev_id = row["rev_id"]
            label = revision_label(rev_id, row["instance_id"])
            known = stored.get(rev_id)
            if known is not None:
                mine = (
                    known.instance_id,
                    known.parent_rev,
                    known.status,
                    known.author_id,
                    known.device_id,
                    known.created_at,
                    known.finalised_at,
                    known.content_hash,
                )
                theirs = (
                    row["instance_id"],
                    row["parent_rev"],
                    row["status"],
                    row["author_id"],
                    row["device_id"],
                    row["created_at"],
                    row["finalised_at"],
                    row["content_hash"],
                )
                if mine != theirs:
                    raise BundleRejected(
                        f"{label} differs from the stored revision with the same id"
                    )
                self._known_revs.add(rev_id)
                self.stats.revisions_known += 1
                continue
            if rev_id in self._known_revs:
                raise BundleRejected(f"{label} appears twice in the bundle")
            for parent in [row["parent_rev"], *merged]:
                if (
                    parent is not None
                    and parent not in self._known_revs
                    and parent not in parents_here
                ):
                    raise BundleRejected(f"{label}: its parent revision {parent} is missing")
            if row["author_id"] not in users or row["device_id"] not in devices:
                raise BundleRejected(f"{label}: its author or device is not in the bundle")
            form = self._instance_forms.get(row["instance_id"])
            if form is None:
                sub = self.c.execute(
                    select(T_SUB.c.form_id, T_SUB.c.form_version).where(
                        T_SUB.c.instance_id == row["instance_id"]
                    )
                ).first()
                if sub is None:
                    raise BundleRejected(f"{label}: its submission is not in the bundle")
                form = (sub.form_id, sub.form_version)
                self._instance_forms[row["instance_id"]] = form
            if checks is not None and rev_id not in queued:
                checks.add(self._job(form, row, label, document))
                queued.add(rev_id)
            new_rows.append(row)
            self.doc_keys[rev_id] = document_key(
                document, paths=key_paths(self._compiled(form, label)[0])
            )
            merges.extend({"rev_id": rev_id, "parent_rev": m} for m in merged)
            self._known_revs.add(rev_id)
            self._new_revs.add(rev_id)
            self.stats.touched.add(row["instance_id"])
        if checks is not None and len(checks):
            checks.flush()
            self._checks.append(checks)
        # A submission summarised by an earlier part of this bundle that gets another
        # revision (or loses a head to a merge) here is recomputed by the database.
        merged_away = {m["parent_rev"] for m in merges}
        self.refresh.update(self._fresh_revs[m] for m in merged_away if m in self._fresh_revs)
        self.refresh.update(
            r["instance_id"] for r in new_rows if r["instance_id"] not in self._pending
        )
        self._insert_pending(new_rows, merged_away)
        if new_rows:
            insert_many(self.c, T_REV, new_rows)
            self.stats.revisions_new += len(new_rows)
        if merges:
            self.c.execute(insert(T_MERGE), merges)
        if self.coordinator_bundle and parsed:
            self._coordinator_versions_placed([p[0] for p in parsed], new_rows, links)

    def _placeable(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A coordinator bundle's versions of each interview, only where this laptop can
        place all of them: every parent here or in the bundle, every recording here.

        The others are left out, not refused (a laptop put back from an old backup
        lacks them): the rest of the bundle, its cases and forms, still applies.
        """

        def parents(data: dict[str, Any]) -> list[str]:
            merged = data.get("merged_parents")
            given = [data.get("parent_rev"), *(merged if isinstance(merged, list) else [])]
            return [p for p in given if isinstance(p, str)]

        def recordings(data: dict[str, Any]) -> list[str]:
            found = data.get("attachments", {})
            return list(found.values()) if isinstance(found, dict) else []

        def well_formed(data: Any) -> bool:  # the others are refused by the usual checks
            return (
                isinstance(data, dict)
                and isinstance(data.get("instance_id"), str)
                and isinstance(data.get("attachments", {}), dict)
                and all(isinstance(s, str) and fmt.is_sha256(s) for s in recordings(data))
            )

        groups: dict[str, list[dict[str, Any]]] = {}
        kept: list[dict[str, Any]] = []
        for data in records:
            if well_formed(data):
                groups.setdefault(data["instance_id"], []).append(data)
            else:
                kept.append(data)
        shaped = [d for group in groups.values() for d in group]
        in_bundle = {d.get("rev_id") for d in shaped}
        parents_here = existing(
            self.c, T_REV.c.rev_id, {p for d in shaped for p in parents(d)} - in_bundle
        )
        blobs_here = existing(self.c, T_ATT.c.sha256, {s for d in shaped for s in recordings(d)})
        for instance, group in groups.items():
            if all(p in in_bundle or p in parents_here for d in group for p in parents(d)) and all(
                s in blobs_here for d in group for s in recordings(d)
            ):
                kept.extend(group)
                continue
            self._pending.pop(instance, None)
            self.stats.touched.discard(instance)
            self.stats.interviews_left_out += 1
            log.info("left out the coordinator's versions of %s: not placeable here", instance)
        return kept

    def _coordinator_versions_placed(
        self,
        rows: list[dict[str, Any]],
        new_rows: list[dict[str, Any]],
        links: dict[str, dict[str, str]],
    ) -> None:
        """The links of a coordinator bundle's new versions; and every version it brought
        counts as delivered, so that this laptop never sends them back."""
        link_rows = [
            {"rev_id": row["rev_id"], "name": name, "sha256": sha}
            for row in new_rows
            for name, sha in sorted(links.get(row["rev_id"], {}).items())
        ]
        if link_rows:
            self.c.execute(insert(T_LINK), link_rows)
        keys = {row["rev_id"] for row in rows}
        done = existing(self.c, T_DELIVERED.c.item_key, keys)
        now = utcnow()
        delivered = [
            {
                "kind": ItemKind.REVISION.value,
                "item_key": key,
                "bundle_id": self.header.bundle_id,
                "acked_at": now,
            }
            for key in sorted(keys - done)
        ]
        if delivered:
            self.c.execute(insert(T_DELIVERED), delivered)

    def _stored_revisions(self, ids: set[str]) -> dict[str, Any]:
        stored: dict[str, Any] = {}
        ordered = sorted(ids)
        query = select(
            T_REV.c.rev_id,
            T_REV.c.instance_id,
            T_REV.c.parent_rev,
            T_REV.c.status,
            T_REV.c.author_id,
            T_REV.c.device_id,
            T_REV.c.created_at,
            T_REV.c.finalised_at,
            T_REV.c.content_hash,
        ).where(in_values(self.c, T_REV.c.rev_id))
        for start in range(0, len(ordered), IN_CHUNK):
            chunk = ordered[start : start + IN_CHUNK]
            for found in self.c.execute(query, bind_values(self.c, chunk)):
                stored[found.rev_id] = found
        return stored

    # -- attachments ---------------------------------------------------------------------------

    def attachment_start(self, header: fmt.PartHeader) -> None:
        if not self._bundle_seen:
            raise BundleRejected("the payload does not start with its bundle part")
        self._attachment_exists = bool(existing(self.c, T_ATT.c.sha256, {header.sha256}))
        if not self._attachment_exists and header.sha256 not in self.staged:
            # Every new attachment was staged by the first pass over this same file.
            raise changed_while_reading()

    def attachment_chunk(self, data: bytes) -> None:
        return None  # staged already; the parser checks the bytes against the part's hash

    def attachment_end(self, header: fmt.PartHeader) -> None:
        self._known_attachments.add(header.sha256)
        if self._attachment_exists:
            return
        info = AttachmentInfo(header.sha256, header.size, header.media_type)
        try:
            publish_blob(self.c, self.staged[header.sha256], info)
        except StoreError:
            raise BundleWaiting(
                f"attachment {header.sha256[:16]}… was removed while this bundle was being "
                "imported (another program opened this database); import the bundle again"
            ) from None
        self.stats.attachments_new += 1
        self.stats.attachment_bytes_new += header.size

    def _revision_attachments(self, records: list[dict[str, Any]], where: str) -> None:
        rows: list[dict[str, Any]] = []
        for index, data in enumerate(records):
            rec = Record(data, where, {"rev_id", "name", "sha256"}, index)
            rows.append(
                {
                    "rev_id": rec.req_id("rev_id"),
                    "name": rec.req("name", max_len=255),
                    "sha256": rec.req("sha256", max_len=64),
                }
            )
        for row in rows:
            if row["rev_id"] not in self._known_revs:
                raise BundleRejected(f"{where}: links revision {row['rev_id']} not in the bundle")
        rows = [r for r in rows if r["rev_id"] in self._new_revs]
        wanted = {r["sha256"] for r in rows} - self._known_attachments
        have = existing(self.c, T_ATT.c.sha256, wanted)
        missing = sorted(wanted - have)
        if missing:
            raise BundleWaiting(
                f"this bundle needs {len(missing)} attachment(s) (e.g. {missing[0][:16]}…) that "
                f"device {self.header.source_name} sent in an earlier bundle, not imported here "
                "yet; import the earlier bundles, then this one again"
            )
        if rows:
            self.c.execute(insert(T_LINK), rows)

    # -- paradata, reviews, acknowledgements ----------------------------------------------

    def _events(self, records: list[dict[str, Any]], where: str) -> None:
        fields = {
            "uid",
            "at",
            "kind",
            "user_id",
            "device_id",
            "instance_id",
            "rev_id",
            "field",
            "old_value",
            "new_value",
            "reason",
            "detail",
        }
        rows: list[dict[str, Any]] = []
        for index, data in enumerate(records):
            rec = Record(data, where, fields, index)
            rows.append(
                {
                    "uid": rec.req_id("uid"),
                    "at": rec.req_time("at"),
                    "kind": rec.req("kind", max_len=32),
                    "user_id": rec.ident("user_id", optional=True),
                    "device_id": rec.ident("device_id", optional=True),
                    "instance_id": rec.ident("instance_id", optional=True),
                    "rev_id": rec.ident("rev_id", optional=True),
                    "field": rec.text("field", max_len=512, optional=True),
                    "old_value": rec.json_text("old_value"),
                    "new_value": rec.json_text("new_value"),
                    "reason": rec.text("reason", max_len=10_000, optional=True),
                    "detail": rec.json_text("detail"),
                }
            )
        have = existing(self.c, T_EVENT.c.uid, {r["uid"] for r in rows})
        rows = [r for r in rows if r["uid"] not in have]
        here = {
            "user_id": self.users,
            "device_id": {self.header.source_device_id},
            "instance_id": set(self._instance_forms),
            "rev_id": self._known_revs,
        }
        for column, table_column in (
            ("user_id", T_USER.c.id),
            ("device_id", T_DEVICE.c.id),
            ("instance_id", T_SUB.c.instance_id),
            ("rev_id", T_REV.c.rev_id),
        ):
            wanted = {r[column] for r in rows if r[column] is not None} - here[column]
            missing = wanted - existing(self.c, table_column, wanted)
            if missing:
                raise BundleRejected(
                    f"{where}: an event refers to a {column.removesuffix('_id')} not in the bundle"
                )
        seen: set[str] = set()
        unique = []
        for row in rows:
            if row["uid"] not in seen:
                seen.add(row["uid"])
                unique.append(row)
        if unique:
            insert_many(self.c, T_EVENT, unique)
            self.stats.events_new += len(unique)

    def _reviews(self, records: list[dict[str, Any]], where: str) -> None:
        fields = {"id", "rev_id", "reviewer_id", "device_id", "decision", "comment", "decided_at"}
        rows: list[dict[str, Any]] = []
        for index, data in enumerate(records):
            rec = Record(data, where, fields, index)
            decision = rec.req("decision")
            if decision not in {o.value for o in ReviewOutcome}:
                raise rec.fail("unknown review decision")
            rows.append(
                {
                    "id": rec.req_id("id"),
                    "rev_id": rec.req_id("rev_id"),
                    "reviewer_id": rec.req_id("reviewer_id"),
                    "device_id": rec.ident("device_id", optional=True),
                    "decision": decision,
                    "comment": rec.req("comment"),
                    "decided_at": rec.req_time("decided_at"),
                }
            )
        have = existing(self.c, T_REVIEW.c.id, {r["id"] for r in rows})
        revs = existing(self.c, T_REV.c.rev_id, {r["rev_id"] for r in rows})
        users = existing(self.c, T_USER.c.id, {r["reviewer_id"] for r in rows})
        devices = existing(self.c, T_DEVICE.c.id, {r["device_id"] for r in rows if r["device_id"]})
        new = []
        for row in rows:
            if row["id"] in have or row["rev_id"] not in revs:
                continue  # a decision on a revision this laptop does not have
            if row["reviewer_id"] not in users:
                raise BundleRejected(f"{where}: a reviewer is not in the bundle")
            if row["device_id"] is not None and row["device_id"] not in devices:
                row["device_id"] = None
            new.append(row)
            have.add(row["id"])
        if new:
            self.c.execute(insert(T_REVIEW), new)
            self.stats.reviews_new += len(new)

    def _acks(self, records: list[dict[str, Any]], where: str) -> None:
        if not self.coordinator_bundle:
            raise BundleRejected(f"{where}: only a coordinator bundle acknowledges bundles")
        now = utcnow()
        for index, data in enumerate(records):
            rec = Record(
                data, f"{where} record {index + 1}", {"bundle_id", "sequence", "applied_at"}
            )
            bundle_id = rec.req_id("bundle_id")
            sequence = rec.integer("sequence")
            applied_at = rec.req_time("applied_at")
            row = self.c.execute(select(T_OUT).where(T_OUT.c.id == bundle_id)).first()
            if row is None:
                self._unknown_ack(bundle_id, sequence, applied_at)
                continue
            if row.status == OutgoingStatus.ACKNOWLEDGED.value:
                continue
            self.c.execute(
                update(T_OUT)
                .where(T_OUT.c.id == bundle_id)
                .values(status=OutgoingStatus.ACKNOWLEDGED.value, acked_at=now)
            )
            items = self.c.execute(
                select(T_OUTITEM.c.kind, T_OUTITEM.c.item_key).where(
                    T_OUTITEM.c.bundle_id == bundle_id
                )
            ).all()
            delivered = (
                {
                    (str(k), str(key))
                    for k, key in self.c.execute(
                        select(T_DELIVERED.c.kind, T_DELIVERED.c.item_key).where(
                            T_DELIVERED.c.item_key.in_([i[1] for i in items])
                        )
                    )
                }
                if items
                else set()
            )
            new = [
                {"kind": k, "item_key": key, "bundle_id": bundle_id, "acked_at": now}
                for k, key in {(str(k), str(key)) for k, key in items}
                if (k, key) not in delivered
            ]
            if new:
                self.c.execute(insert(T_DELIVERED), new)
            self.stats.acks_applied += 1

    def _unknown_ack(self, bundle_id: str, sequence: int, applied_at: datetime) -> None:
        """An acknowledged bundle this database never wrote: the laptop was restored
        from a backup taken before it. Its number is recorded as used, so that the
        next bundle gets a number the coordinator has not seen."""
        if sequence < 1:
            return
        taken = self.c.execute(
            select(T_OUT.c.id).where(
                T_OUT.c.target == fmt.TARGET_COORDINATOR, T_OUT.c.sequence == sequence
            )
        ).first()
        if taken is not None:
            # Written again since the restore under that number: the coordinator refuses
            # it. What it carries is no longer counted as on its way, so that the next
            # bundle carries it, folder sync writing one even with nothing new.
            self.c.execute(delete(T_OUTITEM).where(T_OUTITEM.c.bundle_id == taken.id))
            return
        log.warning(
            "bundle %s (number %s) was acknowledged but is not in this database: "
            "restored from a backup? Its number is skipped from now on",
            bundle_id,
            sequence,
        )
        self.c.execute(
            insert(T_OUT),
            [
                {
                    "id": bundle_id,
                    "target": fmt.TARGET_COORDINATOR,
                    "sequence": sequence,
                    "covers_since": sequence,
                    "kind": fmt.KIND_FIELD,
                    "status": OutgoingStatus.ACKNOWLEDGED.value,
                    "created_at": applied_at,
                    "acked_at": utcnow(),
                    "summary": "written before this database was restored from a backup",
                }
            ],
        )
        self.stats.acks_applied += 1

    def _recipients(self, records: list[dict[str, Any]], where: str) -> None:
        if not self.coordinator_bundle:
            raise BundleRejected(f"{where}: only a coordinator bundle names recipients")
        if not self.newest:
            return
        wanted: dict[str, str] = {}
        for index, data in enumerate(records):
            rec = Record(data, where, {"recipient", "role"}, index)
            role = rec.req("role")
            if role not in {r.value for r in RecipientRole}:
                raise rec.fail("unknown recipient role")
            wanted[rec.req("recipient", max_len=128)] = role
        from app.bundle.keys import parse_recipient

        for recipient in wanted:
            try:
                parse_recipient(recipient)
            except Exception:
                raise BundleRejected(
                    f"{where}: {recipient[:20]!r} is not an age recipient"
                ) from None
        now = utcnow()
        have = {row.recipient: row for row in self.c.execute(select(T_RECIPIENT))}
        for recipient, role in wanted.items():
            if recipient not in have:
                self.c.execute(
                    insert(T_RECIPIENT),
                    [
                        {
                            "recipient": recipient,
                            "role": role,
                            "label": role,
                            "added_at": now,
                            "retired_at": None,
                        }
                    ],
                )
        if wanted:
            for recipient, row in have.items():
                if recipient not in wanted and row.retired_at is None:
                    self.c.execute(
                        update(T_RECIPIENT)
                        .where(T_RECIPIENT.c.recipient == recipient)
                        .values(retired_at=now)
                    )


def _links(rec: Record) -> dict[str, str]:
    """A coordinator bundle's revision record's `attachments`: file name → SHA-256."""
    found = rec.data.get("attachments", {})
    if not isinstance(found, dict) or not all(
        isinstance(name, str)
        and 0 < len(name) <= 255
        and isinstance(sha, str)
        and fmt.is_sha256(sha)
        for name, sha in found.items()
    ):
        raise rec.fail("'attachments' is invalid")
    return found


def _digest(row: dict[str, Any]) -> str:
    return hashlib.sha256(
        canonical_text({k: str(v) for k, v in row.items()}).encode("utf-8")
    ).hexdigest()
