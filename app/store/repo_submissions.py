"""Submissions and their revisions: drafts, autosave, finalise, edits, history, conflicts.

The life of a submission:

1. `create_submission` stores the first *draft* revision.
2. `save_draft` (autosave) overwrites the open draft's document and UI state
   in place, with the paradata events of the change, in one transaction.
3. `finalise` freezes the draft: from then on the database refuses any
   change to that revision.
4. `start_edit` opens a new draft whose `parent_rev` is a finalised revision,
   with a required reason; saving and finalising it works as above.

History is the tree of revisions, never rewritten. Finalised revisions with
no finalised child are the *heads*; more than one head (two laptops edited
the same finalised submission) is a conflict (`list_conflicts`).

Documents are opaque JSON objects from the form engine, stored as canonical
JSON with their SHA-256 (`app.store.canonical`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Exists, and_, bindparam, exists, func, insert, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.store import errors
from app.store.canonical import canonical_text, sha256_hex
from app.store.repo_forms import get_form_version
from app.store.repo_paradata import EventIn, record_events
from app.store.tables import (
    Revision,
    RevisionAttachment,
    RevisionMerge,
    RevisionStatus,
    Submission,
    SubmissionState,
)
from app.store.types import utcnow


@dataclass(frozen=True)
class RevisionInfo:
    """A revision's metadata (its document is loaded separately)."""

    rev_id: str
    instance_id: str
    parent_rev: str | None
    status: RevisionStatus
    author_id: str
    device_id: str
    created_at: datetime
    saved_at: datetime
    finalised_at: datetime | None
    reason: str | None
    content_hash: str

    @classmethod
    def of(cls, row: Revision) -> RevisionInfo:
        return cls(
            rev_id=row.rev_id,
            instance_id=row.instance_id,
            parent_rev=row.parent_rev,
            status=RevisionStatus(row.status),
            author_id=row.author_id,
            device_id=row.device_id,
            created_at=row.created_at,
            saved_at=row.saved_at,
            finalised_at=row.finalised_at,
            reason=row.reason,
            content_hash=row.content_hash,
        )


@dataclass(frozen=True)
class DraftState:
    """Everything needed to reopen a draft exactly where it was left."""

    instance_id: str
    rev_id: str
    parent_rev: str | None
    form_id: str
    form_version: str
    document: dict[str, Any]
    ui_state: dict[str, Any] | None
    content_hash: str
    saved_at: datetime
    reason: str | None


@dataclass(frozen=True)
class SaveAck:
    """Returned once a save is durable (committed with synchronous=FULL)."""

    instance_id: str
    rev_id: str
    content_hash: str
    saved_at: datetime


@dataclass(frozen=True)
class Conflict:
    """A submission with several finalised heads."""

    instance_id: str
    head_rev_ids: tuple[str, ...]


@dataclass(frozen=True)
class SubmissionRow:
    """One line of the cases/submissions list."""

    instance_id: str
    form_id: str
    form_version: str
    assignment_id: str | None
    state: SubmissionState
    head_rev_id: str | None
    last_saved_at: datetime | None
    revision_count: int
    created_by: str


@dataclass(frozen=True)
class SubmissionPage:
    total: int
    rows: list[SubmissionRow]


def _encode_document(document: Mapping[str, Any]) -> tuple[str, str]:
    if not isinstance(document, Mapping):
        raise TypeError("a submission document must be a JSON object")
    text = canonical_text(dict(document))
    return text, sha256_hex(text.encode("utf-8"))


def _encode_ui_state(ui_state: Mapping[str, Any] | None) -> str | None:
    return None if ui_state is None else canonical_text(dict(ui_state))


def _check_instance_id(instance_id: str) -> None:
    if not instance_id or len(instance_id) > 128:
        raise errors.StoreError("An instance id must be 1 to 128 characters.")


def new_rev_id() -> str:
    """A new random revision id."""
    return str(uuid.uuid4())


def get_submission(*, session: Session, instance_id: str) -> Submission:
    """The submission row; `NotFoundError` if absent."""
    row = session.get(Submission, instance_id)
    if row is None:
        raise errors.NotFoundError("No such submission.")
    return row


