"""Background tasks: results and errors arrive on the UI thread; progress; cancel; one at a time."""

from __future__ import annotations

import threading
import time

from pytestqt.qtbot import QtBot

from app.core.errors import SamluatError
from app.ui.workers import BusyIndicator, CancelledError, Job, run_task, serial_pool


def test_result_arrives_on_the_ui_thread_with_progress(qtbot: QtBot) -> None:
    seen: dict[str, object] = {}
    progress: list[tuple[float, str]] = []
    ui_thread = threading.current_thread()

    def work(job: Job) -> str:
        seen["worker"] = threading.current_thread()
        job.progress(0.5, "half")
        return "done"

    def succeeded(result: str) -> None:
        seen["result"] = result
        seen["callback"] = threading.current_thread()

    run_task(work, on_success=succeeded, on_progress=lambda f, m: progress.append((f, m)))
    qtbot.waitUntil(lambda: "result" in seen)
    assert seen["result"] == "done"
    assert seen["worker"] is not ui_thread
    assert seen["callback"] is ui_thread
    assert progress == [(0.5, "half")]


def test_errors_arrive_as_objects_and_cancel_stops_the_work(qtbot: QtBot) -> None:
    errors: list[BaseException] = []
    run_task(lambda job: (_ for _ in ()).throw(SamluatError("no")), on_failure=errors.append)
    qtbot.waitUntil(lambda: len(errors) == 1)
    assert str(errors[0]) == "no"

    started = threading.Event()

    def long_work(job: Job) -> None:
        started.set()
        while True:
            job.check_cancelled()
            time.sleep(0.005)

    task = run_task(long_work, on_failure=errors.append)
    started.wait(5)
    task.cancel()
    qtbot.waitUntil(lambda: len(errors) == 2)
    assert isinstance(errors[1], CancelledError)


def test_a_serial_pool_never_runs_two_at_once(qtbot: QtBot) -> None:
    pool = serial_pool()
    active = 0
    most = 0
    order: list[int] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        time.sleep(0.01)
        order.append(n)
        with lock:
            active -= 1

    for n in range(5):
        run_task(lambda _job, n=n: work(n), pool=pool)
    qtbot.waitUntil(lambda: len(order) == 5)
    assert most == 1 and order == [0, 1, 2, 3, 4]


def test_busy_indicator_shows_only_for_slow_work(qtbot: QtBot) -> None:
    busy = BusyIndicator()
    qtbot.addWidget(busy)
    gate = threading.Event()
    task = busy.track(run_task(lambda _job: gate.wait(5)), "Working")
    qtbot.waitUntil(busy.isVisible, timeout=2000)
    assert busy.label.text() == "Working"
    gate.set()
    qtbot.waitUntil(lambda: task.done and not busy.isVisible())
    quick = busy.track(run_task(lambda _job: None), "Quick")
    qtbot.waitUntil(lambda: quick.done)
    qtbot.wait(BusyIndicator.SHOW_AFTER_MS + 50)
    assert not busy.isVisible()


def test_a_callback_of_a_deleted_object_is_dropped(qtbot: QtBot) -> None:
    import shiboken6
    from PySide6.QtCore import QObject

    class Receiver(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.calls = 0

        def finished(self) -> None:
            self.calls += 1
            self.objectName()  # raises if the C++ object is gone

    task = run_task(lambda job: None)
    task.wait(10)
    alive, gone = Receiver(), Receiver()
    task.when_finished(alive.finished)
    task.when_finished(gone.finished)  # the work has run: both are queued
    shiboken6.delete(gone)
    qtbot.waitUntil(lambda: alive.calls == 1)
    qtbot.wait(20)  # an exception in the event loop would fail this test
