"""Bundles imported in a row share transactions (`app.bundle.grouping`), and each still
applies or fails alone: a refusal, a cancel, a failed write and a bundle with recordings
leave exactly the database that importing the bundles one by one would leave."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.bundle import grouping
from app.bundle import importer as importer_module
from app.bundle.export import export_field_bundle
from app.bundle.importer import ImportCancelled, ImportStatus, import_bundle, import_many
from app.bundle.keys import AgeIdentity, device_keys, register_device
from app.bundle.target import BundleTarget
from app.store.errors import StorageFullError
from app.store.tables import Submission
from tests.bundle.bundletools import (
    content_hash,
    make_coordinator,
    make_field,
    synthetic_documents,
    with_text,
)
from tests.bundle.conftest import Central, close_central, open_central


@dataclass
class Run:
    """Laptop A's three bundles (each carries what was not acknowledged: 3, 6 and 7
    interviews, the last with a recording) and laptop B's bundle, which its form refuses."""

    root: Path
    good: list[Path]
    refused: Path  # an answer that is not one of the choices
    cards: list[dict[str, Any]]
    identity: AgeIdentity


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    root = tmp_path_factory.mktemp("grouping")
    os.environ["SAMLUAT_HOME"] = str(root / "home")
    coordinator = make_coordinator(root)
    a = make_field(root, coordinator, "laptop-a")
    b = make_field(root, coordinator, "laptop-b")
    docs = synthetic_documents(count=12)
    good = []
    for batch in (docs[0:3], docs[3:6]):
        for document in batch:
            a.interview(dict(document))
        written = export_field_bundle(a.target, folder=root / "out")
        assert written is not None
        good.append(written.path)
    a.interview(dict(docs[6]), attachment=b"OggS" + bytes(200_000))
    written = export_field_bundle(a.target, folder=root / "out")
    assert written is not None
    good.append(written.path)
    b.interview(dict(docs[7]))
    b.interview(with_text(docs[8], "z", key="swot_category"))  # not one of the choices
    refused = export_field_bundle(b.target, folder=root / "out")
    assert refused is not None
    cards = [device_keys(laptop.target).card() for laptop in (a, b)]
    identity = coordinator.identity
    for item in (a, b, coordinator):
        item.close()
    yield Run(root, good, refused.path, cards, identity)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[str]:
    yield request.param


def _central(engine: str, run: Run, request: pytest.FixtureRequest, tmp: Path) -> Central:
    pg = request.getfixturevalue("pg_url") if engine == "postgresql" else None
    central = open_central(engine, tmp, pg)
    for card in run.cards:
        register_device(central.target, card)
    central.identity = run.identity
    return central


def _one_by_one(central: Central, paths: list[Path]) -> str:
    """The database after importing `paths` each in its own transaction, as before groups."""
    for path in paths:
        result = import_bundle(central.target, path, identities=[central.identity])
        assert result.status in (ImportStatus.APPLIED, ImportStatus.REJECTED), result.message
    return content_hash(central.target)


def _submissions_seen_elsewhere(target: BundleTarget) -> int:
    """Submissions another thread sees (committed ones only)."""
    seen: list[int] = []

    def count() -> None:
        with target.session() as session:
            seen.append(session.execute(select(func.count()).select_from(Submission)).scalar())

    thread = threading.Thread(target=count)
    thread.start()
    thread.join()
    return seen[0]