def create_submission(
    *,
    session: Session,
    instance_id: str,
    form_id: str,
    form_version: str,
    document: Mapping[str, Any],
    user_id: str,
    device_id: str,
    ui_state: Mapping[str, Any] | None = None,
    assignment_id: str | None = None,
    events: Iterable[EventIn] = (),
    now: datetime | None = None,
    rev_id: str | None = None,
) -> DraftState:
    """Create a submission and its first draft revision (`rev_id` defaults to a new UUID)."""
    _check_instance_id(instance_id)
    get_form_version(session=session, form_id=form_id, version=form_version)
    if session.get(Submission, instance_id) is not None:
        raise errors.DuplicateError("A submission with this instance id already exists.")
    now = now or utcnow()
    text, digest = _encode_document(document)
    rev_id = rev_id or new_rev_id()
    session.add(
        Submission(
            instance_id=instance_id,
            form_id=form_id,
            form_version=form_version,
            assignment_id=assignment_id,
            created_at=now,
            created_by=user_id,
            device_id=device_id,
            state=SubmissionState.DRAFT.value,
            head_rev_id=None,
            last_saved_at=now,
            revision_count=1,
        )
    )
    session.flush()
    session.add(
        Revision(
            rev_id=rev_id,
            instance_id=instance_id,
            parent_rev=None,
            status=RevisionStatus.DRAFT.value,
            author_id=user_id,
            device_id=device_id,
            created_at=now,
            saved_at=now,
            content_hash=digest,
            document=text,
            ui_state=_encode_ui_state(ui_state),
        )
    )
    session.flush()
    record_events(
        session=session,
        events=events,
        user_id=user_id,
        device_id=device_id,
        instance_id=instance_id,
        rev_id=rev_id,
    )
    return DraftState(
        instance_id=instance_id,
        rev_id=rev_id,
        parent_rev=None,
        form_id=form_id,
        form_version=form_version,
        document=json.loads(text),
        ui_state=dict(ui_state) if ui_state is not None else None,
        content_hash=digest,
        saved_at=now,
        reason=None,
    )


