"""Form versions: stored once, immutable as soon as a submission uses them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.store import errors
from app.store.canonical import sha256_hex
from app.store.tables import FormVersion, Submission
from app.store.types import utcnow


@dataclass(frozen=True)
class FormVersionInfo:
    """A form version without its (possibly large) source and compiled blobs."""

    form_id: str
    version: str
    title: str
    content_hash: str
    source_name: str
    study_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: FormVersion) -> FormVersionInfo:
        return cls(
            form_id=row.form_id,
            version=row.version,
            title=row.title,
            content_hash=row.content_hash,
            source_name=row.source_name,
            study_id=row.study_id,
            created_at=row.created_at,
        )


def add_form_version(
    *,
    session: Session,
    form_id: str,
    version: str,
    title: str,
    source: bytes,
    source_name: str = "",
    compiled: bytes | None = None,
    study_id: str | None = None,
    created_by: str | None = None,
) -> FormVersionInfo:
    """Store a new form version (a new version of a form is always a new row).

    Adding the same (form_id, version) again with identical source bytes is a
    no-op; with different bytes it is refused (`ImmutableError`): publish the
    change under a new version.
    """
    if not form_id or not version:
        raise errors.StoreError("A form version needs a form id and a version.")
    digest = sha256_hex(source)
    existing = session.get(FormVersion, (form_id, version))
    if existing is not None:
        if existing.content_hash == digest:
            return FormVersionInfo.of(existing)
        raise errors.ImmutableError(
            f"Form {form_id!r} version {version!r} already exists with different content; "
            "give the changed form a new version."
        )
    row = FormVersion(
        form_id=form_id,
        version=version,
        title=title,
        content_hash=digest,
        source_name=source_name,
        source=source,
        compiled=compiled,
        study_id=study_id,
        created_at=utcnow(),
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    return FormVersionInfo.of(row)


def get_form_version(*, session: Session, form_id: str, version: str) -> FormVersion:
    """The full row (with source and compiled blobs); `NotFoundError` if absent."""
    row = session.get(FormVersion, (form_id, version))
    if row is None:
        raise errors.NotFoundError(f"Form {form_id!r} version {version!r} is not in the database.")
    return row


def list_form_versions(*, session: Session, form_id: str | None = None) -> list[FormVersionInfo]:
    """Form versions by form id then creation time (blobs not loaded)."""
    t = FormVersion.__table__.c  # type: ignore[attr-defined]
    query = sa_select(
        t.form_id, t.version, t.title, t.content_hash, t.source_name, t.study_id, t.created_at
    ).order_by(t.form_id, t.created_at)
    if form_id is not None:
        query = query.where(t.form_id == form_id)
    return [FormVersionInfo(*row) for row in session.execute(query)]


def form_version_in_use(*, session: Session, form_id: str, version: str) -> bool:
    """True if any submission uses this form version."""
    return bool(
        session.exec(
            select(
                exists().where(
                    col(Submission.form_id) == form_id, col(Submission.form_version) == version
                )
            )
        ).one()
    )


def update_form_version(
    *,
    session: Session,
    form_id: str,
    version: str,
    title: str | None = None,
    compiled: bytes | None = None,
) -> FormVersionInfo:
    """Change title or compiled model of a form version nobody has used yet."""
    row = get_form_version(session=session, form_id=form_id, version=version)
    if form_version_in_use(session=session, form_id=form_id, version=version):
        raise errors.ImmutableError(
            f"Form {form_id!r} version {version!r} has submissions and can no longer change."
        )
    if title is not None:
        row.title = title
    if compiled is not None:
        row.compiled = compiled
    session.add(row)
    session.flush()
    return FormVersionInfo.of(row)


def delete_form_version(*, session: Session, form_id: str, version: str) -> None:
    """Delete a form version nobody has used; `ImmutableError` if it has submissions."""
    row = get_form_version(session=session, form_id=form_id, version=version)
    if form_version_in_use(session=session, form_id=form_id, version=version):
        raise errors.ImmutableError(
            f"Form {form_id!r} version {version!r} has submissions and can never be deleted."
        )
    session.delete(row)
    session.flush()
