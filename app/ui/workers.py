"""Run slow work off the UI thread: `run_task(fn, …)` → a `Task` with Qt signals.

`fn` receives a `Job` to report `progress(fraction, message)` and to check
`cancelled()`; its return value arrives in `sig_succeeded`, an exception in
`sig_failed`, both on the UI thread (the `Task` lives there, so Qt queues
the worker thread's emissions to it). Anything that may take more than a few
milliseconds (opening the store, saves, loading lists) goes through here, so
that the UI thread never blocks for more than 100 ms.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from app.core.errors import SamluatError
from app.core.i18n import _

log = logging.getLogger(__name__)


class CancelledError(SamluatError):
    """The user cancelled the work."""

    def __init__(self) -> None:
        super().__init__(_("Cancelled."))


class Job:
    """The worker side of a task: progress reports and the cancel flag."""

    def __init__(self, task: Task) -> None:
        self._task = task

    def progress(self, fraction: float, message: str = "") -> None:
        self._task.sig_progressed.emit(max(0.0, min(1.0, float(fraction))), message)

    def cancelled(self) -> bool:
        return self._task._cancel.is_set()

    def check_cancelled(self) -> None:
        """Raise `CancelledError` if the user asked to stop."""
        if self.cancelled():
            raise CancelledError()


class Task(QObject):
    """One piece of background work. Signals arrive on the UI thread."""

    sig_progressed = Signal(float, str)
    sig_succeeded = Signal(object)
    sig_failed = Signal(object)
    sig_finished = Signal()  # after succeeded or failed

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self._cancel = threading.Event()
        self._done = threading.Event()
        self._lock = threading.Lock()  # makes "done, or connected before the signal" atomic

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def when_finished(self, callback: Callable[[], None]) -> None:
        """Call `callback` on the UI thread once the work has run, even if it already has
        (connecting to `sig_finished` after the work ended would never fire)."""
        with self._lock:
            if not self._done.is_set():
                self.sig_finished.connect(callback)
                return
        receiver = getattr(callback, "__self__", None)
        if isinstance(receiver, QObject):
            QTimer.singleShot(0, receiver, callback)  # dropped if the receiver is deleted
        else:
            QTimer.singleShot(0, callback)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work has run (tests and shutdown only)."""
        return self._done.wait(timeout)


# Connect to a task's signals right after `run_task` returns, or use
# `Task.when_finished`: a signal emitted before a connection is made is lost.
# Tasks stay referenced until they finish; otherwise Python could collect the
# QObject while its worker still emits into it.
_running: set[Task] = set()


class _Runnable(QRunnable):
    def __init__(self, task: Task, fn: Callable[[Job], Any]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._task = task
        self._fn = fn

    def run(self) -> None:
        task = self._task
        try:
            result = self._fn(Job(task))
        except BaseException as error:  # handed to the UI thread, which decides
            if not isinstance(error, SamluatError):
                log.error("task %s failed", task.name, exc_info=error)
            with task._lock:
                task._done.set()
                if shiboken6.isValid(task):  # gone only when the app is shutting down
                    task.sig_failed.emit(error)
                    task.sig_finished.emit()
        else:
            with task._lock:
                task._done.set()
                if shiboken6.isValid(task):
                    task.sig_succeeded.emit(result)
                    task.sig_finished.emit()


def _forget(task: Task) -> None:
    _running.discard(task)


def run_task(
    fn: Callable[[Job], Any],
    *,
    name: str = "task",
    on_success: Callable[[Any], None] | None = None,
    on_failure: Callable[[BaseException], None] | None = None,
    on_progress: Callable[[float, str], None] | None = None,
    pool: QThreadPool | None = None,
) -> Task:
    """Start `fn(job)` on a worker thread; the callbacks run on the UI thread."""
    task = Task(name)
    if on_success is not None:
        task.sig_succeeded.connect(on_success)
    if on_failure is not None:
        task.sig_failed.connect(on_failure)
    if on_progress is not None:
        task.sig_progressed.connect(on_progress)
    _running.add(task)
    task.sig_finished.connect(lambda: _forget(task))
    (pool or QThreadPool.globalInstance()).start(_Runnable(task, fn))
    return task


def running_tasks() -> list[Task]:
    return list(_running)


def serial_pool() -> QThreadPool:
    """A pool with one thread: work queued on it runs one at a time, in order."""
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    return pool


class BusyIndicator(QWidget):
    """A message with a moving bar, shown while background work runs.

    Appears only after a short delay so that quick work does not flicker.
    """

    SHOW_AFTER_MS = 150

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setMaximumWidth(200)
        self.bar.setTextVisible(False)
        layout.addWidget(self.bar)
        layout.addWidget(self.label, 1)
        self._delay = QTimer(self)
        self._delay.setSingleShot(True)
        self._delay.timeout.connect(self.show)
        self._count = 0
        self.hide()

    @property
    def busy(self) -> bool:
        return self._count > 0

    def track(self, task: Task, message: str) -> Task:
        """Show `message` until `task` finishes; fraction reports move the bar."""
        self._count += 1
        self.label.setText(message)
        self.bar.setRange(0, 0)
        task.sig_progressed.connect(self._progressed)
        task.when_finished(self._finished)
        if not self.isVisible():
            self._delay.start(self.SHOW_AFTER_MS)
        return task

    def _progressed(self, fraction: float, message: str) -> None:
        self.bar.setRange(0, 1000)
        self.bar.setValue(int(fraction * 1000))
        if message:
            self.label.setText(message)

    def _finished(self) -> None:
        self._count = max(0, self._count - 1)
        if self._count == 0:
            self._delay.stop()
            self.hide()
