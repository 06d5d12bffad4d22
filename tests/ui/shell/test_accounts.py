"""A coordinator adds an enumerator's account on the laptop; the enumerator logs in."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.ui.accounts.dialog import AccountsDialog
from app.ui.app_window import AppWindow
from tests.ui.shell.helpers import PASSWORD, log_in, type_text, wait_for_dialog


def accounts_dialog(qtbot: QtBot, window: AppWindow) -> AccountsDialog:
    window.accounts_action.trigger()
    return wait_for_dialog(qtbot, AccountsDialog)


def test_coordinator_adds_an_enumerator_who_then_logs_in(
    qtbot: QtBot, logged_in: AppWindow
) -> None:
    assert logged_in.accounts_action.isEnabled()
    dialog = accounts_dialog(qtbot, logged_in)
    qtbot.waitUntil(lambda: len(dialog.users) == 2)
    type_text(qtbot, dialog.display_name, "ສົມສັກ ວົງສາ")
    qtbot.keyClicks(dialog.username, "somsack")
    dialog.role.setCurrentIndex(dialog.role.findData("enumerator"))
    qtbot.keyClicks(dialog.password, "short")
    qtbot.keyClicks(dialog.repeat, "short")
    qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.task is None and dialog.error.isVisible(), timeout=5000)
    assert dialog.error.text() == "The password must have at least 8 characters."
    for field in (dialog.password, dialog.repeat):
        field.clear()
        qtbot.keyClicks(field, PASSWORD)
    qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(dialog.users) == 3, timeout=10_000)
    names = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert "somsack" in names and dialog.username.text() == ""
    dialog.reject()

    logged_in.log_out()
    qtbot.waitUntil(lambda: logged_in.screen_name == "login")
    log_in(qtbot, logged_in, "somsack")
    assert logged_in.home.user_label.text() == "ສົມສັກ ວົງສາ · Enumerator"
    assert not logged_in.accounts_action.isEnabled()  # enumerators manage nobody
