"""Drafts, autosave, finalise, edits, history and conflicts."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.store import (
    EventIn,
    EventKind,
    RevisionStatus,
    SubmissionState,
    errors,
    open_store,
    repo_submissions,
)
from app.store.store import LocalStore
from tests.store.storetools import ADMIN, ADMIN_PASSWORD, doc


def test_autosave_then_reopen_restores_exact_state(store: LocalStore, home: Path) -> None:
    draft = store.start_submission(
        form_id="household", form_version="1", document=doc("uuid:1"), instance_id="uuid:1"
    )
    assert draft.rev_id and draft.parent_rev is None
    document = doc("uuid:1", name="Noy", members=[{"age": 31}, {"age": 4}], score=1.5, note="ບ້ານ")
    ui = {"page": 3, "repeat_positions": {"members": 1}, "focus": "members[1]/age"}
    ack = store.autosave(
        instance_id="uuid:1",
        document=document,
        ui_state=ui,
        events=[EventIn(EventKind.ANSWER_CHANGED, field="name", old_value=None, new_value="Noy")],
    )
    assert ack.rev_id == draft.rev_id
    path = store.path
    store.close()

    again = open_store(username=ADMIN, password=ADMIN_PASSWORD, path=path)
    try:
        restored = again.load_draft(instance_id="uuid:1")
        assert restored is not None
        assert restored.document == document
        assert restored.ui_state == ui
        assert restored.content_hash == ack.content_hash
        changes = again.events(instance_id="uuid:1", kind=EventKind.ANSWER_CHANGED)
        assert [(e.field, e.old_value, e.new_value, e.user_id) for e in changes] == [
            ("name", None, "Noy", again.user.id)
        ]
    finally:
        again.close()


def test_finalise_makes_revision_immutable_in_code_and_database(store: LocalStore) -> None:
    store.start_submission(
        form_id="household", form_version="1", document=doc("uuid:2"), instance_id="uuid:2"
    )
    final = store.finalise(instance_id="uuid:2", document=doc("uuid:2", a=1))
    assert final.status is RevisionStatus.FINALISED and final.finalised_at is not None
    with pytest.raises(errors.DraftStateError):
        store.autosave(instance_id="uuid:2", document=doc("uuid:2", a=2))
    # The database refuses it too, whatever code tries.
    with store.session(write=True) as session, pytest.raises(IntegrityError, match="finalised"):
        session.execute(
            text("UPDATE revision SET document = '{}' WHERE rev_id = :r"), {"r": final.rev_id}
        )
    with store.session(write=True) as session, pytest.raises(IntegrityError, match="finalised"):
        session.execute(text("DELETE FROM revision WHERE rev_id = :r"), {"r": final.rev_id})
    assert store.revision_document(rev_id=final.rev_id) == doc("uuid:2", a=1)


def test_edit_needs_reason_and_makes_child_revision(store: LocalStore) -> None:
    store.start_submission(
        form_id="household", form_version="1", document=doc("uuid:3", a=1), instance_id="uuid:3"
    )
    first = store.finalise(instance_id="uuid:3")
    with pytest.raises(errors.ReasonRequiredError):
        store.start_edit(instance_id="uuid:3", reason="  ")
    edit = store.start_edit(instance_id="uuid:3", reason="respondent corrected age")
    assert edit.parent_rev == first.rev_id and edit.document == doc("uuid:3", a=1)
    with pytest.raises(errors.DraftStateError):
        store.start_edit(instance_id="uuid:3", reason="second draft")
    assert store.list_submissions().rows[0].state is SubmissionState.EDITING
    store.autosave(instance_id="uuid:3", document=doc("uuid:3", a=2))
    second = store.finalise(instance_id="uuid:3")

    hist = store.history(instance_id="uuid:3")
    assert [(r.rev_id, r.parent_rev, r.reason) for r in hist] == [
        (first.rev_id, None, None),
        (second.rev_id, first.rev_id, "respondent corrected age"),
    ]
    assert store.revision_document(rev_id=first.rev_id) == doc("uuid:3", a=1)
    assert store.revision_document(rev_id=second.rev_id) == doc("uuid:3", a=2)
    row = store.list_submissions().rows[0]
    assert (row.state, row.head_rev_id, row.revision_count) == (
        SubmissionState.FINALISED,
        second.rev_id,
        2,
    )
    kinds = [e.kind for e in store.events(instance_id="uuid:3")]
    assert kinds == ["form_opened", "form_finalised", "form_edited", "form_finalised"]
    edited = store.events(instance_id="uuid:3", kind=EventKind.FORM_EDITED)[0]
    assert edited.reason == "respondent corrected age" and edited.user_id == store.user.id


def test_several_childless_revisions_are_a_conflict(store: LocalStore) -> None:
    store.start_submission(
        form_id="household", form_version="1", document=doc("uuid:4"), instance_id="uuid:4"
    )
    base = store.finalise(instance_id="uuid:4")
    # Two laptops edit the same finalised revision.
    for n in (1, 2):
        with store.session(write=True) as session:
            repo_submissions.start_edit(
                session=session,
                instance_id="uuid:4",
                parent_rev=base.rev_id,
                reason=f"laptop {n}",
                user_id=store.user.id,
                device_id=store.device_id,
            )
            repo_submissions.finalise(
                session=session,
                instance_id="uuid:4",
                document=doc("uuid:4", laptop=n),
                user_id=store.user.id,
                device_id=store.device_id,
            )
    conflicts = store.conflicts()
    assert [c.instance_id for c in conflicts] == ["uuid:4"]
    assert len(conflicts[0].head_rev_ids) == 2
    assert store.list_submissions(state=SubmissionState.CONFLICT).total == 1
    with pytest.raises(errors.ConflictError):
        store.start_edit(instance_id="uuid:4", reason="resolve")
    resolved = store.start_edit(
        instance_id="uuid:4", reason="resolve", parent_rev=conflicts[0].head_rev_ids[0]
    )
    assert resolved.parent_rev == conflicts[0].head_rev_ids[0]


def test_drafts_are_not_heads_and_no_conflict_for_single_line(store: LocalStore) -> None:
    store.start_submission(
        form_id="household", form_version="1", document=doc("uuid:5"), instance_id="uuid:5"
    )
    assert store.heads(instance_id="uuid:5") == []
    assert store.conflicts() == []
    with pytest.raises(errors.DraftStateError):
        store.start_edit(instance_id="uuid:5", reason="x")


def test_instance_id_is_unique_and_immutable(store: LocalStore) -> None:
    store.start_submission(
        form_id="household", form_version="1", document=doc("uuid:6"), instance_id="uuid:6"
    )
    with pytest.raises(errors.DuplicateError):
        store.start_submission(
            form_id="household", form_version="1", document=doc("uuid:6"), instance_id="uuid:6"
        )
    with store.session(write=True) as session, pytest.raises(IntegrityError, match="identity"):
        session.execute(text("UPDATE submission SET instance_id = 'uuid:other'"))


def test_unknown_form_version_and_submission(store: LocalStore) -> None:
    with pytest.raises(errors.NotFoundError):
        store.start_submission(form_id="household", form_version="9", document=doc("uuid:7"))
    with pytest.raises(errors.NotFoundError):
        store.autosave(instance_id="nope", document={})


def test_paradata_is_append_only(store: LocalStore) -> None:
    store.record_events(
        events=[
            EventIn(EventKind.QUESTION_ENTER, field="q1"),
            EventIn(EventKind.QUESTION_LEAVE, field="q1"),
        ]
    )
    with store.session(write=True) as session, pytest.raises(IntegrityError, match="append-only"):
        session.execute(text("UPDATE paradata_event SET field = 'x'"))
    with store.session(write=True) as session, pytest.raises(IntegrityError, match="append-only"):
        session.execute(text("DELETE FROM paradata_event"))
    kinds = [e.kind for e in store.events(kind=EventKind.QUESTION_ENTER)]
    assert kinds == ["question_enter"]


def test_every_event_is_attributed(store: LocalStore) -> None:
    store.start_submission(
        form_id="household", form_version="1", document=doc("uuid:8"), instance_id="uuid:8"
    )
    store.autosave(
        instance_id="uuid:8",
        document=doc("uuid:8", a=1),
        events=[EventIn(EventKind.ANSWER_CHANGED, field="a", new_value=1)],
    )
    store.finalise(instance_id="uuid:8")
    events = store.events()
    assert events and all(e.user_id == store.user.id for e in events)
    assert all(e.device_id == store.device_id for e in events)
    assert {h.author_id for h in store.history(instance_id="uuid:8")} == {store.user.id}


def test_list_submissions_pages_newest_first(store: LocalStore) -> None:
    for n in range(5):
        store.start_submission(
            form_id="household",
            form_version="1",
            document=doc(f"uuid:p{n}"),
            instance_id=f"uuid:p{n}",
        )
    store.finalise(instance_id="uuid:p1")
    page = store.list_submissions(limit=2)
    assert page.total == 5 and [r.instance_id for r in page.rows] == ["uuid:p1", "uuid:p4"]
    assert store.list_submissions(state=SubmissionState.DRAFT).total == 4
