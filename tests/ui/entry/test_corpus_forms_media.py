"""Media questions one after another, as in the public corpus (pyxform's widgets.xls:
image, audio, video). Attaching a file keeps the focus on the question: the attach
button is disabled while the file is copied, and Qt would hand the focus on down the
Tab chain (pages mode: to "Previous"; scroll mode: to the next question, so that the
next PgDn skipped one)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.ui.entry.widgets.media import MediaWidget
from app.ui.entry.workers import wait_for_jobs
from tests.ui.entry.conftest import MakeFilling
from tests.ui.entry.helpers import focused, open_view, press, widget_for

SURVEY = """
| survey |
| | type | name | label |
| | text | name | Name |
| | image | my_image | image widget |
| | audio | my_audio | audio widget |
| | video | my_video | video widget |
"""


@pytest.mark.parametrize("page_mode", ["pages", "scroll"])
def test_attaching_a_file_keeps_the_focus_on_the_question(
    qtbot: QtBot, make_filling: MakeFilling, tmp_path: Path, page_mode: str
) -> None:
    filling = make_filling(SURVEY)
    session = filling.session
    view = open_view(qtbot, filling, page_mode=page_mode)
    photo = widget_for(view, "my_image")
    assert isinstance(photo, MediaWidget)
    qtbot.waitUntil(lambda: focused() is photo.attach_button)
    picture = tmp_path / "photo.jpg"
    picture.write_bytes(b"\xff\xd8\xff" + bytes(2000))
    photo.attach_path(str(picture))  # what the file dialog does once a file is chosen
    assert photo.owns(focused())
    qtbot.waitUntil(lambda: session.value("my_image").endswith(".jpg"), timeout=5000)
    qtbot.waitUntil(lambda: not photo.busy, timeout=5000)
    assert focused() is photo.attach_button
    assert view.current_question is session.node("my_image")
    press(qtbot, Qt.Key.Key_PageDown)
    assert view.current_question is session.node("my_audio")
    wait_for_jobs()
