"""The first window lists the forms of a folder with titles and question counts."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.core.i18n import translator
from app.ui.forms_window import FormsWindow
from tests.engine.formtools import write_form

SURVEY = """
| survey |
| | type | name | label | calculation |
| | text | a | A | |
| | integer | b | B | |
| | calculate | c | | 1 + 1 |
| settings |
| | form_title | form_id |
| | Little form | little |
"""


def test_lists_titles_counts_and_broken_forms(qtbot: QtBot, tmp_path: Path) -> None:
    write_form(tmp_path, SURVEY, name="little.md")
    (tmp_path / "broken.md").write_text(
        "| survey |\n| | type | name |\n| | nonsense_type | x |\n", encoding="utf-8"
    )
    window = FormsWindow(tmp_path)
    qtbot.addWidget(window)
    rows = {
        window.table.item(r, 0).text(): (
            window.table.item(r, 1).text(),
            window.table.item(r, 2).text(),
        )
        for r in range(window.table.rowCount())
    }
    assert rows["little.md"] == ("Little form", "2")
    assert "broken.md" in rows and "broken.md:survey:" in rows["broken.md"][0]
    assert rows["broken.md"][1] == ""


def test_language_switch_retranslates_headers(qtbot: QtBot, tmp_path: Path) -> None:
    window = FormsWindow(tmp_path)
    qtbot.addWidget(window)
    try:
        window.language_box.setCurrentIndex(window.language_box.findData("lo"))
        assert window.table.horizontalHeaderItem(2).text() == "ຄຳຖາມ"
        window.language_box.setCurrentIndex(window.language_box.findData("en"))
        assert window.table.horizontalHeaderItem(2).text() == "Questions"
    finally:
        translator.set_language("en")
