"""The whole day's flow on the study's interview guide, with real key presses only.

Log in → new interview → fill it from the keyboard → a relevance change hides
the interview section → a constraint message appears and clears → finalise →
edit with a reason → the history shows both versions. The entry widgets are
the entry engineer's; this checks that the shell around them holds together.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.store import EventKind, LocalStore
from app.ui.app_window import AppWindow
from app.ui.context import AppContext
from app.ui.filling.dialogs import EditReasonDialog, HistoryDialog
from tests.ui.shell.helpers import fresh_store, type_text

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def press(
    qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
):
    qtbot.keyClick(focused(), key, modifier)


def typed(qtbot: QtBot, text: str) -> None:
    type_text(qtbot, focused(), text)


def focus_inside(widget: QWidget) -> bool:
    current = QApplication.focusWidget()
    return current is not None and (current is widget or widget.isAncestorOf(current))


def open_dialog(window: AppWindow, kind: type) -> object | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, kind) and widget.isVisible():
            return widget
    return None


def test_interview_from_login_to_history_with_the_keyboard(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore
) -> None:
    study_db.close()
    window = AppWindow(ctx)  # the real entry view and interview workspace
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)

    # Log in.
    assert focused() is window.login.username
    typed(qtbot, "keo")
    press(qtbot, Qt.Key.Key_Return)  # to the password
    typed(qtbot, "correct horse battery")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.home.data is not None, timeout=10_000)

    # A new interview: Ctrl+N goes to the forms, Down to the interview guide, Enter starts it.
    press(qtbot, Qt.Key.Key_N, CTRL)
    assert focused() is window.home.forms_list
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.filling_screen is not None, timeout=10_000)
    screen = window.filling_screen
    workspace = screen.view
    view = workspace.view  # the FormView inside the interview workspace
    session = view.session
    qtbot.waitUntil(lambda: focus_inside(view))

    def current() -> str:
        return view.current_question.name if view.current_question else ""

    def applying() -> int:
        return sum(page.applies() for page in view.pages)

    # Consent: "yes" shows the interview section, "no" hides it again, then "yes".
    press(qtbot, Qt.Key.Key_PageDown)
    assert current() == "consent"
    before = applying()
    press(qtbot, Qt.Key.Key_1)
    assert session.value("consent") == "yes" and session.node("main").relevant
    shown = applying()
    assert shown > before
    press(qtbot, Qt.Key.Key_2)
    assert session.value("consent") == "no"
    assert not session.node("main").relevant and applying() == before
    assert view.widgets[session.node("consent_refused")].isVisibleTo(view)
    press(qtbot, Qt.Key.Key_1)
    assert applying() == shown
    press(qtbot, Qt.Key.Key_Return)
    assert current() == "consent_audio"
    press(qtbot, Qt.Key.Key_2)  # no recording

    # Interview details.
    press(qtbot, Qt.Key.Key_PageDown)
    assert current() == "interviewer_name"
    typed(qtbot, "ແກ້ວ Keo")
    press(qtbot, Qt.Key.Key_Return)
    assert current() == "interview_date" and session.value("interview_date")  # today
    press(qtbot, Qt.Key.Key_Return)
    for expected in ("province", "interview_mode", "cluster", "institution"):
        assert current() == expected
        press(qtbot, Qt.Key.Key_1)
        press(qtbot, Qt.Key.Key_Return)
    assert (session.value("province"), session.value("institution")) == ("vt", "mtc")
    typed(qtbot, "Director of the data centre")
    press(qtbot, Qt.Key.Key_Return)

    # A constraint message appears next to the question and clears.
    assert current() == "interviewee_count"
    count = view.widgets[session.node("interviewee_count")]
    press(qtbot, Qt.Key.Key_A, CTRL)
    typed(qtbot, "12")
    assert count.message.isVisibleTo(view) and "1 to 10" in count.message.text()
    press(qtbot, Qt.Key.Key_Backspace)
    assert session.value("interviewee_count") == "1"
    assert not count.message.isVisibleTo(view)
    press(qtbot, Qt.Key.Key_Return)

    # On through the sections (notes are optional) to the closing page.
    for _page in range(60):
        if view.pages[view.current].nodes[0].parent.name == "closing":
            break
        press(qtbot, Qt.Key.Key_PageDown)
    assert current() == "openness"
    press(qtbot, Qt.Key.Key_1)
    press(qtbot, Qt.Key.Key_Return)
    press(qtbot, Qt.Key.Key_1)  # Lao
    press(qtbot, Qt.Key.Key_Return)
    typed(qtbot, "ເປີດເຜີຍ ແລະ ກົງໄປກົງມາ")
    press(qtbot, Qt.Key.Key_Return, CTRL)
    typed(qtbot, "Needs a data law")
    press(qtbot, Qt.Key.Key_Return, CTRL)
    assert current() == "follow_up"
    press(qtbot, Qt.Key.Key_2)
    assert screen.filling.problems() == []

    # Everything typed is in the store within a second, from another connection.
    instance_id = screen.filling.instance_id
    qtbot.waitUntil(lambda: not screen.autosaver.pending, timeout=1000)
    other = fresh_store()
    try:
        draft = other.load_draft(instance_id=instance_id)
        assert draft is not None
        assert draft.document["data"]["main"]["closing"]["key_points"] == "Needs a data law"
    finally:
        other.close()

    # Finalise: the check has nothing to report; Enter finalises.
    press(qtbot, Qt.Key.Key_F, CTRL | SHIFT)
    qtbot.waitUntil(lambda: view.summary is not None and view.summary.isActiveWindow())
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.screen_name == "home", timeout=10_000)
    qtbot.waitUntil(
        lambda: window.home.data is not None and len(window.home.data.recent) == 1,
        timeout=10_000,
    )
    assert window.ctx.settings.open_draft("keo") is None

    # Edit with a reason: find the case, F2, give the reason, Enter.
    press(qtbot, Qt.Key.Key_F, CTRL)
    typed(qtbot, "Technology and Communications")
    press(qtbot, Qt.Key.Key_Down)
    assert window.home.selected_case().instance_id == instance_id
    press(qtbot, Qt.Key.Key_F2)
    qtbot.waitUntil(
        lambda: (d := open_dialog(window, EditReasonDialog)) is not None and d.isActiveWindow()
    )
    typed(qtbot, "ແກ້ໄຂຈຳນວນຜູ້ໃຫ້ສຳພາດ")  # corrected the number of interviewees
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.filling_screen is not None, timeout=10_000)
    screen = window.filling_screen
    view = screen.view.view
    qtbot.waitUntil(lambda: focus_inside(view))
    assert "ແກ້ໄຂຈຳນວນຜູ້ໃຫ້ສຳພາດ" in screen.edit_note.text()
    press(qtbot, Qt.Key.Key_Home, CTRL)  # first page, then Ctrl+U to the first unanswered
    press(qtbot, Qt.Key.Key_U, CTRL)
    assert view.current_question is not None
    changed = view.current_question.name
    typed(qtbot, "ທ່ານ ບຸນມີ")
    press(qtbot, Qt.Key.Key_Return)
    assert view.session.value(changed) == "ທ່ານ ບຸນມີ"
    press(qtbot, Qt.Key.Key_F, CTRL | SHIFT)
    qtbot.waitUntil(lambda: view.summary is not None and view.summary.isActiveWindow())
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.screen_name == "home", timeout=10_000)
    qtbot.waitUntil(lambda: window.home.data is not None and window.home.task is None)

    # The history lists both versions with author, time and the edit's reason.
    press(qtbot, Qt.Key.Key_F, CTRL)
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_H, CTRL)
    qtbot.waitUntil(lambda: open_dialog(window, HistoryDialog) is not None)
    history = open_dialog(window, HistoryDialog)
    qtbot.waitUntil(lambda: len(history.revisions) == 2, timeout=5000)
    rows = history.rows()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("1", "Finalised", "ແກ້ວ"),
        ("2", "Finalised", "ແກ້ວ"),
    ]
    assert rows[0][4] == "" and rows[1][4] == "ແກ້ໄຂຈຳນວນຜູ້ໃຫ້ສຳພາດ"
    assert all(r[3] for r in rows)
    press(qtbot, Qt.Key.Key_Escape)

    # Paradata: each focus change was recorded once, with the edit's reason on its change.
    store = window.ctx.store
    enters = [e for e in store.events(instance_id=instance_id, kind=EventKind.QUESTION_ENTER)]
    fields = [e.field for e in enters]
    assert fields.count("consent_grp/consent") == 1
    change = [
        e
        for e in store.events(instance_id=instance_id, kind=EventKind.ANSWER_CHANGED)
        if e.field.endswith(changed)
    ]
    assert change[-1].reason == "ແກ້ໄຂຈຳນວນຜູ້ໃຫ້ສຳພາດ"
