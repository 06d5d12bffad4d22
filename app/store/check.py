"""`samluat db check`: integrity, counts per table and a canonical content hash.

The content hash is the proof that two databases hold the same data: a
coordinator compares it after importing bundles in any order, after putting
a backup back, and between a store file and a PostgreSQL central store. It
is SHA-256 over the prefix ``samluat-content-v2`` and one canonical JSON line
per record (its `type`, then the columns below; times as UTC ISO 8601), table
after table in the order below, each table's rows in the byte-wise order of
the keys given (the same on SQLite and PostgreSQL). Only machine-independent
values are used: ids and uuids, names, statuses, hashes, comments and the UTC
times the data carries; never a row number. A database of an older schema
(before its upgrade) hashes like its upgraded self: a table it does not have
yet counts as empty, as the upgrade creates it.

Covered (table: columns, ordered by):

* ``study``: id, code, title, description, created_at; by id.
* ``form_version``: form_id, version, content_hash (the SHA-256 of the form's
  source); by form_id, version.
* ``assignment`` (the cases): every column; by id. Copies merge by the latest
  updated_at, then content, whatever the order they arrive in.
* ``submission``: instance_id, form_id, form_version, assignment_id,
  created_at, created_by, device_id; by instance_id.
* ``revision`` (drafts too): rev_id, instance_id, parent_rev, status,
  author_id, device_id, created_at, finalised_at, reason, content_hash (the
  SHA-256 of the document); by instance_id, rev_id.
* ``revision_merge`` (the other parents of a conflict resolution): rev_id,
  parent_rev; by rev_id, parent_rev.
* ``attachment``: sha256, size; by sha256.
* ``revision_attachment`` (which file each version's answer uses): rev_id,
  name, sha256; by rev_id, name.
* ``review_decision``: every column (id, rev_id, reviewer_id, device_id,
  decision, comment, decided_at); by id.
* ``duplicate_decision`` (the coordinator's verdicts on likely duplicates):
  every column (id, key_hash, instance_ids, decision, comment, decided_by,
  decided_at); by id.
* ``paradata_event``: uid, at, kind, user_id, device_id, instance_id, rev_id,
  field, old_value, new_value, reason, detail; by uid. Except events of the
  kinds in `MACHINE_EVENT_KINDS` (logins and logouts, account changes, forms
  put on the machine, backups: what one machine did, not what happened in an
  interview; a backup's own event is written after the copy was taken, and
  opening a copy logs a login), and events recorded on a coordinator's
  database (device role ``coordinator``): coordinator bundles carry no
  paradata, so a laptop that receives a decision or a coordinator's version
  never has them, and what they record is covered by the rows of
  ``review_decision``, ``revision`` and ``revision_merge``. Importing a bundle
  records no event: the importer only adds the laptops' own, by uid.

Left out, and why:

* Derived values, rebuilt from what is covered: a submission's summary
  (state, head_rev_id, revision_count, last_saved_at) and ``submission_key``
  (business keys for finding duplicates: computed by this machine's study
  rule in forms/study.toml, and refreshed only for the submissions a bundle
  touches, so an assignment change could show or not depending on order).
* Values where the first copy to arrive wins, so they depend on import order:
  a revision's saved_at (copies are compared without it), a form version's
  title, source_name, study_id and created_at, an attachment's media_type;
  and values set by the machine that stored the row: a form version's
  created_by (empty when it came in a bundle), an attachment's created_at.
  The form's source and a revision's document are covered through their
  content hashes.
* This machine's own setup and activity: ``device`` (the local device,
  keys, registration times, local names), ``app_user`` (accounts and
  passwords of this machine; accounts from laptops get local user names;
  user ids are covered where the data names them), ``device_user``,
  ``device_secret``, ``bundle_recipient``, revisions' ``ui_state``.
* Bundle bookkeeping: ``imported_bundle`` (when this store imported what;
  refusals and quarantine), ``outgoing_bundle``, ``outgoing_item``,
  ``delivered_item`` (sync memory).
* Storage: ``attachment_blob`` and ``attachment_chunk`` (the bytes are named
  by the attachment's SHA-256), paradata row numbers.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, Table, func, inspect, or_, select
from sqlmodel import SQLModel

from app.store.canonical import canonical_json
from app.store.db import Database
from app.store.repo_paradata import EventKind
from app.store.tables import DeviceRole
from app.store.types import UTCDateTime, iso

CONTENT_PREFIX = b"samluat-content-v2\n"

# Paradata of what one machine did (sessions, accounts, forms put on it, backups),
# left out of the content hash (see the module docstring).
MACHINE_EVENT_KINDS = frozenset(
    kind.value
    for kind in (
        EventKind.LOGIN,
        EventKind.LOGOUT,
        EventKind.PASSWORD_CHANGED,
        EventKind.USER_CREATED,
        EventKind.USER_UPDATED,
        EventKind.FORM_VERSION_ADDED,
        EventKind.BACKUP_MADE,
    )
)

# The integrity line of a PostgreSQL central store (see `check_connection`).
SERVER_KEPT = "kept by the PostgreSQL server"


@dataclass(frozen=True)
class CheckReport:
    """The result of `check_database`."""

    path: str
    encrypted: bool
    schema_revision: str | None
    integrity: list[str]
    foreign_key_problems: int
    counts: dict[str, int]
    content_hash: str
    pragmas: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.integrity in (["ok"], [SERVER_KEPT]) and self.foreign_key_problems == 0


def _order(connection: Connection, column: ColumnElement[Any]) -> ColumnElement[Any]:
    # A byte-wise order everywhere: SQLite's default BINARY collation, and
    # PostgreSQL's "C" collation (its default would follow the server locale).
    if connection.dialect.name == "postgresql":
        return column.collate("C")
    return column


@dataclass(frozen=True)
class _Part:
    """One table's share of the content hash: its `type`, columns and sort keys."""

    type: str
    table: str
    columns: tuple[str, ...]
    order: tuple[str, ...]
    narrow: Callable[[Select[Any], Table, _Schema], Select[Any]] | None = None


