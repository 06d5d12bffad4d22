"""Check an incoming submission document against its form version, with the form engine.

A bundle comes from another machine: its documents are re-checked here as
if they were typed in again. The document's data is turned back into the
engine's stored values (every value must be of the field's type, every
choice one of the list's), the form is evaluated on them (one reused
`SnapshotChecker` per form and thread, as a restored session would), and the
form's own rules must hold (required answers present, constraints true). Any
failure refuses the whole bundle with a message naming the record and the
field, e.g. ``revision 5f…: main/admin/interview_date: This answer is not
allowed.``

Large batches are checked in worker processes (`FormCache`), chunk by chunk
as the importer reads them, or a whole file ahead (`app.bundle.precheck`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing
import os
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from app.bundle.errors import BundleRejected
from app.bundle.snapshot import document_values
from app.core.errors import SamluatError
from app.core.processes import may_start_workers
from app.engine.checker import SnapshotChecker
from app.engine.compiled import CompiledForm
from app.engine.loader import load_form_bytes
from app.engine.serialize import DOCUMENT_FORMAT
from app.store.canonical import parse_json

log = logging.getLogger(__name__)


FormKey = tuple[str, str, str]  # form_id, version, SHA-256 of the source
# A precheck's verdicts by record label: (form key, content hash, refusal or None).
Verdicts = dict[str, tuple[FormKey, str, str | None]]
WORKER_NICENESS = 10
MIN_PARALLEL = 64  # fewer documents than this in a batch: checked in process
CHUNK = 16  # documents per task sent to a worker


def revision_label(rev_id: str, instance_id: str) -> str:
    """How a refusal names a revision (a precheck's verdicts are matched by it)."""
    return f"revision {rev_id} of {instance_id}"


def default_workers() -> int:
    """Worker processes for import: one per core (at most 4); none on one core, or in a
    packaged app whose entry point did not make workers safe (`app.core.processes`)."""
    cores = os.cpu_count() or 1
    if not may_start_workers() or cores < 2:
        return 0
    return min(cores, 4)


@dataclass(frozen=True)
class Job:
    """One document to check: its canonical JSON text and what it must match."""

    form: FormKey
    text: str
    record: str
    instance_id: str
    document: Any = None  # the parsed text, when at hand (never sent to a worker)
    content_hash: str = ""  # SHA-256 of `text`, to match a precheck's verdict


@dataclass
class ValidationStats:
    """Where checking time went (for benchmarks and logs)."""

    documents: int = 0
    in_process_s: float = 0.0  # checking in this process
    workers_s: float = 0.0  # checking in workers (wall clock, summed over workers)
    workers_cpu_s: float = 0.0  # the CPU time of that
    waited_s: float = 0.0  # this process blocked on workers' verdicts


class FormCache:
    """Compiled forms by (form_id, version), built from stored source bytes once.

    With `workers` > 0 it also owns a pool of worker processes, started on
    the first large batch; `close()` stops them.
    """

    def __init__(self, *, workers: int = 0, min_parallel: int = MIN_PARALLEL) -> None:
        self._forms: dict[tuple[str, str, str], CompiledForm] = {}
        self._sources: dict[FormKey, tuple[bytes, str]] = {}
        self.workers = workers
        self.min_parallel = min_parallel
        self._pool: ProcessPoolExecutor | None = None
        self._seeded: frozenset[FormKey] = frozenset()
        self.stats = ValidationStats()
        self.prechecks: dict[str, Prechecked] = {}  # by the SHA-256 of a bundle file

    def known_forms(self) -> dict[FormKey, tuple[bytes, str]]:
        """The source of every form compiled here so far."""
        return dict(self._sources)

    def get(
        self, *, form_id: str, version: str, source: bytes, source_name: str, digest: str
    ) -> CompiledForm:
        """The compiled form; `BundleRejected` if its source does not load."""
        key = (form_id, version, digest)
        form = self._forms.get(key)
        if form is None:
            name = source_name or f"{form_id}.md"
            try:
                form = load_form_bytes(source, name)
            except SamluatError as error:
                raise BundleRejected(
                    f"form {form_id!r} version {version!r} does not load: "
                    f"{str(error).splitlines()[0][:300]}"
                ) from None
            if form.formdef.form_id != form_id or (form.formdef.version or "") != version:
                raise BundleRejected(
                    f"form {form_id!r} version {version!r}: its file declares "
                    f"{form.formdef.form_id!r} version {form.formdef.version!r}"
                )
            self._forms[key] = form
            self._sources[key] = (source, name)
        return form

    # -- batches ---------------------------------------------------------------------------

    def batch(self, expected: int, prechecked: Prechecked | None = None) -> CheckBatch:
        """A batch of about `expected` documents; in workers if that many are worth it.

        With `prechecked` (this bundle's documents checked ahead by a worker), the
        batch takes those verdicts and checks only what they do not cover, here.
        """
        if prechecked is not None:
            return CheckBatch(self, None, prechecked)
        pool = None
        wanted = self.worth_workers(expected)
        if multiprocessing.current_process().daemon:
            self.workers = 0  # a daemonic process may not have children
        if self.workers > 0 and wanted:
            try:
                pool = self._ensure_pool()
            except (OSError, RuntimeError):
                log.warning("validation workers cannot start; checking here", exc_info=True)
                self.workers = 0
        return CheckBatch(self, pool)

    def worth_workers(self, expected: int) -> bool:
        """Whether `expected` more documents should be checked in workers."""
        # Starting workers costs about a second; once they run (or once many documents
        # came through here), every batch goes to them.
        return (
            expected >= self.min_parallel
            or self._pool is not None
            or self.stats.documents >= 4 * self.min_parallel
        )

    def submit(self, function: Callable[..., Any], *args: Any) -> Future[Any] | None:
        """Run `function(*args)` in a validation worker; None when there are none."""
        if multiprocessing.current_process().daemon:
            self.workers = 0
        if self.workers <= 0:
            return None
        try:
            return self._ensure_pool().submit(function, *args)
        except Exception as error:  # no processes here after all (limits, sandbox)
            log.warning("validation workers cannot run (%s); checking here", error)
            self.workers = 0
            return None

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # Spawned, not forked: the caller may be a Qt program with threads running.
            # Workers start with the forms known now; later ones travel with their tasks.
            self._seeded = frozenset(self._sources)
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(dict(self._sources),),
            )
        return self._pool

    def _check_here(self, jobs: Sequence[Job], offset: int) -> tuple[int, str] | None:
        started = time.perf_counter()
        try:
            for index, job in enumerate(jobs):
                form = self._forms[job.form]
                message = check_text(form, job)
                if message is not None:
                    return offset + index, message
            return None
        finally:
            self.stats.in_process_s += time.perf_counter() - started

    def close(self) -> None:
        """Stop the worker processes (if any were started)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> FormCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class CheckBatch:
    """Documents being checked, in workers or (when there are few) here, on demand.

    `add` jobs as records are parsed (each full chunk goes to a worker at
    once), then `first_problem` waits for every verdict.
    """

    def __init__(
        self,
        cache: FormCache,
        pool: ProcessPoolExecutor | None,
        prechecked: Prechecked | None = None,
    ) -> None:
        self.cache = cache
        self.pool = pool
        self.prechecked = prechecked
        self.jobs: list[Job] = []
        self._sent = 0
        self.futures: list[tuple[int, Future[tuple[float, float, list[tuple[int, str]]]]]] = []

    def __len__(self) -> int:
        return len(self.jobs)

    def add(self, job: Job) -> None:
        if self.pool is not None and job.document is not None:
            job = dataclasses.replace(job, document=None)  # workers parse the text
        self.jobs.append(job)
        if self.pool is not None and len(self.jobs) - self._sent >= CHUNK:
            self._send()

    def flush(self) -> None:
        """Send the jobs added since the last full chunk (no more are coming soon)."""
        if self.pool is not None:
            self._send()

    def _send(self) -> None:
        assert self.pool is not None
        chunk = self.jobs[self._sent :]
        if not chunk:
            return
        seeded = self.cache._seeded
        sources = {j.form: self.cache._sources[j.form] for j in chunk if j.form not in seeded}
        tasks = [(j.form, j.text, j.record, j.instance_id) for j in chunk]
        future: Future[tuple[float, float, list[tuple[int, str]]]]
        try:
            future = self.pool.submit(_check_in_worker, sources, tasks)
        except Exception as error:
            # No processes here after all (limits, sandbox, a main module without its
            # `__main__` guard): checked here by `first_problem`, like a dead worker's share.
            log.warning("validation workers cannot run (%s); checking here", error)
            self.cache.workers = 0
            future = Future()
            future.set_exception(BrokenProcessPool(str(error)))
        self.futures.append((self._sent, future))
        self._sent = len(self.jobs)

    def first_problem(self) -> str | None:
        """Wait for every verdict; the first refusal in batch order, or None."""
        stats = self.cache.stats
        stats.documents += len(self.jobs)
        if self.prechecked is not None:
            return self._first_problem_prechecked(self.prechecked)
        if self.pool is None:
            found = self.cache._check_here(self.jobs, 0)
            return found[1] if found else None
        self._send()
        failures: list[tuple[int, str]] = []
        started = time.perf_counter()
        try:
            for index, (start, future) in enumerate(self.futures):
                end = self.futures[index + 1][0] if index + 1 < len(self.futures) else None
                try:
                    spent, cpu, problems = future.result()
                except BrokenProcessPool:
                    # A worker died (killed, out of memory): check its share here,
                    # with the same verdicts, and start a fresh pool next time.
                    log.warning("a validation worker died; checking its documents here")
                    self.cache.close()
                    found = self.cache._check_here(self.jobs[start:end], 0)
                    problems = [found] if found else []
                    spent = cpu = 0.0
                stats.workers_s += spent
                stats.workers_cpu_s += cpu
                failures.extend((start + i, message) for i, message in problems)
        finally:
            stats.waited_s += time.perf_counter() - started
        return min(failures)[1] if failures else None

    def _first_problem_prechecked(self, prechecked: Prechecked) -> str | None:
        verdicts = prechecked.verdicts(self.cache.stats)
        for index, job in enumerate(self.jobs):
            found = verdicts.get(job.record)
            if found is not None and found[0] == job.form and found[1] == job.content_hash:
                message = found[2]
            else:
                hit = self.cache._check_here([job], index)
                message = hit[1] if hit else None
            if message is not None:
                return message
        return None

    def cancel(self) -> None:
        """Drop the checks not started yet (the import failed for another reason)."""
        for _start, future in self.futures:
            future.cancel()


def check_text(form: CompiledForm, job: Job) -> str | None:
    """The refusal message for one document, or None if its form accepts it."""
    try:
        validate_document(
            form,
            job.document if job.document is not None else parse_json(job.text),
            record=job.record,
            instance_id=job.instance_id,
            form_id=job.form[0],
            form_version=job.form[1],
        )
    except BundleRejected as error:
        return str(error)
    return None


class Prechecked:
    """A worker's verdicts on one bundle file, checked ahead (see `app.bundle.precheck`)."""

    def __init__(self, future: Future[tuple[float, float, Verdicts]]) -> None:
        self.future = future
        self._verdicts: Verdicts | None = None

    def verdicts(self, stats: ValidationStats) -> Verdicts:
        """Wait for them (once); none if the worker failed."""
        if self._verdicts is None:
            started = time.perf_counter()
            try:
                spent, cpu, self._verdicts = self.future.result()
                stats.workers_s += spent
                stats.workers_cpu_s += cpu
            except Exception:
                log.warning("a precheck failed; checking that bundle here", exc_info=True)
                self._verdicts = {}
            stats.waited_s += time.perf_counter() - started
        return self._verdicts

    def cancel(self) -> None:
        self.future.cancel()


