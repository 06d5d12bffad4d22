"""Enter on an answer its constraint refuses stays there, with the message in view.

With one question per page, Enter after "99" (allowed: 1 to 50) went straight on to
the next page: the enumerator never saw "Please enter a number from 1 to 50." and
only a red dot in the index said something was wrong.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.ui.entry.conftest import MakeFilling
from tests.ui.entry.helpers import focused, open_view, press, type_text, widget_for

SURVEY = """
| survey |
| | type | name | label | constraint | constraint_message |
| | integer | units | How many units? | . >= 1 and . <= 50 | Please enter a number from 1 to 50. |
| | text | next | Next question | | |
"""


def test_enter_keeps_a_refused_answer_in_view(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view = open_view(qtbot, make_filling(SURVEY))
    units = widget_for(view, "units")
    units.focus_editor()
    type_text(qtbot, "99")
    press(qtbot, Qt.Key.Key_Return)
    assert view.current == view.page_index_of(units.node)  # still on this question
    assert focused() is units.edit
    assert units.message.isVisible()
    assert units.message.text() == "Please enter a number from 1 to 50."
    assert view.status.text()  # and a word on how to go on anyway
    press(qtbot, Qt.Key.Key_Backspace)  # 9 is allowed: Enter moves on
    press(qtbot, Qt.Key.Key_Return)
    nxt = view.session.node("next")
    assert view.current == view.page_index_of(nxt)
    assert not view.status.text()


def test_page_down_still_goes_on_past_a_refused_answer(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    view = open_view(qtbot, make_filling(SURVEY))
    units = widget_for(view, "units")
    units.focus_editor()
    type_text(qtbot, "99")
    view.next_page()  # the enumerator may come back to it: the finalise check lists it
    assert view.current == view.page_index_of(view.session.node("next"))
