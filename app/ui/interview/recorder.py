"""Audio recording through QtMultimedia, with a level meter, pause and clear messages.

Qt Multimedia comes with PySide6-Addons and needs the system's audio
libraries; when it cannot load, or no microphone exists, `unavailable()`
says so in words an interviewer can act on, and nothing else happens.
"""

from __future__ import annotations

import array
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl, Signal

from app.core.i18n import _
from app.ui.entry.widgets.media import multimedia

log = logging.getLogger(__name__)


def unavailable() -> str | None:
    """Why recording cannot start on this computer, or None when it can."""
    media = multimedia()
    if media is None:
        return _("Audio recording is not available on this computer (Qt Multimedia is missing).")
    if not media.QMediaDevices.audioInputs():
        return _(
            "No microphone found. Connect a microphone to record, or go on with written notes."
        )
    return None


class Recorder(QObject):
    """One recording at a time into a file; `sig_level_changed` drives a meter (0…1)."""

    sig_state_changed = Signal(str)  # "idle", "recording", "paused"
    sig_level_changed = Signal(float)
    sig_finished = Signal(object)  # Path of the finished file
    sig_failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = "idle"
        self.path: Path | None = None
        self._session: Any = None
        self._recorder: Any = None
        self._source: Any = None
        self._device: Any = None

    def start(self, path: Path) -> bool:
        problem = unavailable()
        if problem is not None:
            self.sig_failed.emit(problem)
            return False
        media = multimedia()
        assert media is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        device = media.QMediaDevices.defaultAudioInput()
        self._session = media.QMediaCaptureSession(self)
        self._session.setAudioInput(media.QAudioInput(device, self))
        self._recorder = media.QMediaRecorder(self)
        self._session.setRecorder(self._recorder)
        self._recorder.setQuality(media.QMediaRecorder.Quality.NormalQuality)
        self._recorder.setOutputLocation(QUrl.fromLocalFile(str(path)))
        self._recorder.errorOccurred.connect(self._error)
        self._recorder.recorderStateChanged.connect(self._recorder_state)
        self._recorder.record()
        self._start_meter(media, device)
        self._set_state("recording")
        return True

    def _start_meter(self, media: Any, device: Any) -> None:
        """A second, raw reader of the same microphone, only to measure loudness."""
        audio_format = device.preferredFormat()
        audio_format.setSampleFormat(media.QAudioFormat.SampleFormat.Int16)
        self._source = media.QAudioSource(device, audio_format, self)
        self._device = self._source.start()
        if self._device is not None:
            self._device.readyRead.connect(self._read_level)

    def _read_level(self) -> None:
        if self._device is None:
            return
        data = bytes(self._device.readAll().data())
        if len(data) < 2:
            return
        samples = array.array("h", data[: len(data) // 2 * 2])
        peak = max(abs(s) for s in samples) / 32768
        self.sig_level_changed.emit(0.0 if self.state == "paused" else min(1.0, peak))

    def pause(self) -> None:
        if self.state == "recording" and self._recorder is not None:
            self._recorder.pause()
            self._set_state("paused")
        elif self.state == "paused" and self._recorder is not None:
            self._recorder.record()
            self._set_state("recording")

    def stop(self) -> None:
        if self.state == "idle":
            return
        if self._source is not None:
            self._source.stop()
            self._source = None
            self._device = None
        if self._recorder is not None:
            self._recorder.stop()  # the file is complete once the state says stopped
        self.sig_level_changed.emit(0.0)

    def _recorder_state(self, state: Any) -> None:
        media = multimedia()
        if media is not None and state == media.QMediaRecorder.RecorderState.StoppedState:
            location = self._recorder.actualLocation().toLocalFile() if self._recorder else ""
            self._set_state("idle")
            if location and Path(location).exists():
                self.sig_finished.emit(Path(location))

    def _error(self, _error: Any, message: str) -> None:
        log.warning("recording failed: %s", message)
        self._set_state("idle")
        self.sig_failed.emit(_("Recording stopped with an error: {error}").format(error=message))

    def _set_state(self, state: str) -> None:
        self.state = state
        self.sig_state_changed.emit(state)
