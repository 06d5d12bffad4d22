"""A submission's story for the History dialog, and a coordinator's review of it.

The History dialog lists the versions of a submission and the review
decisions on them, with people's names; a supervisor or coordinator on the
coordinator's database approves the current version or returns it to the
interviewer with a comment (`app.bundle.reviews`, which also says why only
there). Everything here runs on a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.bundle.reviews import may_review, review_submission
from app.bundle.target import BundleTarget
from app.store import LocalStore, SubmissionState, repo_submissions
from app.store.repo_reviews import ReviewInfo
from app.store.repo_submissions import RevisionInfo
from app.store.tables import ReviewOutcome


@dataclass(frozen=True)
class SubmissionStory:
    """Versions, review decisions and what this user may decide."""

    revisions: list[RevisionInfo]
    decisions: list[ReviewInfo]
    users: dict[str, str]  # user id → name shown
    state: SubmissionState
    head_rev_id: str | None  # the current version (several heads: a conflict)
    reviewable: bool  # this user may approve or return the current version now
    returnable: bool = False  # ... and return it: a laptop took part (not this computer only)

    @property
    def current(self) -> ReviewInfo | None:
        """The decision on the current version, if any (the latest one counts)."""
        on_head = [d for d in self.decisions if d.rev_id == self.head_rev_id]
        return on_head[-1] if on_head else None


def load_story(store: LocalStore, instance_id: str) -> SubmissionStory:
    users = {u.id: (u.display_name or u.username) for u in store.list_users()}
    revisions = store.history(instance_id=instance_id)
    with store.session() as session:
        submission = repo_submissions.get_submission(session=session, instance_id=instance_id)
        state, head = SubmissionState(submission.state), submission.head_rev_id
    target = BundleTarget.from_store(store)
    reviewable = state is SubmissionState.FINALISED and may_review(target)
    from_laptop = any(r.device_id != target.device_id for r in revisions)
    return SubmissionStory(
        revisions=revisions,
        decisions=store.reviews(instance_id=instance_id),
        users=users,
        state=state,
        head_rev_id=head,
        reviewable=reviewable,
        returnable=reviewable and from_laptop,
    )


def review(store: LocalStore, instance_id: str, *, approve: bool, comment: str = "") -> ReviewInfo:
    """Approve the current version, or return it to its interviewer with `comment`."""
    return review_submission(
        BundleTarget.from_store(store),
        instance_id=instance_id,
        decision=ReviewOutcome.APPROVED if approve else ReviewOutcome.REJECTED,
        comment=comment,
    )
