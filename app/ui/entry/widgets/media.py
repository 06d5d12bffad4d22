"""Image, audio, video and file questions: attach from disk, with a preview.

Copying runs on a worker (the view's `attach`); the preview (a thumbnail, a
play button, the file's size) loads on a worker too, so a large recording
never holds the UI thread.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt, QUrl
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QWidget

from app.core.i18n import _
from app.core.text import human_size
from app.engine.model import Kind
from app.ui.entry.widgets.base import QuestionWidget

log = logging.getLogger(__name__)

THUMBNAIL = 160
IMAGE_PREVIEW_LIMIT = 25 * 1024 * 1024
PLAY_LIMIT = 1024 * 1024 * 1024


@functools.cache
def multimedia() -> Any | None:
    """QtMultimedia when it can load (PySide6-Addons and the system audio libraries)."""
    try:
        from PySide6 import QtMultimedia
    except ImportError as error:
        log.info("Qt Multimedia is not available: %s", error)
        return None
    return QtMultimedia


class MediaWidget(QuestionWidget):
    def build(self) -> None:
        row = QHBoxLayout()
        self.attach_button = QPushButton()
        self.attach_button.clicked.connect(self.choose_file)
        self.remove_button = QPushButton()
        self.remove_button.clicked.connect(lambda: self.submit(None))
        self.play_button = QPushButton()
        self.play_button.clicked.connect(self.toggle_play)
        self.play_button.hide()
        row.addWidget(self.attach_button)
        row.addWidget(self.play_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        self.body.addLayout(row)
        self.info = QLabel()
        self.info.setObjectName("questionHint")
        self.info.setWordWrap(True)
        self.body.addWidget(self.info)
        self.thumbnail = QLabel()
        self.thumbnail.hide()
        self.body.addWidget(self.thumbnail, 0, Qt.AlignmentFlag.AlignLeft)
        self.busy = False
        self.file_size: int | None = None
        self.player: Any = None
        self.audio_output: Any = None
        self._shown = ""

    # -- attaching ---------------------------------------------------------------------
    def filters(self) -> str:
        patterns = {
            Kind.IMAGE: (_("Images"), "*.jpg *.jpeg *.png *.gif *.bmp *.webp"),
            Kind.AUDIO: (_("Audio"), "*.m4a *.mp3 *.ogg *.oga *.opus *.wav *.amr *.aac *.webm"),
            Kind.VIDEO: (_("Video"), "*.mp4 *.mkv *.webm *.mov *.avi *.3gp"),
        }
        every = f"{_('All files')} (*)"
        found = patterns.get(self.question.kind)
        return f"{found[0]} ({found[1]});;{every}" if found else every

    def choose_file(self) -> None:
        path, _chosen = QFileDialog.getOpenFileName(
            self, _("Attach a file"), str(Path.home()), self.filters()
        )
        if path:
            self.attach_path(path)

    def attach_path(self, path: str) -> None:
        self.set_busy(True)
        self.ctx.attach(self.node, path)

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        if busy and self.attach_button.hasFocus():
            # A disabled button hands the focus on down the Tab chain: to the next
            # question (scroll mode: the next page) or to "Previous". The question keeps it.
            self.setFocus(Qt.FocusReason.OtherFocusReason)
        self.attach_button.setEnabled(not busy and not self.node.readonly)
        if not busy and self.hasFocus() and self.attach_button.isEnabled():
            self.attach_button.setFocus(Qt.FocusReason.OtherFocusReason)
        self.retranslate_choices()

    # -- showing -------------------------------------------------------------------------
    def show_value(self, value: str) -> None:
        if value == self._shown:
            return
        self._shown = value
        self.file_size = None
        self.thumbnail.hide()
        self.stop()
        self.play_button.setVisible(bool(value) and self.question.kind in (Kind.AUDIO, Kind.VIDEO))
        if value:
            limit = IMAGE_PREVIEW_LIMIT if self.question.kind is Kind.IMAGE else 0
            self.ctx.load_attachment(value, limit, self._preview_ready)
        self.retranslate_choices()

    def _preview_ready(self, data: bytes | None, size: int | None) -> None:
        try:
            self.file_size = size
            if data and self.question.kind is Kind.IMAGE:
                image = QImage.fromData(data)
                if not image.isNull():
                    if max(image.width(), image.height()) > THUMBNAIL:  # shrink, never enlarge
                        image = image.scaled(
                            THUMBNAIL,
                            THUMBNAIL,
                            Qt.AspectRatioMode.KeepAspectRatio,
                            Qt.TransformationMode.SmoothTransformation,
                        )
                    self.thumbnail.setPixmap(QPixmap.fromImage(image))
                    self.thumbnail.show()
            self.retranslate_choices()
        except RuntimeError:
            pass  # the widget went away while the preview loaded

    def retranslate_choices(self) -> None:
        value = self.node.value
        self.attach_button.setText(_("Replace file…") if value else _("Attach file…"))
        self.remove_button.setText(_("Remove"))
        self.remove_button.setVisible(bool(value) and not self.busy)
        self.play_button.setText(_("Stop") if self.player_playing() else _("Play"))
        if self.busy:
            self.info.setText(_("Copying the file into the database…"))
        elif value:
            size = f" ({human_size(self.file_size)})" if self.file_size is not None else ""
            self.info.setText(value + size)
        else:
            self.info.setText(_("No file attached."))

    # -- playing -------------------------------------------------------------------------
    def player_playing(self) -> bool:
        media = multimedia()
        return bool(
            self.player is not None
            and media is not None
            and self.player.playbackState() == media.QMediaPlayer.PlaybackState.PlayingState
        )

    def toggle_play(self) -> None:
        if self.player_playing():
            self.stop()
            return
        media = multimedia()
        if media is None:
            self.info.setText(_("Playing audio is not available on this computer."))
            return
        # Played from memory: a decrypted copy of a recording never touches the disk.
        self.ctx.load_attachment(self.node.value, PLAY_LIMIT, self._play_bytes)

    def _play_bytes(self, data: bytes | None, _size: int | None) -> None:
        media = multimedia()
        if data is None or media is None:
            return
        if self.player is None:
            self.player = media.QMediaPlayer(self)
            self.audio_output = media.QAudioOutput(self)
            self.player.setAudioOutput(self.audio_output)
            self.player.playbackStateChanged.connect(lambda _state: self.retranslate_choices())
        self.buffer = QBuffer(self)
        self.buffer.setData(QByteArray(data))
        self.buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.player.setSourceDevice(self.buffer, QUrl(self.node.value))
        self.player.play()
        self.retranslate_choices()

    def stop(self) -> None:
        if self.player is not None:
            self.player.stop()

    def editors(self) -> list[QWidget]:
        return [self.attach_button, self.play_button, self.remove_button]

    def set_editable(self, editable: bool) -> None:
        self.attach_button.setEnabled(editable and not self.busy)
        self.remove_button.setEnabled(editable)
