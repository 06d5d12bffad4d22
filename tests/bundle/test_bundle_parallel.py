"""Documents checked in worker processes: the same verdicts, the same database, as in process."""

from __future__ import annotations

import copy
import json
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.bundle.export import export_field_bundle
from app.bundle.importer import ImportStatus, import_bundle, import_many
from app.bundle.keys import AgeIdentity
from app.bundle.validate import FormCache, Job, Prechecked
from app.store.canonical import canonical_text, sha256_hex
from app.store.check import content_hash
from app.store.tables import Submission
from tests.bundle.bundletools import (
    SWOT,
    Coordinator,
    compiled,
    form_source,
    make_coordinator,
    make_field,
    synthetic_documents,
)

WORKERS = 2


@dataclass
class Bundles:
    root: Path
    good: Path
    bad: Path
    cards: list[dict[str, Any]]
    identity: AgeIdentity  # the coordinator key the bundles are encrypted to


def _broken(document: dict[str, Any], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(document)
    stack = [out["data"]]
    while stack:
        node = stack.pop()
        if "swot_category" in node:
            node["swot_category"] = value
            return out
        stack.extend(v for v in node.values() if isinstance(v, dict))
    raise AssertionError("no swot_category")


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bundles]:
    root = tmp_path_factory.mktemp("parallel")
    os.environ["SAMLUAT_HOME"] = str(root / "home")
    coordinator = make_coordinator(root)
    good = make_field(root, coordinator, "laptop-good")
    bad = make_field(root, coordinator, "laptop-bad")
    docs = synthetic_documents()
    for document in docs:
        good.interview(dict(document))
    # Two refusals in the bundle: the first in bundle order is the one reported.
    for index, document in enumerate(docs):
        if index == 30:
            document = _broken(document, "z")  # not one of the choices
        elif index == 35:
            document = _broken(document, None)  # a required answer missing
        bad.interview(dict(document))
    good_bundle = export_field_bundle(good.target, folder=root / "out")
    bad_bundle = export_field_bundle(bad.target, folder=root / "out")
    assert good_bundle is not None and bad_bundle is not None
    from app.bundle.keys import device_keys

    cards = [device_keys(laptop.target).card() for laptop in (good, bad)]
    for item in (good, bad, coordinator):
        item.close()
    yield Bundles(root, good_bundle.path, bad_bundle.path, cards, coordinator.identity)


@contextmanager
def _coordinator(root: Path, name: str, bundles: Bundles) -> Iterator[Coordinator]:
    """A fresh coordinator store that knows both laptops."""
    from app.bundle.keys import register_device

    coordinator = make_coordinator(root, name=name)
    try:
        for card in bundles.cards:
            register_device(coordinator.target, card)
        yield coordinator
    finally:
        coordinator.close()


def _import(root: Path, name: str, bundles: Bundles, path: Path, forms: FormCache) -> Any:
    with _coordinator(root, name, bundles) as coordinator:
        result = import_bundle(
            coordinator.target,
            path,
            identities=[bundles.identity],
            forms=forms,
            quarantine_dir=root / "quarantine",
        )
        with coordinator.target.session() as session:
            connection = session.connection()
            state = (
                content_hash(connection),
                sorted(
                    tuple(r)
                    for r in connection.execute(
                        select(Submission.instance_id, Submission.state, Submission.head_rev_id)  # type: ignore[call-overload]
                    )
                ),
            )
        return result, state


def test_workers_store_the_same_database(bundles: Bundles) -> None:
    here, here_state = _import(bundles.root, "in-process", bundles, bundles.good, FormCache())
    with FormCache(workers=WORKERS, min_parallel=1) as forms:
        there, there_state = _import(bundles.root, "in-workers", bundles, bundles.good, forms)
        assert forms.stats.workers_s > 0 and forms.stats.in_process_s == 0
    assert here.status is there.status is ImportStatus.APPLIED
    assert here.stats == there.stats
    assert there_state == here_state
    assert len(there_state[1]) == len(synthetic_documents())


