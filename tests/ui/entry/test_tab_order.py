"""Tab order around a page: its questions, then the page's own buttons (Previous, Next,
Check and finalise…) in reading order, then the screen's header, and back with Shift+Tab.

Pages are built after the buttons (and, in pages mode, again at every turn of a page);
Qt puts a widget built later at the end of the window's Tab chain."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from app.fieldwork.filling import Filling
from app.ui.entry.form_view import FormView
from tests.engine.formtools import md_table
from tests.ui.entry.conftest import MakeFilling
from tests.ui.entry.helpers import focused, press

SHIFT = Qt.KeyboardModifier.ShiftModifier


def survey() -> str:
    """Three field-list pages of two questions each."""
    header = ["type", "name", "label", "appearance"]
    rows: list[list[str]] = []
    for page in (1, 2, 3):
        rows.append(["begin_group", f"p{page}", f"Page {page}", "field-list"])
        rows.append(["text", f"a{page}", f"First on page {page}", ""])
        rows.append(["integer", f"b{page}", f"Second on page {page}", ""])
        rows.append(["end_group", "", "", ""])
    return md_table("survey", header, rows)


class Screen(QWidget):
    """As the filling screen: header buttons made before the view, the view under them."""

    def __init__(self, filling: Filling, page_mode: str) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.history = QPushButton("History")
        self.close_button = QPushButton("Close form")
        for button in (self.history, self.close_button):
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            bar.addWidget(button)
        layout.addLayout(bar)
        self.view = FormView(filling, page_mode=page_mode)
        layout.addWidget(self.view, 1)


def open_screen(qtbot: QtBot, filling: Filling, page_mode: str = "pages") -> Screen:
    screen = Screen(filling, page_mode)
    qtbot.addWidget(screen)
    screen.resize(1100, 720)
    screen.show()
    qtbot.waitExposed(screen)
    screen.activateWindow()
    qtbot.waitUntil(screen.isActiveWindow)
    return screen


def editor(view: FormView, ref: str) -> QWidget:
    widget = view.widgets[view.session.node(ref)]
    return widget.editors()[0]


def walk(qtbot: QtBot, steps: int, backwards: bool = False) -> list[QWidget | None]:
    seen = []
    for _ in range(steps):
        if backwards:
            press(qtbot, Qt.Key.Key_Backtab, SHIFT)
        else:
            press(qtbot, Qt.Key.Key_Tab)
        seen.append(focused())
    return seen


def test_tab_from_the_last_question_goes_to_the_page_buttons_first(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    screen = open_screen(qtbot, make_filling(survey()))
    view = screen.view
    view.go_to(view.session.node("p1/b1"))
    assert focused() is editor(view, "p1/b1")
    # On the first page Previous is off: Next, Check and finalise…, then the header.
    assert walk(qtbot, 3) == [view.next_button, view.finalise_button, screen.history]
    assert walk(qtbot, 3, backwards=True) == [
        view.finalise_button,
        view.next_button,
        editor(view, "p1/b1"),
    ]


def test_the_order_is_right_again_after_a_page_turn(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    screen = open_screen(qtbot, make_filling(survey()))
    view = screen.view
    view.go_to(view.session.node("p1/a1"))
    for page in (2, 3):
        press(qtbot, Qt.Key.Key_PageDown)
        assert focused() is editor(view, f"p{page}/a{page}")
        buttons = [view.previous_button, view.next_button, view.finalise_button]
        buttons = [b for b in buttons if b.isEnabled()]  # Next is off on the last page
        seen = walk(qtbot, 2 + len(buttons) + 1)
        assert seen == [
            editor(view, f"p{page}/b{page}"),
            *buttons,
            screen.history,
            screen.close_button,
        ]
        back = walk(qtbot, 2 + len(buttons), backwards=True)
        assert back == [screen.history, *reversed(buttons), editor(view, f"p{page}/b{page}")]
        view.go_to(view.session.node(f"p{page}/a{page}"))


def test_scroll_mode_leaves_the_last_page_for_the_buttons(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    screen = open_screen(qtbot, make_filling(survey()), page_mode="scroll")
    view = screen.view
    qtbot.waitUntil(lambda: view.builder.complete)
    view.go_to(view.session.node("p3/b3"))
    assert walk(qtbot, 3) == [view.previous_button, view.finalise_button, screen.history]
    assert walk(qtbot, 3, backwards=True) == [
        view.finalise_button,
        view.previous_button,
        editor(view, "p3/b3"),
    ]


def test_scroll_mode_goes_by_page_order_with_pages_built_out_of_turn(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    filling = make_filling(survey())
    filling.ui = {"entry": {"page": 2}}  # reopened on the last page: built first
    screen = open_screen(qtbot, filling, page_mode="scroll")
    view = screen.view
    qtbot.waitUntil(lambda: view.builder.complete)
    view.go_to(view.session.node("p3/b3"))
    assert walk(qtbot, 3) == [view.previous_button, view.finalise_button, screen.history]
    assert walk(qtbot, 4, backwards=True) == [
        view.finalise_button,
        view.previous_button,
        editor(view, "p3/b3"),
        editor(view, "p3/a3"),
    ]
    view.go_to(view.session.node("p1/a1"))
    press(qtbot, Qt.Key.Key_Backtab, SHIFT)
    assert focused() is view.scroller  # what is before the pages, as in pages mode
