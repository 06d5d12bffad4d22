"""The perception grid fits its width: headers wrap between words (Lao too) and are
never cut, statements keep room to be read (or go above their buttons), and the
buttons stay under their headers, at 1366×768 and in the 910-pixel-wide logical
screen of a 150 % zoom."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from app.core.text import ZWSP, without_breaks
from app.fieldwork.filling import Filling
from app.ui.entry.form_view import FormView
from app.ui.entry.widgets.grid import STATEMENT_MIN_CHARS, GridWidget
from tests.ui.entry.helpers import open_view


def pieces(text: str) -> list[str]:
    """What a label cannot wrap inside: it wraps at spaces and zero-width spaces."""
    return [p for p in text.replace(ZWSP, " ").split(" ") if p]


def fully_shown(label: QLabel) -> bool:
    """All of the label's text fits it: every word across, every line down."""
    metrics = label.fontMetrics()
    wide_enough = all(metrics.horizontalAdvance(p) <= label.width() for p in pieces(label.text()))
    return wide_enough and label.heightForWidth(label.width()) <= label.height()


def centre_x(widget: QWidget, grid: GridWidget) -> int:
    return widget.mapTo(grid, QPoint(widget.width() // 2, 0)).x()


def perception_grid(qtbot: QtBot, filling: Filling, width: int, height: int) -> GridWidget:
    filling.session.set_value("consent", "yes")  # the questionnaire applies
    view = open_view(qtbot, filling)
    view.resize(width, height)
    page = next(i for i, p in enumerate(view.pages) if p.group and p.group.name == "perc_policy")
    view.show_page(page)
    grid = view.grids[0]
    qtbot.waitUntil(lambda: grid.rows[-1].isVisible() and 0 < grid.width() < width)
    qtbot.wait(50)  # the layout settles (stacking changes heights once)
    return grid


@pytest.mark.parametrize("language", ["lo", "en"])
@pytest.mark.parametrize(("width", "height"), [(1366, 768), (910, 512)])
def test_perception_grid_fits(
    qtbot: QtBot,
    study_filling: Callable[[str], Filling],
    language: str,
    width: int,
    height: int,
) -> None:
    filling = study_filling("dg_survey")
    filling.session.set_language(language)
    grid = perception_grid(qtbot, filling, width, height)
    assert "ບໍ່ເຫັນດີ" in without_breaks(grid.header_labels[0].text()) or language == "en"
    for label in grid.header_labels:
        assert fully_shown(label), label.text()
    least = grid.fontMetrics().averageCharWidth() * STATEMENT_MIN_CHARS
    for row in grid.rows:
        assert fully_shown(row.label), row.label.text()
        assert row.stacked or row.label.width() >= least
        assert row.scale.mapTo(grid, QPoint(row.scale.width(), 0)).x() <= grid.width()
        for header, button in zip(grid.header_labels, row.scale.buttons, strict=True):
            assert abs(centre_x(header, grid) - centre_x(button, grid)) <= 2


def test_a_narrow_grid_puts_statements_above_their_buttons(
    qtbot: QtBot, study_filling: Callable[[str], Filling]
) -> None:
    filling = study_filling("dg_survey")
    filling.session.set_language("lo")
    grid = perception_grid(qtbot, filling, 1366, 768)
    view = grid.window()
    assert isinstance(view, FormView)
    assert not grid.stacked  # wide: statements beside the scale
    view.index_panel.hide()
    view.resize(560, 600)
    qtbot.waitUntil(lambda: grid.stacked)
    qtbot.wait(50)
    row = grid.rows[0]
    assert row.scale.mapTo(grid, QPoint(0, 0)).y() >= row.label.mapTo(grid, QPoint(0, 0)).y() + (
        row.label.height()
    )
    for label in grid.header_labels:
        assert fully_shown(label), label.text()
    assert fully_shown(row.label)
    view.resize(1366, 768)
    qtbot.waitUntil(lambda: not grid.stacked)


def test_the_grid_header_stays_in_sight_while_its_rows_scroll(
    qtbot: QtBot, study_filling: Callable[[str], Filling]
) -> None:
    """Scrolled down a long grid at 150 %, the rows showed seven unlabelled buttons: which
    one was "not applicable"? A copy of the header stays at the top of the view."""
    filling = study_filling("dg_survey")
    filling.session.set_language("lo")
    grid = perception_grid(qtbot, filling, 910, 512)
    assert grid.floating is not None
    area = grid.floating.parentWidget().parentWidget()
    bar = area.verticalScrollBar()
    assert bar.maximum() > 0  # the page is taller than the view: it scrolls
    bar.setValue(0)
    assert not grid.floating.isVisible()  # the header itself is in sight
    last = grid.rows[-1]
    bar.setValue(last.mapTo(area.widget(), QPoint(0, 0)).y() - 20)
    qtbot.waitUntil(grid.floating.isVisible)
    assert grid.header_labels[0].mapTo(area.viewport(), QPoint(0, 0)).y() < 0  # scrolled away
    assert grid.floating.y() == 0
    assert [label.text() for label in grid.floating.labels] == [
        label.text() for label in grid.header_labels
    ]
    for copy, button in zip(grid.floating.labels, last.scale.buttons, strict=True):
        centre = copy.mapTo(area.viewport(), QPoint(copy.width() // 2, 0)).x()
        assert abs(centre - button.mapTo(area.viewport(), QPoint(button.width() // 2, 0)).x()) <= 2
    bar.setValue(0)  # back up: the header itself shows again, the copy goes
    qtbot.waitUntil(lambda: not grid.floating.isVisible())