# -- in the worker processes ---------------------------------------------------------------

_WORKER_FORMS = FormCache()
_WORKER_SOURCES: dict[FormKey, tuple[bytes, str]] = {}


def _init_worker(sources: dict[FormKey, tuple[bytes, str]]) -> None:
    # Below the importer in priority: it is the bottleneck (one transaction at a time)
    # and, in the app, shares its process with the UI.
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(WORKER_NICENESS)
    # Compile the forms known when the pool started, once per worker, before any task.
    _WORKER_SOURCES.update(sources)
    for key in sources:
        with contextlib.suppress(BundleRejected):  # the importer reports it first
            worker_form(key)


def remember_sources(sources: dict[FormKey, tuple[bytes, str]]) -> None:
    """Make forms known to this worker (compiled when first needed)."""
    _WORKER_SOURCES.update(sources)


def worker_form(key: FormKey) -> CompiledForm:
    """A form known to this worker, compiled once; `BundleRejected` if it does not load."""
    source, name = _WORKER_SOURCES[key]
    return _WORKER_FORMS.get(
        form_id=key[0], version=key[1], source=source, source_name=name, digest=key[2]
    )


def _check_in_worker(
    sources: dict[FormKey, tuple[bytes, str]], tasks: list[tuple[FormKey, str, str, str]]
) -> tuple[float, float, list[tuple[int, str]]]:
    """(seconds, CPU seconds, [(index in `tasks`, refusal)]) — every task is checked."""
    started, cpu = time.perf_counter(), time.process_time()
    _WORKER_SOURCES.update(sources)
    problems: list[tuple[int, str]] = []
    for index, (key, text, record, instance_id) in enumerate(tasks):
        message = check_text(worker_form(key), Job(key, text, record, instance_id))
        if message is not None:
            problems.append((index, message))
    return time.perf_counter() - started, time.process_time() - cpu, problems


