"""A fault of the form engine while checking a bundle refuses that bundle, named as such.

Without this, an exception the engine should never raise (an `OverflowError` from a
date no calendar holds was one) escaped the import: the sync pass failed at that file,
and so did every pass after it, until someone found the file and removed it by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.bundle.export import export_field_bundle
from app.bundle.importer import ImportStatus, import_bundle
from app.bundle.validate import FormCache
from app.engine.checker import SnapshotChecker
from tests.bundle.bundletools import Coordinator, Field, content_hash, synthetic_documents


def test_an_engine_fault_refuses_the_bundle_and_leaves_the_database_as_it_was(
    coordinator: Coordinator, field: Field, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = field.interview(dict(synthetic_documents(count=1)[0]))
    written = export_field_bundle(field.target, folder=tmp_path / "stick")
    assert written is not None
    before = content_hash(coordinator.target)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OverflowError("date value out of range")  # as the engine once did

    monkeypatch.setattr(SnapshotChecker, "problems", broken)
    with FormCache(workers=0) as forms:
        result = import_bundle(
            coordinator.target,
            written.path,
            identities=[coordinator.identity],
            quarantine_dir=tmp_path / "quarantine",
            forms=forms,
        )
    assert result.status is ImportStatus.REJECTED
    assert "could not be checked: the form engine failed (OverflowError" in result.message
    assert "report it" in result.message
    assert content_hash(coordinator.target) == before
    assert result.quarantined is not None and result.quarantined.is_file()

    # Once the engine is mended (an updated app), the same file imports.
    monkeypatch.undo()
    with FormCache(workers=0) as forms:
        again = import_bundle(
            coordinator.target, written.path, identities=[coordinator.identity], forms=forms
        )
    assert again.status is ImportStatus.APPLIED, again.message
    assert coordinator.store.heads(instance_id=instance)
