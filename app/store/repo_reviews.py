"""Review decisions (approve, or return to the interviewer with a comment) and imported bundles."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.store import errors
from app.store.canonical import canonical_text
from app.store.repo_paradata import EventIn, EventKind, record_events
from app.store.tables import (
    BundleStatus,
    ImportedBundle,
    ReviewDecision,
    ReviewOutcome,
    Revision,
    RevisionStatus,
    Submission,
)
from app.store.types import utcnow


def add_review_decision(
    *,
    session: Session,
    rev_id: str,
    reviewer_id: str,
    decision: ReviewOutcome,
    comment: str = "",
    device_id: str | None = None,
) -> ReviewDecision:
    """Record a decision on a finalised revision (rejections need a comment)."""
    rev = session.get(Revision, rev_id)
    if rev is None or rev.status != RevisionStatus.FINALISED.value:
        raise errors.NotFoundError("Only finalised revisions can be reviewed.")
    decision = ReviewOutcome(decision)
    if decision is ReviewOutcome.REJECTED and not comment.strip():
        raise errors.ReasonRequiredError("A rejection needs a comment.")
    row = ReviewDecision(
        id=str(uuid.uuid4()),
        rev_id=rev_id,
        reviewer_id=reviewer_id,
        device_id=device_id,
        decision=decision.value,
        comment=comment,
        decided_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def record_review(
    *,
    session: Session,
    rev_id: str,
    reviewer_id: str,
    decision: ReviewOutcome,
    comment: str = "",
    device_id: str | None = None,
) -> ReviewDecision:
    """A decision with its paradata event (who decided what, on which revision)."""
    row = add_review_decision(
        session=session,
        rev_id=rev_id,
        reviewer_id=reviewer_id,
        decision=decision,
        comment=comment.strip(),
        device_id=device_id,
    )
    revision = session.get(Revision, rev_id)
    record_events(
        session=session,
        user_id=reviewer_id,
        device_id=device_id,
        instance_id=revision.instance_id if revision else None,
        rev_id=rev_id,
        events=[
            EventIn(
                EventKind.REVIEW_DECIDED,
                reason=row.comment or None,
                detail={"rev_id": rev_id, "decision": row.decision},
            )
        ],
    )
    return row


@dataclass(frozen=True)
class ReviewInfo:
    """A review decision, with the submission of the revision it is about."""

    id: str
    instance_id: str
    rev_id: str
    decision: ReviewOutcome
    comment: str
    reviewer_id: str
    decided_at: datetime

    @classmethod
    def of(cls, row: ReviewDecision, instance_id: str) -> ReviewInfo:
        return cls(
            id=row.id,
            instance_id=instance_id,
            rev_id=row.rev_id,
            decision=ReviewOutcome(row.decision),
            comment=row.comment,
            reviewer_id=row.reviewer_id,
            decided_at=row.decided_at,
        )


def _infos(session: Session, query: object) -> list[ReviewInfo]:
    rows = session.exec(query)  # type: ignore[call-overload]
    return [ReviewInfo.of(row, instance_id) for row, instance_id in rows]


def decisions_on_heads(*, session: Session) -> dict[str, ReviewInfo]:
    """The latest decision on each submission's current head, by instance id.

    A decision on an older revision no longer counts: the interviewer has
    made a new version since (after a return, the correction).
    """
    query = (
        select(ReviewDecision, Submission.instance_id)
        .join(Submission, col(Submission.head_rev_id) == col(ReviewDecision.rev_id))
        .order_by(col(ReviewDecision.decided_at), col(ReviewDecision.id))
    )
    return {info.instance_id: info for info in _infos(session, query)}


def decisions_on_instance(*, session: Session, instance_id: str) -> list[ReviewInfo]:
    """Every decision on any revision of one submission, oldest first."""
    query = (
        select(ReviewDecision, Revision.instance_id)
        .join(Revision, col(Revision.rev_id) == col(ReviewDecision.rev_id))
        .where(Revision.instance_id == instance_id)
        .order_by(col(ReviewDecision.decided_at), col(ReviewDecision.id))
    )
    return _infos(session, query)


def list_review_decisions(*, session: Session, rev_id: str) -> list[ReviewDecision]:
    """Decisions on a revision, oldest first."""
    return list(
        session.exec(
            select(ReviewDecision)
            .where(ReviewDecision.rev_id == rev_id)
            .order_by(col(ReviewDecision.decided_at), col(ReviewDecision.id))
        )
    )


def find_imported_bundle(*, session: Session, sha256: str) -> ImportedBundle | None:
    """The record of a bundle already seen (import is a no-op the second time)."""
    return session.exec(select(ImportedBundle).where(ImportedBundle.sha256 == sha256)).first()


def record_imported_bundle(
    *,
    session: Session,
    bundle_id: str,
    sha256: str,
    status: BundleStatus,
    imported_by: str | None,
    source_device_id: str | None = None,
    reason: str | None = None,
    summary: dict[str, object] | None = None,
) -> ImportedBundle:
    """Remember a bundle file as applied or quarantined."""
    row = ImportedBundle(
        id=bundle_id,
        sha256=sha256,
        source_device_id=source_device_id,
        imported_at=utcnow(),
        imported_by=imported_by,
        status=BundleStatus(status).value,
        reason=reason,
        summary=canonical_text(summary) if summary is not None else None,
    )
    session.add(row)
    session.flush()
    return row
