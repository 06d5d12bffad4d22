"""The interview workspace: the guide, large timed notes, a clock, recording, bookmarks.

It is a `FormView` in note mode (the guide's questions in the index on the
left, one question per page with a large note area) with an interview bar
on top and the bookmarks on the right. Notes and recordings are answers of
the form, so they autosave like any answer (`sig_answer_changed`).

Recording is gated by the form itself: it records into the audio question of
the current section, and such a question is relevant only when the
interviewee agreed to the recording (`${consent_audio} = 'yes'`).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core import paths
from app.core.i18n import _
from app.core.text import with_breaks
from app.engine.compiled import FieldDef
from app.engine.instance import Node
from app.engine.model import Kind
from app.fieldwork.filling import Filling
from app.ui.entry import keys
from app.ui.entry.attachments import StoredFile
from app.ui.entry.form_view import FormView, listen_for_language
from app.ui.entry.widgets.text import TextWidget
from app.ui.interview.recorder import Recorder, unavailable

log = logging.getLogger(__name__)
NODE_ROLE = Qt.ItemDataRole.UserRole + 1
BOOKMARKS_SHARE, BOOKMARKS_MIN, BOOKMARKS_MAX = 0.16, 140, 220


def format_elapsed(seconds: float) -> str:
    """12:34 under an hour, 1:02:03 from then on."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class InterviewClock:
    """Elapsed interview time that can pause; survives a restart through `seconds`."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.base = seconds
        self.started: float | None = None

    @property
    def running(self) -> bool:
        return self.started is not None

    def seconds(self) -> float:
        extra = time.monotonic() - self.started if self.started is not None else 0.0
        return self.base + extra

    def start(self) -> None:
        if self.started is None:
            self.started = time.monotonic()

    def pause(self) -> None:
        self.base = self.seconds()
        self.started = None


class InterviewWorkspace(QWidget):
    sig_answer_changed = Signal()
    sig_question_entered = Signal(object)
    sig_question_left = Signal(object)
    sig_finalise_requested = Signal()

    def __init__(
        self, filling: Filling, *, page_mode: str = "pages", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.filling = filling
        self.session = filling.session
        state = filling.ui.get("interview") if isinstance(filling.ui, dict) else None
        state = state if isinstance(state, dict) else {}
        self.clock = InterviewClock(float(state.get("elapsed", 0.0) or 0.0))
        self.bookmark_times: dict[str, float] = {
            str(k): float(v) for k, v in dict(state.get("bookmark_times", {})).items()
        }
        self.recorder = Recorder(self)
        self.recording_node: Node | None = None
        self._build(page_mode)
        self.recorder.sig_state_changed.connect(self._recorder_state)
        self.recorder.sig_level_changed.connect(lambda level: self.meter.setValue(int(level * 100)))
        self.recorder.sig_finished.connect(self._recording_finished)
        self.recorder.sig_failed.connect(self.show_recording_message)
        self.tick = QTimer(self)
        self.tick.setInterval(500)
        self.tick.timeout.connect(self._update_clock)
        self.tick.start()
        keys.install(
            self,
            {
                "timestamp": self.insert_timestamp,
                "clock": self.toggle_clock,
                "record": self.toggle_recording,
                "pause_recording": self.recorder.pause,
            },
        )
        listen_for_language(self, "retranslate")
        self.retranslate()
        self._refresh_bookmarks()

    # -- layout ------------------------------------------------------------------------
    def _build(self, page_mode: str) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 4, 8, 0)
        self.clock_label = QLabel()
        self.clock_label.setObjectName("interviewClock")
        font = self.clock_label.font()
        font.setPointSizeF(max(font.pointSizeF(), 9) * 1.5)
        font.setBold(True)
        self.clock_label.setFont(font)
        self.clock_button = QPushButton()
        self.clock_button.clicked.connect(self.toggle_clock)
        self.record_button = QPushButton()
        self.record_button.clicked.connect(self.toggle_recording)
        self.pause_button = QPushButton()
        self.pause_button.clicked.connect(self.recorder.pause)
        self.meter = QProgressBar()
        self.meter.setRange(0, 100)
        self.meter.setTextVisible(False)
        self.meter.setMaximumWidth(120)
        self.meter.setMaximumHeight(12)
        self.record_status = QLabel()
        self.record_status.setWordWrap(True)
        self.record_status.setObjectName("questionHint")
        for widget in (self.clock_label, self.clock_button, self.record_button, self.pause_button):
            bar.addWidget(widget)
        bar.addWidget(self.meter)
        bar.addWidget(self.record_status, 1)
        layout.addLayout(bar)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.view = FormView(self.filling, page_mode=page_mode, note_mode=True)
        self.view.sig_answer_changed.connect(self.sig_answer_changed.emit)
        self.view.sig_question_entered.connect(self._entered)
        self.view.sig_question_left.connect(self.sig_question_left.emit)
        self.view.sig_finalise_requested.connect(self.sig_finalise_requested.emit)
        self.view.sig_bookmarks_changed.connect(self._bookmarks_changed)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(4, 4, 4, 4)
        self.bookmarks_title = QLabel()
        self.bookmarks_title.setObjectName("panelTitle")
        self.bookmark_list = QListWidget()
        self.bookmark_list.setWordWrap(True)
        # A narrow column: labels wrap (Lao at `with_breaks` points), never scroll sideways.
        self.bookmark_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.bookmark_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.bookmark_list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.bookmark_list.itemActivated.connect(self._bookmark_chosen)
        side_layout.addWidget(self.bookmarks_title)
        side_layout.addWidget(self.bookmark_list, 1)
        splitter.addWidget(self.view)
        splitter.addWidget(side)
        # Reading order: the guide's page and its buttons, then the bookmarks on the right.
        self.view.navigator.after_buttons = [self.bookmark_list]
        self.view.navigator.order_tabs()
        splitter.setStretchFactor(0, 1)
        splitter.setSizes([1000, 220])
        self.splitter = splitter
        self._sized = False
        layout.addWidget(splitter, 1)
        self.meter.hide()
        self.pause_button.hide()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._sized and self.width() > 0:
            # The bookmarks take a share of the width, not 220 px of a 150 % zoom's 910.
            self._sized = True
            side = max(BOOKMARKS_MIN, min(BOOKMARKS_MAX, int(self.width() * BOOKMARKS_SHARE)))
            self.splitter.setSizes([max(1, self.width() - side), side])

    def retranslate(self) -> None:
        self.clock_button.setText(
            _("Pause clock") if self.clock.running else _("Start clock (Ctrl+Shift+T)")
        )
        self.record_button.setText(
            _("Stop recording") if self.recorder.state != "idle" else _("Record (Ctrl+R)")
        )
        self.pause_button.setText(
            _("Resume") if self.recorder.state == "paused" else _("Pause (Ctrl+Shift+R)")
        )
        self.bookmarks_title.setText(_("Bookmarks (Ctrl+B)"))
        self._update_clock()
        self._refresh_bookmarks()
        self._update_record_availability()

    # -- clock and time stamps ---------------------------------------------------------
    def _update_clock(self) -> None:
        self.clock_label.setText(format_elapsed(self.clock.seconds()))

    def toggle_clock(self) -> None:
        if self.clock.running:
            self.clock.pause()
        else:
            self.clock.start()
        self.retranslate()
        self.sig_answer_changed.emit()  # the elapsed time is saved with the draft

    def insert_timestamp(self) -> None:
        """Ctrl+T: "[12:34] " at the cursor of the note being written (starts the clock)."""
        if not self.clock.running:
            self.clock.start()
            self.retranslate()
        node = self.view.current_question
        widget = self.view.widgets.get(node) if node is not None else None
        if not isinstance(widget, TextWidget):
            self.view.set_status(_("Put the cursor in a note to insert the time."))
            return
        widget.insert_text(f"[{format_elapsed(self.clock.seconds())}] ")
        widget.focus_editor()

    # -- bookmarks -----------------------------------------------------------------------
    def _bookmarks_changed(self) -> None:
        for ref in self.view.bookmarks:
            self.bookmark_times.setdefault(ref, self.clock.seconds())
        for ref in list(self.bookmark_times):
            if ref not in self.view.bookmarks:
                del self.bookmark_times[ref]
        self._refresh_bookmarks()

    def _refresh_bookmarks(self) -> None:
        self.bookmark_list.clear()
        for ref in self.view.bookmarks:
            try:
                node = self.session.node(ref)
            except Exception:
                continue
            label = " ".join(self.session.text(node, "label").split())[:80]
            stamp = format_elapsed(self.bookmark_times.get(ref, 0.0))
            item = QListWidgetItem(with_breaks(f"[{stamp}] {label}"))
            item.setData(NODE_ROLE, node)
            self.bookmark_list.addItem(item)

    def _bookmark_chosen(self, item: QListWidgetItem) -> None:
        self.view.go_to(item.data(NODE_ROLE))

    # -- recording -------------------------------------------------------------------------
    def _entered(self, node: Node) -> None:
        self._update_record_availability()
        self.sig_question_entered.emit(node)

    def recording_target(self) -> Node | None:
        """The audio question of the current question's section (relevant or not)."""
        node = self.view.current_question
        if node is None and self.view.pages and self.view.pages[self.view.current].nodes:
            node = self.view.pages[self.view.current].nodes[0]
        section = node.parent if node is not None else None
        while section is not None:
            for child in section.children:
                definition = child.definition
                if (
                    isinstance(definition, FieldDef)
                    and definition.question is not None
                    and definition.question.kind is Kind.AUDIO
                ):
                    return child
            section = section.parent
        return None

    def recording_blocked(self) -> str | None:
        """Why the record button is off now, in words, or None."""
        problem = unavailable()
        if problem is not None:
            return problem
        target = self.recording_target()
        if target is None:
            return _("This section has no recording question.")
        if not target.relevant:
            return _("Recording needs the interviewee's consent to audio recording.")
        return None

    def _update_record_availability(self) -> None:
        if self.recorder.state != "idle":
            return
        blocked = self.recording_blocked()
        self.record_button.setEnabled(blocked is None)
        self.record_status.setText(blocked or "")

    def show_recording_message(self, text: str) -> None:
        self.record_status.setText(text)

    def toggle_recording(self) -> None:
        if self.recorder.state != "idle":
            self.recorder.stop()
            return
        blocked = self.recording_blocked()
        if blocked is not None:
            self.show_recording_message(blocked)
            return
        self.recording_node = self.recording_target()
        folder = paths.cache_dir() / "recordings"
        if self.recorder.start(folder / f"{uuid.uuid4().hex}.m4a"):
            self.clock.start()

    def _recorder_state(self, state: str) -> None:
        recording = state != "idle"
        self.meter.setVisible(recording)
        self.pause_button.setVisible(recording)
        self.record_status.setText(
            {
                "recording": _("Recording…"),
                "paused": _("Recording paused"),
            }.get(state, "")
        )
        self.retranslate()

    def _recording_finished(self, path: Path) -> None:
        node = self.recording_node
        if node is None:
            return
        self.record_status.setText(_("Saving the recording…"))

        def stored(_stored: StoredFile) -> None:
            path.unlink(missing_ok=True)  # the encrypted store has it now
            if shiboken6.isValid(self):
                self.record_status.setText(_("Recording saved."))

        self.view.attach(node, str(path), on_stored=stored)

    # -- API shared with FormView -----------------------------------------------------
    def ui_state(self) -> dict[str, Any]:
        state = self.view.ui_state()
        state["interview"] = {
            "elapsed": round(self.clock.seconds(), 1),
            "bookmark_times": dict(self.bookmark_times),
        }
        return state

    def restore_ui_state(self, state: dict[str, Any]) -> None:
        self.view.restore_ui_state(state)
        interview = state.get("interview") if isinstance(state, dict) else None
        if isinstance(interview, dict):
            self.clock = InterviewClock(float(interview.get("elapsed", 0.0) or 0.0))
            self.bookmark_times = {
                str(k): float(v) for k, v in dict(interview.get("bookmark_times", {})).items()
            }
        self.retranslate()

    def set_form_language(self, code: str | None) -> None:
        self.view.set_form_language(code)
        self._refresh_bookmarks()

    def go_to(self, node: Node) -> None:
        self.view.go_to(node)

    def commit_focused(self) -> None:
        self.view.commit_focused()

    def focus_first_invalid(self) -> None:
        self.view.focus_first_invalid()

    def next_unanswered(self) -> None:
        self.view.next_unanswered()

    def dispose(self, then: Callable[[], None]) -> None:
        """Destroy the guide's pages a chunk at a time, then call `then` (see FormView)."""
        self.view.dispose(then)