def test_a_refused_bundle_in_a_run_leaves_the_others_applied(
    run: Run, engine: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    reference = _central(engine, run, request, tmp_path / "one-by-one")
    try:
        expected = _one_by_one(reference, [run.good[0], run.refused, run.good[1], run.good[2]])
    finally:
        close_central(reference)
    central = _central(engine, run, request, tmp_path / "grouped")
    try:
        results = import_many(
            central.target,
            [run.good[0], run.refused, run.good[1], run.good[2]],
            identities=[central.identity],
            quarantine_dir=tmp_path / "quarantine",
        )
        assert [r.status for r in results] == [
            ImportStatus.APPLIED,
            ImportStatus.REJECTED,
            ImportStatus.APPLIED,
            ImportStatus.APPLIED,
        ], [r.message for r in results]
        assert "swot_category" in results[1].message
        assert content_hash(central.target) == expected
        assert _submissions_seen_elsewhere(central.target) == 7  # laptop A's
    finally:
        close_central(central)


def test_a_failed_write_undoes_the_open_group_and_the_import_can_run_again(
    run: Run, engine: str, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: Any
) -> None:
    central = _central(engine, run, request, tmp_path / "central")
    try:
        empty = content_hash(central.target)
        real_apply = importer_module._apply

        def disk_full_at_the_second(target: Any, checked: Any, *args: Any) -> None:
            real_apply(target, checked, *args)
            if checked.envelope.header.sequence == 2:
                raise StorageFullError("The disk is full.")

        monkeypatch.setattr(importer_module, "_apply", disk_full_at_the_second)
        with pytest.raises(StorageFullError):
            import_many(central.target, run.good, identities=[central.identity])
        # Bundle 1 shared the transaction: it is not in the database either.
        assert content_hash(central.target) == empty

        # With one bundle per transaction, bundle 1 stays.
        monkeypatch.setattr(grouping, "GROUP_RECORDS", 1)
        with pytest.raises(StorageFullError):
            import_many(central.target, run.good, identities=[central.identity])
        assert _submissions_seen_elsewhere(central.target) == 3

        monkeypatch.setattr(importer_module, "_apply", real_apply)
        results = import_many(central.target, run.good, identities=[central.identity])
        assert [r.status for r in results] == [
            ImportStatus.ALREADY,
            ImportStatus.APPLIED,
            ImportStatus.APPLIED,
        ], [r.message for r in results]
        after = content_hash(central.target)
    finally:
        close_central(central)
    reference = _central(engine, run, request, tmp_path / "reference")
    try:
        assert _one_by_one(reference, run.good) == after
    finally:
        close_central(reference)


def test_a_cancel_keeps_the_bundles_finished_before_it(
    run: Run, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    central = _central("sqlite", run, request, tmp_path / "central")
    try:
        files: list[str] = []

        def progress(_fraction: float, name: str) -> None:
            files.append(name)

        def cancel() -> bool:
            return len(files) >= 2  # while the second bundle is being applied

        with pytest.raises(ImportCancelled):
            import_many(
                central.target,
                run.good,
                identities=[central.identity],
                progress=progress,
                cancel=cancel,
            )
        assert _submissions_seen_elsewhere(central.target) == 3  # the first bundle's
        results = import_many(central.target, run.good, identities=[central.identity])
        assert [r.status for r in results] == [
            ImportStatus.ALREADY,
            ImportStatus.APPLIED,
            ImportStatus.APPLIED,
        ]
    finally:
        close_central(central)


def test_the_run_before_a_bundle_with_recordings_is_committed_first(
    run: Run, engine: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A bundle's audio is written in transactions of its own; the bundles before it are
    committed by then (another reader sees them), and its audio does not wait in a group."""
    central = _central(engine, run, request, tmp_path / "central")
    seen_while_receiving_audio: list[int] = []
    try:
        files: list[str] = []

        def progress(_fraction: float, name: str) -> None:
            files.append(name)

        def cancel() -> bool:
            if len(files) == 3 and not seen_while_receiving_audio:
                seen_while_receiving_audio.append(_submissions_seen_elsewhere(central.target))
            return False

        results = import_many(
            central.target,
            run.good,
            identities=[central.identity],
            progress=progress,
            cancel=cancel,
        )
        assert all(r.status is ImportStatus.APPLIED for r in results)
        assert seen_while_receiving_audio == [6]
    finally:
        close_central(central)


def test_other_threads_stay_outside_a_shared_transaction(
    run: Run, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    central = _central("sqlite", run, request, tmp_path / "central")
    try:
        with central.target.one_transaction():
            result = import_bundle(central.target, run.good[0], identities=[central.identity])
            assert result.status is ImportStatus.APPLIED
            assert _submissions_seen_elsewhere(central.target) == 0  # not committed yet
            with pytest.raises(RuntimeError), central.target.one_transaction():
                pass
        assert _submissions_seen_elsewhere(central.target) == 3
    finally:
        close_central(central)


def test_a_full_disk_in_a_run_is_reported_as_a_full_disk(
    run: Run, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """SQLite ends the whole transaction itself when the disk is full: the error says the
    disk is full (not that a savepoint is missing), and the run can be imported later."""
    from sqlalchemy import event

    central = _central("sqlite", run, request, tmp_path / "central")
    assert central.coordinator is not None
    engine = central.coordinator.store.db.engine
    try:
        empty = content_hash(central.target)

        def no_room(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
            pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
            dbapi_conn.execute(f"PRAGMA max_page_count={pages + 2}")

        engine.dispose()
        event.listen(engine.pool, "checkout", no_room)
        try:
            with pytest.raises(StorageFullError):
                import_many(central.target, run.good[:2], identities=[central.identity])
        finally:
            event.remove(engine.pool, "checkout", no_room)
            engine.dispose()
        assert content_hash(central.target) == empty
        results = import_many(central.target, run.good, identities=[central.identity])
        assert all(r.status is ImportStatus.APPLIED for r in results)
        assert _submissions_seen_elsewhere(central.target) == 7
    finally:
        close_central(central)


def test_two_threads_each_import_in_their_own_shared_transaction(
    run: Run, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The app and a command may share one `BundleTarget`: a second thread's run waits for
    the write lock and then applies in a transaction of its own."""
    central = _central("sqlite", run, request, tmp_path / "central")
    outcome: list[object] = []

    def second() -> None:
        try:
            with central.target.one_transaction():
                outcome.append(
                    import_bundle(central.target, run.good[1], identities=[central.identity])
                )
        except Exception as error:  # reported to the test below
            outcome.append(error)

    try:
        with central.target.one_transaction():
            first = import_bundle(central.target, run.good[0], identities=[central.identity])
            assert first.status is ImportStatus.APPLIED
            thread = threading.Thread(target=second)
            thread.start()
            thread.join(timeout=0.5)
            assert thread.is_alive()  # waiting for the write lock this thread holds
        thread.join(timeout=30)
        assert len(outcome) == 1 and getattr(outcome[0], "status", None) is ImportStatus.APPLIED
        assert _submissions_seen_elsewhere(central.target) == 6
    finally:
        close_central(central)