@dataclass(frozen=True)
class _Schema:
    """What the database has: one of an older schema lacks the newer tables and columns."""

    tables: frozenset[str]
    device_roles: bool

    @classmethod
    def of(cls, connection: Connection) -> _Schema:
        inspector = inspect(connection)
        tables = frozenset(inspector.get_table_names())
        roles = "device" in tables and any(
            column["name"] == "role" for column in inspector.get_columns("device")
        )
        return cls(tables, roles)


def _interview_paradata(statement: Select[Any], events: Table, schema: _Schema) -> Select[Any]:
    # Neither what one machine did nor what a coordinator recorded (module docstring).
    statement = statement.where(events.c.kind.not_in(sorted(MACHINE_EVENT_KINDS)))
    if not schema.device_roles:
        return statement  # before schema 0003 there were no coordinators' databases
    devices = SQLModel.metadata.tables["device"]
    return statement.select_from(
        events.outerjoin(devices, devices.c.id == events.c.device_id)
    ).where(or_(devices.c.role.is_(None), devices.c.role != DeviceRole.COORDINATOR.value))


_PARTS: tuple[_Part, ...] = (
    _Part("study", "study", ("id", "code", "title", "description", "created_at"), ("id",)),
    _Part(
        "form_version",
        "form_version",
        ("form_id", "version", "content_hash"),
        ("form_id", "version"),
    ),
    _Part(
        "assignment",
        "assignment",
        (
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
        ),
        ("id",),
    ),
    _Part(
        "submission",
        "submission",
        (
            "instance_id",
            "form_id",
            "form_version",
            "assignment_id",
            "created_at",
            "created_by",
            "device_id",
        ),
        ("instance_id",),
    ),
    _Part(
        "revision",
        "revision",
        (
            "rev_id",
            "instance_id",
            "parent_rev",
            "status",
            "author_id",
            "device_id",
            "created_at",
            "finalised_at",
            "reason",
            "content_hash",
        ),
        ("instance_id", "rev_id"),
    ),
    _Part("revision_merge", "revision_merge", ("rev_id", "parent_rev"), ("rev_id", "parent_rev")),
    _Part("attachment", "attachment", ("sha256", "size"), ("sha256",)),
    _Part(
        "revision_attachment",
        "revision_attachment",
        ("rev_id", "name", "sha256"),
        ("rev_id", "name"),
    ),
    _Part(
        "review_decision",
        "review_decision",
        ("id", "rev_id", "reviewer_id", "device_id", "decision", "comment", "decided_at"),
        ("id",),
    ),
    _Part(
        "duplicate_decision",
        "duplicate_decision",
        ("id", "key_hash", "instance_ids", "decision", "comment", "decided_by", "decided_at"),
        ("id",),
    ),
    _Part(
        "paradata_event",
        "paradata_event",
        (
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
        ),
        ("uid",),
        _interview_paradata,
    ),
)

