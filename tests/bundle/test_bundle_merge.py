"""Export and import end to end, on SQLite and on a real PostgreSQL: idempotence,
acknowledgements, fast-forward, conflicts, duplicates, gaps, the way back to the field."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from app.bundle.errors import BundleError, FolderWriteError
from app.bundle.export import export_coordinator_bundle, export_field_bundle
from app.bundle.format import read_envelope
from app.bundle.importer import ImportStatus, import_bundle
from app.bundle.merge import (
    conflict_queue,
    decide_duplicates,
    likely_duplicates,
    resolve_conflict,
    sequence_gaps,
)
from app.bundle.reviews import review_feedback, review_submission
from app.bundle.target import BundleTarget
from app.fieldwork.keyring import rename_laptop
from app.store.check import content_hash as store_hash
from app.store.errors import PermissionDeniedError
from app.store.store import open_store
from app.store.tables import ReviewOutcome, Role, SubmissionState
from tests.bundle.bundletools import (
    DESK,
    PASSWORD,
    Coordinator,
    add_form,
    make_field,
    synthetic_documents,
    with_text,
)
from tests.bundle.conftest import Central


def _hash(central: Any) -> str:
    with central.target.session() as session:
        return store_hash(session.connection())


def _import(central: Any, path: Path) -> Any:
    return import_bundle(
        central.target, path, identities=[central.identity], quarantine_dir=path.parent / "q"
    )


@contextmanager
def enumerator_on(coordinator: Coordinator) -> Iterator[BundleTarget]:
    """The coordinator's database, logged in as an enumerator."""
    coordinator.store.add_user(username="enum1", password=PASSWORD, role=Role.ENUMERATOR)
    with open_store(username="enum1", password=PASSWORD, path=coordinator.store.path) as store:
        yield BundleTarget.from_store(store)


def clone(document: dict[str, Any], instance_id: str) -> dict[str, Any]:
    out = copy.deepcopy(document)
    out["instance_id"] = instance_id
    out["data"]["meta"]["instanceID"] = instance_id
    return out


def test_roundtrip_is_idempotent_and_acknowledged(central: Central, tmp_path: Path) -> None:
    field = make_field(tmp_path, central, "laptop-a")  # type: ignore[arg-type]
    docs = synthetic_documents()
    audio = bytes(range(256)) * 4000  # 1 MB: several chunks
    for index, document in enumerate(docs[:6]):
        field.interview(dict(document), attachment=audio if index == 0 else None)
    first = export_field_bundle(field.target, folder=tmp_path / "out")
    assert first is not None and first.sequence == 1
    assert first.counts["revisions"] == 6 and first.counts["attachments"] == 1
    result = _import(central, first.path)
    assert result.status is ImportStatus.APPLIED, result.message
    assert result.stats["revisions_new"] == 6 and result.stats["attachment_bytes_new"] == len(audio)
    after = _hash(central)
    again = _import(central, first.path)
    assert again.status is ImportStatus.ALREADY and _hash(central) == after

    # Nothing acknowledged yet: the next bundle carries everything again, stored once.
    second = export_field_bundle(field.target, folder=tmp_path / "out")
    assert second is not None and second.counts["revisions"] == 6
    result = _import(central, second.path)
    assert result.status is ImportStatus.APPLIED
    assert result.stats["revisions_new"] == 0 and result.stats["revisions_known"] == 6
    assert _hash(central) == after

    # The coordinator's bundle acknowledges both: the next one carries only new work.
    back = export_coordinator_bundle(
        central.target, device_id=field.device_id, folder=tmp_path / "back"
    )
    assert back is not None
    assert import_bundle(field.target, back.path).status is ImportStatus.APPLIED
    assert export_field_bundle(field.target, folder=tmp_path / "out", only_if_new=True) is None
    field.interview(dict(docs[6]))
    third = export_field_bundle(field.target, folder=tmp_path / "out", only_if_new=True)
    assert third is not None and third.counts["revisions"] == 1
    assert read_envelope(third.path).header.covers_since == 3  # 1 and 2 acknowledged
    field.close()


