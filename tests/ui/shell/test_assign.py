"""Assign cases from a spreadsheet in the app: the rows to correct, then the cases on the home screen."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.ui.app_window import AppWindow
from app.ui.assign.dialog import AssignDialog
from tests.ui.shell.helpers import log_in, wait_for_dialog

HEADER = "form,institution,respondent,interviewer,province\n"


def _open(qtbot: QtBot, window: AppWindow) -> AssignDialog:
    assert window.assign_action.isEnabled()
    window.assign_action.trigger()
    return wait_for_dialog(qtbot, AssignDialog)


def test_rows_to_correct_are_listed_then_the_cases_appear_at_home(
    qtbot: QtBot, logged_in: AppWindow, tmp_path: Path
) -> None:
    home = logged_in.home
    before = home.case_model.rowCount()
    sheet = tmp_path / "cases.csv"
    sheet.write_text(
        HEADER + "dg_survey,mtc,Director of IT,noy,vt\ndg_interview,nowhere,,noy,\n",
        encoding="utf-8",
    )
    dialog = _open(qtbot, logged_in)
    dialog.import_file(sheet)
    qtbot.waitUntil(lambda: dialog.problems.isVisible(), timeout=10_000)
    assert dialog.outcome.text().startswith("Nothing was assigned.")
    assert [dialog.problems.item(i).text() for i in range(dialog.problems.count())] == [
        "cases.csv:3: institution: 'nowhere' is not in the form's institution list"
    ]
    assert logged_in.ctx.store is not None
    assert logged_in.ctx.store.list_assignments() == []  # the good row was not stored either

    sheet.write_text(
        HEADER + "dg_survey,mtc,Director of IT,noy,vt\ndg_interview,Bank of the Lao PDR,,noy,\n",
        encoding="utf-8",
    )
    dialog.import_file(sheet)
    qtbot.waitUntil(lambda: dialog.result_ is not None, timeout=10_000)
    assert not dialog.problems.isVisible()
    assert dialog.outcome.text() == "2 case(s) assigned.\nnoy: 2 case(s)"
    qtbot.waitUntil(lambda: home.case_model.rowCount() == before + 2, timeout=10_000)
    respondents = {home.case_model.rows[i].respondent for i in range(home.case_model.rowCount())}
    assert "Director of IT" in respondents

    # The same file again: nothing new.
    dialog.import_file(sheet)
    qtbot.waitUntil(lambda: dialog.choose_button.isEnabled(), timeout=10_000)
    qtbot.waitUntil(lambda: "0 case(s) assigned." in dialog.outcome.text(), timeout=10_000)
    assert "2 already assigned" in dialog.outcome.text()
    dialog.close()


def test_an_enumerator_cannot_assign(qtbot: QtBot, logged_in: AppWindow) -> None:
    logged_in.log_out()
    qtbot.waitUntil(lambda: logged_in.screen_name == "login")
    log_in(qtbot, logged_in, username="noy")
    assert not logged_in.assign_action.isEnabled()
