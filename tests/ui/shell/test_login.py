"""First run creates the database and stores the study's forms; login and its messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.core.i18n import translator
from app.store import LocalStore
from app.store.db import default_db_path
from app.ui.context import AppContext
from tests.ui.shell.helpers import (
    PASSWORD,
    fresh_store,
    log_in,
    make_context,
    make_window,
    type_text,
)


def test_first_run_creates_the_database_and_registers_the_study_forms(
    qtbot: QtBot, ctx: AppContext
) -> None:
    assert not default_db_path().exists()
    window = make_window(qtbot, ctx)
    assert window.screen_name == "first_run"
    screen = window.first_run
    type_text(qtbot, screen.display_name, "ສົມພອນ ແກ້ວມະນີ")
    qtbot.keyClick(screen.display_name, Qt.Key.Key_Tab)
    qtbot.keyClicks(screen.username, "somphone")
    qtbot.keyClicks(screen.password, PASSWORD)
    qtbot.keyClicks(screen.repeat, PASSWORD)
    qtbot.keyClick(screen.repeat, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.screen_name == "home", timeout=10_000)
    qtbot.waitUntil(lambda: window.home.data is not None, timeout=10_000)
    assert default_db_path().is_file()
    assert window.ctx.store is not None and window.ctx.store.user.role.value == "coordinator"
    forms = window.home.forms_list
    shown = [forms.topLevelItem(i).text(0) for i in range(forms.topLevelItemCount())]
    assert shown == [
        "Questionnaire survey",
        "In-depth interview guide",
        "Stakeholder mapping",
        "Desk review register",
        "SWOT statement",
    ]
    assert forms.topLevelItem(0).text(1) == "101"
    assert window.home.study_title.text() == "Baseline study of Lao PDR national data governance"
    assert "ສົມພອນ" in window.home.user_label.text()
    window.ctx.store.close()
    other = fresh_store("somphone")
    try:
        assert {v.form_id for v in other.list_form_versions()} == {
            "dg_survey",
            "dg_interview",
            "dg_stakeholder",
            "dg_desk_review",
            "dg_swot",
        }
    finally:
        other.close()


def test_first_run_checks_the_password_in_the_ui_language(qtbot: QtBot, ctx: AppContext) -> None:
    window = make_window(qtbot, ctx)
    screen = window.first_run
    qtbot.keyClicks(screen.username, "somphone")
    qtbot.keyClicks(screen.password, PASSWORD)
    qtbot.keyClicks(screen.repeat, PASSWORD + "x")
    qtbot.mouseClick(screen.create_button, Qt.MouseButton.LeftButton)
    assert screen.error.text() == "The two passwords are not the same."
    translator.set_language("lo")
    assert screen.create_button.text() == "ສ້າງຖານຂໍ້ມູນ"
    screen.password.setText("short")
    screen.repeat.setText("short")
    qtbot.mouseClick(screen.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "8" in screen.error.text(), timeout=10_000)
    assert any("\u0e80" <= c <= "\u0eff" for c in screen.error.text())
    assert not default_db_path().exists()


def test_login_wrong_password_then_lockout_messages(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore
) -> None:
    study_db.close()
    window = make_window(qtbot, ctx)
    assert window.screen_name == "login"
    login = window.login
    messages = []
    for _attempt in range(5):
        login.username.setText("keo")
        qtbot.keyClicks(login.password, "not the password")
        qtbot.keyClick(login.password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: login.task is None and login.error.isVisible(), timeout=10_000)
        messages.append(login.error.text())
        login.error.show_message("")
    assert messages[0] == "Wrong user name or password."
    assert login.password.text() == ""  # cleared for the next try
    login.username.setText("keo")
    qtbot.keyClicks(login.password, PASSWORD)  # right, but too late
    translator.set_language("lo")
    qtbot.keyClick(login.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: login.task is None and login.error.isVisible(), timeout=10_000)
    assert login.error.text().startswith("ເຂົ້າລະບົບຜິດຫຼາຍເທື່ອເກີນໄປ")
    assert window.ctx.store is None and window.screen_name == "login"


def test_login_success_shows_home_with_the_users_name(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore
) -> None:
    study_db.close()
    window = make_window(qtbot, ctx)
    log_in(qtbot, window, "noy")
    assert window.screen_name == "home"
    assert window.home.user_label.text() == "Noy Phommasack · Enumerator"
    assert ctx.settings.settings.last_user == "noy"
    window.log_out()
    qtbot.waitUntil(lambda: window.screen_name == "login")
    assert window.login.username.text() == "noy" and window.ctx.store is None


def test_a_broken_study_file_is_reported_and_the_app_still_starts(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[BaseException] = []
    monkeypatch.setattr("app.ui.messages.show_error", lambda parent, error: shown.append(error))
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "study.toml").write_text("schema = 1\n[study]\ncode = 'x'\n", encoding="utf-8")
    window = make_window(qtbot, make_context(forms_dir=forms))
    assert window.screen_name == "first_run"
    qtbot.waitUntil(lambda: len(shown) == 1)
    assert "study.toml" in str(shown[0])
