"""Typing the number that sets a repeat's count: answered when the typing is done.

Answering it rebuilds the page while the line edit is still handling a key (Enter):
the old page must not be deleted under it (it was: the app crashed with a
segmentation fault when an enumerator typed the number of data systems in the
study's questionnaire). It was answered on every key, so clearing the number to
retype it removed every entry and the answers in them; now it is answered on Enter
or on leaving the field, and a lower number that would remove answered entries asks.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.ui.entry.form_view import FormView
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
    type_text(qtbot, "2")
    qtbot.wait(50)
    assert session.node("count").value == ""  # not yet: "2" may be the start of "23"
    assert session.root.by_name.get("system", []) == []
    editor = view.widgets[session.node("count")].edit
    assert focused() is editor
    type_text(qtbot, "3")
    press(qtbot, Qt.Key.Key_Return)  # answered (the page rebuilt), then on to the first name
    assert session.node("count").value == "23"
    assert len(session.root.by_name["system"]) == 23
    qtbot.waitUntil(
        lambda: focused() is view.widgets.get(session.node("system[1]/title"), count).edit
    )


def retype_count(qtbot: QtBot, view: FormView, text: str) -> None:
    """Go back to the count, clear it and type `text`, then Enter."""
    count = view.session.node("count")
    view.activateWindow()  # (offscreen, a closed question box leaves no window active)
    view.go_to(count)
    qtbot.waitUntil(lambda: count in view.widgets and focused() is view.widgets[count].edit)
    press(qtbot, Qt.Key.Key_End)
    for _digit in view.session.node("count").value:
        press(qtbot, Qt.Key.Key_Backspace)
    type_text(qtbot, text)
    press(qtbot, Qt.Key.Key_Return)


def titles(view: FormView) -> list[str]:
    return [i.by_name["title"][0].value for i in view.session.root.by_name.get("system", [])]


def test_a_lower_count_asks_before_removing_answered_entries(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    filling = make_filling(SURVEY)
    view = open_view(qtbot, filling)
    session = view.session
    view.answer(session.node("count"), 3)
    for position, title in enumerate(["DHIS2", "LaoSIS", "Payroll"], 1):
        view.answer(session.node(f"system[{position}]/title"), title)
    asked: list[str] = []

    def reply(choice: str) -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        asked.append(box.text())
        next(b for b in box.buttons() if b.text() == choice).click()

    QTimer.singleShot(100, lambda: reply("Keep the number as it was"))
    retype_count(qtbot, view, "1")
    assert asked == [
        "This number removes entries 2 to 3 of System, with the answers in them. Remove them?"
    ]
    assert session.node("count").value == "3"
    assert titles(view) == ["DHIS2", "LaoSIS", "Payroll"]
    count = view.widgets.get(session.node("count"))
    assert count is not None and count.edit.text() == "3"  # the number shown is back too

    retype_count(qtbot, view, "5")  # higher: nothing to ask, the answers stay
    assert len(asked) == 1
    assert titles(view) == ["DHIS2", "LaoSIS", "Payroll", "", ""]
    retype_count(qtbot, view, "3")  # the two removed are empty: nothing to ask
    assert len(asked) == 1

    QTimer.singleShot(100, lambda: reply("Remove"))
    retype_count(qtbot, view, "2")
    assert asked[1].startswith("This number removes entry 3 of System")
    assert titles(view) == ["DHIS2", "LaoSIS"]
    filling.save()
    draft = filling.store.load_draft(instance_id=filling.instance_id)
    assert draft is not None
    assert [system["title"] for system in draft.document["data"]["system"]] == ["DHIS2", "LaoSIS"]
