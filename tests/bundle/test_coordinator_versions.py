"""The coordinator's own versions of a laptop's interviews (its corrections and conflict
decisions) travel to that laptop, so that the interviewer's next edit continues them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.bundle import export as export_module
from app.bundle.central import acting_store, add_account
from app.bundle.export import export_coordinator_bundle, export_field_bundle
from app.bundle.importer import ImportStatus, import_bundle
from app.bundle.merge import conflict_queue, resolve_conflict
from app.bundle.target import BundleTarget
from app.store import repo_submissions
from app.store.store import open_store
from app.store.tables import Role, SubmissionState
from tests.bundle.bundletools import (
    PASSWORD,
    Coordinator,
    Field,
    content_hash,
    corrected_here,
    deliver,
    make_field,
    send_back,
    synthetic_documents,
    with_text,
)
from tests.bundle.conftest import close_central, open_central


def _statement(field: Field, instance: str) -> str:
    (head,) = field.store.heads(instance_id=instance)
    document = field.store.revision_document(rev_id=head.rev_id)
    return str(document["data"]["statement_grp"]["statement"])


def _links(owner: Field | Coordinator, rev_id: str) -> dict[str, str]:
    with owner.store.session() as session:
        return repo_submissions.revision_attachments(session=session, rev_id=rev_id)


def test_a_conflict_decision_reaches_the_laptop_and_the_next_edit_continues_it(
    coordinator: Coordinator, tmp_path: Path
) -> None:
    """Before, the laptop never learnt the decision: the interviewer's next edit made a
    new conflict with it, to resolve again."""
    field = make_field(tmp_path, coordinator, "laptop-a")
    document = dict(synthetic_documents()[1])
    instance = field.interview(document)
    deliver(field, coordinator, tmp_path / "out")
    corrected_here(coordinator.store, instance, document, "coordinator's wording", "typo")
    field_rev = field.edit(instance, with_text(document, "interviewer's wording"))
    deliver(field, coordinator, tmp_path / "out")
    assert [c.instance_id for c in conflict_queue(coordinator.target)] == [instance]
    decision = resolve_conflict(
        coordinator.target, instance_id=instance, winner_rev_id=field_rev, reason="heard it"
    )

    send_back(field, coordinator, tmp_path / "back")
    assert [h.rev_id for h in field.store.heads(instance_id=instance)] == [decision]
    assert _statement(field, instance) == "interviewer's wording"
    assert field.store.list_submissions(state=SubmissionState.CONFLICT).total == 0

    # The interviewer's correction continues the decision: no new conflict.
    again = field.edit(instance, with_text(document, "interviewer's second wording"))
    assert field.store.history(instance_id=instance)[-1].parent_rev == decision
    deliver(field, coordinator, tmp_path / "out")
    assert conflict_queue(coordinator.target) == []
    assert [h.rev_id for h in coordinator.store.heads(instance_id=instance)] == [again]
    field.close()


def test_a_coordinators_correction_reaches_the_laptop_once(
    coordinator: Coordinator, tmp_path: Path
) -> None:
    field = make_field(tmp_path, coordinator, "laptop-b")
    document = dict(synthetic_documents()[2])
    instance = field.interview(document, attachment=b"OggS recording")
    other = field.interview(dict(synthetic_documents()[3]))
    deliver(field, coordinator, tmp_path / "out")
    correction = corrected_here(coordinator.store, instance, document, "corrected", "spelling")

    back = export_coordinator_bundle(
        coordinator.target, device_id=field.device_id, folder=tmp_path / "back"
    )
    assert back is not None and back.counts["revisions"] == 2  # the tree: original, correction
    result = import_bundle(field.target, back.path)
    assert result.status is ImportStatus.APPLIED, result.message
    assert "1 new revision(s), 1 already here" in result.message
    assert [h.rev_id for h in field.store.heads(instance_id=instance)] == [correction.rev_id]
    assert _statement(field, instance) == "corrected"
    # Its recording is linked as in the coordinator's version.
    assert _links(field, correction.rev_id) == _links(coordinator, correction.rev_id)
    assert _links(field, correction.rev_id) != {}
    assert [h.rev_id for h in field.store.heads(instance_id=other)] != []
    # Received, it is never sent back; and the same bundle again changes nothing.
    after = export_field_bundle(field.target, folder=tmp_path / "out")
    assert after is None or "revisions" not in after.counts
    assert import_bundle(field.target, back.path).status is ImportStatus.ALREADY
    field.close()


def test_a_laptop_put_back_from_an_old_backup_still_gets_its_cases(
    coordinator: Coordinator, tmp_path: Path
) -> None:
    """A laptop restored from a backup taken before an interview with a recording lacks
    that recording: the coordinator's version of the interview cannot be placed there.
    It is left out, and the rest of the bundle applies (it was refused as a whole)."""
    field = make_field(tmp_path, coordinator, "laptop-r")
    deliver(field, coordinator, tmp_path / "out")
    backup = field.store.backup(dest=tmp_path / "before.db").path
    document = dict(synthetic_documents()[4])
    instance = field.interview(document, attachment=b"OggS interview audio")
    deliver(field, coordinator, tmp_path / "out")
    corrected_here(coordinator.store, instance, document, "corrected", "spelling")

    path, form = field.store.path, field.form
    field.close()
    shutil.copyfile(backup, path)
    store = open_store(username="enum-laptop-r", password=PASSWORD, path=path)
    restored = Field(store, BundleTarget.from_store(store), form)
    try:
        back = export_coordinator_bundle(
            coordinator.target, device_id=restored.device_id, folder=tmp_path / "back"
        )
        assert back is not None
        result = import_bundle(restored.target, back.path)
        assert result.status is ImportStatus.APPLIED, result.message
        assert "the coordinator's versions of 1 interview(s) left out" in result.message
        assert restored.store.heads(instance_id=instance) == []
    finally:
        restored.close()


def test_bad_links_in_a_coordinator_bundle_refuse_it_and_change_nothing(
    coordinator: Coordinator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    field = make_field(tmp_path, coordinator, "laptop-x")
    document = dict(synthetic_documents()[5])
    instance = field.interview(document)
    deliver(field, coordinator, tmp_path / "out")
    corrected_here(coordinator.store, instance, document, "corrected", "spelling")
    real = export_module._coordinator_versions

    def with_bad_links(*args: object) -> tuple[object, ...]:
        submissions, revisions, users = real(*args)  # type: ignore[arg-type]
        revisions[-1]["attachments"] = {"../audio.ogg": "not a digest"}
        return submissions, revisions, users

    monkeypatch.setattr(export_module, "_coordinator_versions", with_bad_links)
    back = export_coordinator_bundle(
        coordinator.target, device_id=field.device_id, folder=tmp_path / "back"
    )
    assert back is not None
    before = content_hash(field.target)
    result = import_bundle(field.target, back.path)
    assert result.status is ImportStatus.REJECTED
    assert "'attachments' is invalid" in result.message
    assert content_hash(field.target) == before
    field.close()


def test_a_central_stores_correction_reaches_the_laptop(pg_url: str, tmp_path: Path) -> None:
    """The same on PostgreSQL: the coordinator corrects an interview on the central store
    (through the local store's API, acting as its account)."""
    central = open_central("postgresql", tmp_path, pg_url)
    add_account(central.target, username="khamla", role=Role.COORDINATOR)
    target = BundleTarget.open_url(pg_url, username="khamla")
    store = acting_store(target)
    field = make_field(tmp_path, central, "laptop-p")  # type: ignore[arg-type]
    try:
        document = dict(synthetic_documents()[6])
        instance = field.interview(document)
        bundle = export_field_bundle(field.target, folder=tmp_path / "out")
        assert bundle is not None
        assert import_bundle(target, bundle.path, identities=[central.identity]).ok
        correction = corrected_here(store, instance, document, "corrected", "spelling")
        back = export_coordinator_bundle(target, device_id=field.device_id, folder=tmp_path / "b")
        assert back is not None and import_bundle(field.target, back.path).ok
        assert [h.rev_id for h in field.store.heads(instance_id=instance)] == [correction.rev_id]
        assert _statement(field, instance) == "corrected"
    finally:
        field.close()
        target.close()
        close_central(central)
