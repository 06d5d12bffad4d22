"""Settings persist, apply at once, and switching the UI language re-renders every screen."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.core.i18n import translator
from app.store import LocalStore
from app.ui.app_window import AppWindow
from app.ui.context import AppContext
from app.ui.settings.dialog import SettingsDialog
from app.ui.settings.store import Settings, SettingsStore
from tests.ui.shell.helpers import log_in, make_window, start_new_form, wait_for_dialog


def test_settings_persist_and_survive_a_damaged_file(tmp_path: Path) -> None:
    store = SettingsStore()
    store.update(ui_language="lo", font_size=12.0, page_mode="scroll", sync_folder="/media/usb")
    store.remember_open_draft("keo", "uuid:1")
    store.remember_open_draft("noy", "uuid:2")
    store.forget_open_draft("keo", "uuid:other")  # not the one open: kept
    again = SettingsStore().settings
    assert (again.ui_language, again.font_size, again.page_mode) == ("lo", 12.0, "scroll")
    assert again.sync_folder == "/media/usb"
    assert again.open_drafts == {"keo": "uuid:1", "noy": "uuid:2"}
    store.forget_open_draft("keo", "uuid:1")
    assert SettingsStore().open_draft("keo") is None
    store.path.write_text("{not json", encoding="utf-8")
    assert SettingsStore().settings == Settings()
    store.path.write_text(
        json.dumps(
            {
                "ui_language": "fr",
                "font_size": 400,
                "page_mode": "x",
                "open_drafts": [1],
                "hidden_columns": {"cases": "province"},
            }
        ),
        encoding="utf-8",
    )
    assert SettingsStore().settings == Settings()
    assert Settings(data_folder=str(tmp_path)).db_path() == tmp_path / "samluat.db"


def open_settings(qtbot: QtBot, window: AppWindow) -> SettingsDialog:
    window.open_settings()
    return wait_for_dialog(qtbot, SettingsDialog)


def choose(box, value) -> None:  # type: ignore[no-untyped-def]
    box.setCurrentIndex(box.findData(value))


def test_settings_dialog_applies_everything_at_once_without_losing_the_form(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore
) -> None:
    study_db.close()
    window = make_window(qtbot, ctx, view_factory=None)  # the real entry view
    log_in(qtbot, window)
    view = start_new_form(qtbot, window)
    screen = window.filling_screen
    view.answer(view.session.node("consent"), "yes")
    view.show_page(2, focus=None)
    dialog = open_settings(qtbot, window)
    assert dialog.ui_language.currentData() == "en"
    choose(dialog.ui_language, "lo")
    choose(dialog.form_language, "lo")
    choose(dialog.font_size, 12.0)
    choose(dialog.page_mode, "scroll")
    qtbot.keyClick(dialog, Qt.Key.Key_Return)  # OK is the default button
    qtbot.waitUntil(lambda: not dialog.isVisible())

    saved = SettingsStore().settings
    assert (saved.ui_language, saved.form_language, saved.font_size, saved.page_mode) == (
        "lo",
        "lo",
        12.0,
        "scroll",
    )
    assert translator.language == "lo"
    assert QApplication.font().pointSizeF() == 12.0
    # The same Filling, a rebuilt view in the new page mode, at the same place.
    assert window.filling_screen is screen
    assert screen.view is not view and screen.view.page_mode == "scroll"
    assert screen.view.current == 2
    assert screen.filling.session.value("consent") == "yes"
    assert screen.filling.session.language == "lo"
    assert screen.close_button.text() == "ປິດແບບຟອມ"
    assert window.home.drafts_heading.text() == "ສະບັບຮ່າງທີ່ຕ້ອງເຮັດຕໍ່"
    assert window.login.login_button.text() == "ເຂົ້າລະບົບ"
    assert window.settings_action.text() == "ການຕັ້ງຄ່າ…"
    QApplication.setFont(QApplication.font().__class__())  # leave the font for other tests


def test_switching_language_on_the_login_screen_keeps_what_was_typed(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore
) -> None:
    study_db.close()
    window = make_window(qtbot, ctx)
    login = window.login
    login.username.setText("noy")
    login.password.setText("half typed")
    login.language_box.setCurrentIndex(login.language_box.findData("lo"))
    assert login.login_button.text() == "ເຂົ້າລະບົບ"
    assert login.username_label.text() == "ຊື່ຜູ້ໃຊ້"
    assert (login.username.text(), login.password.text()) == ("noy", "half typed")
    assert window.first_run.create_button.text() == "ສ້າງຖານຂໍ້ມູນ"
    assert SettingsStore().settings.ui_language == "lo"  # remembered for the next start
    login.language_box.setCurrentIndex(login.language_box.findData("en"))
    assert login.login_button.text() == "Log in"


def test_a_new_data_folder_is_used_from_the_next_login(
    qtbot: QtBot, logged_in: AppWindow, tmp_path: Path
) -> None:
    dialog = open_settings(qtbot, logged_in)
    dialog.data_folder.edit.setText(str(tmp_path / "elsewhere"))
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert logged_in.ctx.store is not None and logged_in.screen_name == "home"  # still here
    logged_in.log_out()
    qtbot.waitUntil(lambda: logged_in.screen_name == "first_run")
    assert logged_in.ctx.db_path == tmp_path / "elsewhere" / "samluat.db"


def test_forms_follow_the_app_language_unless_one_is_chosen(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore
) -> None:
    """A Lao interface shows the study's questions in Lao, though the forms' default is English."""
    study_db.close()
    ctx.settings.update(ui_language="lo", form_language=None)
    translator.set_language("lo")
    window = make_window(qtbot, ctx, view_factory=None)
    log_in(qtbot, window)
    view = start_new_form(qtbot, window)
    screen = window.filling_screen
    consent = view.session.node("consent")
    assert screen.filling.session.language == "lo"
    assert view.session.text(consent) == "ທ່ານຍິນຍອມເຂົ້າຮ່ວມຕອບແບບສອບຖາມນີ້ບໍ?"

    # The app switched to English while the form is open: the questions follow.
    dialog = open_settings(qtbot, window)
    assert dialog.form_language.currentData() is None
    assert dialog.form_language.currentText() == "ຕາມພາສາຂອງໂປຣແກຣມ (ຖ້າແບບຟອມມີ)"
    choose(dialog.ui_language, "en")
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert screen.view.session.text(consent) == "Do you agree to take part in this survey?"

    # A language chosen in Settings wins over the app's.
    dialog = open_settings(qtbot, window)
    choose(dialog.form_language, "lo")
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert translator.language == "en"
    assert screen.view.session.text(consent) == "ທ່ານຍິນຍອມເຂົ້າຮ່ວມຕອບແບບສອບຖາມນີ້ບໍ?"


def test_the_first_tab_stop_in_settings_is_the_first_setting(
    qtbot: QtBot, logged_in: AppWindow
) -> None:
    """It was the scroll area around the settings, which shows no focus."""
    dialog = open_settings(qtbot, logged_in)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.focusWidget() is not None)
    dialog.focusWidget().clearFocus()
    dialog.focusNextChild()
    assert dialog.focusWidget() is dialog.ui_language
    dialog.reject()