# Rows fetched at a time: a server-side cursor on PostgreSQL, so memory stays constant.
_BATCH = 1000


def content_hash(connection: Connection) -> str:
    """Canonical SHA-256 of the study's data (see the module docstring; streamed, constant
    memory). The same value on SQLite and PostgreSQL for the same data."""
    digest = hashlib.sha256(CONTENT_PREFIX)
    schema = _Schema.of(connection)
    for part in _PARTS:
        if part.table not in schema.tables:
            continue  # an older schema's database: the table comes empty with the upgrade
        table = SQLModel.metadata.tables[part.table]
        columns = [table.c[name] for name in part.columns]
        times = {c.name for c in columns if isinstance(c.type, UTCDateTime)}
        statement = select(*columns)
        if part.narrow is not None:
            statement = part.narrow(statement, table, schema)
        statement = statement.order_by(*(_order(connection, table.c[k]) for k in part.order))
        rows = connection.execute(statement.execution_options(yield_per=_BATCH))
        for row in rows:
            record: dict[str, Any] = {"type": part.type}
            for name, value in zip(part.columns, row, strict=True):
                record[name] = iso(value) if name in times else value
            digest.update(canonical_json(record) + b"\n")
    return digest.hexdigest()


def table_counts(connection: Connection) -> dict[str, int]:
    """Rows per table of the store schema."""
    counts: dict[str, int] = {}
    for name, table in sorted(SQLModel.metadata.tables.items()):
        counts[name] = int(connection.execute(select(func.count()).select_from(table)).scalar_one())
    return counts


def check_database(*, db: Database, full: bool = True) -> CheckReport:
    """Run SQLite's integrity (or quick) check and the foreign-key check, count, hash."""
    from app.store.db import connection_pragmas

    with db.engine.connect() as connection, connection.begin():
        report = check_connection(connection, where=str(db.path), encrypted=db.encrypted, full=full)
        raw = connection.connection.dbapi_connection
        return dataclasses.replace(report, pragmas=connection_pragmas(raw))


def check_connection(
    connection: Connection, *, where: str, encrypted: bool, full: bool = True
) -> CheckReport:
    """The check on an open connection, SQLite or PostgreSQL.

    A PostgreSQL server keeps its pages and foreign keys consistent itself and
    offers no page check to an ordinary login: its integrity line says so, and
    the report is ok when the tables can be read and counted.
    """
    from app.store.migrate import current_revision

    if connection.dialect.name == "sqlite":
        pragma = "integrity_check" if full else "quick_check"
        integrity = [str(r[0]) for r in connection.exec_driver_sql(f"PRAGMA {pragma}")]
        fk = len(connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall())
    else:
        integrity, fk = [SERVER_KEPT], 0
    return CheckReport(
        path=where,
        encrypted=encrypted,
        schema_revision=current_revision(connection),
        integrity=integrity,
        foreign_key_problems=fk,
        counts=table_counts(connection),
        content_hash=content_hash(connection),
    )
