"""Every screen fits a 1366×768 laptop at 150 % zoom (910×512 logical pixels) in Lao."""

from __future__ import annotations

from PySide6.QtCore import QSize
from pytestqt.qtbot import QtBot

from app.core.i18n import translator
from app.store import LocalStore
from app.ui.context import AppContext
from app.ui.settings.dialog import SettingsDialog
from tests.ui.shell.helpers import log_in, make_window, start_new_form

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
