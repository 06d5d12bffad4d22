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
