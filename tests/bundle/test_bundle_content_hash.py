"""The content hash of `samluat db check` covers the study's data and the decisions about it:
review decisions, cases, conflict resolutions and their merge links, duplicate verdicts,
recordings and the answers using them, the laptops' paradata; and it stays the same where
the data is the same (a backup copy, a laptop that got the decisions, any import order)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.bundle.central import acting_store, add_account
from app.bundle.export import export_coordinator_bundle
from app.bundle.importer import ImportStatus, import_bundle
from app.bundle.merge import decide_duplicates, likely_duplicates, resolve_conflict
from app.bundle.reviews import review_submission
from app.bundle.target import BundleTarget
from app.core import paths
from app.fieldwork.assigning import import_assignments
from app.fieldwork.library import FormLibrary, register_study_forms
from app.store.check import content_hash as store_hash
from app.store.db import connect_raw, make_engine
from app.store.repo_paradata import EventIn, EventKind
from app.store.store import LocalStore, create_store, open_store
from app.store.tables import ReviewOutcome, Role
from app.study.config import load_study
from tests.bundle.bundletools import (
    FAST_KDF,
    PASSWORD,
    Coordinator,
    Field,
    MergeQueues,
    as_user,
    content_hash,
    deliver,
    fill_merge_queues,
    make_field,
    send_back,
    synthetic_documents,
)
from tests.bundle.conftest import Central, Run

RETURNED = "ask the respondent's post"


def _hash_line(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("content hash: "))


def _file_hash(path: Path) -> str:
    engine = make_engine(path, None, pooled=False)
    try:
        with engine.connect() as connection, connection.begin():
            return store_hash(connection)
    finally:
        engine.dispose()


def test_a_review_decision_changes_the_hash_until_it_reaches_the_laptop(
    coordinator: Coordinator, field: Field, tmp_path: Path
) -> None:
    first, second = (field.interview(dict(d)) for d in synthetic_documents(count=2))
    deliver(field, coordinator, tmp_path / "out")
    before = content_hash(coordinator.target)
    assert content_hash(field.target) == before  # the same interviews and paradata

    review_submission(
        coordinator.target, instance_id=second, decision=ReviewOutcome.REJECTED, comment=RETURNED
    )
    returned = content_hash(coordinator.target)
    assert returned != before
    review_submission(coordinator.target, instance_id=first, decision=ReviewOutcome.APPROVED)
    assert content_hash(coordinator.target) not in (before, returned)

    # The decisions travel to the laptop (the coordinator's paradata about them do not).
    send_back(field, coordinator, tmp_path / "back")
    assert content_hash(field.target) == content_hash(coordinator.target)


def test_imported_cases_change_the_hash(coordinator: Coordinator, tmp_path: Path) -> None:
    store = coordinator.store
    register_study_forms(store, paths.default_forms_dir())
    store.add_user(username="noy", password=PASSWORD, role=Role.ENUMERATOR)
    study = load_study(paths.default_forms_dir() / "study.toml")
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "form,institution,respondent,interviewer,province,cluster,notes\n"
        "dg_survey,mtc,Director of IT,noy,vt,,first visit\n",
        encoding="utf-8",
    )
    before = content_hash(coordinator.target)
    result = import_assignments(store, FormLibrary(store), study, cases)
    assert (result.added, result.already) == (1, 0)
    assigned = content_hash(coordinator.target)
    assert assigned != before
    # The same file again adds nothing, and the hash says so.
    result = import_assignments(store, FormLibrary(store), study, cases)
    assert (result.added, result.already) == (0, 1)
    assert content_hash(coordinator.target) == assigned


@pytest.fixture
def queues(tmp_path: Path) -> Iterator[tuple[LocalStore, BundleTarget, MergeQueues]]:
    """A coordinator's database with one conflict and one group of likely duplicates."""
    store = create_store(
        username="coord",
        password=PASSWORD,
        path=tmp_path / "study.db",
        encrypted=False,
        kdf=FAST_KDF,
    )
    made = fill_merge_queues(store, tmp_path)
    yield store, BundleTarget.from_store(store), made
    made.close()
    store.close()


