"""Typing the number that sets a repeat's count rebuilds the page under the keyboard.

The number is answered on every key: the repeat instances appear at once and the
page is built again while the line edit is still handling that key press. The old
page must not be deleted under it (it was: the app crashed with a segmentation fault
when an enumerator typed the number of data systems in the study's questionnaire).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.ui.entry.conftest import MakeFilling
from tests.ui.entry.helpers import focused, open_view, press, type_text, widget_for

SURVEY = """
| survey |
| | type | name | label | repeat_count |
| | integer | count | How many systems? | |
| | begin_repeat | system | System | ${count} |
| | text | title | Name of the system | |
| | end_repeat | | | |
| | text | last | Last words | |
"""


@pytest.mark.parametrize("page_mode", ["pages", "scroll"])
def test_typing_a_repeat_count_keeps_the_focused_editor_alive(
    qtbot: QtBot, make_filling: MakeFilling, page_mode: str
) -> None:
    filling = make_filling(SURVEY)
    view = open_view(qtbot, filling, page_mode=page_mode)
    session = view.session
    count = widget_for(view, "count")
    count.focus_editor()
    qtbot.waitUntil(lambda: focused() is not None)
    type_text(qtbot, "2")  # crashed here: the page was deleted inside the key press
    qtbot.wait(50)
    assert session.node("count").value == "2"
    assert len(session.root.by_name["system"]) == 2
    editor = view.widgets[session.node("count")].edit
    assert focused() is editor
    type_text(qtbot, "3")  # still typing into the same question: 23 systems
    qtbot.wait(50)
    assert session.node("count").value == "23"
    press(qtbot, Qt.Key.Key_Return)  # Enter moves on to the first system's name
    qtbot.waitUntil(
        lambda: focused() is view.widgets.get(session.node("system[1]/title"), count).edit
    )
