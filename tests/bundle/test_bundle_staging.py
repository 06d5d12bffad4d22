"""A bundle's audio is written before the bundle is applied, in short transactions:
the coordinator's app can save while it arrives, and a failed or cancelled import
leaves none of it behind (see app/bundle/staging.py)."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import pytest

from app.bundle.export import export_field_bundle
from app.bundle.importer import ImportCancelled, ImportStatus, import_bundle
from app.store.check import content_hash, table_counts
from tests.bundle.bundletools import Coordinator, make_field, synthetic_documents
from tests.bundle.conftest import Central

AUDIO = os.urandom(5_000_000)  # incompressible, several chunks and many progress calls


def _state(target: Any) -> tuple[str, dict[str, int]]:
    with target.session() as session:
        return content_hash(session.connection()), table_counts(session.connection())


def _bundle(tmp_path: Path, central: Any, name: str) -> Path:
    field = make_field(tmp_path, central, name)
    for index, document in enumerate(synthetic_documents()[:3]):
        field.interview(dict(document), attachment=AUDIO if index == 0 else None)
    written = export_field_bundle(field.target, folder=tmp_path / "out")
    field.close()
    assert written is not None and written.counts["attachment_bytes"] == len(AUDIO)
    return written.path


def test_the_coordinator_can_save_while_a_bundle_s_audio_arrives(
    coordinator: Coordinator, tmp_path: Path
) -> None:
    path = _bundle(tmp_path, coordinator, "laptop-audio")
    saved: list[str] = []

    def progress(fraction: float, message: str) -> None:
        if "MB of attachments" in message and 0 < fraction < 1 and not saved:
            # The app's own write on its own connection, mid-import: it must not wait
            # for the import (with the audio in the import's transaction it would time out).
            note = coordinator.store.add_attachment(
                stream=io.BytesIO(b"minutes of the review meeting"), media_type="text/plain"
            )
            saved.append(note.sha256)

    result = import_bundle(
        coordinator.target, path, identities=[coordinator.identity], progress=progress
    )
    assert result.status is ImportStatus.APPLIED, result.message
    assert saved, "no save was tried while the audio was being received"
    assert result.stats["attachment_bytes_new"] == len(AUDIO)
    received = b"".join(coordinator.store.read_attachment(sha256=hashlib.sha256(AUDIO).hexdigest()))
    assert received == AUDIO
    assert b"".join(coordinator.store.read_attachment(sha256=saved[0])) == (
        b"minutes of the review meeting"
    )
    assert coordinator.store.check().ok


@pytest.mark.parametrize("when", ["receiving the audio", "applying the records"])
def test_a_cancelled_import_leaves_no_audio_behind(
    central: Central, tmp_path: Path, when: str
) -> None:
    path = _bundle(tmp_path, central, "laptop-cancel")
    before = _state(central.target)
    phases: list[str] = []

    def progress(_fraction: float, message: str) -> None:
        phases.append("audio" if "MB of attachments" in message else "records")

    def cancel() -> bool:
        wanted = "audio" if when == "receiving the audio" else "records"
        return phases.count(wanted) >= 2

    with pytest.raises(ImportCancelled):
        import_bundle(
            central.target,
            path,
            identities=[central.identity],
            progress=progress,
            cancel=cancel,
        )
    assert "audio" in phases  # the audio was being written when the import stopped
    assert _state(central.target) == before  # blobs and chunks included

    again = import_bundle(central.target, path, identities=[central.identity])
    assert again.status is ImportStatus.APPLIED, again.message
    assert again.stats["attachment_bytes_new"] == len(AUDIO)
    counts = _state(central.target)[1]
    assert counts["attachment"] == 1 and counts["attachment_blob"] == 1


def test_audio_left_by_a_killed_import_is_removed_a_day_later(
    central: Central, tmp_path: Path
) -> None:
    """On a central store several coordinators may import at once: an incomplete blob is
    removed only when it is too old to belong to an import still running."""
    from datetime import timedelta

    from sqlalchemy import insert, select

    from app.store.tables import AttachmentBlob, AttachmentChunk
    from app.store.types import utcnow

    blobs, chunks = AttachmentBlob.__table__, AttachmentChunk.__table__  # type: ignore[attr-defined]
    ids = {}
    with central.target.session(write=True) as session:
        for name, age in (("abandoned", timedelta(days=2)), ("running", timedelta(minutes=5))):
            result = session.execute(
                insert(blobs).values(complete=False, created_at=utcnow() - age)
            )
            ids[name] = result.inserted_primary_key[0]
            session.execute(insert(chunks).values(blob_id=ids[name], seq=0, data=b"partial"))
    result = import_bundle(
        central.target, _bundle(tmp_path, central, "laptop-late"), identities=[central.identity]
    )
    assert result.status is ImportStatus.APPLIED, result.message
    with central.target.session() as session:
        left = {row.id for row in session.execute(select(blobs.c.id))}
        left_chunks = {row.blob_id for row in session.execute(select(chunks.c.blob_id))}
    assert ids["abandoned"] not in left and ids["abandoned"] not in left_chunks
    assert ids["running"] in left and ids["running"] in left_chunks


def test_a_recording_larger_than_a_batch_travels_whole(
    coordinator: Coordinator, tmp_path: Path
) -> None:
    """An hour of audio is tens of MB: more than one staging batch (16 MB) and more
    attachment bytes than any record count may be; it is written, verified and
    received byte for byte."""
    hour = os.urandom(60_000_000)
    field = make_field(tmp_path, coordinator, "laptop-hour")
    field.interview(dict(synthetic_documents()[0]), attachment=hour)
    written = export_field_bundle(field.target, folder=tmp_path / "out")
    field.close()
    assert written is not None and written.counts["attachment_bytes"] == len(hour)
    result = import_bundle(coordinator.target, written.path, identities=[coordinator.identity])
    assert result.status is ImportStatus.APPLIED, result.message
    digest = hashlib.sha256()
    for chunk in coordinator.store.read_attachment(sha256=hashlib.sha256(hour).hexdigest()):
        digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(hour).hexdigest()
    assert coordinator.store.check().ok


@pytest.mark.parametrize("budget", [1, 256 * 1024**2])
def test_records_are_applied_from_memory_or_from_a_second_reading(
    central: Central, tmp_path: Path, budget: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first pass keeps the record parts (within a budget) so that applying them
    needs no second decryption; past the budget the payload is read again. Either way
    the database ends the same."""
    from app.bundle import importer, staging

    monkeypatch.setattr(staging, "TRANSCRIPT_BUDGET", budget)
    decryptions: list[int] = []
    original = staging.decrypt_payload

    def counted(*args: Any) -> None:
        decryptions.append(1)
        original(*args)

    monkeypatch.setattr(staging, "decrypt_payload", counted)
    monkeypatch.setattr(importer, "decrypt_payload", counted)
    path = _bundle(tmp_path, central, "laptop-budget")
    result = import_bundle(central.target, path, identities=[central.identity])
    assert result.status is ImportStatus.APPLIED, result.message
    assert result.stats["revisions_new"] == 3
    assert result.stats["attachment_bytes_new"] == len(AUDIO)
    assert len(decryptions) == (1 if budget > 1 else 2)  # the audio is decrypted once
    again = import_bundle(central.target, path, identities=[central.identity])
    assert again.status is ImportStatus.ALREADY