def test_resolving_a_conflict_changes_the_hash_and_its_merge_links_count(
    queues: tuple[LocalStore, BundleTarget, MergeQueues], tmp_path: Path
) -> None:
    store, target, made = queues
    before = content_hash(target)
    resolve_conflict(
        target,
        instance_id=made.conflict_instance,
        winner_rev_id=made.laptop_version,
        reason="the laptop's wording",
    )
    resolved = content_hash(target)
    assert resolved != before
    # A copy that lost which versions the resolution closed does not pass for the same data.
    copy = store.backup(dest=tmp_path / "copy.db")
    assert copy.content_hash == resolved
    raw = connect_raw(copy.path, None)
    raw.execute("DROP TRIGGER trg_revision_merge_no_delete")
    assert raw.execute("DELETE FROM revision_merge").rowcount == 1
    raw.close()
    assert _file_hash(copy.path) != resolved


def test_judging_likely_duplicates_changes_the_hash(
    queues: tuple[LocalStore, BundleTarget, MergeQueues],
) -> None:
    _store, target, _made = queues
    [group] = likely_duplicates(target)
    before = content_hash(target)
    decide_duplicates(target, group=group, duplicate=True, comment="the same visit")
    confirmed = content_hash(target)
    assert confirmed != before
    decide_duplicates(target, group=group, duplicate=False, comment="two copies")
    assert content_hash(target) not in (before, confirmed)


def test_paradata_change_the_hash_on_the_laptop_and_when_they_arrive(
    coordinator: Coordinator, field: Field, tmp_path: Path
) -> None:
    instance = field.interview(dict(synthetic_documents()[0]))
    deliver(field, coordinator, tmp_path / "out")
    laptop_before, coordinator_before = content_hash(field.target), content_hash(coordinator.target)
    assert laptop_before == coordinator_before

    field.store.record_events(
        events=[EventIn(EventKind.QUESTION_ENTER, field="statement")], instance_id=instance
    )
    assert content_hash(field.target) != laptop_before
    deliver(field, coordinator, tmp_path / "out")  # a bundle of paradata alone
    assert content_hash(coordinator.target) != coordinator_before
    assert content_hash(coordinator.target) == content_hash(field.target)


def test_the_recording_an_answer_uses_is_covered(field: Field) -> None:
    import io

    document = dict(synthetic_documents()[0])
    instance = str(document["instance_id"])
    field.store.start_submission(
        form_id=field.form[0], form_version=field.form[1], document=document, instance_id=instance
    )
    one = field.store.add_attachment(stream=io.BytesIO(b"OggS one"), media_type="audio/ogg")
    other = field.store.add_attachment(stream=io.BytesIO(b"OggS other"), media_type="audio/ogg")
    field.store.autosave(
        instance_id=instance, document=document, attachments={"audio.ogg": one.sha256}
    )
    first = content_hash(field.target)
    # The same answers, another recording: the document (and its hash) is unchanged.
    field.store.autosave(
        instance_id=instance, document=document, attachments={"audio.ogg": other.sha256}
    )
    assert content_hash(field.target) != first
    field.store.autosave(
        instance_id=instance, document=document, attachments={"audio.ogg": one.sha256}
    )
    assert content_hash(field.target) == first


