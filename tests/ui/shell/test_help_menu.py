"""The Help menu: every shortcut from anywhere (the home screen's were listed nowhere), and
an About box naming the folders support asks for."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app import __version__
from app.core import paths
from app.core.i18n import translator
from app.ui.app_window import AppWindow
from app.ui.entry.keys_help import KeysHelp
from tests.ui.shell.helpers import wait_for_dialog


def test_the_help_menu_lists_the_home_keys_and_the_forms(
    qtbot: QtBot, logged_in: AppWindow
) -> None:
    menu = logged_in.help_menu
    assert menu.title() == "&Help"
    menu.keys_action.trigger()
    dialog = wait_for_dialog(qtbot, KeysHelp)
    table = dialog.table
    cells = [
        (table.item(row, 0).text(), table.item(row, 1).text() if table.item(row, 1) else "")
        for row in range(table.rowCount())
    ]
    assert cells[0] == ("Home screen", "")
    assert ("Ctrl+F", "Search the cases") in cells
    assert ("F2", "Edit a finalised form") in cells
    form_heading = cells.index(("In a form (F1 there)", ""))
    assert ("Ctrl+I", "Go to the index of questions") in cells[form_heading:]
    dialog.reject()


def test_about_names_the_version_and_the_folders_in_lao_too(
    qtbot: QtBot, logged_in: AppWindow
) -> None:
    box = logged_in.help_menu.show_about()
    text = box.text()
    assert __version__ in text
    assert str(logged_in.ctx.db_path) in text
    assert str(paths.log_dir()) in text
    box.reject()
    translator.set_language("lo")
    assert logged_in.help_menu.title() == "&ຊ່ວຍເຫຼືອ"
    lao = logged_in.help_menu.show_about()
    assert isinstance(lao, QMessageBox) and "ຖານຂໍ້ມູນ" in lao.text()
    lao.reject()
