"""Folder sync after a database was put back from a backup: a file the memory of the
folder calls seen is skipped only while the bundle it brought is still in the database.

It used to be skipped unless the database had fewer bundles than at the last pass, so
a coordinator restored from a backup that imported anything else first (another
folder, `samluat bundle import`) never read the lost bundles again: "nothing to do",
and the laptops, already acknowledged, never sent those interviews again."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from app.bundle import format as fmt
from app.bundle.export import T_IMPORTED, export_coordinator_bundle, export_field_bundle
from app.bundle.importer import ImportStatus, import_bundle
from app.bundle.sync import SyncReport, _state_path, sync_folder
from app.bundle.target import BundleTarget
from app.store.check import content_hash, table_counts
from app.store.store import LocalStore, open_store
from tests.bundle.bundletools import (
    PASSWORD,
    Coordinator,
    Field,
    deliver,
    make_field,
    reopen,
    synthetic_documents,
)


@pytest.fixture
def laptops(tmp_path: Path, coordinator: Coordinator) -> Iterator[tuple[Field, Field]]:
    """Laptop 1 and laptop 2, two interviews each."""
    one, two = (
        make_field(tmp_path, coordinator, "laptop-1"),
        make_field(tmp_path, coordinator, "laptop-2"),
    )
    for n, laptop in enumerate((one, two)):
        for document in synthetic_documents()[2 * n : 2 * n + 2]:
            laptop.interview(dict(document))
    yield one, two
    one.close()
    two.close()


def _bundle_in(laptop: Field, folder: Path) -> Path:
    """The laptop's next bundle, in `folder` as if copied there a while ago."""
    written = export_field_bundle(laptop.target, folder=folder)
    assert written is not None
    _settled(written.path)
    return written.path


def _settled(path: Path) -> None:
    os.utime(path, (time.time() - 120, time.time() - 120))


def _sync(coordinator: Coordinator, folder: Path) -> SyncReport:
    return sync_folder(
        coordinator.target,
        folder,
        identities=[coordinator.identity],
        settle_seconds=0,
        write=False,
    )


def _statuses(report: SyncReport) -> list[tuple[str, ImportStatus]]:
    return [(r.path.name, r.status) for r in report.imported]


def _put_back(store: LocalStore, backup: Path) -> None:
    """The database file replaced by the backup, as someone does after disk trouble."""
    path = store.path
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(backup.read_bytes())


def _restore_coordinator(coordinator: Coordinator, backup: Path) -> BundleTarget:
    _put_back(coordinator.store, backup)
    return reopen(coordinator)


def _restore_laptop(laptop: Field, backup: Path, username: str) -> None:
    _put_back(laptop.store, backup)
    laptop.store = open_store(username=username, password=PASSWORD, path=laptop.store.path)
    laptop.target = BundleTarget.from_store(laptop.store)


def _applied_count(target: BundleTarget) -> int:
    with target.session() as session:
        return table_counts(session.connection())["imported_bundle"]


def _recorded(target: BundleTarget) -> set[tuple[str | None, int | None]]:
    """(source device, sequence) of every bundle the database records as applied."""
    with target.session() as session:
        rows = session.connection().execute(
            select(T_IMPORTED.c.source_device_id, T_IMPORTED.c.sequence).where(
                T_IMPORTED.c.status == "applied"
            )
        )
        return {(source, sequence) for source, sequence in rows}


