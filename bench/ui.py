"""Form entry benchmark on the engine benchmark's 1,000-question form.

Figures, each against a baseline measured in the same run so that they hold
on a noisy shared machine:

- open: `FormView` from nothing to its first page on screen, against building
  a bare page of the same Qt widgets (labels and line edits, no engine);
- keystroke → page updated, p95: a key in a number that drives relevance,
  through `set_value`, the redraw of the changed widgets and the repaint, in
  page mode and in scroll mode (every question on one page, so relevance
  changes show and hide widgets all over it); against a bare line edit's
  keystroke and repaint;
- scroll mode: `FormView(page_mode="scroll")` to its first screen on screen,
  the time until every page is built (in slices, between events), and the
  longest the UI thread went without serving its event loop: the open itself,
  or a gap between two ticks of a zero-timer watchdog afterwards (a slice plus
  the layout and paint after it), each against the bare page. DESIGN's rule is
  100 ms; the slices aim at 30. Python's full garbage collections during the
  build are timed too: one over the whole heap of a large session can be the
  longest stall, whatever the view does; and the time to delete the view
  with every page built (closing the form).

    xvfb-run -a .venv/bin/python bench/ui.py   (or QT_QPA_PLATFORM=offscreen)
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.formgen import big_form_rows, write_xlsx


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=200)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="samluat-bench-ui-")
    os.environ["SAMLUAT_HOME"] = home

    from PySide6.QtCore import QEvent, QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QVBoxLayout, QWidget

    from app.fieldwork.filling import Filling
    from app.fieldwork.library import FormLibrary, register_study_forms
    from app.store import create_store
    from app.store.crypto import KdfParams
    from app.ui.entry.form_view import FormView
    from app.ui.main import shut_down_qt

    app = QApplication.instance() or QApplication([])
    folder = Path(home) / "forms"
    folder.mkdir()
    write_xlsx(folder / "big.xlsx", big_form_rows())
    store = create_store(
        username="bench",
        password="bench password",
        path=Path(home) / "db.sqlite",
        kdf=KdfParams(time_cost=1, memory_cost_kib=8 * 1024, parallelism=1),
    )
    register_study_forms(store, folder)
    form = FormLibrary(store).get("bench_big", "1")

    # The number that the most relevance expressions read: typing in it shows and hides.
    reads = Counter(
        name
        for question in form.formdef.walk()
        if question.relevant is not None
        for name in re.findall(r"\$\{(q\d+)\} >", question.relevant.source)
    )
    driver, readers = reads.most_common(1)[0]

    def flush() -> None:
        app.processEvents()

    def open_view(mode: str) -> tuple[FormView, float]:
        filling = Filling.start(store=store, form=form)
        start = time.perf_counter()
        view = FormView(filling, page_mode=mode)
        view.resize(1366, 768)
        view.show()
        flush()
        return view, time.perf_counter() - start

    # Baseline: a bare page of the same widgets as the first page (label + line edit).
    def bare_page(count: int) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        for index in range(count):
            layout.addWidget(QLabel(f"Question {index}"))
            layout.addWidget(QLineEdit())
        page.resize(1366, 768)
        page.show()
        flush()
        return page

    view, _ = open_view("pages")  # warm up imports and caches
    first_count = len(view.widgets)
    view.close()
    open_runs = []
    for _ in range(5):
        view, seconds = open_view("pages")
        open_runs.append(seconds)
        view.close()
        view.deleteLater()
        flush()
    bare_runs = []
    for _ in range(5):
        start = time.perf_counter()
        page = bare_page(max(first_count, 1))
        bare_runs.append(time.perf_counter() - start)
        page.close()
        page.deleteLater()
        flush()
    open_s, bare_s = min(open_runs), min(bare_runs)

    def keystrokes(view: FormView) -> list[float]:
        node = view.session.node(driver)
        view.go_to(node)
        flush()
        edit = view.widgets[node].edit
        QTest.keyClicks(edit, "6")
        flush()
        timings = []
        for index in range(args.keys):
            key = Qt.Key.Key_0 if index % 2 == 0 else Qt.Key.Key_Backspace  # "60" ↔ "6"
            start = time.perf_counter()
            QTest.keyClick(edit, key)
            flush()
            timings.append(time.perf_counter() - start)
        return timings

    def built(view: FormView) -> bool:
        builder = getattr(view, "builder", None)  # None: a FormView that builds at once
        return builder is None or builder.complete

    def until_built(view: FormView) -> tuple[float, list[float], list[float]]:
        """Serve events until every page is built: (seconds, gaps between watchdog ticks,
        durations of Python's full garbage collections meanwhile)."""
        gaps: list[float] = []
        collections: list[float] = []
        last = [time.perf_counter()]
        started = [0.0]

        def tick() -> None:
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

        def collecting(phase: str, info: dict[str, int]) -> None:
            if info["generation"] != 2:
                return
            if phase == "start":
                started[0] = time.perf_counter()
            else:
                collections.append(time.perf_counter() - started[0])

        watchdog = QTimer()
        watchdog.setTimerType(Qt.TimerType.PreciseTimer)
        watchdog.setInterval(0)
        watchdog.timeout.connect(tick)
        loop = QEventLoop()

        def check_built() -> None:
            if built(view):
                loop.quit()

        check = QTimer()
        check.setInterval(1)
        check.timeout.connect(check_built)
        gc.callbacks.append(collecting)
        start = time.perf_counter()
        watchdog.start()
        check.start()
        if not built(view):
            loop.exec()
        watchdog.stop()
        check.stop()
        gc.callbacks.remove(collecting)
        return time.perf_counter() - start, gaps or [0.0], collections

    view, _ = open_view("pages")
    page_keys = keystrokes(view)
    view.close()
    scroll_opens, scroll_builds, scroll_gaps, scroll_gcs = [], [], [], []
    scroll_closes: list[float] = []
    gc.collect()
    for _ in range(3):
        scroll_view, seconds = open_view("scroll")
        scroll_opens.append(seconds)
        build_s, gaps, collections = until_built(scroll_view)
        scroll_builds.append(seconds + build_s)
        scroll_gaps.append(gaps)
        scroll_gcs.append(collections)
        # Closing as the app does: hidden, then its pages deleted a chunk per turn of
        # the event loop; the figure is the longest single step.
        scroll_view.hide()
        steps: list[float] = []
        finished: list[bool] = []
        scroll_view.dispose(partial(finished.append, True))
        while not finished:
            start = time.perf_counter()
            QApplication.processEvents()
            QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            steps.append(time.perf_counter() - start)
        scroll_view.deleteLater()
        start = time.perf_counter()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        steps.append(time.perf_counter() - start)
        scroll_closes.append(max(steps))
        flush()
        gc.collect()  # the next run starts from the same heap, not this run's garbage
    scroll_open_s = min(scroll_opens)
    # The run with the best open, and its longest stall: one noisy neighbour should not
    # decide the figure, but every stall of that run counts.
    best = scroll_opens.index(scroll_open_s)
    slice_stall_s = max(scroll_gaps[best])
    stall_s = max(scroll_open_s, slice_stall_s)  # opening is a stall too
    stall_p99_s = percentile(scroll_gaps[best], 0.99)
    gc_max_s = max(scroll_gcs[best], default=0.0)
    scroll_view, _ = open_view("scroll")
    until_built(scroll_view)
    scroll_keys = keystrokes(scroll_view)
    shown = sum(1 for w in scroll_view.widgets.values() if w.isVisible())
    scroll_view.close()

    bare = bare_page(1)
    edit = bare.findChild(QLineEdit)
    bare_keys = []
    for index in range(args.keys):
        key = Qt.Key.Key_0 if index % 2 == 0 else Qt.Key.Key_Backspace
        bare_keys.append(timed(lambda key=key: (QTest.keyClick(edit, key), flush())))
    bare_key_s = percentile(bare_keys, 0.95)
    shut_down_qt(view, scroll_view, bare)
    store.close()

    figures = {
        "benchmark": "ui",
        "platform": app.platformName(),
        "questions": form.formdef.count_questions(),
        "driver": driver,
        "relevance_readers": readers,
        "first_page_widgets": first_count,
        "open_ms": round(open_s * 1000, 1),
        "bare_page_ms": round(bare_s * 1000, 2),
        "open_ratio": round(open_s / bare_s, 1),
        "key_p95_pages_ms": round(percentile(page_keys, 0.95) * 1000, 2),
        "key_p95_scroll_ms": round(percentile(scroll_keys, 0.95) * 1000, 2),
        "key_p50_scroll_ms": round(percentile(scroll_keys, 0.5) * 1000, 2),
        "bare_key_p95_ms": round(bare_key_s * 1000, 3),
        "key_ratio_pages": round(percentile(page_keys, 0.95) / bare_key_s, 1),
        "key_ratio_scroll": round(percentile(scroll_keys, 0.95) / bare_key_s, 1),
        "scroll_open_ms": round(scroll_open_s * 1000, 1),
        "scroll_open_ratio": round(scroll_open_s / bare_s, 1),
        "scroll_all_built_ms": round(scroll_builds[best] * 1000, 1),
        "scroll_stall_max_ms": round(stall_s * 1000, 1),
        "scroll_slice_stall_max_ms": round(slice_stall_s * 1000, 1),
        "scroll_stall_p99_ms": round(stall_p99_s * 1000, 1),
        "scroll_stall_ratio": round(stall_s / bare_s, 1),
        "scroll_full_gc_max_ms": round(gc_max_s * 1000, 1),
        "scroll_close_step_max_ms": round(min(scroll_closes) * 1000, 1),
        "scroll_widgets_shown": shown,
        "targets": {"open_ms": 500, "key_p95_ms": 16, "stall_ms": 100},
    }
    for key, value in figures.items():
        if key not in ("benchmark", "targets"):
            print(f"{key:>22}: {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
