"""Scroll mode on a large form: a screenful at once, the rest in slices between events,
and every question reachable by keyboard (and by jumps) before the slices get there.

Key presses are sent without serving the event loop, so the background slices do
not run during them: whatever a key needs must be built on demand."""

from __future__ import annotations

import time

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.core.text import without_breaks
from app.engine.instance import Node
from app.engine.model import NON_INPUT_KINDS
from app.ui.entry.form_view import FormView
from app.ui.entry.page_host import SCREENFUL
from tests.engine.formtools import md_table
from tests.ui.entry.conftest import MakeFilling
from tests.ui.entry.helpers import focused, open_view, press, type_text

QUESTIONS = 150


def big_survey(questions: int = QUESTIONS) -> str:
    """Groups of ten one-question pages: integers and texts, a note per group, and a
    question in each group that only applies when the group's first number is over 5."""
    header = ["type", "name", "label", "label::Lao (lo)", "relevant"]
    rows: list[list[str]] = []
    for number in range(1, questions + 1):
        if number % 10 == 1:
            group = number // 10 + 1
            rows.append(["begin_group", f"g{group}", f"Group {group}", f"ໝວດ {group}", ""])
            rows.append(["note", f"n{group}", f"About group {group}", f"ກ່ຽວກັບໝວດ {group}", ""])
        kind = "integer" if number % 2 else "text"
        relevant = f"${{q{number - 4}}} > 5" if number % 10 == 5 else ""
        rows.append([kind, f"q{number}", f"Question {number}", f"ຄຳຖາມ {number}", relevant])
        if number % 10 == 0 or number == questions:
            rows.append(["end_group", "", "", "", ""])
    return md_table("survey", header, rows)


def open_big(qtbot: QtBot, make_filling: MakeFilling) -> FormView:
    return open_view(qtbot, make_filling(big_survey()), page_mode="scroll")


def inputs_in_order(view: FormView) -> list[Node]:
    return [
        node
        for page in view.pages
        for node in page.nodes
        if node.relevant
        and node.definition.question is not None
        and node.definition.question.kind not in NON_INPUT_KINDS
    ]