def test_workers_refuse_with_the_first_problem_in_bundle_order(bundles: Bundles) -> None:
    here, here_state = _import(bundles.root, "bad-in-process", bundles, bundles.bad, FormCache())
    with FormCache(workers=WORKERS, min_parallel=1) as forms:
        there, there_state = _import(bundles.root, "bad-in-workers", bundles, bundles.bad, forms)
    assert here.status is there.status is ImportStatus.REJECTED
    assert "not one of the choices" in here.message or "required" in here.message
    assert there.message == here.message
    assert there_state == here_state and not there_state[1]  # nothing applied


def _jobs(count: int) -> tuple[FormCache, list[Job]]:
    forms = FormCache(workers=1, min_parallel=1)
    form = compiled(SWOT).formdef
    source = form_source(SWOT)
    digest = sha256_hex(source)
    forms.get(
        form_id=form.form_id,
        version=form.version or "",
        source=source,
        source_name=SWOT.name,
        digest=digest,
    )
    jobs = []
    for index, document in enumerate(synthetic_documents()[:count]):
        if index == count - 1:
            document = _broken(document, "z")
        jobs.append(
            Job(
                (form.form_id, form.version or "", digest),
                canonical_text(document),
                f"record {index}",
                str(document["instance_id"]),
                json.loads(canonical_text(document)),
                sha256_hex(canonical_text(document).encode("utf-8")),
            )
        )
    return forms, jobs


def test_a_dead_worker_share_is_checked_in_process() -> None:
    forms, jobs = _jobs(20)
    with forms:
        warm = forms.batch(len(jobs))
        for job in jobs[:-1]:
            warm.add(job)
        assert warm.first_problem() is None
        pool = forms._pool
        assert pool is not None
        for process in list(pool._processes.values()):  # type: ignore[attr-defined]
            os.kill(process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not pool._broken and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.05)
        batch = forms.batch(len(jobs))
        for job in jobs:
            batch.add(job)
        problem = batch.first_problem()
    assert problem is not None and "record 19" in problem and "not one of the choices" in problem


# -- prechecks: the next files' documents checked ahead by workers -----------------------------


def _import_all(
    root: Path, name: str, bundles: Bundles, paths: list[Path], forms: FormCache
) -> tuple[list[Any], Any]:
    with _coordinator(root, name, bundles) as coordinator:
        results = import_many(
            coordinator.target,
            paths,
            identities=[bundles.identity],
            forms=forms,
            quarantine_dir=root / "quarantine",
        )
        with coordinator.target.session() as session:
            return results, content_hash(session.connection())


def test_prechecked_imports_give_the_same_verdicts_and_database(bundles: Bundles) -> None:
    files = [bundles.bad, bundles.good]
    here, here_state = _import_all(bundles.root, "all-in-process", bundles, files, FormCache())
    with FormCache(workers=WORKERS, min_parallel=1) as forms:
        there, there_state = _import_all(bundles.root, "all-prechecked", bundles, files, forms)
        # Every document was checked ahead by a worker; none here.
        assert forms.stats.workers_cpu_s > 0 and forms.stats.in_process_s == 0
        assert not forms.prechecks  # each precheck was taken by its import
    assert [r.status for r in there] == [ImportStatus.REJECTED, ImportStatus.APPLIED]
    assert [r.message for r in there] == [r.message for r in here]
    assert "not one of the choices" in there[0].message or "required" in there[0].message
    assert there_state == here_state


def _prechecked(result: Any) -> Prechecked:
    future: Future[Any] = Future()
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
    return Prechecked(future)


def test_a_verdict_on_other_content_is_not_trusted() -> None:
    forms, jobs = _jobs(20)
    # A verdict "accepted" for every record, but on documents with other content.
    stale = {job.record: (job.form, "0" * 64, None) for job in jobs}
    with forms:
        batch = forms.batch(len(jobs), _prechecked((0.0, 0.0, stale)))
        for job in jobs:
            batch.add(job)
        problem = batch.first_problem()
    assert problem is not None and "record 19" in problem and "not one of the choices" in problem
    assert forms.stats.in_process_s > 0  # checked here instead


def test_a_failed_precheck_is_checked_here() -> None:
    forms, jobs = _jobs(20)
    with forms:
        batch = forms.batch(len(jobs), _prechecked(BrokenProcessPool("worker killed")))
        for job in jobs:
            batch.add(job)
        problem = batch.first_problem()
    assert problem is not None and "record 19" in problem and "not one of the choices" in problem


