"""One test per widget type: keys into the widget reach the session, and back."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from app.core.text import without_breaks
from app.ui.entry.widgets.dates import DateWidget
from app.ui.entry.widgets.geo import GeoPointWidget
from app.ui.entry.widgets.grid import GridRow, LikertWidget
from app.ui.entry.widgets.media import MediaWidget
from app.ui.entry.widgets.notes import AcknowledgeWidget, NoteWidget
from app.ui.entry.widgets.numbers import NumberWidget, RangeWidget
from app.ui.entry.widgets.rank import RankWidget
from app.ui.entry.widgets.selects import ButtonsWidget, ComboWidget, SearchListWidget
from app.ui.entry.widgets.text import TextWidget
from app.ui.entry.workers import wait_for_jobs
from tests.ui.entry.conftest import MakeFilling
from tests.ui.entry.helpers import focused, open_view, press, type_text, widget_for

SURVEY = """
| survey |
| | type | name | label | hint | constraint | appearance | parameters |
| | text | name | Name | Full name | | | |
| | text | story | Story | | | multiline | |
| | integer | staff | Staff | | . >= 0 and . <= 500 | | |
| | decimal | share | Share | | | | |
| | range | score | Score | | | | start=0 end=10 step=2 |
| | date | when | When | | | | |
| | time | at | At | | | | |
| | dateTime | stamp | Stamp | | | | |
| | select_one yn | ok | OK? | | | | |
| | select_one yn | ok_drop | OK (drop-down)? | | | minimal | |
| | select_one prov | province | Province | | | | |
| | select_multiple abc | letters | Letters | | | | |
| | select_one agree | feel | Feeling | | | likert | |
| | rank abc | order | Order | | | | |
| | acknowledge | ack | I read it | | | | |
| | note | info | Just so you know | | | | |
| | geopoint | where | Where | | | | |
| | image | photo | Photo | | | | |
| | file | doc | Document | | | | |
| | audio | voice | Voice | | | | |
| | begin_group | grid | Perception | | | field-list | |
| | select_one agree | s1 | Statement one | | | likert | |
| | select_one agree | s2 | Statement two | | | likert | |
| | select_one agree | s3 | Statement three | | | likert | |
| | end_group | | | | | | |
"""

PROVINCES = "\n".join(
    f"| | prov | p{i} | {label} | {lao} |"
    for i, (label, lao) in enumerate(
        [
            ("Vientiane Capital", "ນະຄອນຫຼວງວຽງຈັນ"),
            ("Phongsaly", "ແຂວງຜົ້ງສາລີ"),
            ("Luang Namtha", "ແຂວງຫຼວງນ້ຳທາ"),
            ("Oudomxay", "ແຂວງອຸດົມໄຊ"),
            ("Bokeo", "ແຂວງບໍ່ແກ້ວ"),
            ("Luang Prabang", "ແຂວງຫຼວງພະບາງ"),
            ("Houaphanh", "ແຂວງຫົວພັນ"),
            ("Xayabury", "ແຂວງໄຊຍະບູລີ"),
            ("Xiengkhouang", "ແຂວງຊຽງຂວາງ"),
            ("Vientiane Province", "ແຂວງວຽງຈັນ"),
            ("Borikhamxay", "ແຂວງບໍລິຄຳໄຊ"),
            ("Khammouane", "ແຂວງຄຳມ່ວນ"),
            ("Savannakhet", "ແຂວງສະຫວັນນະເຂດ"),
            ("Champasak", "ແຂວງຈຳປາສັກ"),
        ]
    )
)

CHOICES = f"""
| choices |
| | list_name | name | label | label::Lao (lo) |
| | yn | yes | Yes | ແມ່ນ |
| | yn | no | No | ບໍ່ແມ່ນ |
| | abc | a | Alpha | ກ |
| | abc | b | Beta | ຂ |
| | abc | c | Gamma | ຄ |
| | agree | 1 | Disagree | ບໍ່ເຫັນດີ |
| | agree | 2 | Neutral | ເປັນກາງ |
| | agree | 3 | Agree | ເຫັນດີ |
{PROVINCES}
"""


def _view(qtbot: QtBot, make_filling: MakeFilling):
    filling = make_filling(SURVEY, CHOICES)
    return open_view(qtbot, filling), filling.session


def test_text_line_and_note_area(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, session = _view(qtbot, make_filling)
    widget = widget_for(view, "name")
    assert isinstance(widget, TextWidget) and focused() is widget.edit
    type_text(qtbot, "Keo ສີ")
    press(qtbot, Qt.Key.Key_Return)  # answers at once and moves on
    assert session.value("name") == "Keo ສີ"
    assert focused() is view.widgets[session.node("story")].edit
    view.apply_changes(session.set_value("name", "Noy ສີ"))
    assert widget_for(view, "name").edit.text() == "Noy ສີ"  # one question per page
    story = widget_for(view, "story")
    type_text(qtbot, "line one")
    press(qtbot, Qt.Key.Key_Return)  # a new line in a note area, not the next question
    type_text(qtbot, "line two")
    qtbot.waitUntil(lambda: session.value("story") == "line one\nline two", timeout=3000)
    assert focused() is story.edit


def test_integer_with_range_hint_and_decimal(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, session = _view(qtbot, make_filling)
    widget = widget_for(view, "staff")
    assert isinstance(widget, NumberWidget)
    assert widget.range_label.text() == "from 0 to 500"
    type_text(qtbot, "4x2")  # the letter never gets in
    assert session.value("staff") == "42" and widget.edit.text() == "42"
    share = widget_for(view, "share")
    type_text(qtbot, "3,5")
    assert session.value("share") == "3.5"
    for _ in range(3):
        press(qtbot, Qt.Key.Key_Backspace)  # "3." then "3" then ""
    assert session.value("share") == "" and share.message.isHidden()
    view.apply_changes(session.set_value("staff", 7))
    assert widget_for(view, "staff").edit.text() == "7"


def test_range_slider_by_keys(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, session = _view(qtbot, make_filling)
    widget = widget_for(view, "score")
    assert isinstance(widget, RangeWidget)
    press(qtbot, Qt.Key.Key_Right)
    press(qtbot, Qt.Key.Key_Right)
    assert session.value("score") == "4"
    view.apply_changes(session.set_value("score", 8))
    assert widget.slider.value() == 4 and widget.value_label.text() == "8"


def test_dates_accept_typing(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, session = _view(qtbot, make_filling)
    widget = widget_for(view, "when")
    assert isinstance(widget, DateWidget)
    type_text(qtbot, "11/05/2024")
    assert session.value("when") == "2024-05-11"
    assert widget.edit.text() == "11/05/2024"  # the user's spelling stays while typing
    widget.edit.clear()
    type_text(qtbot, "2024-05")
    press(qtbot, Qt.Key.Key_Tab)  # leaving a half date says what is expected
    assert "YYYY-MM-DD" in widget.message.text() and widget.message.isVisibleTo(widget)
    widget.edit.setFocus()
    widget.edit.clear()
    type_text(qtbot, "31/02/2024")
    press(qtbot, Qt.Key.Key_Tab)  # the right shape, a day that does not exist: said so
    assert widget.message.text() == "There is no such day: check the day and the month."
    assert widget.message.isVisibleTo(widget)
    view.apply_changes(session.set_value("when", "2023-01-31"))
    assert widget.edit.text() == "2023-01-31"
    widget_for(view, "at")
    type_text(qtbot, "9:05")
    assert session.value("at").startswith("09:05")
    stamp = widget_for(view, "stamp")
    type_text(qtbot, "2024-05-11 14:30")
    assert session.value("stamp").startswith("2024-05-11T14:30")
    assert stamp.edit.text() == "2024-05-11 14:30"
    view.apply_changes(session.set_value("at", "17:45"))
    assert widget_for(view, "at").edit.text() == "17:45"


def test_select_one_radio_buttons_by_number_keys(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, session = _view(qtbot, make_filling)
    widget = widget_for(view, "ok")
    assert isinstance(widget, ButtonsWidget)
    press(qtbot, Qt.Key.Key_2)
    assert session.value("ok") == "no"
    assert widget.buttons[1].isChecked()
    press(qtbot, Qt.Key.Key_Delete)
    assert session.value("ok") == ""
    view.apply_changes(session.set_value("ok", "yes"))
    assert widget.buttons[0].isChecked() and not widget.buttons[1].isChecked()


def test_select_one_minimal_is_a_drop_down(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, session = _view(qtbot, make_filling)
    widget = widget_for(view, "ok_drop")
    assert isinstance(widget, ComboWidget) and isinstance(focused(), QComboBox)
    press(qtbot, Qt.Key.Key_2)
    assert session.value("ok_drop") == "no" and widget.combo.currentText() == "No"
    view.apply_changes(session.set_value("ok_drop", "yes"))
    assert widget.combo.currentText() == "Yes"


def test_long_list_is_searchable_in_lao(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, session = _view(qtbot, make_filling)
    view.set_form_language("lo")
    widget = widget_for(view, "province")
    assert isinstance(widget, SearchListWidget)
    assert focused() is widget.search
    type_text(qtbot, "ສະຫວັນ")
    assert widget.proxy.rowCount() == 1
    press(qtbot, Qt.Key.Key_Return)  # picks the one match and moves on
    assert session.value("province") == "p12"
    assert view.current_question is session.node("letters")
    widget = widget_for(view, "province")
    # Displayed Lao carries line-break marks between words; the words are intact.
    assert "ແຂວງ\u200bສະຫວັນນະເຂດ" in widget.current.text()
    assert "ແຂວງສະຫວັນນະເຂດ" in without_breaks(widget.current.text())
    view.apply_changes(session.set_value("province", "p0"))
    assert "ນະຄອນຫຼວງວຽງຈັນ" in without_breaks(widget.current.text())


def test_select_multiple_check_boxes(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, session = _view(qtbot, make_filling)
    widget = widget_for(view, "letters")
    assert isinstance(widget, ButtonsWidget) and widget.multiple
    press(qtbot, Qt.Key.Key_3)
    press(qtbot, Qt.Key.Key_1)
    assert session.value("letters") == "a c"
    press(qtbot, Qt.Key.Key_3)
    assert session.value("letters") == "a"
    view.apply_changes(session.set_value("letters", ["b", "c"]))
    assert [b.isChecked() for b in widget.buttons] == [False, True, True]


def test_likert_is_a_horizontal_scale(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, session = _view(qtbot, make_filling)
    widget = widget_for(view, "feel")
    assert isinstance(widget, LikertWidget)
    assert focused() is widget.scale
    first, last = widget.scale.buttons[0], widget.scale.buttons[-1]
    assert (
        first.mapTo(widget, first.rect().center()).y()
        == last.mapTo(widget, last.rect().center()).y()
    )
    assert [label.text().replace("\xa0", " ") for label in widget.scale.labels] == [
        "1. Disagree",
        "2. Neutral",
        "3. Agree",
    ]
    press(qtbot, Qt.Key.Key_3)
    assert session.value("feel") == "3"
    press(qtbot, Qt.Key.Key_Left)
    assert session.value("feel") == "2"
    view.apply_changes(session.set_value("feel", "1"))
    assert widget.scale.checked() == 0


def test_perception_grid_rows_by_keyboard(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, session = _view(qtbot, make_filling)
    row = widget_for(view, "grid/s1")
    assert isinstance(row, GridRow)
    assert len(view.grids) == 1 and [r.node.name for r in view.grids[0].rows] == ["s1", "s2", "s3"]
    header = [label.text().replace("\xa0", " ") for label in view.grids[0].header_labels]
    assert header == ["1. Disagree", "2. Neutral", "3. Agree"]
    press(qtbot, Qt.Key.Key_1)
    press(qtbot, Qt.Key.Key_Return)
    press(qtbot, Qt.Key.Key_3)
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_2)
    assert [session.value(f"grid/s{i}") for i in (1, 2, 3)] == ["1", "3", "2"]
    view.apply_changes(session.set_value("grid/s2", "2"))
    assert view.grids[0].rows[1].scale.checked() == 1


def test_rank_by_keyboard(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, session = _view(qtbot, make_filling)
    widget = widget_for(view, "order")
    assert isinstance(widget, RankWidget)
    assert session.value("order") == "" and widget.status.isVisibleTo(widget)
    widget.list.setCurrentRow(0)
    press(qtbot, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert session.value("order") == "b a c"
    view.apply_changes(session.set_value("order", ["c", "b", "a"]))
    assert widget.order() == ["c", "b", "a"]
    assert widget.list.item(0).text() == "1. Gamma"


def test_acknowledge_and_note(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, session = _view(qtbot, make_filling)
    widget = widget_for(view, "ack")
    assert isinstance(widget, AcknowledgeWidget)
    press(qtbot, Qt.Key.Key_Space)
    assert session.value("ack") == "OK"
    view.apply_changes(session.set_value("ack", False))
    assert not widget.box.isChecked()
    note = widget_for(view, "info")
    assert isinstance(note, NoteWidget) and note.label.text() == "Just so you know"
    assert note.editors() == []


def test_geopoint_typed(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, session = _view(qtbot, make_filling)
    widget = widget_for(view, "where")
    assert isinstance(widget, GeoPointWidget)
    type_text(qtbot, "17.97")
    assert session.value("where") == "" and "longitude" in widget.message.text()
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "102.63")
    assert session.value("where") == "17.97 102.63 0 0"
    assert widget.message.isHidden()
    view.apply_changes(session.set_value("where", (18.5, 103.25)))
    assert [e.text() for e in widget.edits[:2]] == ["18.5", "103.25"]


def _png(path: Path) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 8 for _ in range(8))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return path


def test_image_file_and_audio_attach_with_preview(
    qtbot: QtBot, make_filling: MakeFilling, tmp_path: Path
) -> None:
    view, session = _view(qtbot, make_filling)
    photo = widget_for(view, "photo")
    assert isinstance(photo, MediaWidget)
    photo.attach_path(str(_png(tmp_path / "red.png")))
    qtbot.waitUntil(lambda: session.value("photo").endswith(".png"), timeout=5000)
    qtbot.waitUntil(lambda: photo.thumbnail.isVisibleTo(photo), timeout=5000)
    assert photo.thumbnail.pixmap().width() == 8  # a small image is not blown up
    assert session.value("photo") in view.filling.attachments
    doc = widget_for(view, "doc")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4 " + b"x" * 3000)
    doc.attach_path(str(tmp_path / "notes.pdf"))
    qtbot.waitUntil(lambda: "KB" in doc.info.text(), timeout=5000)
    assert doc.info.text() == f"{session.value('doc')} (2.9 KB)"
    voice = widget_for(view, "voice")
    (tmp_path / "take.ogg").write_bytes(b"OggS" + bytes(500))
    voice.attach_path(str(tmp_path / "take.ogg"))
    qtbot.waitUntil(lambda: session.value("voice").endswith(".ogg"), timeout=5000)
    assert voice.play_button.isVisibleTo(voice)
    voice.remove_button.click()
    assert session.value("voice") == "" and not voice.play_button.isVisibleTo(voice)
    wait_for_jobs()
    view.apply_changes(session.set_value("doc", None))
    assert widget_for(view, "doc").info.text() == "No file attached."


def test_continuous_typing_is_answered_while_it_goes_on(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    """A long note typed without a pause is answered in batches, not only at the end:
    a crash mid-note loses at most the last second."""
    view, session = _view(qtbot, make_filling)
    widget_for(view, "name")
    press(qtbot, Qt.Key.Key_Return)
    story = widget_for(view, "story")
    assert focused() is story.edit
    seen: list[str] = []
    for _ in range(14):  # 14 keys, 100 ms apart: 1.4 s of unbroken typing
        type_text(qtbot, "a")
        qtbot.wait(100)
        seen.append(session.value("story"))
    assert seen[4] != "" and seen[9] != seen[4]  # answered during the typing, more than once
    assert len(seen[-1]) >= 10