def save_draft(
    *,
    session: Session,
    instance_id: str,
    document: Mapping[str, Any],
    user_id: str,
    device_id: str,
    ui_state: Mapping[str, Any] | None = None,
    events: Iterable[EventIn] = (),
    attachments: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> SaveAck:
    """Autosave: replace the open draft's document and UI state, append `events`.

    Cheap enough for every answer (two UPDATEs and the event INSERTs; no ORM
    loading). `attachments`, if given, replaces the draft's attachment links
    (name → SHA-256 of a stored attachment). `DraftStateError` if the
    submission has no open draft.
    """
    now = now or utcnow()
    text, digest = _encode_document(document)
    # Core statements on the session's connection: no ORM bookkeeping on the hot path.
    connection = session.connection()
    rev_ids = (
        connection.execute(
            _SAVE_DRAFT,
            {
                "b_instance": instance_id,
                "b_document": text,
                "b_hash": digest,
                "b_ui_state": _encode_ui_state(ui_state),
                "b_saved_at": now,
            },
        )
        .scalars()
        .all()
    )
    if not rev_ids:
        if session.get(Submission, instance_id) is None:
            raise errors.NotFoundError("No such submission.")
        raise errors.DraftStateError(
            "This submission has no open draft: it is finalised. Start an edit to change it."
        )
    rev_id = rev_ids[0]
    connection.execute(_TOUCH_SUBMISSION, {"b_instance": instance_id, "b_saved_at": now})
    if attachments is not None:
        _replace_attachment_links(session=session, rev_id=rev_id, attachments=attachments)
    record_events(
        session=session,
        events=events,
        user_id=user_id,
        device_id=device_id,
        instance_id=instance_id,
        rev_id=rev_id,
    )
    return SaveAck(instance_id=instance_id, rev_id=rev_id, content_hash=digest, saved_at=now)


def _replace_attachment_links(
    *, session: Session, rev_id: str, attachments: Mapping[str, str]
) -> None:
    from sqlalchemy import delete

    session.execute(delete(RevisionAttachment).where(col(RevisionAttachment.rev_id) == rev_id))
    if attachments:
        session.execute(
            insert(RevisionAttachment),
            [
                {"rev_id": rev_id, "name": name, "sha256": sha}
                for name, sha in sorted(attachments.items())
            ],
        )


_REVISION = Revision.__table__  # type: ignore[attr-defined]
_SUBMISSION = Submission.__table__  # type: ignore[attr-defined]
_SAVE_DRAFT = (
    _REVISION.update()
    .where(
        _REVISION.c.instance_id == bindparam("b_instance"),
        _REVISION.c.status == RevisionStatus.DRAFT.value,
    )
    .values(
        document=bindparam("b_document"),
        content_hash=bindparam("b_hash"),
        ui_state=bindparam("b_ui_state"),
        saved_at=bindparam("b_saved_at"),
    )
    .returning(_REVISION.c.rev_id)
)
_TOUCH_SUBMISSION = (
    _SUBMISSION.update()
    .where(_SUBMISSION.c.instance_id == bindparam("b_instance"))
    .values(last_saved_at=bindparam("b_saved_at"))
)


def get_draft(*, session: Session, instance_id: str) -> DraftState | None:
    """The open draft of a submission, exactly as last saved; None if there is none."""
    row = session.exec(
        select(Revision, Submission.form_id, Submission.form_version)
        .join(Submission, col(Submission.instance_id) == col(Revision.instance_id))
        .where(
            Revision.instance_id == instance_id,
            Revision.status == RevisionStatus.DRAFT.value,
        )
    ).first()
    if row is None:
        return None
    rev, form_id, form_version = row
    return DraftState(
        instance_id=rev.instance_id,
        rev_id=rev.rev_id,
        parent_rev=rev.parent_rev,
        form_id=form_id,
        form_version=form_version,
        document=json.loads(rev.document),
        ui_state=json.loads(rev.ui_state) if rev.ui_state is not None else None,
        content_hash=rev.content_hash,
        saved_at=rev.saved_at,
        reason=rev.reason,
    )


def get_revision(*, session: Session, rev_id: str) -> RevisionInfo:
    """A revision's metadata; `NotFoundError` if absent."""
    row = session.get(Revision, rev_id)
    if row is None:
        raise errors.NotFoundError("No such revision.")
    return RevisionInfo.of(row)


def get_revision_document(*, session: Session, rev_id: str) -> dict[str, Any]:
    """A revision's document, verified against its content hash."""
    row = session.get(Revision, rev_id)
    if row is None:
        raise errors.NotFoundError("No such revision.")
    if sha256_hex(row.document.encode("utf-8")) != row.content_hash:
        raise errors.DatabaseCorruptError("A stored revision does not match its content hash.")
    document: dict[str, Any] = json.loads(row.document)
    return document


def revision_attachments(*, session: Session, rev_id: str) -> dict[str, str]:
    """name → SHA-256 of the attachments a revision uses."""
    rows = session.exec(
        select(RevisionAttachment.name, RevisionAttachment.sha256).where(
            RevisionAttachment.rev_id == rev_id
        )
    )
    return dict(rows.all())


def finalise(
    *,
    session: Session,
    instance_id: str,
    user_id: str,
    device_id: str,
    document: Mapping[str, Any] | None = None,
    events: Iterable[EventIn] = (),
    now: datetime | None = None,
) -> RevisionInfo:
    """Freeze the open draft as an immutable finalised revision.

    If `document` is given it is saved first (same transaction).
    """
    now = now or utcnow()
    draft = session.exec(
        select(Revision).where(
            Revision.instance_id == instance_id, Revision.status == RevisionStatus.DRAFT.value
        )
    ).first()
    if draft is None:
        get_submission(session=session, instance_id=instance_id)
        raise errors.DraftStateError("There is no open draft to finalise.")
    if document is not None:
        draft.document, draft.content_hash = _encode_document(document)
    draft.status = RevisionStatus.FINALISED.value
    draft.finalised_at = now
    draft.saved_at = now
    session.add(draft)
    session.flush()
    record_events(
        session=session,
        events=events,
        user_id=user_id,
        device_id=device_id,
        instance_id=instance_id,
        rev_id=draft.rev_id,
    )
    refresh_summary(session=session, instance_id=instance_id)
    return RevisionInfo.of(draft)


def edit_parent(*, session: Session, instance_id: str, parent_rev: str | None = None) -> Revision:
    """The finalised revision an edit of `instance_id` starts from, if it may start now:
    no draft open, and `parent_rev` given when there are several heads (a conflict)."""
    if get_draft(session=session, instance_id=instance_id) is not None:
        raise errors.DraftStateError("This submission already has an open draft.")
    if parent_rev is None:
        heads = list_heads(session=session, instance_id=instance_id)
        if not heads:
            raise errors.DraftStateError("This submission has never been finalised.")
        if len(heads) > 1:
            raise errors.ConflictError(
                "This submission has conflicting versions; choose which one to edit."
            )
        parent_rev = heads[0].rev_id
    parent = session.get(Revision, parent_rev)
    if (
        parent is None
        or parent.instance_id != instance_id
        or parent.status != RevisionStatus.FINALISED.value
    ):
        raise errors.NotFoundError("The revision to edit is not a finalised revision of it.")
    return parent


def start_edit(
    *,
    session: Session,
    instance_id: str,
    reason: str,
    user_id: str,
    device_id: str,
    parent_rev: str | None = None,
    events: Iterable[EventIn] = (),
    now: datetime | None = None,
    rev_id: str | None = None,
) -> DraftState:
    """Open a draft that edits a finalised revision; the reason is required.

    `parent_rev` defaults to the single head; with several heads (a
    conflict) the caller must name the one it edits (`ConflictError`).
    """
    reason = (reason or "").strip()
    if not reason:
        raise errors.ReasonRequiredError("Editing a finalised submission needs a reason.")
    submission = get_submission(session=session, instance_id=instance_id)
    parent = edit_parent(session=session, instance_id=instance_id, parent_rev=parent_rev)
    now = now or utcnow()
    rev_id = rev_id or new_rev_id()
    session.add(
        Revision(
            rev_id=rev_id,
            instance_id=instance_id,
            parent_rev=parent.rev_id,
            status=RevisionStatus.DRAFT.value,
            author_id=user_id,
            device_id=device_id,
            created_at=now,
            saved_at=now,
            reason=reason,
            content_hash=parent.content_hash,
            document=parent.document,
            ui_state=None,
        )
    )
    session.flush()
    links = revision_attachments(session=session, rev_id=parent.rev_id)
    if links:
        _replace_attachment_links(session=session, rev_id=rev_id, attachments=links)
    record_events(
        session=session,
        events=events,
        user_id=user_id,
        device_id=device_id,
        instance_id=instance_id,
        rev_id=rev_id,
    )
    refresh_summary(session=session, instance_id=instance_id)
    return DraftState(
        instance_id=instance_id,
        rev_id=rev_id,
        parent_rev=parent.rev_id,
        form_id=submission.form_id,
        form_version=submission.form_version,
        document=json.loads(parent.document),
        ui_state=None,
        content_hash=parent.content_hash,
        saved_at=now,
        reason=reason,
    )


def _merged_into_another() -> Exists:
    # A conflict resolution (a finalised revision) lists the heads it closes
    # in `revision_merge`; those are no longer heads.
    return exists().where(col(RevisionMerge.parent_rev) == col(Revision.rev_id))


def list_heads(*, session: Session, instance_id: str) -> list[RevisionInfo]:
    """Finalised revisions with no finalised child (nor closed by a merge), newest first.

    The first one is the provisional winner when there are several (the same
    rule on every machine: latest `finalised_at`, then smallest `rev_id`).
    """
    child = aliased(Revision)
    rows = session.exec(
        select(Revision)
        .where(
            Revision.instance_id == instance_id,
            Revision.status == RevisionStatus.FINALISED.value,
            ~exists().where(
                and_(
                    col(child.parent_rev) == col(Revision.rev_id),
                    col(child.status) == RevisionStatus.FINALISED.value,
                )
            ),
            ~_merged_into_another(),
        )
        .order_by(col(Revision.finalised_at).desc(), col(Revision.rev_id))
    )
    return [RevisionInfo.of(r) for r in rows]


def history(*, session: Session, instance_id: str) -> list[RevisionInfo]:
    """Every revision of a submission, oldest first (drafts included)."""
    get_submission(session=session, instance_id=instance_id)
    rows = session.exec(
        select(Revision)
        .where(Revision.instance_id == instance_id)
        .order_by(col(Revision.created_at), col(Revision.rev_id))
    )
    return [RevisionInfo.of(r) for r in rows]


def list_conflicts(*, session: Session) -> list[Conflict]:
    """Submissions with several childless finalised revisions, by instance id."""
    child = aliased(Revision)
    rows = session.exec(
        select(Revision.instance_id, Revision.rev_id)
        .where(
            Revision.status == RevisionStatus.FINALISED.value,
            ~exists().where(
                and_(
                    col(child.parent_rev) == col(Revision.rev_id),
                    col(child.status) == RevisionStatus.FINALISED.value,
                )
            ),
            ~_merged_into_another(),
        )
        .order_by(col(Revision.instance_id), col(Revision.rev_id))
    ).all()
    heads: dict[str, list[str]] = {}
    for instance_id, rev_id in rows:
        heads.setdefault(instance_id, []).append(rev_id)
    return [Conflict(k, tuple(v)) for k, v in heads.items() if len(v) > 1]


def refresh_summary(*, session: Session, instance_id: str) -> None:
    """Recompute the submission's summary columns from its revisions."""
    heads = list_heads(session=session, instance_id=instance_id)
    has_draft = session.exec(
        select(
            exists().where(
                col(Revision.instance_id) == instance_id,
                col(Revision.status) == RevisionStatus.DRAFT.value,
            )
        )
    ).one()
    count, last = session.exec(
        select(func.count(), func.max(Revision.saved_at)).where(Revision.instance_id == instance_id)
    ).one()
    state = summary_state(len(heads), bool(has_draft))
    session.execute(
        update(Submission)
        .where(col(Submission.instance_id) == instance_id)
        .values(
            state=state.value,
            head_rev_id=heads[0].rev_id if heads else None,
            revision_count=count,
            last_saved_at=last,
        )
    )


def list_submissions(
    *,
    session: Session,
    state: SubmissionState | None = None,
    form_id: str | None = None,
    assignment_id: str | None = None,
    created_by: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> SubmissionPage:
    """One page of submissions, most recently saved first, with the total count."""
    conditions = []
    if state is not None:
        conditions.append(col(Submission.state) == SubmissionState(state).value)
    if form_id is not None:
        conditions.append(col(Submission.form_id) == form_id)
    if assignment_id is not None:
        conditions.append(col(Submission.assignment_id) == assignment_id)
    if created_by is not None:
        conditions.append(col(Submission.created_by) == created_by)
    total = session.exec(select(func.count()).select_from(Submission).where(*conditions)).one()
    rows = session.exec(
        select(Submission)
        .where(*conditions)
        .order_by(col(Submission.last_saved_at).desc(), col(Submission.instance_id))
        .limit(limit)
        .offset(offset)
    )
    return SubmissionPage(
        total=int(total),
        rows=[
            SubmissionRow(
                instance_id=r.instance_id,
                form_id=r.form_id,
                form_version=r.form_version,
                assignment_id=r.assignment_id,
                state=SubmissionState(r.state),
                head_rev_id=r.head_rev_id,
                last_saved_at=r.last_saved_at,
                revision_count=r.revision_count,
                created_by=r.created_by,
            )
            for r in rows
        ],
    )


def summary_state(heads: int, has_draft: bool) -> SubmissionState:
    """A submission's state from its number of finalised heads and whether a draft is open."""
    if heads > 1:
        return SubmissionState.CONFLICT
    if not heads:
        return SubmissionState.DRAFT
    return SubmissionState.EDITING if has_draft else SubmissionState.FINALISED
