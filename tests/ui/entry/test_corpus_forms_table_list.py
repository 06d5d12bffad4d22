"""ODK's table patterns from the public corpus (pyxform's widgets.xls): a `table-list`
group, and the `label` / `list-nolabel` rows written by hand. The header row shows
the choice labels; it takes no answer and no focus, and never shows its internal name."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.ui.entry.widgets.grid import GridRow
from app.ui.entry.widgets.selects import ChoiceHeaderWidget
from tests.ui.entry.conftest import MakeFilling
from tests.ui.entry.helpers import focused, open_view, press

SURVEY = """
| survey |
| | type | name | label | appearance |
| | begin_group | table | Table | table-list |
| | select_one yn | q1 | Q1 | |
| | select_one yn | q2 | Question 2 | |
| | end_group | | | |
| | begin_group | by_hand | List group | field-list |
| | select_one yn | header | Labeled choices | label |
| | select_one yn | q3 | Q3 | list-nolabel |
| | select_one yn | q4 | Q4 | list-nolabel |
| | end_group | | | |
| | begin_group | multi | Multi list group | field-list |
| | select_multiple mood | mood_header | Multi choice list | label |
| | select_multiple mood | brian | Brian | list-nolabel |
| | select_multiple mood | michael | Michael | list-nolabel |
| | end_group | | | |
"""
CHOICES = """
| choices |
| | list_name | name | label |
| | yn | yes | Yes |
| | yn | no | No |
| | mood | happy | happy |
| | mood | sad | sad |
"""


def test_a_table_list_opens_on_its_first_statement_and_enter_goes_down_the_rows(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    filling = make_filling(SURVEY, CHOICES)
    session = filling.session
    view = open_view(qtbot, filling)
    q1 = session.node("table/q1")
    qtbot.waitUntil(lambda: view.current_question is q1)
    press(qtbot, Qt.Key.Key_1)
    assert q1.value == "yes"
    press(qtbot, Qt.Key.Key_Return)
    assert view.current_question is session.node("table/q2")


def test_the_header_row_of_a_table_list_shows_no_internal_name(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    filling = make_filling(SURVEY, CHOICES)
    view = open_view(qtbot, filling)
    rows = [w for w in view.widgets.values() if isinstance(w, GridRow)]
    headers = [r for r in rows if r.header_only]
    assert headers, "pyxform adds a header row to a table-list group"
    for header in headers:
        assert "reserved_name" not in header.label.text()
        assert not header.label.isVisible()
        assert header.editors() == []


def test_a_hand_written_label_row_is_passed_by(qtbot: QtBot, make_filling: MakeFilling) -> None:
    filling = make_filling(SURVEY, CHOICES)
    session = filling.session
    view = open_view(qtbot, filling)
    view.show_page(1)
    q3 = session.node("by_hand/q3")
    qtbot.waitUntil(lambda: view.current_question is q3)
    press(qtbot, Qt.Key.Key_2)
    press(qtbot, Qt.Key.Key_Return)
    assert view.current_question is session.node("by_hand/q4")
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    # Back past the first statement: the header row is no stop (the previous page is).
    assert view.current_question is not session.node("by_hand/header")
    assert session.node("by_hand/header").value == ""
    assert q3.value == "no"


def test_a_select_multiple_header_row_shows_labels_and_takes_no_answer(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    filling = make_filling(SURVEY, CHOICES)
    session = filling.session
    view = open_view(qtbot, filling)
    view.show_page(2)
    header = view.widgets[session.node("multi/mood_header")]
    assert isinstance(header, ChoiceHeaderWidget)
    assert [label.text() for label in header.labels] == ["happy", "sad"]
    assert header.editors() == []
    brian = session.node("multi/brian")
    qtbot.waitUntil(lambda: view.current_question is brian)
    assert focused() is not None and header.owns(focused()) is False
    press(qtbot, Qt.Key.Key_1)
    assert brian.value == "happy"
    assert session.node("multi/mood_header").value == ""


def test_the_index_lists_the_table_rows_but_not_an_untitled_header(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    filling = make_filling(SURVEY, CHOICES)
    view = open_view(qtbot, filling)
    model = view.index_panel.model
    table = model.index_of(filling.session.node("table"))
    names = [model.index(row, 0, table).data() for row in range(model.rowCount(table))]
    # pyxform's note with the table's title, then the rows: not its untitled header row
    # (listed as reserved_name_for_field_list_labels_… before).
    assert names == ["Table", "Q1", "Question 2"]
    by_hand = model.index_of(filling.session.node("by_hand"))
    assert model.index(0, 0, by_hand).data() == "Labeled choices"  # a header with a title
