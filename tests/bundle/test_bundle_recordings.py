"""Recordings travel once a week until acknowledged, not in every bundle.

Bundles carry every revision the coordinator has not acknowledged, so that any one of
them can be applied alone. Recordings are the exception: an interviewer who syncs
daily while the stick takes a week to come back used to write the same hours of
audio into every day's bundle (a stick, a synced folder or a chat filled with
copies). A recording already in one of the laptop's bundles of the last week, still in
the folder the next bundle goes to, is left out; the coordinator applies the later
bundle once the one with the audio is in.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from app.bundle.export import export_field_bundle
from app.bundle.importer import ImportStatus, import_bundle, import_many
from tests.bundle.bundletools import Coordinator, Field, synthetic_documents

AUDIO = b"OggS" + os.urandom(1_500_000)  # an hour of speech is tens of MB; this stands in


def _bundle(field: Field, folder: Path) -> Path:
    written = export_field_bundle(field.target, folder=folder)
    assert written is not None
    return written.path


def _import(coordinator: Coordinator, path: Path) -> ImportStatus:
    return import_bundle(
        coordinator.target, path, identities=[coordinator.identity], quarantine_dir=path.parent
    ).status


def test_a_recording_goes_in_one_bundle_and_later_ones_wait_for_it(
    coordinator: Coordinator, field: Field, tmp_path: Path
) -> None:
    docs = synthetic_documents(count=4)
    folder = tmp_path / "usb"
    first = field.interview(dict(docs[0]), attachment=AUDIO)
    monday = _bundle(field, folder)
    second = field.interview(dict(docs[1]))
    tuesday = _bundle(field, folder)  # no acknowledgement has come back yet
    third = field.interview(dict(docs[2]))
    wednesday = _bundle(field, folder)
    assert monday.stat().st_size > len(AUDIO)
    assert tuesday.stat().st_size < 200_000 and wednesday.stat().st_size < 200_000

    # Tuesday's bundle arrives first: it waits for Monday's recording, nothing applied.
    assert _import(coordinator, tuesday) is ImportStatus.WAITING
    assert coordinator.store.heads(instance_id=second) == []
    # Sent together in any order, everything arrives, the recording once.
    results = import_many(
        coordinator.target, [wednesday, tuesday, monday], identities=[coordinator.identity]
    )
    assert [r.status for r in results] == [ImportStatus.APPLIED] * 3
    for instance in (first, second, third):
        assert coordinator.store.heads(instance_id=instance)
    sha256 = hashlib.sha256(AUDIO).hexdigest()
    assert b"".join(coordinator.store.read_attachment(sha256=sha256)) == AUDIO


def test_a_recording_not_acknowledged_for_a_week_travels_again(
    coordinator: Coordinator, field: Field, tmp_path: Path
) -> None:
    """Monday's bundle is still in the synced folder, but no acknowledgement has come
    for a week (the coordinator's copy may be damaged): the next bundle carries the
    recording again and is applied alone."""
    docs = synthetic_documents(count=2)
    folder = tmp_path / "synced"
    first = field.interview(dict(docs[0]), attachment=AUDIO)
    _bundle(field, folder)
    field.interview(dict(docs[1]))
    assert _bundle(field, folder).stat().st_size < 200_000  # within the week: left out
    field.a_week_goes_by()
    field.interview(dict(synthetic_documents(count=3)[2]))
    next_week = _bundle(field, folder)
    assert next_week.stat().st_size > len(AUDIO)
    assert _import(coordinator, next_week) is ImportStatus.APPLIED
    assert coordinator.store.heads(instance_id=first)


def test_a_recording_whose_bundle_is_not_in_the_folder_travels_again_at_once(
    coordinator: Coordinator, field: Field, tmp_path: Path
) -> None:
    """Monday's stick was lost on the way: Tuesday's bundle, on another stick, carries
    the recording again, so the coordinator applies it alone instead of waiting a week
    for a bundle that will never come."""
    docs = synthetic_documents(count=2)
    first = field.interview(dict(docs[0]), attachment=AUDIO)
    _bundle(field, tmp_path / "lost-stick")
    second = field.interview(dict(docs[1]))
    tuesday = _bundle(field, tmp_path / "new-stick")
    assert tuesday.stat().st_size > len(AUDIO)
    assert _import(coordinator, tuesday) is ImportStatus.APPLIED
    assert coordinator.store.heads(instance_id=first) and coordinator.store.heads(
        instance_id=second
    )


def test_a_bundle_of_everything_carries_every_recording(
    coordinator: Coordinator, field: Field, tmp_path: Path
) -> None:
    field.interview(dict(synthetic_documents(count=1)[0]), attachment=AUDIO)
    _bundle(field, tmp_path / "usb")
    again = export_field_bundle(field.target, folder=tmp_path / "stick", everything=True)
    assert again is not None and again.path.stat().st_size > len(AUDIO)
    assert _import(coordinator, again.path) is ImportStatus.APPLIED
