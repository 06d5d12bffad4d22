"""Removing delivered bundles from a sync folder, on request.

Sync never deletes, so a stick or a shared folder keeps every bundle ever
written. Each database can say which files there it knows to be delivered
(acknowledged, imported here, or replaced by a newer coordinator bundle) and
remove those; everything else stays, whatever its name says.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from app.bundle.sync import _state_path, sync_folder
from app.bundle.tidy import Delivered, delivered_files, remove_delivered
from tests.bundle.bundletools import (
    Coordinator,
    Field,
    content_hash,
    make_field,
    synthetic_documents,
)


def _laptop_sync(field: Field, folder: Path) -> None:
    report = sync_folder(field.target, folder, settle_seconds=0)
    assert report.ok, report.lines()


def _coordinator_sync(coordinator: Coordinator, folder: Path) -> None:
    report = sync_folder(
        coordinator.target, folder, identities=[coordinator.identity], settle_seconds=0
    )
    assert report.ok, report.lines()


def _names(files: list) -> dict[str, Delivered]:  # type: ignore[type-arg]
    return {f.path.name: f.why for f in files}


@pytest.fixture
def round_trip(coordinator: Coordinator, field: Field, tmp_path: Path) -> Path:
    """A stick after one round: the laptop's bundle 1 went to the coordinator, whose
    answer (acknowledging it) came back; then the laptop wrote bundle 2, not yet
    taken."""
    folder = tmp_path / "stick"
    folder.mkdir()
    docs = synthetic_documents(count=3)
    field.interview(dict(docs[0]))
    _laptop_sync(field, folder)
    _coordinator_sync(coordinator, folder)
    _laptop_sync(field, folder)  # takes the acknowledgement
    field.interview(dict(docs[1]))
    _laptop_sync(field, folder)
    return folder


def test_each_side_lists_what_it_knows_is_delivered(
    coordinator: Coordinator, field: Field, round_trip: Path
) -> None:
    folder = round_trip
    names = sorted(p.name for p in folder.iterdir())
    first, second = [n for n in names if "samluat-field-" in n]
    (answer,) = [n for n in names if "samluat-coordinator-" in n]

    on_laptop = _names(delivered_files(field.target, folder, settle_seconds=0))
    assert on_laptop == {first: Delivered.ACKNOWLEDGED, answer: Delivered.IMPORTED}

    on_coordinator = _names(delivered_files(coordinator.target, folder, settle_seconds=0))
    # Bundle 2 is not imported yet, and the answer is the newest for the laptop.
    assert on_coordinator == {first: Delivered.IMPORTED}

    _coordinator_sync(coordinator, folder)  # takes bundle 2, writes a newer answer
    on_coordinator = _names(delivered_files(coordinator.target, folder, settle_seconds=0))
    assert on_coordinator == {
        first: Delivered.IMPORTED,
        second: Delivered.IMPORTED,
        answer: Delivered.REPLACED,
    }
    # Listed under the name the team gave the laptop, not the one in its headers.
    from app.bundle.keys import rename_device

    rename_device(coordinator.target, field.device_id, "Laptop 07, ປາກເຊ")
    listed = delivered_files(coordinator.target, folder, settle_seconds=0)
    assert {f.source_name for f in listed if "samluat-field-" in f.path.name} == {
        "Laptop 07, ປາກເຊ"
    }


def test_removing_frees_the_stick_and_sync_goes_on(
    coordinator: Coordinator, field: Field, round_trip: Path
) -> None:
    folder = round_trip
    laptop_before, central_before = content_hash(field.target), content_hash(coordinator.target)
    files = delivered_files(field.target, folder, settle_seconds=0)
    report = remove_delivered(files)
    assert [f.path for f in report.removed] == [f.path for f in files]
    assert report.freed == sum(f.size for f in files) > 0
    assert not any(f.path.exists() for f in files)
    # The databases are untouched; what was not delivered is still there and still travels.
    assert content_hash(field.target) == laptop_before
    assert content_hash(coordinator.target) == central_before
    (left,) = [p.name for p in folder.iterdir()]
    assert left.startswith("samluat-field-")
    # The laptop's next pass forgets the files that are gone (its memory does not grow).
    _laptop_sync(field, folder)
    memory = json.loads(_state_path(folder, field.device_id).read_text())
    assert set(memory["seen"]) == {p.name for p in folder.iterdir()}
    _coordinator_sync(coordinator, folder)
    third = synthetic_documents(count=3)[2]
    instance = field.interview(dict(third))
    _laptop_sync(field, folder)  # takes the new answer, writes bundle 3 (a fresh number)
    _coordinator_sync(coordinator, folder)
    assert coordinator.store.heads(instance_id=instance)
    assert len(delivered_files(field.target, folder, settle_seconds=0)) >= 2


def test_files_it_cannot_vouch_for_stay(
    coordinator: Coordinator, field: Field, round_trip: Path, tmp_path: Path
) -> None:
    folder = round_trip
    names = sorted(p.name for p in folder.iterdir())
    first = next(n for n in names if "samluat-field-" in n)
    # Another laptop sharing the folder (a Syncthing folder for the whole team).
    other = make_field(tmp_path, coordinator, "laptop-b")
    try:
        other.interview(dict(synthetic_documents(count=5)[4]))
        _laptop_sync(other, folder)
        _coordinator_sync(coordinator, folder)
        _laptop_sync(other, folder)
        read: list[str] = []
        theirs = _names(
            delivered_files(
                other.target, folder, settle_seconds=0, progress=lambda _f, name: read.append(name)
            )
        )
        assert first not in read  # headers say it is not laptop-b's: not read whole
        # Its own acknowledged bundle and the answer it imported; laptop-a's files (its
        # bundles, the answers for it) are not laptop-b's to judge.
        assert sorted(theirs.values()) == [Delivered.ACKNOWLEDGED, Delivered.IMPORTED]
        assert not set(theirs) & set(names)
    finally:
        other.close()
    # A copy with the same bytes (a sync tool's conflict copy) is delivered too; a file
    # with the name of a delivered bundle but other bytes is not; nor is something
    # that is not a bundle, a link to a delivered bundle, or a file being written.
    shutil.copy2(folder / first, folder / "copy (conflicted copy 2026-11-28).samluat")
    altered = folder / "sub" / first
    altered.parent.mkdir()
    data = bytearray((folder / first).read_bytes())
    data[len(data) // 2] ^= 1
    altered.write_bytes(bytes(data))
    (folder / "notes.samluat").write_bytes(b"not a bundle at all")
    os.symlink(folder / first, folder / "link.samluat")
    shutil.copy2(folder / first, folder / ".partial-copy.samluat.part")
    listed = _names(delivered_files(field.target, folder, settle_seconds=0))
    assert listed[first] is Delivered.ACKNOWLEDGED
    assert listed["copy (conflicted copy 2026-11-28).samluat"] is Delivered.ACKNOWLEDGED
    for kept in ("notes.samluat", "link.samluat", ".partial-copy.samluat.part"):
        assert kept not in listed
    assert all(f.path != altered for f in delivered_files(field.target, folder, settle_seconds=0))


def test_a_file_that_changed_since_it_was_listed_is_kept(field: Field, round_trip: Path) -> None:
    folder = round_trip
    files = delivered_files(field.target, folder, settle_seconds=0)
    touched = files[0].path
    with open(touched, "ab") as handle:  # a sync tool writing it again meanwhile
        handle.write(b"more")
    files[1].path.unlink()  # removed by hand meanwhile
    report = remove_delivered(files)
    assert touched.exists()
    assert [(item.path, why) for item, why in report.kept] == [
        (touched, "changed since it was looked at")
    ]
    assert report.gone == [files[1]] and report.removed == []


def test_a_file_just_written_is_not_judged_yet(field: Field, round_trip: Path) -> None:
    # A sync tool may still be writing it, whatever its bytes look like now.
    assert delivered_files(field.target, round_trip, settle_seconds=3600) == []
