"""Sync from the app: a field laptop's pass writes its bundle; the coordinator's pass takes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.bundle.sync import sync_folder
from app.core.errors import SamluatError
from app.fieldwork.syncing import sync_pass
from tests.bundle.bundletools import make_coordinator, make_field, synthetic_documents


def test_field_pass_writes_and_coordinator_receives(tmp_path: Path) -> None:
    coordinator = make_coordinator(tmp_path)
    field = make_field(tmp_path, coordinator, "laptop1")
    folder = tmp_path / "usb"
    folder.mkdir()
    try:
        for document in synthetic_documents(count=3):
            field.interview(document)
        first = sync_pass(field.store, folder)
        assert first.ok and first.written == 1 and first.imported == 0
        again = sync_pass(field.store, folder)
        assert again.written == 0  # nothing new: no second bundle
        received = sync_folder(
            coordinator.target, folder, identities=[coordinator.identity], settle_seconds=0
        )
        assert received.ok
        assert coordinator.store.list_submissions().total == 3
    finally:
        field.close()
        coordinator.close()


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    coordinator = make_coordinator(tmp_path)
    field = make_field(tmp_path, coordinator, "laptop1")
    try:
        with pytest.raises(SamluatError, match="is not there"):
            sync_pass(field.store, tmp_path / "unplugged")
    finally:
        field.close()
        coordinator.close()


def test_a_pass_says_what_it_reads_and_how_far_it_has_written(tmp_path: Path) -> None:
    import os
    import time

    from app.bundle.export import export_coordinator_bundle

    coordinator = make_coordinator(tmp_path)
    field = make_field(tmp_path, coordinator, "laptop1")
    folder = tmp_path / "usb"
    folder.mkdir()
    audio = bytes(range(256)) * 12_000  # 3 MB: written in several chunks
    try:
        field.interview(dict(synthetic_documents(count=1)[0]), attachment=audio)
        back = export_coordinator_bundle(
            coordinator.target, device_id=field.device_id, folder=folder
        )
        assert back is not None
        os.utime(back.path, (time.time() - 120, time.time() - 120))  # copied long ago
        told: list[tuple[float, str]] = []
        outcome = sync_pass(field.store, folder, progress=lambda f, m: told.append((f, m)))
        assert outcome.ok and outcome.imported == 1 and outcome.written == 1
        assert told[0] == (0.0, f"Receiving {back.path.name}…")
        writing = [f for f, m in told if m == "Writing this laptop's bundle…"]
        assert len(writing) >= 3 and writing == sorted(writing) and writing[-1] == 1.0
    finally:
        field.close()
        coordinator.close()


def test_everything_is_written_by_a_laptop_not_by_the_coordinator(tmp_path: Path) -> None:
    from app.fieldwork.syncing import write_everything

    coordinator = make_coordinator(tmp_path)
    field = make_field(tmp_path, coordinator, "laptop1")
    folder = tmp_path / "stick"
    folder.mkdir()
    try:
        with pytest.raises(SamluatError, match="coordinator's"):
            write_everything(coordinator.store, folder)
        assert list(folder.iterdir()) == []
        field.interview(dict(synthetic_documents(count=1)[0]))
        first = write_everything(field.store, folder)
        second = write_everything(field.store, folder)  # on request, again and again
        assert first.counts["revisions"] == second.counts["revisions"] == 1
        assert first.path != second.path and second.sequence == first.sequence + 1
    finally:
        field.close()
        coordinator.close()
