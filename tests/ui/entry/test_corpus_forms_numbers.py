"""Number range hints for the constraints of the public corpus (pyxform's widgets.xls:
`. < 10` for an integer, `. > 10.51 and . < 18.39` for a decimal). A strict bound is
not "at most 10" when 10 is refused."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.ui.entry.widgets.numbers import NumberWidget
from tests.ui.entry.conftest import MakeFilling
from tests.ui.entry.helpers import open_view, press, type_text, widget_for

SURVEY = """
| survey |
| | type | name | label | constraint | hint |
| | integer | my_int | integer widget | . < 10 | try entering a number < 10 |
| | integer | positive | how many | . > 0 and . <= 5 | |
| | decimal | my_decimal | decimal widget | . > 10.51 and . < 18.39 | only numbers > 10.51 and < 18.39 |
| | decimal | share | share | . >= 0.5 and . <= 1 | |
"""


def test_strict_bounds_give_a_hint_that_names_allowed_values(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    filling = make_filling(SURVEY)
    session = filling.session
    view = open_view(qtbot, filling)
    my_int = widget_for(view, "my_int")
    assert isinstance(my_int, NumberWidget)
    assert my_int.range_label.text() == "at most 9"
    type_text(qtbot, "9")
    assert session.node("my_int").constraint_ok
    press(qtbot, Qt.Key.Key_Backspace)
    type_text(qtbot, "10")
    assert not session.node("my_int").constraint_ok  # the hint did not say 10 was allowed
    positive = widget_for(view, "positive")
    assert isinstance(positive, NumberWidget)
    assert positive.range_label.text() == "from 1 to 5"
    decimal = widget_for(view, "my_decimal")
    assert isinstance(decimal, NumberWidget)
    assert decimal.range_label.isHidden()  # no whole-number step to name: no hint
    share = widget_for(view, "share")
    assert isinstance(share, NumberWidget)
    assert share.range_label.text() == "from 0.5 to 1"
