"""Every screen fits a 1366×768 laptop at 150 % zoom (910×512 logical pixels) in Lao."""

from __future__ import annotations

from PySide6.QtCore import QSize
from pytestqt.qtbot import QtBot

from app.core.i18n import translator
from app.store import LocalStore
from app.ui.accounts.dialog import AccountsDialog
from app.ui.assign.dialog import AssignDialog
from app.ui.context import AppContext
from app.ui.entry.keys_help import KeysHelp
from app.ui.keys.dialog import KeysDialog
from app.ui.merge.dialog import MergeDialog
from app.ui.refused import RefusedFilesDialog
from app.ui.settings.dialog import SettingsDialog
from app.ui.widgets import WINDOW_FRAME
from tests.ui.shell.helpers import log_in, make_window, start_new_form, wait_for_dialog

ZOOMED = (1366 / 1.5, 768 / 1.5)


def fits(size: QSize) -> bool:
    return size.width() <= ZOOMED[0] and size.height() <= ZOOMED[1]


def test_every_screen_fits_at_150_percent(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore, lao_font: None
) -> None:
    study_db.close()
    translator.set_language("lo")
    window = make_window(qtbot, ctx, view_factory=None)
    window.resize(int(ZOOMED[0]), int(ZOOMED[1]))
    assert fits(window.minimumSizeHint()), ("login", window.minimumSizeHint())
    log_in(qtbot, window)
    assert fits(window.minimumSizeHint()), ("home", window.minimumSizeHint())
    for form_id in ("dg_survey", "dg_interview"):
        start_new_form(qtbot, window, form_id)
        screen = window.filling_screen
        assert fits(window.minimumSizeHint()), (form_id, window.minimumSizeHint())
        assert fits(screen.minimumSizeHint())
        screen.close_form()
        qtbot.waitUntil(lambda: window.screen_name == "home", timeout=5000)
    window.open_settings()
    settings = window.findChildren(SettingsDialog)[0]
    assert settings.width() <= ZOOMED[0] and settings.height() <= ZOOMED[1] + 1
    settings.reject()


def test_the_forms_to_start_need_no_scrolling_at_150_percent(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore, lao_font: None
) -> None:
    """The study's five forms showed three at a time (the list shared its height with the
    drafts and recent lists); the drafts and recent lists give way instead."""
    study_db.close()
    translator.set_language("lo")
    window = make_window(qtbot, ctx, view_factory=None)
    window.resize(int(ZOOMED[0]), int(ZOOMED[1]))
    log_in(qtbot, window)
    forms = window.home.forms_list
    qtbot.waitUntil(lambda: forms.topLevelItemCount() == 5)
    qtbot.waitUntil(lambda: not forms.verticalScrollBar().isVisible())
    last = forms.topLevelItem(forms.topLevelItemCount() - 1)
    assert forms.viewport().rect().contains(forms.visualItemRect(last))
    assert window.home.drafts_view.height() > 40  # still there, a row or two


def test_every_dialog_fits_at_150_percent_with_its_buttons_in_sight(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore, lao_font: None
) -> None:
    """The keys and laptops dialog needed 508 pixels of 512 before its title bar: its
    Close button was below the screen's edge. Every dialog fits with a window frame."""
    study_db.close()
    translator.set_language("lo")
    window = make_window(qtbot, ctx, view_factory=None)
    window.resize(int(ZOOMED[0]), int(ZOOMED[1]))
    log_in(qtbot, window)
    room = QSize(int(ZOOMED[0]) - WINDOW_FRAME, int(ZOOMED[1]) - WINDOW_FRAME)
    opened = {
        "keys": (window.open_keys, KeysDialog),
        "accounts": (window.open_accounts, AccountsDialog),
        "assign": (window.open_assign, AssignDialog),
        "merge": (window.open_merge, MergeDialog),
        "refused": (window.show_refused_files, RefusedFilesDialog),
    }
    for name, (open_it, kind) in opened.items():
        open_it()
        dialog = wait_for_dialog(qtbot, kind)
        minimum = dialog.minimumSizeHint()
        assert minimum.width() <= room.width() and minimum.height() <= room.height(), (
            name,
            minimum,
        )
        screen = dialog.screen().availableGeometry()
        assert dialog.height() <= screen.height() - WINDOW_FRAME, name
        dialog.reject()
        qtbot.waitUntil(lambda d=dialog: not d.isVisible())
    view = start_new_form(qtbot, window, "dg_survey")
    view.show_keys_help()
    help_dialog = wait_for_dialog(qtbot, KeysHelp)
    assert help_dialog.minimumSizeHint().height() <= room.height()
    help_dialog.reject()