def test_a_login_alone_waits_a_day_for_a_bundle(
    coordinator: Coordinator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Folder sync writes a bundle for new interviews at once, not for a login: each one
    used to add a bundle, and the coordinator's acknowledgement of it, to the folder."""
    from datetime import timedelta

    from app.bundle import export
    from app.store.types import utcnow

    field = make_field(tmp_path, coordinator, "laptop-l")
    # A new laptop's first pass introduces it (its account): cases can be assigned at once.
    hello = export_field_bundle(field.target, folder=tmp_path / "usb", only_if_new=True)
    assert hello is not None and hello.counts.get("revisions", 0) == 0
    assert _import(coordinator, hello.path).ok
    assert any(u.username.startswith("enum-laptop-l@") for u in coordinator.store.list_users())
    field.interview(dict(synthetic_documents()[0]))
    first = export_field_bundle(field.target, folder=tmp_path / "usb", only_if_new=True)
    assert first is not None
    field.close()
    # The enumerator logs in again (a login event), and nothing else.
    field.store = open_store(username="enum-laptop-l", password=PASSWORD, path=field.store.path)
    field.target = BundleTarget.from_store(field.store)
    assert export_field_bundle(field.target, folder=tmp_path / "usb", only_if_new=True) is None
    # A day later the paradata goes on its own.
    tomorrow = utcnow() + timedelta(days=1, minutes=1)
    monkeypatch.setattr(export, "utcnow", lambda: tomorrow)
    later = export_field_bundle(field.target, folder=tmp_path / "usb", only_if_new=True)
    assert later is not None and later.counts.get("revisions", 0) == 1  # not acknowledged yet
    assert later.counts["events"] > first.counts["events"]
    field.close()


def test_work_whose_stick_was_lost_travels_again_with_the_next_sync(
    coordinator: Coordinator, tmp_path: Path
) -> None:
    """Folder sync wrote the interviews to a stick that never reached the coordinator.
    The next pass onto another stick writes them again (they used to wait for new work),
    and a pass onto a folder that still holds them writes nothing."""
    import shutil

    from app.bundle.sync import sync_folder

    field = make_field(tmp_path, coordinator, "laptop-s")
    first, second = (field.interview(dict(d)) for d in synthetic_documents(count=2))
    lost, spare = tmp_path / "stick-a", tmp_path / "stick-b"
    lost.mkdir()
    spare.mkdir()
    assert len(sync_folder(field.target, lost, settle_seconds=0).written) == 1
    assert sync_folder(field.target, lost, settle_seconds=0).written == []
    shutil.rmtree(lost)

    again = sync_folder(field.target, spare, settle_seconds=0).written
    assert len(again) == 1 and again[0].counts["revisions"] == 2
    report = sync_folder(
        coordinator.target, spare, identities=[coordinator.identity], settle_seconds=0
    )
    assert [r.status for r in report.imported] == [ImportStatus.APPLIED]
    assert coordinator.store.heads(instance_id=first)
    assert coordinator.store.heads(instance_id=second)
    # The acknowledgement comes back: nothing is left to send, to any folder.
    assert sync_folder(field.target, spare, settle_seconds=0).written == []
    (tmp_path / "stick-c").mkdir()
    assert sync_folder(field.target, tmp_path / "stick-c", settle_seconds=0).written == []
    field.close()


def test_edit_fast_forwards_and_review_goes_back(central: Central, tmp_path: Path) -> None:
    field = make_field(tmp_path, central, "laptop-b")  # type: ignore[arg-type]
    document = dict(synthetic_documents()[0])
    instance = field.interview(document)
    bundle = export_field_bundle(field.target, folder=tmp_path / "out")
    assert bundle is not None and _import(central, bundle.path).ok
    back = export_coordinator_bundle(
        central.target, device_id=field.device_id, folder=tmp_path / "b"
    )
    assert back is not None and import_bundle(field.target, back.path).ok

    edited = with_text(document, "corrected statement")
    child = field.edit(instance, edited)
    bundle = export_field_bundle(field.target, folder=tmp_path / "out")
    assert bundle is not None and bundle.counts["revisions"] == 2  # with its ancestry
    assert _import(central, bundle.path).ok
    with central.target.session() as session:
        from app.store.repo_submissions import get_submission

        row = get_submission(session=session, instance_id=instance)
        assert row.head_rev_id == child and row.state == SubmissionState.FINALISED.value
    if central.coordinator is not None:  # review needs a logged-in coordinator
        review_submission(
            central.target,
            instance_id=instance,
            decision=ReviewOutcome.REJECTED,
            comment="respondent name missing",
        )
        back = export_coordinator_bundle(
            central.target, device_id=field.device_id, folder=tmp_path / "b"
        )
        assert back is not None and import_bundle(field.target, back.path).ok
        feedback = review_feedback(field.target)
        assert [(f.instance_id, f.comment) for f in feedback] == [
            (instance, "respondent name missing")
        ]
    field.close()


def test_conflict_queue_and_resolution(coordinator: Coordinator, tmp_path: Path) -> None:
    field = make_field(tmp_path, coordinator, "laptop-c")
    document = dict(synthetic_documents()[1])
    instance = field.interview(document)
    bundle = export_field_bundle(field.target, folder=tmp_path / "out")
    assert bundle is not None and _import(coordinator, bundle.path).ok
    # The coordinator corrects it while the interviewer edits it too.
    coordinator.store.start_edit(instance_id=instance, reason="typo")
    theirs = with_text(document, "coordinator's wording")
    coordinator.store.autosave(instance_id=instance, document=theirs)
    mine = coordinator.store.finalise(instance_id=instance)
    edited = with_text(document, "interviewer's wording")
    field_rev = field.edit(instance, edited)
    bundle = export_field_bundle(field.target, folder=tmp_path / "out")
    assert bundle is not None and _import(coordinator, bundle.path).ok

    queue = conflict_queue(coordinator.target)
    assert [item.instance_id for item in queue] == [instance]
    heads = {h.rev_id for h in queue[0].heads}
    assert heads == {mine.rev_id, field_rev}
    latest = max(queue[0].heads, key=lambda h: (h.finalised_at, [-ord(c) for c in h.rev_id]))
    assert queue[0].provisional_winner == latest.rev_id
    assert coordinator.store.list_submissions(state=SubmissionState.CONFLICT).total == 1

    group = {**edited["data"]["statement_grp"], "swot_category": "not-a-choice"}
    broken = {**edited, "data": {**edited["data"], "statement_grp": group}}
    with pytest.raises(BundleError, match="merged version") as refused:
        resolve_conflict(
            coordinator.target,
            instance_id=instance,
            winner_rev_id=field_rev,
            reason="hand-merged",
            document=broken,
        )
    assert "swot_category" in str(refused.value)
    assert len(conflict_queue(coordinator.target)) == 1  # nothing changed
    with enumerator_on(coordinator) as enumerator, pytest.raises(PermissionDeniedError):
        resolve_conflict(enumerator, instance_id=instance, winner_rev_id=field_rev, reason="x")
    resolution = resolve_conflict(
        coordinator.target, instance_id=instance, winner_rev_id=field_rev, reason="field is right"
    )
    assert conflict_queue(coordinator.target) == []
    assert [h.rev_id for h in coordinator.store.heads(instance_id=instance)] == [resolution]
    history = coordinator.store.history(instance_id=instance)
    assert history[-1].parent_rev == field_rev
    field.close()


def test_duplicates_flagged_not_merged(coordinator: Coordinator, tmp_path: Path) -> None:
    a = make_field(tmp_path, coordinator, "laptop-d")
    b = make_field(tmp_path, coordinator, "laptop-e")
    for laptop in (a, b):
        laptop.form = add_form(laptop.store, DESK)
    original = dict(synthetic_documents(DESK, 4)[0])
    a.interview(original)
    b.interview(clone(original, "uuid:00000000-0000-4000-8000-00000000dup1"))
    a.interview(dict(synthetic_documents(DESK, 4)[1]))
    for laptop in (a, b):
        bundle = export_field_bundle(laptop.target, folder=tmp_path / "out")
        assert bundle is not None and _import(coordinator, bundle.path).ok
    groups = likely_duplicates(coordinator.target)
    assert len(groups) == 1
    assert {m.instance_id for m in groups[0].members} == {
        original["instance_id"],
        "uuid:00000000-0000-4000-8000-00000000dup1",
    }
    assert coordinator.store.list_submissions(form_id="dg_desk_review").total == 3  # both kept
    assert not groups[0].confirmed
    with enumerator_on(coordinator) as enumerator, pytest.raises(PermissionDeniedError):
        decide_duplicates(enumerator, group=groups[0], duplicate=True)
    decide_duplicates(coordinator.target, group=groups[0], duplicate=True, comment="same visit")
    # Judged the same interview: still listed (both are kept), marked as confirmed.
    assert [g.confirmed for g in likely_duplicates(coordinator.target)] == [True]
    decide_duplicates(coordinator.target, group=groups[0], duplicate=False, comment="two copies")
    assert likely_duplicates(coordinator.target) == []
    a.close()
    b.close()


def test_sequence_gaps_reported(coordinator: Coordinator, tmp_path: Path) -> None:
    field = make_field(tmp_path, coordinator, "laptop-f")
    docs = synthetic_documents()
    bundles = []
    for document in docs[:6]:
        field.interview(dict(document))
        bundle = export_field_bundle(field.target, folder=tmp_path / "out")
        assert bundle is not None
        bundles.append(bundle)
        if len(bundles) == 2:  # bundles 1-2 acknowledged: later ones cover from 3 on
            assert _import(coordinator, bundles[0].path).ok
            assert _import(coordinator, bundles[1].path).ok
            back = export_coordinator_bundle(
                coordinator.target, device_id=field.device_id, folder=tmp_path / "b"
            )
            assert back is not None and import_bundle(field.target, back.path).ok
    # Bundles 3 and 4 lost; 6 arrives (re-carries 3-5) but 5 did not.
    assert _import(coordinator, bundles[5].path).ok
    gaps = sequence_gaps(coordinator.target)
    assert [(g.first, g.last, g.covered) for g in gaps] == [(3, 5, True)]
    assert "bundles 3–5" in str(gaps[0])
    # Without the acknowledgement a lost bundle 2 would be reported missing.
    other = make_field(tmp_path, coordinator, "laptop-g")
    other.interview(dict(docs[7]))
    lost = [export_field_bundle(other.target, folder=tmp_path / "o") for _ in range(3)]
    assert lost[0] is not None and lost[2] is not None
    assert _import(coordinator, lost[0].path).ok
    assert _import(coordinator, lost[2].path).ok
    messages = [str(g) for g in sequence_gaps(coordinator.target)]
    assert (
        "device laptop-g: bundle 2 not received (their contents arrived in a later bundle)"
        in messages
    )
    field.close()
    other.close()


def test_a_bundle_that_could_not_be_written_leaves_no_gap(
    coordinator: Coordinator, tmp_path: Path
) -> None:
    """A stick that is full or a folder that is a file: the number goes back, nothing is
    missing at the coordinator (it used to show as "bundle 1 not received" for ever)."""
    field = make_field(tmp_path, coordinator, "laptop-h")
    field.interview(dict(synthetic_documents()[0]))
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the stick's folder should be", encoding="utf-8")
    for _attempt in range(2):
        with pytest.raises(FolderWriteError):
            export_field_bundle(field.target, folder=blocked / "usb")
    written = export_field_bundle(field.target, folder=tmp_path / "usb")
    assert written is not None and written.sequence == 1
    assert _import(coordinator, written.path).ok
    assert sequence_gaps(coordinator.target) == []
    # The same for the coordinator's reply.
    with pytest.raises(FolderWriteError):
        export_coordinator_bundle(
            coordinator.target, device_id=field.device_id, folder=blocked / "usb"
        )
    back = export_coordinator_bundle(
        coordinator.target, device_id=field.device_id, folder=tmp_path / "back"
    )
    assert back is not None and back.sequence == 1
    assert import_bundle(field.target, back.path).ok
    assert sequence_gaps(field.target) == []
    field.close()


def test_escrow_key_alone_opens_field_bundles(tmp_path: Path) -> None:
    from app.bundle.keys import create_coordinator_keys, unlock_identity_file
    from app.bundle.target import BundleTarget
    from app.store.store import create_store
    from tests.bundle.bundletools import FAST_KDF, PASSWORD

    store = create_store(
        username="coord", password=PASSWORD, path=tmp_path / "c.db", encrypted=False, kdf=FAST_KDF
    )
    target = BundleTarget.from_store(store)
    keys = create_coordinator_keys(
        target,
        out_dir=tmp_path / "keys",
        passphrase="first passphrase",
        escrow_passphrase="escrow passphrase",
    )
    assert keys.escrow_file is not None
    escrow = unlock_identity_file(keys.escrow_file, "escrow passphrase")

    class Holder:
        pass

    holder = Holder()
    holder.card, holder.target = keys.card_file, target  # type: ignore[attr-defined]
    field = make_field(tmp_path, holder, "laptop-x")  # type: ignore[arg-type]
    field.interview(dict(synthetic_documents()[2]))
    bundle = export_field_bundle(field.target, folder=tmp_path / "out")
    assert bundle is not None and len(read_envelope(bundle.path).header.recipients) == 2
    result = import_bundle(target, bundle.path, identities=[escrow], quarantine_dir=tmp_path / "q")
    assert result.status is ImportStatus.APPLIED, result.message
    field.close()
    store.close()


def test_a_storage_failure_mid_import_is_not_blamed_on_the_bundle(
    coordinator: Coordinator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk (or a bug) while applying is that error, not "the payload is damaged":
    the file is not quarantined, nothing is applied, and it imports once the disk is fixed."""
    import sqlite3

    from app.bundle.applier import Applier

    field = make_field(tmp_path, coordinator, "laptop-f")
    field.interview(dict(synthetic_documents()[2]))
    bundle = export_field_bundle(field.target, folder=tmp_path / "out")
    assert bundle is not None
    original = Applier.json_part

    def disk_full(self: Applier, header: object, records: list[dict[str, object]]) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Applier, "json_part", disk_full)
    quarantine = tmp_path / "quarantine"
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        import_bundle(
            coordinator.target,
            bundle.path,
            identities=[coordinator.identity],
            quarantine_dir=quarantine,
        )
    assert not quarantine.exists() or list(quarantine.iterdir()) == []
    assert coordinator.store.list_submissions().total == 0
    monkeypatch.setattr(Applier, "json_part", original)
    assert _import(coordinator, bundle.path).ok
    assert coordinator.store.list_submissions().total == 1
    field.close()


def _restored_laptop(coordinator: Coordinator, tmp_path: Path) -> tuple[Any, Path]:
    """A laptop that sent bundles 1, 2 and 3, then came back from a backup taken
    after bundle 1, with one new interview; returns it and the folder it wrote to."""
    import shutil

    from app.bundle.target import BundleTarget
    from app.store.crypto import keyring_path
    from app.store.store import open_store
    from tests.bundle.bundletools import PASSWORD, Field

    field = make_field(tmp_path, coordinator, "laptop-r")
    docs = synthetic_documents()
    out = tmp_path / "out"
    field.interview(dict(docs[0]))
    first = export_field_bundle(field.target, folder=out)
    assert first is not None and _import(coordinator, first.path).status is ImportStatus.APPLIED
    backup = tmp_path / "backup" / "laptop-r.db"
    field.store.backup(dest=backup)
    for number, document in ((2, docs[1]), (3, docs[3])):
        field.interview(dict(document))
        later = export_field_bundle(field.target, folder=out)
        assert later is not None and later.sequence == number
        assert _import(coordinator, later.path).status is ImportStatus.APPLIED
    db_path = tmp_path / "laptop-r.db"
    field.close()
    shutil.copyfile(backup, db_path)
    if keyring_path(backup).exists():  # an encrypted store's key travels beside it
        shutil.copyfile(keyring_path(backup), keyring_path(db_path))
    store = open_store(username="enum-laptop-r", password=PASSWORD, path=db_path)
    field = Field(store, BundleTarget.from_store(store), field.form)
    field.interview(dict(docs[2]))
    return field, out


def test_a_restored_laptop_skips_the_numbers_it_finds_in_its_folder(
    coordinator: Coordinator, tmp_path: Path
) -> None:
    field, out = _restored_laptop(coordinator, tmp_path)
    # A file claiming to be this laptop's bundle 9 whose signature does not verify
    # (its header was edited) does not count.
    third = sorted(out.glob("*000003.samluat"))[0]
    data = third.read_bytes()
    assert data.count(b'"sequence":3') == 1
    forged = out / third.name.replace("000003", "000009")
    forged.write_bytes(data.replace(b'"sequence":3', b'"sequence":9'))
    # Bundles 2 and 3 are still on the stick: the laptop's next bundle is number 4.
    fourth = export_field_bundle(field.target, folder=out)
    assert fourth is not None and fourth.sequence == 4
    result = _import(coordinator, fourth.path)
    assert result.status is ImportStatus.APPLIED, result.message
    assert result.stats["submissions_new"] == 1
    assert coordinator.store.list_submissions().total == 4
    field.close()


def test_refusals_name_a_laptop_as_the_coordinator_renamed_it_with_its_id(
    coordinator: Coordinator, tmp_path: Path
) -> None:
    """Every laptop called itself 'vm': messages used the name in the bundle's header,
    not the one the coordinator gave it, and no id to tell them apart."""
    field, out = _restored_laptop(coordinator, tmp_path)
    rename_laptop(coordinator.store, field.device_id, "Laptop 02, Vientiane")
    reused = export_field_bundle(field.target, folder=tmp_path / "other-stick")
    assert reused is not None
    refused = _import(coordinator, reused.path)
    assert f"'Laptop 02, Vientiane' ({field.device_id[:8]}) used bundle number" in (refused.message)
    again = _import(coordinator, next(out.glob("*000001.samluat")))
    assert again.status is ImportStatus.ALREADY
    assert f"from 'Laptop 02, Vientiane' ({field.device_id[:8]})" in again.message
    field.close()


def test_a_restored_laptop_learns_used_numbers_from_the_coordinator(
    coordinator: Coordinator, tmp_path: Path
) -> None:
    field, _out = _restored_laptop(coordinator, tmp_path)
    other_stick = tmp_path / "other-stick"
    reused = export_field_bundle(field.target, folder=other_stick)
    assert reused is not None and reused.sequence == 2  # it cannot know better yet
    before = _hash(coordinator)
    refused = _import(coordinator, reused.path)
    assert refused.status is ImportStatus.REJECTED
    assert "used bundle number 2 twice" in refused.message
    assert "restored from a backup" in refused.message
    assert _hash(coordinator) == before

    # The coordinator's next bundle tells the laptop which numbers are used.
    back = export_coordinator_bundle(
        coordinator.target, device_id=field.device_id, folder=tmp_path / "back"
    )
    assert back is not None
    assert import_bundle(field.target, back.path).status is ImportStatus.APPLIED
    # As folder sync writes: the refused bundle 2 is still on the stick, yet its work is
    # not on its way, so a bundle is written although nothing new was done.
    fourth = export_field_bundle(field.target, folder=other_stick, only_if_new=True)
    assert fourth is not None and fourth.sequence == 4  # 2 and 3 are used
    result = _import(coordinator, fourth.path)
    assert result.status is ImportStatus.APPLIED, result.message
    assert result.stats["submissions_new"] == 1  # the interview of the refused bundle
    assert coordinator.store.list_submissions().total == 4
    assert not [g for g in sequence_gaps(coordinator.target) if g.device_id == field.device_id]
    field.close()


def test_a_revoked_laptop_is_told_once_and_stops_writing(
    coordinator: Coordinator, tmp_path: Path
) -> None:
    from app.bundle.errors import LaptopRevokedError
    from app.bundle.keys import revoke_device
    from app.bundle.sync import sync_folder

    field = make_field(tmp_path, coordinator, "laptop-x")
    other = make_field(tmp_path, coordinator, "laptop-y")
    field.interview(dict(synthetic_documents()[0]))
    shared = tmp_path / "shared"
    revoke_device(coordinator.target, field.device_id)

    shared.mkdir()
    report = sync_folder(
        coordinator.target, shared, identities=[coordinator.identity], settle_seconds=0
    )
    assert report.ok
    to_revoked = [w for w in report.written if w.target == field.device_id]
    assert len(to_revoked) == 1 and len(report.written) == 2  # and the usual one to laptop-y
    header = read_envelope(to_revoked[0].path).header
    # Only the laptop's own registry record: no forms, people, assignments or keys.
    assert {k: v for k, v in header.counts.items() if v} == {"devices": 1}
    again = sync_folder(
        coordinator.target, shared, identities=[coordinator.identity], settle_seconds=0
    )
    assert again.written == []  # told once

    told = sync_folder(field.target, shared, settle_seconds=0)
    assert [r.status for r in told.imported if r.path == to_revoked[0].path] == [
        ImportStatus.APPLIED
    ]
    assert told.written == []
    assert isinstance(told.write_error, LaptopRevokedError), told.write_error
    assert "error: The coordinator revoked this laptop on " in "\n".join(told.lines())
    with pytest.raises(LaptopRevokedError, match="Ask your coordinator"):
        export_field_bundle(field.target, folder=tmp_path / "out")
    # The other laptop goes on as before.
    other.interview(dict(synthetic_documents()[1]))
    assert export_field_bundle(other.target, folder=tmp_path / "out") is not None
    field.close()
    other.close()
