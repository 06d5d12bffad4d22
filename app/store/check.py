"""`samluat db check`: integrity, counts per table and a canonical content hash.

The content hash covers every submission and every revision (drafts too),
using only machine-independent values (ids, form ids, users, devices, UTC
times, statuses, reasons, content hashes; no row numbers), fed to SHA-256 as
one canonical JSON line per record in a fixed order. The same data gives the
same hash on any machine, whatever order it was inserted in.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select
from sqlmodel import SQLModel

from app.store.canonical import canonical_json
from app.store.db import Database
from app.store.tables import Revision, Submission
from app.store.types import iso

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


def content_hash(connection: Connection) -> str:
    """Canonical SHA-256 of all submissions and revisions (streamed, constant memory)."""
    digest = hashlib.sha256()
    s = Submission.__table__.c  # type: ignore[attr-defined]
    r = Revision.__table__.c  # type: ignore[attr-defined]
    digest.update(b"samluat-content-v1\n")
    for row in connection.execute(
        select(
            s.instance_id,
            s.form_id,
            s.form_version,
            s.assignment_id,
            s.created_at,
            s.created_by,
            s.device_id,
        ).order_by(_order(connection, s.instance_id))
    ):
        record = {
            "type": "submission",
            "instance_id": row.instance_id,
            "form_id": row.form_id,
            "form_version": row.form_version,
            "assignment_id": row.assignment_id,
            "created_at": iso(row.created_at),
            "created_by": row.created_by,
            "device_id": row.device_id,
        }
        digest.update(canonical_json(record) + b"\n")
    for rev in connection.execute(
        select(
            r.rev_id,
            r.instance_id,
            r.parent_rev,
            r.status,
            r.author_id,
            r.device_id,
            r.created_at,
            r.finalised_at,
            r.reason,
            r.content_hash,
        ).order_by(_order(connection, r.instance_id), _order(connection, r.rev_id))
    ):
        record = {
            "type": "revision",
            "rev_id": rev.rev_id,
            "instance_id": rev.instance_id,
            "parent_rev": rev.parent_rev,
            "status": rev.status,
            "author_id": rev.author_id,
            "device_id": rev.device_id,
            "created_at": iso(rev.created_at),
            "finalised_at": iso(rev.finalised_at),
            "reason": rev.reason,
            "content_hash": rev.content_hash,
        }
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