def test_a_laptop_gets_the_coordinators_bundles_in_either_order(
    coordinator: Coordinator, field: Field, tmp_path: Path
) -> None:
    first, second = (field.interview(dict(d)) for d in synthetic_documents(count=2))
    deliver(field, coordinator, tmp_path / "out")
    review_submission(coordinator.target, instance_id=first, decision=ReviewOutcome.APPROVED)
    back = tmp_path / "back"
    one = export_coordinator_bundle(coordinator.target, device_id=field.device_id, folder=back)
    coordinator.store.create_assignments(
        [
            {
                "form_id": field.form[0],
                "form_version": field.form[1],
                "institution": "mtc",
                "respondent": "Director of IT",
                "assigned_to": field.store.user.id,
            }
        ]
    )
    review_submission(
        coordinator.target, instance_id=second, decision=ReviewOutcome.REJECTED, comment=RETURNED
    )
    two = export_coordinator_bundle(coordinator.target, device_id=field.device_id, folder=back)
    assert one is not None and two is not None
    saved = field.store.backup(dest=tmp_path / "laptop-copy.db").path
    with open_store(
        username=field.store.user.username, password=PASSWORD, path=saved
    ) as copy_store:
        copy = BundleTarget.from_store(copy_store)
        assert content_hash(copy) == content_hash(field.target)

        assert import_bundle(field.target, one.path).status is ImportStatus.APPLIED
        after_one = content_hash(field.target)
        assert import_bundle(field.target, two.path).status is ImportStatus.APPLIED
        in_order = content_hash(field.target)
        assert in_order != after_one  # a case and a return, nothing else

        assert import_bundle(copy, two.path).status is ImportStatus.APPLIED
        assert import_bundle(copy, one.path).status is ImportStatus.APPLIED
        assert content_hash(copy) == in_order
    assert in_order == content_hash(coordinator.target)


def test_a_store_and_its_backup_agree_until_the_next_decision(
    coordinator: Coordinator, field: Field, tmp_path: Path, run: Run
) -> None:
    first, second = (field.interview(dict(d)) for d in synthetic_documents(count=2))
    deliver(field, coordinator, tmp_path / "out")
    review_submission(
        coordinator.target, instance_id=first, decision=ReviewOutcome.REJECTED, comment=RETURNED
    )
    coordinator.store.close()  # the commands below open it themselves

    dest = tmp_path / "backup" / "samluat.db"
    code, out = run(["db", "backup", str(dest), *as_user(coordinator)])
    assert code == 0, out
    code, original = run(["db", "check", *as_user(coordinator)])
    assert code == 0, original
    copy_args = ["--db", str(dest), "--user", "coord", "--password-stdin"]
    code, copy = run(["db", "check", *copy_args])
    assert code == 0, copy
    # Logins and the backup's own paradata are this machine's doing, not data.
    assert _hash_line(copy) == _hash_line(original)

    store = open_store(username="coord", password=PASSWORD, path=coordinator.store.path)
    coordinator.store = store
    review_submission(
        BundleTarget.from_store(store), instance_id=second, decision=ReviewOutcome.APPROVED
    )
    code, later = run(["db", "check", *as_user(coordinator)])
    assert code == 0, later
    assert _hash_line(later) != _hash_line(copy)


def test_the_laptop_and_the_central_store_agree_once_decisions_and_cases_reach_it(
    central: Central, tmp_path: Path
) -> None:
    laptop = make_field(tmp_path, central, "laptop-a")  # type: ignore[arg-type]
    try:
        first, second = (laptop.interview(dict(d)) for d in synthetic_documents(count=2))
        deliver(laptop, central, tmp_path / "out")  # type: ignore[arg-type]
        target = central.target
        if central.coordinator is not None:
            cases = central.coordinator.store
        else:  # a central store's reviewer is one of its accounts, without password
            reviewer = add_account(target, username="khamla", role=Role.COORDINATOR)
            target.user_id = reviewer.id
            cases = acting_store(target)
        before = content_hash(target)
        assert content_hash(laptop.target) == before

        review_submission(
            target, instance_id=second, decision=ReviewOutcome.REJECTED, comment=RETURNED
        )
        review_submission(target, instance_id=first, decision=ReviewOutcome.APPROVED)
        reviewed = content_hash(target)
        assert reviewed != before
        cases.create_assignments(
            [
                {
                    "form_id": laptop.form[0],
                    "form_version": laptop.form[1],
                    "institution": "mtc",
                    "respondent": "Director of IT",
                    "assigned_to": laptop.store.user.id,
                }
            ]
        )
        assert content_hash(target) not in (before, reviewed)

        send_back(laptop, central, tmp_path / "back")  # type: ignore[arg-type]
        assert content_hash(laptop.target) == content_hash(target)
    finally:
        laptop.close()
