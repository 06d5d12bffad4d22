"""Run slow work (copying attachments, reading previews) off the UI thread.

`run_async(fn, on_done, on_error)` runs `fn()` on the global thread pool and
calls back on the UI thread. Results travel through a signal of a QObject
that lives on the UI thread, so Qt queues the call across threads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

_alive: set[_Relay] = set()  # relays waiting for their worker (kept from garbage collection)


class _Relay(QObject):
    sig_finished = Signal(object)
    sig_failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn = fn
        self.relay = relay

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as error:
            log.exception("background job failed")
            self.relay.sig_failed.emit(error)
            return
        self.relay.sig_finished.emit(result)


def run_async(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
) -> None:
    relay = _Relay()
    _alive.add(relay)

    def done(result: Any) -> None:
        _alive.discard(relay)
        on_done(result)

    def failed(error: BaseException) -> None:
        _alive.discard(relay)
        on_error(error)

    relay.sig_finished.connect(done)
    relay.sig_failed.connect(failed)
    QThreadPool.globalInstance().start(_Job(fn, relay))


def wait_for_jobs(msecs: int = 30000) -> bool:
    """Block until background jobs end (tests and shutdown only)."""
    return bool(QThreadPool.globalInstance().waitForDone(msecs))