_LOCAL = threading.local()  # a checker reuses one tree: one per form and thread


def _checker(form: CompiledForm) -> SnapshotChecker:
    checkers: weakref.WeakKeyDictionary[CompiledForm, SnapshotChecker] | None = getattr(
        _LOCAL, "checkers", None
    )
    if checkers is None:
        checkers = _LOCAL.checkers = weakref.WeakKeyDictionary()
    found = checkers.get(form)
    if found is None:
        found = checkers[form] = SnapshotChecker(form)
    return found


def validate_document(
    form: CompiledForm,
    document: Any,
    *,
    record: str,
    instance_id: str,
    form_id: str,
    form_version: str,
) -> None:
    """Refuse (`BundleRejected`) a document that its form version would not accept."""
    if not isinstance(document, dict):
        raise BundleRejected(f"{record}: the document is not a JSON object")
    if document.get("format", DOCUMENT_FORMAT) != DOCUMENT_FORMAT:
        raise BundleRejected(f"{record}: unknown document format")
    if document.get("form_id") != form_id or document.get("form_version") != form_version:
        raise BundleRejected(
            f"{record}: the document is for form {document.get('form_id')!r} version "
            f"{document.get('form_version')!r}, its submission for {form_id!r} version "
            f"{form_version!r}"
        )
    if document.get("instance_id") != instance_id:
        raise BundleRejected(f"{record}: the document's instance id differs from its submission's")
    data = document.get("data")
    try:
        snapshot = document_values(form, data)
        problems = _checker(form).problems(snapshot, instance_id=instance_id)
    except ValueError as error:
        raise BundleRejected(f"{record}: {error}") from None
    except RecursionError:
        raise BundleRejected(f"{record}: the document is nested too deeply") from None
    except SamluatError as error:
        raise BundleRejected(f"{record}: {str(error)[:300]}") from None
    except Exception as error:
        # A fault of the form engine, not of the document: this bundle is refused (and
        # kept in quarantine, to import again after an update) instead of the exception
        # ending the whole import, and every sync pass after it, at this file.
        log.error("checking %s failed in the form engine", record, exc_info=True)
        raise BundleRejected(
            f"{record}: could not be checked: the form engine failed "
            f"({type(error).__name__}: {str(error)[:200]}). Keep this file and report it; "
            "import it again once Samluat is updated"
        ) from None
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise BundleRejected(f"{record}: {first.ref}: {first.kind}: {first.message}{more}")