def test_a_matching_verdict_is_taken_as_it_is() -> None:
    forms, jobs = _jobs(20)
    verdicts = {job.record: (job.form, job.content_hash, None) for job in jobs[:-1]}
    verdicts[jobs[-1].record] = (jobs[-1].form, jobs[-1].content_hash, "record 19: refused ahead")
    with forms:
        batch = forms.batch(len(jobs), _prechecked((0.5, 0.5, verdicts)))
        for job in jobs:
            batch.add(job)
        assert batch.first_problem() == "record 19: refused ahead"
    assert forms.stats.in_process_s == 0 and forms.stats.workers_cpu_s == 0.5


def test_folder_sync_prechecks_the_files_it_imports(bundles: Bundles) -> None:
    from app.bundle.sync import sync_folder

    folder = bundles.root / "synced-folder"
    folder.mkdir()
    for path in (bundles.bad, bundles.good):
        (folder / path.name).write_bytes(path.read_bytes())
        os.utime(folder / path.name, (time.time() - 120, time.time() - 120))
    with _coordinator(bundles.root, "sync-prechecked", bundles) as coordinator:
        with FormCache(workers=WORKERS, min_parallel=1) as forms:
            report = sync_folder(
                coordinator.target,
                folder,
                identities=[bundles.identity],
                settle_seconds=30,
                quarantine_dir=bundles.root / "quarantine",
                write=False,
                forms=forms,
            )
            assert forms.stats.workers_cpu_s > 0 and forms.stats.in_process_s == 0
        # The same files in the same order, checked in process, end the same way.
        order = [r.path.name for r in report.imported]
        originals = {p.name: p for p in (bundles.bad, bundles.good)}
        expected, expected_state = _import_all(
            bundles.root, "sync-reference", bundles, [originals[n] for n in order], FormCache()
        )
        assert [(r.status, r.message) for r in report.imported] == [
            (r.status, r.message) for r in expected
        ]
        assert ImportStatus.APPLIED in {r.status for r in report.imported}
        with coordinator.target.session() as session:
            assert content_hash(session.connection()) == expected_state


def test_workers_run_below_the_importer(bundles: Bundles) -> None:
    from app.bundle.validate import WORKER_NICENESS

    with FormCache(workers=1, min_parallel=1) as forms:
        future = forms.submit(os.nice, 0)  # the worker's own niceness
        assert future is not None
        assert future.result(timeout=60) == min(os.nice(0) + WORKER_NICENESS, 19)


def test_audio_heavy_bundles_are_not_prechecked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A precheck decrypts the whole file: not worth it for a few documents in gigabytes
    of audio (here: a lower limit and a 300 kB recording)."""
    import app.bundle.importer as importer
    from app.bundle.importer import Prechecks

    coordinator = make_coordinator(tmp_path)
    field = make_field(tmp_path, coordinator, "laptop-audio")
    field.interview(dict(synthetic_documents()[0]), attachment=bytes(300_000))
    bundle = export_field_bundle(field.target, folder=tmp_path / "out")
    assert bundle is not None
    try:
        with FormCache(workers=1, min_parallel=1) as forms:
            ahead = Prechecks(coordinator.target, [bundle.path], [coordinator.identity], forms)
            ahead.schedule(0)
            assert len(forms.prechecks) == 1  # under the limit: prechecked
            ahead.drop()
            monkeypatch.setattr(importer, "PRECHECK_MAX_ATTACHMENT_BYTES", 100_000)
            hashed: list[Path] = []
            real = importer._check_outside

            def counted(target: Any, path: Path, limits: Any) -> Any:
                hashed.append(path)
                return real(target, path, limits)

            monkeypatch.setattr(importer, "_check_outside", counted)
            ahead = Prechecks(coordinator.target, [bundle.path], [coordinator.identity], forms)
            ahead.schedule(0)
            assert forms.prechecks == {}
            assert hashed == []  # the header said no: the file was not read through
            monkeypatch.setattr(importer, "_check_outside", real)
            result = import_bundle(
                coordinator.target, bundle.path, identities=[coordinator.identity], forms=forms
            )
            assert result.status is ImportStatus.APPLIED, result.message
    finally:
        field.close()
        coordinator.close()
