"""The interview workspace: timed notes, the clock, recording gated by consent, bookmarks."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.ui.interview import recorder as recorder_module
from app.ui.interview import workspace as workspace_module
from app.ui.interview.workspace import InterviewWorkspace, format_elapsed
from tests.ui.entry.helpers import focused, press, type_text
from tests.ui.interview.conftest import MakeFilling

GUIDE = """
| survey |
| | type | name | label | relevant | appearance |
| | select_one yn | consent_audio | May we record? | | |
| | begin_group | sec | Section A | | |
| | text | mandate | Describe the mandate | | multiline |
| | audio | audio_sec | Recording of this section | ${consent_audio} = 'yes' | |
| | end_group | | | | |
"""
CHOICES = """
| choices |
| | list_name | name | label |
| | yn | yes | Yes |
| | yn | no | No |
"""


def _open(qtbot: QtBot, make_filling: MakeFilling) -> InterviewWorkspace:
    filling = make_filling(GUIDE, CHOICES)
    workspace = InterviewWorkspace(filling)
    qtbot.addWidget(workspace)
    workspace.resize(1300, 740)
    workspace.show()
    qtbot.waitExposed(workspace)
    workspace.activateWindow()
    qtbot.waitUntil(workspace.isActiveWindow)
    return workspace


def test_elapsed_time_format() -> None:
    assert format_elapsed(0) == "00:00"
    assert format_elapsed(754.9) == "12:34"
    assert format_elapsed(3723) == "1:02:03"


def test_ctrl_t_inserts_the_interview_time_into_the_note(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    workspace = _open(qtbot, make_filling)
    session = workspace.session
    changed: list[bool] = []
    workspace.sig_answer_changed.connect(lambda: changed.append(True))
    workspace.view.go_to(session.node("sec/mandate"))
    note = workspace.view.widgets[session.node("sec/mandate")]
    assert focused() is note.edit
    assert note.edit.minimumHeight() >= note.edit.fontMetrics().lineSpacing() * 12  # a large area
    workspace.clock.base = 754.0  # 12:34 into the interview
    press(qtbot, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    type_text(qtbot, "Ministry collects census data")
    assert note.edit.toPlainText() == "[12:34] Ministry collects census data"
    assert workspace.clock.running
    qtbot.waitUntil(
        lambda: session.value("sec/mandate").startswith("[12:34] Ministry"), timeout=3000
    )
    assert changed  # notes are answers: the shell autosaves them
    state = workspace.ui_state()
    assert state["interview"]["elapsed"] >= 754.0


def test_no_microphone_gives_a_clear_message(qtbot: QtBot, make_filling: MakeFilling) -> None:
    workspace = _open(qtbot, make_filling)
    workspace.view.apply_changes(workspace.session.set_value("consent_audio", "yes"))
    workspace.view.go_to(workspace.session.node("sec/mandate"))
    # This machine has no microphone (and CI may lack Qt Multimedia altogether).
    message = recorder_module.unavailable()
    assert message is not None
    assert "microphone" in message or "not available" in message
    press(qtbot, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert workspace.record_status.text() == message
    assert workspace.recorder.state == "idle" and not workspace.record_button.isEnabled()


def test_no_microphone_message_from_qt_multimedia(
    qtbot: QtBot, make_filling: MakeFilling, monkeypatch
) -> None:
    class NoDevices:
        @staticmethod
        def audioInputs() -> list[object]:
            return []

    class FakeMultimedia:
        QMediaDevices = NoDevices

    monkeypatch.setattr(recorder_module, "multimedia", lambda: FakeMultimedia)
    assert recorder_module.unavailable() == (
        "No microphone found. Connect a microphone to record, or go on with written notes."
    )


def test_recording_is_gated_by_the_consent_answer(
    qtbot: QtBot, make_filling: MakeFilling, monkeypatch
) -> None:
    monkeypatch.setattr(workspace_module, "unavailable", lambda: None)  # as if a microphone existed
    workspace = _open(qtbot, make_filling)
    session = workspace.session
    workspace.view.go_to(session.node("sec/mandate"))
    assert not workspace.record_button.isEnabled()
    assert "consent" in workspace.record_status.text()
    workspace.view.apply_changes(session.set_value("consent_audio", "yes"))
    workspace.view.go_to(session.node("consent_audio"))
    workspace.view.go_to(session.node("sec/mandate"))
    assert workspace.recording_target() is session.node("sec/audio_sec")
    assert workspace.record_button.isEnabled() and workspace.record_status.text() == ""


def test_bookmarks_keep_the_time_and_jump(qtbot: QtBot, make_filling: MakeFilling) -> None:
    workspace = _open(qtbot, make_filling)
    session = workspace.session
    workspace.view.go_to(session.node("sec/mandate"))
    workspace.clock.base = 65.0
    press(qtbot, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert workspace.bookmark_list.count() == 1
    assert workspace.bookmark_list.item(0).text() == "[01:05] Describe the mandate"
    workspace.view.go_to(session.node("consent_audio"))
    workspace.bookmark_list.setFocus()
    workspace.bookmark_list.setCurrentRow(0)
    press(qtbot, Qt.Key.Key_Return)
    assert workspace.view.current_question is session.node("sec/mandate")
    state = workspace.ui_state()
    assert state["entry"]["bookmarks"] == ["sec/mandate"]
    assert state["interview"]["bookmark_times"] == {"sec/mandate": 65.0}


LAO_GUIDE = """
| survey |
| | type | name | label | label::Lao (lo) | appearance |
| | begin_group | sec | Section A | ພາກ ກ | |
| | text | partners | Partners | ອົງການຂອງທ່ານແລກປ່ຽນຂໍ້ມູນກັບອົງການໃດແດ່ແລະແລກປ່ຽນແນວໃດ? | multiline |
| | end_group | | | | |
"""


def test_bookmarks_wrap_lao_labels_in_their_narrow_column(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    workspace = InterviewWorkspace(make_filling(LAO_GUIDE, language="lo"))
    qtbot.addWidget(workspace)
    workspace.resize(910, 512)  # a 1366×768 screen at 150 % zoom
    workspace.show()
    qtbot.waitExposed(workspace)
    workspace.activateWindow()
    qtbot.waitUntil(workspace.isActiveWindow)
    workspace.view.go_to(workspace.session.node("sec/partners"))
    press(qtbot, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    bookmarks = workspace.bookmark_list
    assert bookmarks.width() <= 220  # a share of the width, not 220 of 910 pixels
    item = bookmarks.item(0)
    shown = bookmarks.visualItemRect(item)
    line = bookmarks.fontMetrics().lineSpacing()
    assert shown.width() <= bookmarks.viewport().width()
    assert shown.height() >= 2 * line  # wrapped between Lao words, not cut at the edge
    assert not bookmarks.horizontalScrollBar().isVisible()


def test_tab_reads_the_page_then_its_buttons_then_the_bookmarks(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    """The bookmarks on the right come after the page and its buttons, not before the page's
    questions (they were made after the pages, so Qt had put them in between)."""
    workspace = _open(qtbot, make_filling)
    view = workspace.view
    session = workspace.session
    view.go_to(session.node("sec/mandate"))
    note = view.widgets[session.node("sec/mandate")]
    assert focused() is note.edit
    buttons = (view.previous_button, view.next_button, view.finalise_button)
    enabled = [b for b in buttons if b.isEnabled() and b.isVisible()]
    stops = []
    for _ in range(len(enabled) + 1):
        press(qtbot, Qt.Key.Key_Tab)
        stops.append(focused())
    assert stops == [*enabled, workspace.bookmark_list]
    press(qtbot, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert focused() is enabled[-1]
