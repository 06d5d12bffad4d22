"""Form entry flows: keyboard-only filling, relevance, messages, language, index, repeats,
the finalise summary and the state saved with a draft."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.core.i18n import translator
from app.ui.entry import repeat_actions
from app.ui.entry.pages import entry_pages
from app.ui.entry.qt_models import STATUS_ROLE, Status
from app.ui.entry.repeats import RepeatPage
from tests.ui.entry.conftest import MakeFilling
from tests.ui.entry.helpers import focused, open_view, press, type_text, widget_for

SURVEY = """
| survey |
| | type | name | label | label::Lao (lo) | required | relevant | constraint | constraint_message | constraint_message::Lao (lo) | appearance |
| | begin_group | person | Person | ບຸກຄົນ | | | | | | field-list |
| | text | name | Name | ຊື່ | yes | | | | | |
| | integer | age | Age | ອາຍຸ | yes | | . >= 15 and . <= 99 | Age is 15 to 99 | ອາຍຸ 15 ຫາ 99 | |
| | select_one yn | works | Works? | ເຮັດວຽກບໍ? | yes | | | | | |
| | text | job | Job | ວຽກ | yes | ${works} = 'yes' | | | | |
| | end_group | | | | | | | | | |
| | note | thanks | Thanks | ຂອບໃຈ | | | | | | |
| | begin_repeat | child | Child | ລູກ | | | | | | |
| | text | child_name | Child's name | ຊື່ລູກ | | | | | | |
| | end_repeat | | | | | | | | | |
| | text | last | Last words | ຄຳສຸດທ້າຍ | | | | | | |
"""
CHOICES = """
| choices |
| | list_name | name | label | label::Lao (lo) |
| | yn | yes | Yes | ແມ່ນ |
| | yn | no | No | ບໍ່ແມ່ນ |
"""


def _open(qtbot: QtBot, make_filling: MakeFilling, **options: object):
    filling = make_filling(SURVEY, CHOICES)
    view = open_view(qtbot, filling, **options)
    return view, filling.session


def test_pages_follow_the_session_plus_repeat_pages(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    view, session = _open(qtbot, make_filling)
    ours = [p for p in entry_pages(session) if not p.is_repeat_page]
    theirs = session.pages(include_hidden=True)
    assert [p.nodes for p in ours] == [p.nodes for p in theirs]
    assert [p.is_repeat_page for p in view.pages] == [False, False, False, True, False]


def test_keyboard_only_fill_of_a_page(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, session = _open(qtbot, make_filling)
    qtbot.waitUntil(lambda: focused() is view.widgets[session.node("name")].edit)
    type_text(qtbot, "Keo")
    press(qtbot, Qt.Key.Key_Return)
    type_text(qtbot, "34")
    press(qtbot, Qt.Key.Key_Return)
    press(qtbot, Qt.Key.Key_1)  # Works? → Yes, and the job question appears
    job = view.widgets[session.node("job")]
    assert job.isVisible()
    press(qtbot, Qt.Key.Key_Return)
    assert focused() is job.edit
    type_text(qtbot, "Teacher")
    press(qtbot, Qt.Key.Key_Return)  # the last question on the page: on to the next page
    assert view.current == 1
    assert [session.value(r) for r in ("name", "age", "works", "job")] == [
        "Keo",
        "34",
        "yes",
        "Teacher",
    ]
    press(qtbot, Qt.Key.Key_PageUp)
    assert view.current == 0
    press(qtbot, Qt.Key.Key_PageDown)
    press(qtbot, Qt.Key.Key_PageDown)
    assert view.current_question is session.node("child/child_name")
    press(qtbot, Qt.Key.Key_PageDown)
    assert view.pages[view.current].is_repeat_page


def test_relevance_hides_and_shows_live(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, session = _open(qtbot, make_filling)
    job = view.widgets[session.node("job")]
    assert not job.isVisible()
    works = widget_for(view, "works")
    works.buttons[0].click()
    assert job.isVisible()
    works.buttons[1].click()
    assert not job.isVisible() and session.value("works") == "no"


def test_constraint_message_appears_and_clears(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, session = _open(qtbot, make_filling)
    age = widget_for(view, "age")
    type_text(qtbot, "7")
    assert age.message.isVisible() and age.message.text() == "Age is 15 to 99"
    type_text(qtbot, "0")
    assert session.value("age") == "70" and not age.message.isVisible()


def test_required_message_after_leaving_empty(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, _session = _open(qtbot, make_filling)
    name = widget_for(view, "name")
    assert not name.message.isVisible()  # not before the question was visited
    press(qtbot, Qt.Key.Key_Tab)
    assert name.message.isVisible() and name.message.text() == "This answer is required."


def test_language_switch_keeps_focus_and_answers(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, session = _open(qtbot, make_filling)
    age = widget_for(view, "age")
    type_text(qtbot, "7")
    editor = focused()
    view.set_form_language("lo")
    assert focused() is editor and age.edit.text() == "7" and session.value("age") == "7"
    assert age.label.text() == "ອາຍຸ *"
    assert age.message.text() == "ອາຍຸ 15 ຫາ 99"
    works = view.widgets[session.node("works")]
    assert works.labels[0].text() == "1. ແມ່ນ"
    translator.set_language("lo")  # the UI language too: our own strings follow
    assert view.next_button.text() != "Next (PgDn)"
    assert focused() is editor
    view.set_form_language("en")
    assert age.label.text() == "Age *" and works.labels[0].text() == "1. Yes"


def test_index_marks_and_jump(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, session = _open(qtbot, make_filling)
    model = view.index_panel.model

    def mark(ref: str) -> str:
        return model.index_of(session.node(ref)).data(STATUS_ROLE)

    assert mark("person/name") == Status.REQUIRED
    assert mark("person/job") == Status.NOT_RELEVANT
    widget_for(view, "age")
    type_text(qtbot, "7")
    assert mark("person/age") == Status.INVALID
    assert mark("person") == Status.INVALID
    type_text(qtbot, "0")
    assert mark("person/age") == Status.ANSWERED
    press(qtbot, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    assert focused() is view.index_panel.tree
    view.index_panel.show_node(session.node("last"))
    press(qtbot, Qt.Key.Key_Return)
    assert view.current_question is session.node("last")
    assert focused() is view.widgets[session.node("last")].edit


def test_shortcuts_first_invalid_and_next_unanswered(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    view, session = _open(qtbot, make_filling)
    view.apply_changes(session.set_value("age", 3))
    widget_for(view, "last")
    press(qtbot, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert view.current_question is session.node("name")  # required first, then the constraint
    assert view.widgets[session.node("name")].message.isVisible()
    type_text(qtbot, "Keo")
    press(qtbot, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    assert view.current_question is session.node("works")


def test_repeat_add_remove_move(qtbot: QtBot, make_filling: MakeFilling, monkeypatch) -> None:
    view, session = _open(qtbot, make_filling)
    widget_for(view, "child/child_name")
    type_text(qtbot, "Ana")
    press(
        qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert len(session.repeat_instances(session.root, "child")) == 2
    assert view.current_question is session.node("child[2]/child_name")
    assert "entry 2 of 2" in view.repeat_bars[0].title.text()
    type_text(qtbot, "Ben")
    qtbot.waitUntil(lambda: session.value("child[2]/child_name") == "Ben")
    press(
        qtbot,
        Qt.Key.Key_Up,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert [session.value(f"child[{i}]/child_name") for i in (1, 2)] == ["Ben", "Ana"]
    # Removing asks first; "Keep" leaves everything as it was.
    answers = iter([False, True])
    monkeypatch.setattr(repeat_actions, "confirm_remove", lambda *_a: next(answers))
    changed: list[bool] = []
    view.sig_answer_changed.connect(lambda: changed.append(True))
    press(
        qtbot,
        Qt.Key.Key_Delete,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert len(session.repeat_instances(session.root, "child")) == 2 and not changed
    press(
        qtbot,
        Qt.Key.Key_Delete,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert [session.value(n) for n in ("child/child_name",)] == ["Ana"]
    assert changed
    page = view.repeat_pages[0]
    assert isinstance(page, RepeatPage) and page.list.count() == 1
    assert page.list.item(0).text() == "1. Ana"


def test_confirm_remove_defaults_to_keep(qtbot: QtBot) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

    from app.ui.entry.repeats import confirm_remove

    parent = QWidget()
    qtbot.addWidget(parent)
    seen: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.defaultButton().text())
        seen.extend(b.text() for b in box.buttons())
        qtbot.keyClick(box, Qt.Key.Key_Return)

    QTimer.singleShot(50, answer)
    assert confirm_remove(parent, "Child 1") is False
    assert seen[0] == "Keep" and "Remove" in seen


def test_summary_links_jump_to_the_problem(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, session = _open(qtbot, make_filling)
    finalise: list[bool] = []
    view.sig_finalise_requested.connect(lambda: finalise.append(True))
    widget_for(view, "last")
    press(
        qtbot, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    summary = view.summary
    assert summary is not None and summary.isVisible()
    assert [p.ref for p in summary.problems] == ["person/name", "person/age", "person/works"]
    qtbot.waitUntil(lambda: focused() is summary.list)
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_Return)
    assert not summary.isVisible()
    qtbot.waitUntil(lambda: view.current_question is session.node("age"))
    assert focused() is view.widgets[session.node("age")].edit
    for ref, value in (("name", "Keo"), ("age", 30), ("works", "no")):
        view.apply_changes(session.set_value(ref, value))
    view.request_finalise()
    assert view.summary.problems == [] and view.summary.finalise_button.isVisible()
    view.summary.finalise_button.click()
    assert finalise == [True]


def test_ui_state_round_trip(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, session = _open(qtbot, make_filling)
    widget_for(view, "last")
    press(qtbot, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    state = view.ui_state()
    assert state["entry"]["focus"] == "last" and state["entry"]["bookmarks"] == ["last"]
    view.filling.ui.update(state)
    again = open_view(qtbot, view.filling)
    assert again.current == view.current
    assert (
        again.current_question is session.node("last")
        or focused() is again.widgets[session.node("last")].edit
    )
    assert again.widgets[session.node("last")].marker.text() == "★"


def test_scroll_mode_shows_every_page(qtbot: QtBot, make_filling: MakeFilling) -> None:
    view, session = _open(qtbot, make_filling, page_mode="scroll")
    assert {n.name for n in view.widgets} >= {"name", "age", "works", "job", "thanks", "last"}
    widget_for(view, "name")
    press(qtbot, Qt.Key.Key_PageDown)
    assert view.current_question is session.node("thanks") or view.current == 1


def test_the_index_legend_wraps_between_items_only(qtbot: QtBot, make_filling: MakeFilling) -> None:
    """At a narrow index, "Required, not answered" was cut after "Required," and read
    as two statuses."""
    from PySide6.QtGui import QFontMetrics, QTextDocument

    from app.ui.entry.qt_models import status_text

    view, _session = _open(qtbot, make_filling)
    for language in ("en", "lo"):
        translator.set_language(language)
        view.index_panel.retranslate()
        document = QTextDocument()
        document.setDefaultFont(view.index_panel.legend.font())
        document.setHtml(view.index_panel.legend.text())
        text = document.toPlainText()
        items = [status_text(status) for status in Status]
        # Every mark the index draws is explained, the hollow one as hollow.
        assert f"○ {status_text(Status.UNANSWERED)}" in text.replace("\xa0", " ")
        assert all(item in text for item in items)
        widest = max(
            QFontMetrics(document.defaultFont()).horizontalAdvance(f"● {i}") for i in items
        )
        for width in (widest + 12, widest + 40, widest + 90):
            document.setTextWidth(width)
            document.size()  # lays the text out
            layout = document.firstBlock().layout()
            assert layout.lineCount() > 1  # narrow enough to wrap
            for item in items:
                start = text.index(item)
                first = layout.lineForTextPosition(start).lineNumber()
                last = layout.lineForTextPosition(start + len(item) - 1).lineNumber()
                assert first == last, f"{language} {width}px: {item!r} is cut"
    translator.set_language("en")


SERIES = """
| survey |
| | type | name | label |
| | text | s1 | Staff in my organization understand the rules on sharing personal data |
| | text | s2 | Staff in my organization understand the rules on keeping data safe |
| | text | s3 | Staff in my organization understand the rules on open government data |
"""


def test_a_series_of_statements_can_be_told_apart_in_a_narrow_index(
    qtbot: QtBot, make_filling: MakeFilling
) -> None:
    """Statements sharing their opening all read "Staff in my organization und…" in the
    index: it cuts them in the middle, so that their different ends show."""
    from PySide6.QtWidgets import QStyleOptionViewItem

    view = open_view(qtbot, make_filling(SERIES))
    tree = view.index_panel.tree
    model = view.index_panel.model

    def shown(width: int) -> list[str]:
        """The statements as the index draws them in a `width`-pixel tree."""
        tree.setFixedWidth(width)
        texts = []
        for name in ("s1", "s2", "s3"):
            index = model.index_of(view.session.node(name))
            option = QStyleOptionViewItem()
            option.rect = tree.visualRect(index)
            tree.itemDelegate().initStyleOption(option, index)
            room = option.rect.width() - tree.iconSize().width() - 8
            text = index.data()
            assert tree.fontMetrics().horizontalAdvance(text) > room  # it is cut
            texts.append(tree.fontMetrics().elidedText(text, option.textElideMode, room))
        return texts

    assert len(set(shown(200))) == 3
    # A label only a little too wide keeps its opening (cut at the end).
    index = model.index_of(view.session.node("s1"))
    tree.setFixedWidth(tree.fontMetrics().horizontalAdvance(index.data()) * 3 // 4)
    option = QStyleOptionViewItem()
    option.rect = tree.visualRect(index)
    tree.itemDelegate().initStyleOption(option, index)
    assert option.textElideMode == Qt.TextElideMode.ElideRight
