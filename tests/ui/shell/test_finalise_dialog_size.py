"""The finalise check is as big as what it shows: one line when nothing is left to fix,
room for the list when there are problems (up to the size it opens at)."""

from __future__ import annotations

import random

import pytest
from pytestqt.qtbot import QtBot

from app.core.i18n import translator
from app.engine.synthetic import fill_session
from app.fieldwork.filling import Filling
from app.fieldwork.library import FormLibrary
from app.store import LocalStore
from app.ui.entry.form_view import FormView
from app.ui.entry.summary import SummaryDialog

OPENS_AT = (720, 460)


def start(store: LocalStore, form_id: str) -> Filling:
    form = next(f for f in FormLibrary(store).latest() if f.formdef.form_id == form_id)
    return Filling.start(store=store, form=form)


def check(qtbot: QtBot, filling: Filling) -> SummaryDialog:
    view = FormView(filling)
    qtbot.addWidget(view)
    view.resize(1100, 720)
    view.show()
    qtbot.waitExposed(view)
    view.request_finalise()
    dialog = view.summary
    assert dialog is not None
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


@pytest.mark.parametrize("language", ["en", "lo"])
def test_nothing_left_to_fix_is_one_line_and_its_buttons(
    qtbot: QtBot, study_db: LocalStore, language: str
) -> None:
    translator.set_language(language)
    filling = start(study_db, "dg_survey")
    fill_session(filling.session, random.Random(1))
    dialog = check(qtbot, filling)
    assert not dialog.problems
    heading = dialog.heading
    line = heading.fontMetrics().height()
    assert heading.height() >= heading.heightForWidth(heading.width())  # all of it shows
    assert heading.heightForWidth(heading.width()) < 2 * line  # on one line
    assert dialog.finalise_button.isVisible() and dialog.finalise_button.hasFocus()
    assert dialog.width() < OPENS_AT[0] * 0.6 and dialog.height() < 4 * line + 60
    assert dialog.height() <= dialog.sizeHint().height() + line


def test_a_long_list_of_problems_keeps_its_room(qtbot: QtBot, study_db: LocalStore) -> None:
    filling = start(study_db, "dg_survey")  # consent first: nothing else applies yet
    problems = filling.problems()
    assert 0 < len(problems) < 4
    dialog = check(qtbot, filling)
    short = (dialog.width(), dialog.height())
    # A problem or two: the rows they take, not a screenful of empty list.
    rows = sum(dialog.list.sizeHintForRow(r) for r in range(len(problems)))
    assert short[0] == OPENS_AT[0] and short[1] < OPENS_AT[1]
    assert rows <= dialog.list.viewport().height() <= rows + 2 * dialog.list.sizeHintForRow(0)
    dialog.reject()
    filling.problems = lambda: problems * 30  # type: ignore[method-assign]
    many = check(qtbot, filling)
    assert len(many.problems) == 30 * len(problems)
    assert (many.width(), many.height()) == OPENS_AT