def test_opens_with_a_screenful_and_builds_the_rest_between_events(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    filling = make_filling(big_survey())
    start = time.perf_counter()
    view = FormView(filling, page_mode="scroll")
    opened = time.perf_counter() - start
    qtbot.addWidget(view)
    assert SCREENFUL <= len(view.widgets) < QUESTIONS / 4  # not every page at once
    view.resize(1100, 720)
    view.show()
    qtbot.waitUntil(lambda: view.builder.complete, timeout=60_000)
    assert len(view.widgets) == QUESTIONS + QUESTIONS // 10  # questions and notes
    # What opening left for later is most of the work: building it all at once (the old
    # way) took this and the open together.
    again = FormView(filling, page_mode="scroll")
    qtbot.addWidget(again)
    start = time.perf_counter()
    again.builder.build_all()
    rest = time.perf_counter() - start
    assert opened < (opened + rest) / 3, (opened, rest)  # the old way: both, at once
    frames = view.builder.host.frames
    assert sorted(frames) == list(range(len(view.pages)))
    shown = [frames[i] for i in sorted(frames) if frames[i].isVisible()]
    ys = [frame.mapTo(view.builder.host, QPoint(0, 0)).y() for frame in shown]
    assert len(shown) == len(view.pages) - 15 and ys == sorted(ys)  # in page order


def test_enter_reaches_every_question_before_the_slices_do(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    view = open_big(qtbot, make_filling)
    session = view.session
    view.go_to(session.node("g1/q1"))
    type_text(qtbot, "9")  # q5 applies
    visited = [view.current_question]
    for _ in range(QUESTIONS * 2):
        press(qtbot, Qt.Key.Key_Return)
        if view.current_question is visited[-1]:
            break
        visited.append(view.current_question)
    assert not view.builder.complete  # the keys were faster than the slices
    assert visited == inputs_in_order(view)
    assert session.node("g1/q5") in visited and session.node("g2/q15") not in visited
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert view.current_question is visited[-2]


def test_tab_goes_by_page_order_across_pages_built_out_of_turn(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    view = open_big(qtbot, make_filling)
    session = view.session
    far = session.node("g10/q93")
    assert far not in view.widgets
    view.go_to(far)  # built now, ahead of the pages between
    assert focused() is view.widgets[far].edit
    press(qtbot, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert view.current_question is session.node("g10/q92")
    press(qtbot, Qt.Key.Key_Tab)
    assert view.current_question is far
    press(qtbot, Qt.Key.Key_Tab)
    assert view.current_question is session.node("g10/q94")
    # From the first screenful onwards, Tab walks every question in page order, into
    # pages built before and after the far one.
    view.go_to(session.node("g1/q1"))
    walked = [view.current_question]
    entered: list[Node] = []
    view.sig_question_entered.connect(entered.append)
    for _ in range(120):
        press(qtbot, Qt.Key.Key_Tab)
        walked.append(view.current_question)
    assert walked == inputs_in_order(view)[: len(walked)]
    assert entered == walked[1:]  # and no paradata for a stop on the way


def test_jumps_build_the_page_they_need(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view = open_big(qtbot, make_filling)
    session = view.session
    press(qtbot, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    last = session.node(f"g15/q{QUESTIONS}")
    assert focused() is view.widgets[last].edit
    press(qtbot, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    target = session.node("g8/q77")
    view.index_panel.show_node(target)
    press(qtbot, Qt.Key.Key_Return)
    assert view.current_question is target and focused() is view.widgets[target].edit
    type_text(qtbot, "42")
    press(qtbot, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    assert view.current_question is session.node("g8/q78")
    press(qtbot, Qt.Key.Key_PageDown)
    assert view.current_question is session.node("g8/q79")
    assert session.value("g8/q77") == "42"


def test_changes_reach_pages_built_later(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view = open_big(qtbot, make_filling)
    session = view.session
    assert session.node("g13/q121") not in view.widgets
    view.apply_changes(session.set_value("g13/q121", 8))  # makes q125 apply
    view.apply_changes(session.set_value("g13/q122", "later"))
    view.set_form_language("lo")
    view.go_to(session.node("g1/q1"))
    press(qtbot, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)  # bookmark, then finalise
    view.request_finalise()  # check: required messages everywhere, built or not
    view.summary.reject()
    qtbot.waitUntil(lambda: view.builder.complete, timeout=60_000)
    widgets = view.widgets
    assert widgets[session.node("g13/q121")].edit.text() == "8"
    assert widgets[session.node("g13/q122")].edit.text() == "later"
    assert widgets[session.node("g13/q125")].isVisibleTo(view)
    assert not widgets[session.node("g14/q135")].isVisibleTo(view)
    assert without_breaks(widgets[session.node("g14/q131")].label.text()) == "ຄຳຖາມ 131"
    assert widgets[session.node("g1/q1")].marker.text() == "★"
    assert widgets[session.node("g14/q131")].show_required


def test_pages_built_above_keep_the_place(qtbot: QtBot, make_filling: MakeFilling) -> None:
    first = open_big(qtbot, make_filling)
    first.go_to(first.session.node("g11/q104"))
    filling = first.filling
    filling.ui.update(first.ui_state())
    first.close()
    view = open_view(qtbot, filling, page_mode="scroll")
    assert not view.builder.complete
    target = view.widgets[view.session.node("g11/q104")]
    qtbot.waitUntil(lambda: focused() is target.edit)
    viewport = view.scroller.viewport()

    def on_screen() -> bool:
        y = target.mapTo(viewport, QPoint(0, 0)).y()
        return y >= 0 and y + target.height() <= viewport.height()

    qtbot.waitUntil(on_screen)
    qtbot.waitUntil(lambda: view.builder.complete, timeout=60_000)
    QApplication.processEvents()
    assert on_screen()  # a hundred pages were built above it meanwhile
    assert view.current_question is view.session.node("g11/q104")


def test_repeats_change_while_pages_are_still_being_built(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    header = ["type", "name", "label"]
    rows = [["integer", f"a{n}", f"Before {n}"] for n in range(1, 41)]
    rows += [["begin_repeat", "child", "Child"], ["text", "name", "Child's name"]]
    rows += [["end_repeat", "", ""]]
    rows += [["integer", f"b{n}", f"After {n}"] for n in range(1, 41)]
    view = open_view(qtbot, make_filling(md_table("survey", header, rows)), page_mode="scroll")
    session = view.session
    view.go_to(session.node("child/name"))
    assert not view.builder.complete
    type_text(qtbot, "Ana")
    shift_control = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    press(qtbot, Qt.Key.Key_N, shift_control)
    second = session.node("child[2]/name")
    assert view.current_question is second and focused() is view.widgets[second].edit
    type_text(qtbot, "Ben")
    press(qtbot, Qt.Key.Key_Return)  # the list of children, then on to the next question
    assert focused() is view.repeat_pages[0].list and view.repeat_pages[0].list.count() == 2
    press(qtbot, Qt.Key.Key_PageDown)
    assert view.current_question is session.node("b1")
    qtbot.waitUntil(lambda: view.builder.complete, timeout=60_000)
    assert [session.value(f"child[{i}]/name") for i in (1, 2)] == ["Ana", "Ben"]
    assert view.widgets[session.node("child[1]/name")].edit.text() == "Ana"
    assert len(view.widgets) == 82 and len(view.repeat_pages) == 1


def test_a_long_field_list_page_is_built_over_several_slices(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    header = ["type", "name", "label", "appearance"]
    rows = [["integer", f"a{n}", f"Before {n}", ""] for n in range(1, 16)]
    rows += [["begin_group", "long", "Long page", "field-list"]]
    rows += [["text", f"t{n}", f"Statement {n}", ""] for n in range(1, 61)]
    rows += [["end_group", "", "", ""], ["integer", "last", "Last", ""]]
    view = open_view(qtbot, make_filling(md_table("survey", header, rows)), page_mode="scroll")
    session = view.session
    long_page = view.page_index_of(session.node("long/t1"))

    def started() -> int:
        return sum(1 for n in view.pages[long_page].nodes if n in view.widgets)

    # A slice stops part-way through the page; the next one goes on with it.
    qtbot.waitUntil(lambda: long_page in view.builder.partial and started() > 0, timeout=30_000)
    assert started() < 60
    view.go_to(session.node("long/t60"))  # a jump finishes the page first
    assert long_page not in view.builder.partial
    assert focused() is view.widgets[session.node("long/t60")].edit
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert view.current_question is session.node("long/t59")
    qtbot.waitUntil(lambda: view.builder.complete, timeout=60_000)
    frame = view.page_frames[long_page]
    ys = [view.widgets[n].mapTo(frame, QPoint(0, 0)).y() for n in view.pages[long_page].nodes]
    assert len(ys) == 60 and ys == sorted(ys)


def test_dispose_deletes_the_pages_a_chunk_at_a_time(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    import shiboken6

    view = open_big(qtbot, make_filling)
    qtbot.waitUntil(lambda: view.builder.complete, timeout=20_000)
    host = view.builder.host
    assert host is not None
    holders = [layout.parentWidget() for layout in host.chunks.values()]
    assert len(holders) >= 3
    view.hide()
    done: list[bool] = []
    view.dispose(lambda: done.append(True))
    # Not all at once: the first turn of the event loop has deleted only some chunks.
    QApplication.processEvents()
    assert any(shiboken6.isValid(h) for h in holders)
    qtbot.waitUntil(lambda: bool(done), timeout=10_000)
    QApplication.sendPostedEvents(None, 0)  # DeferredDelete
    qtbot.waitUntil(lambda: not any(shiboken6.isValid(h) for h in holders), timeout=5_000)
