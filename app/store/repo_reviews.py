"""Review decisions and imported bundles (tables used by later features)."""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from app.store import errors
from app.store.canonical import canonical_text
from app.store.tables import (
    BundleStatus,
    ImportedBundle,
    ReviewDecision,
    ReviewOutcome,
    Revision,
    RevisionStatus,
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
