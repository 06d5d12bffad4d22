"""A form with nothing to show, as pyxform's hidden.xls in the public corpus (only a
`hidden` field): the view opens, says no "Page 1 of 0" but why the page is empty, and
the form can be finalised."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from tests.ui.entry.conftest import MakeFilling
from tests.ui.entry.helpers import open_view

SURVEY = """
| survey |
| | type | name | label | calculation |
| | hidden | hidden_test | | |
| | calculate | two | | 1 + 1 |
"""


def test_a_form_without_pages_shows_no_page_counter(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    filling = make_filling(SURVEY)
    view = open_view(qtbot, filling)
    assert view.pages == []
    assert not view.page_counter.isVisible()
    assert not view.next_button.isEnabled() and not view.previous_button.isEnabled()
    note = view.builder.host.empty_note
    assert note.isVisible()  # not a blank page with no word of why
    assert note.text() == "Nothing in this form is to be answered now: use Check and finalise…."
    view.request_finalise()
    assert view.summary is not None and view.summary.isVisible()
    view.summary.close()
