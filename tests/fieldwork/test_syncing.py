"""Sync from the app: a field laptop's pass writes its bundle; the coordinator's pass takes it."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path
from typing import Any

import pytest

from app.bundle.export import ExportResult, export_coordinator_bundle
from app.bundle.sync import sync_folder
from app.core.errors import SamluatError
from app.fieldwork.syncing import sync_pass
from tests.bundle.bundletools import (
    Coordinator,
    Field,
    make_coordinator,
    make_field,
    synthetic_documents,
)


def _answer_in(folder: Path, coordinator: Coordinator, field: Field) -> ExportResult:
    """The coordinator's bundle for `field`, in `folder` as if copied there long ago."""
    back = export_coordinator_bundle(coordinator.target, device_id=field.device_id, folder=folder)
    assert back is not None
    os.utime(back.path, (time.time() - 120, time.time() - 120))
    return back


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

    coordinator = make_coordinator(tmp_path)
    field = make_field(tmp_path, coordinator, "laptop1")
    folder = tmp_path / "usb"
    folder.mkdir()
    audio = bytes(range(256)) * 12_000  # 3 MB: written in several chunks
    try:
        field.interview(dict(synthetic_documents(count=1)[0]), attachment=audio)
        back = _answer_in(folder, coordinator, field)
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


@pytest.mark.parametrize(
    ("failure", "english", "lao"),
    [
        (errno.ENOSPC, "is full. Make room on the stick", "ເຕັມ"),
        (errno.EROFS, "cannot be written to (a write-protected stick", "ຂຽນໃສ່ບໍ່ໄດ້"),
        (errno.EFBIG, "Use a stick formatted as exFAT or NTFS", "exFAT"),
    ],
)
def test_a_full_or_locked_stick_is_explained_and_what_arrived_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: int, english: str, lao: str
) -> None:
    """The stick fills up (or is write-protected) as the laptop writes its bundle: the pass
    still reports the coordinator's bundle it took, says what to do, leaves no partial
    file, and once there is room writes bundle 1 (the number was given back)."""
    from app.core.i18n import translator

    coordinator = make_coordinator(tmp_path)
    field = make_field(tmp_path, coordinator, "laptop1")
    folder = tmp_path / "usb"
    folder.mkdir()
    try:
        field.interview(dict(synthetic_documents(count=1)[0]))
        back = _answer_in(folder, coordinator, field)

        real_open = open

        class Stick:  # takes 2,000 bytes, then is full; a locked one takes none
            def __init__(self, path: Path, mode: str) -> None:
                if failure == errno.EROFS:
                    raise OSError(failure, os.strerror(failure), str(path))
                self.handle = real_open(path, mode)
                self.room = 2_000

            def write(self, data: bytes) -> int:
                if len(data) > self.room:
                    raise OSError(failure, os.strerror(failure))
                self.room -= len(data)
                return self.handle.write(data)

            def __getattr__(self, name: str) -> object:
                return getattr(self.handle, name)

            def __enter__(self) -> Stick:
                return self

            def __exit__(self, *_exc: object) -> None:
                self.handle.close()

        monkeypatch.setattr("app.bundle.writer.open", Stick, raising=False)
        outcome = sync_pass(field.store, folder)
        assert outcome.imported == 1 and outcome.written == 0
        assert len(outcome.problems) == 1 and english in outcome.problems[0]
        assert sorted(p.name for p in folder.iterdir()) == [back.path.name]  # no .partial
        translator.set_language("lo")
        try:
            again = sync_pass(field.store, folder)
        finally:
            translator.set_language("en")
        assert again.imported == 0  # the coordinator's bundle is remembered, not re-read
        assert lao in again.problems[0] and "Errno" not in again.problems[0]

        monkeypatch.undo()  # room made on the stick
        written = sync_pass(field.store, folder)
        assert written.ok and written.written == 1
        names = [p.name for p in folder.iterdir() if p.name != back.path.name]
        assert len(names) == 1 and names[0].endswith("-000001.samluat")
    finally:
        field.close()
        coordinator.close()


def test_a_stick_pulled_out_during_the_pass_is_not_made_again_on_the_laptop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stick is pulled out after the coordinator's bundle was read. Making its folder
    again on the laptop's own disk, and saying a bundle was written "to the stick", would
    leave the interviews behind unseen; the pass says the stick is gone instead."""
    import shutil

    from app.bundle import export
    from app.core.i18n import translator

    coordinator = make_coordinator(tmp_path)
    field = make_field(tmp_path, coordinator, "laptop1")
    folder = tmp_path / "media" / "STICK"
    folder.mkdir(parents=True)
    try:
        field.interview(dict(synthetic_documents(count=1)[0]))
        _answer_in(folder, coordinator, field)

        numbers_used_in = export.numbers_used_in

        def pulled_out(folder: Path, *args: Any, **kwargs: Any) -> int:  # the bundle begun
            if folder.exists():
                shutil.rmtree(folder)
            return numbers_used_in(folder, *args, **kwargs)

        monkeypatch.setattr(export, "numbers_used_in", pulled_out)
        outcome = sync_pass(field.store, folder)
        assert outcome.imported == 1 and outcome.written == 0
        assert len(outcome.problems) == 1
        assert "is not there any more (was the USB stick removed?)" in outcome.problems[0]
        assert not folder.exists()
        translator.set_language("lo")
        try:
            folder.mkdir()
            again = sync_pass(field.store, folder)  # plugged in, and pulled out again
            assert "ບໍ່ພົບ" in again.problems[0] and "Errno" not in again.problems[0]
        finally:
            translator.set_language("en")
        monkeypatch.undo()
        folder.mkdir()
        assert sync_pass(field.store, folder).written == 1  # left in place: written
    finally:
        field.close()
        coordinator.close()
