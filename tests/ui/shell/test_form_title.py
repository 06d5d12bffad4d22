"""The filling screen's title: the form's name and the instance's, kept up to date.

The study forms name an instance concat(${institution}, '-', ${interview_date}).
The title was computed once, at opening: a new form never showed its institution,
and a resumed one without an institution read "Questionnaire survey — -2026-11-28".
"""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.ui.app_window import AppWindow
from tests.ui.shell.helpers import start_new_form


def test_the_title_follows_the_answers_without_a_dangling_separator(
    qtbot: QtBot, logged_in: AppWindow
) -> None:
    view = start_new_form(qtbot, logged_in)
    screen = logged_in.filling_screen
    assert screen is not None
    view.answer("consent", "yes")
    view.answer("interview_date", "2026-11-20")
    title = screen.title.full_text()
    assert "— -" not in title and title.endswith("— 2026-11-20"), title
    view.answer("cluster", "core_regulatory")
    view.answer("institution", "mtc")
    assert screen.title.full_text().endswith("— mtc-2026-11-20")
