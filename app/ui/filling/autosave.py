"""Autosave: every change reaches the store within about a third of a second.

The first change after a save starts a 300 ms timer (later changes do not
restart it, so fast typing cannot postpone the save). When it fires, the
payload is copied on the UI thread (`Filling.prepare_save`, about a
millisecond) and written by a single worker thread (`Filling.write`); never
two writes at once. Changes made during a write are saved right after it.

A failed write (disk full, I/O error) loses nothing: the answers stay in the
session and `Filling.write` puts the paradata back in its queue. The error is
shown once; the next change tries again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from app.fieldwork.filling import Filling
from app.store.repo_submissions import SaveAck
from app.ui.workers import Job, Task, run_task, serial_pool

log = logging.getLogger(__name__)

DELAY_MS = 300


class Autosaver(QObject):
    sig_saved = Signal(object)  # SaveAck
    sig_failed = Signal(object)  # the exception; shown once per failing streak
    sig_state_changed = Signal()

    def __init__(
        self,
        filling: Filling,
        *,
        collect_ui: Callable[[], dict[str, Any]] | None = None,
        delay_ms: int = DELAY_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.filling = filling
        self._collect_ui = collect_ui
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.save_now)
        self._pool = serial_pool()
        self._in_flight: Task | None = None
        self._dirty = False
        self._dirty_since: float | None = None  # monotonic time of the oldest unsaved change
        self._waiters: list[Callable[[bool], None]] = []
        self._stopped = False
        self.failing: BaseException | None = None
        self.last_ack: SaveAck | None = None
        self.last_latency_ms: float | None = None  # oldest unsaved change → durable
        self.latencies_ms: list[float] = []

    # -- state ---------------------------------------------------------------------
    @property
    def pending(self) -> bool:
        """Something is not yet durable (changed, waiting, or being written)."""
        return self._dirty or self._in_flight is not None

    @property
    def saving(self) -> bool:
        return self._in_flight is not None

    # -- input ---------------------------------------------------------------------
    def changed(self, *_args: object) -> None:
        """An answer, the page or the paradata changed: save soon."""
        if self._stopped:
            return
        if not self._dirty:
            self._dirty = True
            self._dirty_since = time.monotonic()
            self.sig_state_changed.emit()
        if not self._timer.isActive() and self._in_flight is None:
            self._timer.start()

    def flush(self, callback: Callable[[bool], None]) -> None:
        """Save whatever is pending now; then `callback(True)`, or `(False)` if it failed."""
        self._timer.stop()
        self._waiters.append(callback)
        if self._in_flight is not None:
            return  # _written / _write_failed settle the waiters
        if self._dirty:
            self.save_now()
        else:
            self._settle(True)

    def stop(self) -> None:
        """No more saves, for good (the form is closing; call after a successful flush)."""
        self._stopped = True
        self._timer.stop()

    # -- writing -------------------------------------------------------------------
    def save_now(self) -> None:
        self._timer.stop()
        if self._stopped or self._in_flight is not None or not self._dirty:
            return
        self._dirty = False
        started = self._dirty_since
        self._dirty_since = None
        if self._collect_ui is not None:
            self.filling.ui.update(self._collect_ui())
        payload = self.filling.prepare_save()
        filling = self.filling

        def work(_job: Job) -> SaveAck:
            return filling.write(payload)

        self._in_flight = run_task(
            work,
            name="autosave",
            pool=self._pool,
            on_success=lambda ack: self._written(ack, started),
            on_failure=lambda error: self._write_failed(error, started),
        )
        self.sig_state_changed.emit()

    def _written(self, ack: SaveAck, started: float | None) -> None:
        if not shiboken6.isValid(self):
            return  # the screen went while the write ran; the write itself is done
        self._in_flight = None
        self.last_ack = ack
        if started is not None:
            self.last_latency_ms = (time.monotonic() - started) * 1000
            self.latencies_ms.append(self.last_latency_ms)
            log.debug("autosave durable %.1f ms after the change", self.last_latency_ms)
        self.failing = None
        self.sig_saved.emit(ack)
        self.sig_state_changed.emit()
        if self._dirty:
            self.save_now()  # changes made during the write have waited long enough
        elif self._waiters:
            self._settle(True)

    def _write_failed(self, error: BaseException, started: float | None) -> None:
        if not shiboken6.isValid(self):
            return
        self._in_flight = None
        self._dirty = True  # the answers are still in the session: the next save has them
        if self._dirty_since is None:
            self._dirty_since = started
        first = self.failing is None
        self.failing = error
        log.warning("autosave failed: %s", error)
        self.sig_state_changed.emit()
        if self._waiters:
            self._settle(False)
        if first:
            self.sig_failed.emit(error)

    def _settle(self, ok: bool) -> None:
        waiters, self._waiters = self._waiters, []
        for callback in waiters:
            callback(ok)
