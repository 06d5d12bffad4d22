"""Review: a coordinator approves an interview, or returns it to its interviewer with a comment.

Decisions are made on the coordinator's database, on the submission's
current version, and travel back to the laptops that took part in the
interview in the next coordinator bundle (`app.bundle.export`), with the
coordinator's own versions of it (a correction, a conflict decision). There
the returned interviews are listed with the comment (`review_feedback`); the
interviewer's correction is a new version, which the decision no longer
covers, so the interview leaves the list by itself and goes back to the
coordinator for another look.

Field bundles do not carry decisions: a decision made on a field laptop
would never reach anyone, so reviewing is refused there.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from app.bundle.errors import BundleError
from app.bundle.target import BundleTarget, is_coordinator_database
from app.store import errors, repo_reviews, repo_submissions
from app.store.repo_reviews import ReviewInfo
from app.store.tables import ReviewOutcome, Revision, SubmissionState
from app.store.users import REVIEWER_ROLES


def _reviewer(target: BundleTarget) -> bool:
    # A central store's access is its server's; on a laptop, the user's role decides.
    return target.store is None or target.store.user.role in REVIEWER_ROLES


def may_review(target: BundleTarget) -> bool:
    """True for a supervisor or coordinator on a coordinator's database (decisions reach people)."""
    return _reviewer(target) and is_coordinator_database(target)


@dataclass(frozen=True)
class Review:
    info: ReviewInfo  # the decision now on the current version
    repeated: bool  # it was already the latest one there: nothing was stored


def review_submission(
    target: BundleTarget, *, instance_id: str, decision: ReviewOutcome, comment: str = ""
) -> ReviewInfo:
    """Approve or return the current version of a finalised interview (a return needs a comment)."""
    return review_once(target, instance_id=instance_id, decision=decision, comment=comment).info


def review_once(
    target: BundleTarget, *, instance_id: str, decision: ReviewOutcome, comment: str = ""
) -> Review:
    """`review_submission`, storing nothing when the same decision (and comment) is already
    the latest on the current version: a second row would only repeat it to the laptops."""
    if not _reviewer(target):
        raise errors.PermissionDeniedError(
            "Only a supervisor or coordinator can review interviews."
        )
    if target.user_id is None:
        raise BundleError("Reviewing needs a logged-in user.")
    if not is_coordinator_database(target):
        raise BundleError(
            "Interviews are reviewed on the coordinator's database: "
            "decisions made on a field laptop would reach nobody."
        )
    with target.session(write=True) as session:
        submission = repo_submissions.get_submission(session=session, instance_id=instance_id)
        state = SubmissionState(submission.state)
        if state is SubmissionState.CONFLICT:
            raise errors.ConflictError(
                f"{instance_id} has conflicting versions: resolve the conflict first."
            )
        if state is SubmissionState.EDITING:
            raise errors.DraftStateError(
                f"{instance_id} is being edited: finalise or discard the edit first."
            )
        if state is not SubmissionState.FINALISED or submission.head_rev_id is None:
            raise errors.DraftStateError(f"{instance_id} has not been finalised yet.")
        if decision is ReviewOutcome.REJECTED and not from_a_laptop(
            session, instance_id, target.device_id
        ):
            # A return travels to the laptops that took part in the interview; none did.
            raise BundleError(
                f"{instance_id} was made on this computer only, so no interviewer's laptop "
                "has it to correct: correct it here, or approve it"
            )
        decided = repo_reviews.list_review_decisions(session=session, rev_id=submission.head_rev_id)
        latest = decided[-1] if decided else None
        if latest and (latest.decision, latest.comment) == (decision.value, comment.strip()):
            return Review(ReviewInfo.of(latest, instance_id), repeated=True)
        row = repo_reviews.record_review(
            session=session,
            rev_id=submission.head_rev_id,
            reviewer_id=target.user_id,
            decision=decision,
            comment=comment,
            device_id=target.device_id,
        )
        return Review(ReviewInfo.of(row, instance_id), repeated=False)


def review_feedback(target: BundleTarget, *, rejected_only: bool = True) -> list[ReviewInfo]:
    """The latest decision on each submission's current version, by instance id.

    A field laptop shows the returned ones to the interviewer: editing one
    makes a new version, which goes back to the coordinator.
    """
    with target.session() as session:
        latest = repo_reviews.decisions_on_heads(session=session)
    return [
        info
        for _instance, info in sorted(latest.items())
        if not rejected_only or info.decision is ReviewOutcome.REJECTED
    ]


def from_a_laptop(session: Session, instance_id: str, here: str) -> bool:
    """Whether a laptop took part in the interview (made one of its versions): a return
    reaches it, with the coordinator's own versions of it (`app.bundle.export`)."""
    return (
        session.execute(
            select(col(Revision.rev_id)).where(
                col(Revision.instance_id) == instance_id, col(Revision.device_id) != here
            )
        ).first()
        is not None
    )
