"""Review: the coordinator returns an interview with a comment; it reaches the interviewer, who corrects it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.bundle.errors import BundleError
from app.bundle.reviews import may_review, review_feedback, review_submission
from app.bundle.target import BundleTarget
from app.store import errors
from app.store.store import open_store
from app.store.tables import ReviewOutcome, Role
from tests.bundle.bundletools import (
    PASSWORD,
    Coordinator,
    add_form,
    content_hash,
    corrected_here,
    deliver,
    make_field,
    send_back,
    synthetic_documents,
    with_text,
)


def test_a_returned_interview_reaches_its_interviewer_and_leaves_the_list_once_corrected(
    coordinator: Coordinator, tmp_path: Path
) -> None:
    field = make_field(tmp_path, coordinator, "laptop-r")
    documents = synthetic_documents()
    returned = field.interview(dict(documents[0]))
    approved = field.interview(dict(documents[1]))
    deliver(field, coordinator, tmp_path / "out")

    decision = review_submission(
        coordinator.target,
        instance_id=returned,
        decision=ReviewOutcome.REJECTED,
        comment="  The staff count is missing.  ",
    )
    assert decision.comment == "The staff count is missing."  # kept without the stray spaces
    review_submission(coordinator.target, instance_id=approved, decision=ReviewOutcome.APPROVED)
    assert [(f.instance_id, f.decision) for f in review_feedback(coordinator.target)] == [
        (returned, ReviewOutcome.REJECTED)
    ]
    # The decision is in the coordinator's paradata, on the interview it is about.
    events = coordinator.store.events(instance_id=returned, kind="review_decided")
    assert [e.reason for e in events] == ["The staff count is missing."]

    send_back(field, coordinator, tmp_path / "back")
    feedback = review_feedback(field.target)
    assert [(f.instance_id, f.comment) for f in feedback] == [
        (returned, "The staff count is missing.")
    ]
    every = {f.instance_id: f.decision for f in review_feedback(field.target, rejected_only=False)}
    assert every == {returned: ReviewOutcome.REJECTED, approved: ReviewOutcome.APPROVED}

    # The correction is a new version: no longer returned, on either side once it arrives.
    field.edit(returned, with_text(dict(documents[0]), "staff count: 12"), reason="as asked")
    assert review_feedback(field.target) == []
    deliver(field, coordinator, tmp_path / "out")
    assert review_feedback(coordinator.target) == []
    assert returned not in {
        f.instance_id for f in review_feedback(coordinator.target, rejected_only=False)
    }
    field.close()


def test_reviews_are_refused_with_a_reason_and_change_nothing(
    coordinator: Coordinator, tmp_path: Path
) -> None:
    field = make_field(tmp_path, coordinator, "laptop-s")
    documents = synthetic_documents()
    done = field.interview(dict(documents[0]))
    in_edit = field.interview(dict(documents[1]))
    deliver(field, coordinator, tmp_path / "out")
    coordinator.store.start_edit(instance_id=in_edit, reason="typo")
    before = content_hash(coordinator.target)

    with pytest.raises(errors.ReasonRequiredError, match="needs a comment"):
        review_submission(
            coordinator.target, instance_id=done, decision=ReviewOutcome.REJECTED, comment="   "
        )
    with pytest.raises(errors.DraftStateError, match="is being edited"):
        review_submission(coordinator.target, instance_id=in_edit, decision=ReviewOutcome.APPROVED)
    with pytest.raises(errors.NotFoundError, match="No such submission"):
        review_submission(coordinator.target, instance_id="nope", decision=ReviewOutcome.APPROVED)
    with pytest.raises(BundleError, match="coordinator's database"):
        review_submission(field.target, instance_id=done, decision=ReviewOutcome.APPROVED)
    assert not may_review(field.target)

    coordinator.store.add_user(username="enum2", password=PASSWORD, role=Role.ENUMERATOR)
    with open_store(username="enum2", password=PASSWORD, path=coordinator.store.path) as store:
        enumerator = BundleTarget.from_store(store)
        assert not may_review(enumerator)
        with pytest.raises(errors.PermissionDeniedError, match="supervisor or coordinator"):
            review_submission(enumerator, instance_id=done, decision=ReviewOutcome.APPROVED)
    assert content_hash(coordinator.target) == before
    assert may_review(coordinator.target)
    field.close()


def test_a_coordinators_correction_is_returned_to_the_laptop_it_came_from(
    coordinator: Coordinator, tmp_path: Path
) -> None:
    """The coordinator corrects an interview itself, then returns it: the correction and
    the return reach the interviewer's laptop together, and the interviewer's next version
    continues the correction."""
    field = make_field(tmp_path, coordinator, "laptop-c")
    document = dict(synthetic_documents()[0])
    instance = field.interview(document)
    deliver(field, coordinator, tmp_path / "out")
    draft = coordinator.store.start_edit(instance_id=instance, reason="typo in the name")
    coordinator.store.autosave(instance_id=instance, document=draft.document)
    correction = coordinator.store.finalise(instance_id=instance)
    review_submission(
        coordinator.target,
        instance_id=instance,
        decision=ReviewOutcome.REJECTED,
        comment="please re-check the name",
    )
    send_back(field, coordinator, tmp_path / "back")
    feedback = review_feedback(field.target)
    assert [(f.instance_id, f.rev_id, f.comment) for f in feedback] == [
        (instance, correction.rev_id, "please re-check the name")
    ]
    again = field.edit(instance, with_text(document, "re-checked"))
    deliver(field, coordinator, tmp_path / "out")
    assert [h.rev_id for h in coordinator.store.heads(instance_id=instance)] == [again]
    assert review_feedback(coordinator.target) == []  # the new version is not returned
    field.close()


def test_an_interview_made_on_the_coordinators_computer_is_not_returned_to_nobody(
    coordinator: Coordinator, tmp_path: Path
) -> None:
    """No laptop took part in it: the return would reach nobody while the command said it
    had been sent."""
    form_id, version = add_form(coordinator.store)
    document = dict(synthetic_documents()[1])
    instance = str(document["instance_id"])
    coordinator.store.start_submission(
        form_id=form_id, form_version=version, document=document, instance_id=instance
    )
    coordinator.store.finalise(instance_id=instance)
    before = content_hash(coordinator.target)
    with pytest.raises(BundleError, match="was made on this computer only"):
        review_submission(
            coordinator.target,
            instance_id=instance,
            decision=ReviewOutcome.REJECTED,
            comment="please re-check",
        )
    assert content_hash(coordinator.target) == before
    approved = review_submission(
        coordinator.target, instance_id=instance, decision=ReviewOutcome.APPROVED
    )
    assert approved.decision is ReviewOutcome.APPROVED


def test_a_conflict_is_resolved_before_it_is_reviewed(
    coordinator: Coordinator, tmp_path: Path
) -> None:
    field = make_field(tmp_path, coordinator, "laptop-t")
    document = dict(synthetic_documents()[2])
    instance = field.interview(document)
    deliver(field, coordinator, tmp_path / "out")
    corrected_here(coordinator.store, instance, document, "theirs", "typo")
    field.edit(instance, with_text(document, "mine"))
    deliver(field, coordinator, tmp_path / "out")
    with pytest.raises(errors.ConflictError, match="resolve the conflict first"):
        review_submission(coordinator.target, instance_id=instance, decision=ReviewOutcome.APPROVED)
    field.close()