def _state_of(target: BundleTarget) -> tuple[dict[str, int], str]:
    """`samluat db check`'s counts and content hash."""
    with target.session() as session:
        connection = session.connection()
        return table_counts(connection), content_hash(connection)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the bundle files opened (header or whole file), by anyone."""
    opened: list[str] = []
    real = fmt.read_envelope

    def read_envelope(path: Path, *args: object, **kwargs: object) -> fmt.Envelope:
        opened.append(Path(path).name)
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fmt, "read_envelope", read_envelope)
    return opened


# --- The coordinator ----------------------------------------------------------------------


@pytest.mark.parametrize("other_path", ["another folder", "bundle import"])
def test_a_restored_coordinator_that_imports_something_else_first_still_gets_the_lost_bundle(
    coordinator: Coordinator,
    laptops: tuple[Field, Field],
    tmp_path: Path,
    other_path: str,
) -> None:
    """QA's scenario (/tmp/qa-cli/repro_restore_skip.sh): sync folder F (laptop 2's
    bundle), database put back from the backup, laptop 1's bundle imported by another
    path so that the database has no fewer bundles than at the last pass, sync F."""
    one, two = laptops
    before = coordinator.store.backup(dest=tmp_path / "before.db").path
    from_two = _bundle_in(two, tmp_path / "F")
    from_one = _bundle_in(one, tmp_path / "G")

    day_one = _sync(coordinator, tmp_path / "F")
    assert _statuses(day_one) == [(from_two.name, ImportStatus.APPLIED)], day_one.lines()
    assert _applied_count(coordinator.target) == 1

    # What the database would be had it never lost anything: the backup, given both.
    never_lost = tmp_path / "never-lost.db"
    never_lost.write_bytes(before.read_bytes())
    reference = open_store(username="coord", password=PASSWORD, path=never_lost)
    try:
        reference_target = BundleTarget.from_store(reference)
        for path in (from_two, from_one):
            result = import_bundle(reference_target, path, identities=[coordinator.identity])
            assert result.status is ImportStatus.APPLIED, result.message
        expected = _state_of(reference_target)
    finally:
        reference.close()

    target = _restore_coordinator(coordinator, before)
    if other_path == "another folder":
        day_two = _sync(coordinator, tmp_path / "G")
        assert _statuses(day_two) == [(from_one.name, ImportStatus.APPLIED)], day_two.lines()
    else:
        result = import_bundle(target, from_one, identities=[coordinator.identity])
        assert result.status is ImportStatus.APPLIED, result.message
    assert _applied_count(target) == 1  # not fewer than at the last pass through F

    again = _sync(coordinator, tmp_path / "F")
    assert _statuses(again) == [(from_two.name, ImportStatus.APPLIED)], again.lines()
    assert coordinator.store.list_submissions().total == 4
    assert _state_of(target) == expected


def test_after_a_restore_only_the_lost_bundles_are_read_and_the_next_pass_reads_nothing(
    coordinator: Coordinator,
    laptops: tuple[Field, Field],
    tmp_path: Path,
    reads: list[str],
) -> None:
    """The memory still saves work: a file whose bundle survived the restore is not read
    again, nor is anything at a pass where nothing was lost."""
    one, two = laptops
    folder = tmp_path / "F"
    kept = _bundle_in(one, folder)
    assert _statuses(_sync(coordinator, folder)) == [(kept.name, ImportStatus.APPLIED)]
    before = coordinator.store.backup(dest=tmp_path / "before.db").path
    lost = _bundle_in(two, folder)
    assert _statuses(_sync(coordinator, folder)) == [(lost.name, ImportStatus.APPLIED)]

    reads.clear()
    quiet = _sync(coordinator, folder)
    assert quiet.imported == [] and reads == [], quiet.lines()

    target = _restore_coordinator(coordinator, before)
    one.interview(dict(synthetic_documents()[10]))
    newer = import_bundle(
        target, _bundle_in(one, tmp_path / "G"), identities=[coordinator.identity]
    )
    assert newer.status is ImportStatus.APPLIED, newer.message
    reads.clear()
    restored = _sync(coordinator, folder)
    assert _statuses(restored) == [(lost.name, ImportStatus.APPLIED)], restored.lines()
    assert set(reads) == {lost.name}  # laptop 1's first bundle is still here: not read

    reads.clear()
    after = _sync(coordinator, folder)
    assert after.imported == [] and reads == [], after.lines()


def test_a_memory_written_before_bundles_were_remembered_reads_its_files_once_more(
    coordinator: Coordinator,
    laptops: tuple[Field, Field],
    tmp_path: Path,
    reads: list[str],
) -> None:
    """A memory from the earlier version (file signatures, no bundle per file) that
    already missed a restore: its files are read once, what was lost is imported, and
    after that the memory skips them again."""
    one, two = laptops
    folder = tmp_path / "F"
    before = coordinator.store.backup(dest=tmp_path / "before.db").path
    lost = _bundle_in(two, folder)
    assert _statuses(_sync(coordinator, folder)) == [(lost.name, ImportStatus.APPLIED)]
    memory_path = _state_path(folder, coordinator.target.device_id)
    memory = json.loads(memory_path.read_text(encoding="utf-8"))
    memory.pop("brought", None)  # as the earlier version wrote it
    memory_path.write_text(json.dumps(memory), encoding="utf-8")

    target = _restore_coordinator(coordinator, before)
    other = import_bundle(
        target, _bundle_in(one, tmp_path / "G"), identities=[coordinator.identity]
    )
    assert other.status is ImportStatus.APPLIED, other.message
    again = _sync(coordinator, folder)
    assert _statuses(again) == [(lost.name, ImportStatus.APPLIED)], again.lines()

    reads.clear()
    after = _sync(coordinator, folder)
    assert after.imported == [] and reads == [], after.lines()


# --- A field laptop -----------------------------------------------------------------------


def test_a_restored_laptop_applies_again_the_coordinator_bundle_it_lost(
    coordinator: Coordinator, tmp_path: Path
) -> None:
    """The laptop took the coordinator's bundle from the sync folder, was put back from a
    backup, and took the coordinator's next bundle from a stick first (so it has no fewer
    bundles than at its last pass). The bundle still in the sync folder is applied again
    instead of being skipped as seen."""
    laptop = make_field(tmp_path, coordinator, "laptop-r")
    try:
        laptop.interview(dict(synthetic_documents()[4]))
        deliver(laptop, coordinator, tmp_path / "out")
        before = laptop.store.backup(dest=tmp_path / "before.db").path
        folder = tmp_path / "F"
        first = export_coordinator_bundle(
            coordinator.target, device_id=laptop.device_id, folder=folder
        )
        assert first is not None
        _settled(first.path)
        taken = sync_folder(laptop.target, folder, settle_seconds=0, write=False)
        assert _statuses(taken) == [(first.path.name, ImportStatus.APPLIED)], taken.lines()

        _restore_laptop(laptop, before, "enum-laptop-r")
        second = export_coordinator_bundle(
            coordinator.target, device_id=laptop.device_id, folder=tmp_path / "stick"
        )
        assert second is not None
        result = import_bundle(laptop.target, second.path)
        assert result.status is ImportStatus.APPLIED, result.message
        assert _applied_count(laptop.target) == 1  # not fewer than at the last pass

        again = sync_folder(laptop.target, folder, settle_seconds=0, write=False)
        assert _statuses(again) == [(first.path.name, ImportStatus.APPLIED)], again.lines()
        source = coordinator.target.device_id
        assert _recorded(laptop.target) == {(source, first.sequence), (source, second.sequence)}
        # And, applied again, it is remembered: the next pass reads nothing.
        assert sync_folder(laptop.target, folder, settle_seconds=0, write=False).imported == []
    finally:
        laptop.close()
