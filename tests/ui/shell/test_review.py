"""Review in the app: the coordinator returns a form from its history; the interviewer sees why."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.bundle.reviews import review_submission
from app.store import LocalStore
from app.store.tables import ReviewOutcome
from app.ui.app_window import AppWindow
from app.ui.context import AppContext
from app.ui.filling.dialogs import EditReasonDialog, HistoryDialog, ReturnDialog
from app.ui.home.models import ROW_ROLE
from tests.bundle.bundletools import (
    coordinator_for,
    deliver,
    laptop_for,
    make_coordinator,
    make_field,
    send_back,
    synthetic_documents,
)
from tests.ui.shell.helpers import (
    close_window,
    log_in,
    make_submission,
    make_window,
    type_text,
    wait_for_dialog,
)


def _status_of(window: AppWindow, instance_id: str) -> str:
    table = window.home.case_filter
    for row in range(table.rowCount()):
        case = table.index(row, 0).data(ROW_ROLE)
        if case.instance_id == instance_id:
            return str(table.index(row, 1).data())
    raise AssertionError(f"{instance_id} is not listed")


def _open_history(qtbot: QtBot, window: AppWindow, instance_id: str) -> HistoryDialog:
    """Choose the case in the table and press Ctrl+H, as a user does."""
    table = window.home.table
    proxy = window.home.case_filter
    row = next(
        r
        for r in range(proxy.rowCount())
        if proxy.index(r, 0).data(ROW_ROLE).instance_id == instance_id
    )
    window.activateWindow()  # as a click on it would, after a dialog closed
    qtbot.waitUntil(window.isActiveWindow)
    table.setFocus()
    table.setCurrentIndex(proxy.index(row, 0))
    qtbot.keyClick(table, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    history = wait_for_dialog(qtbot, HistoryDialog)
    qtbot.waitUntil(lambda: history.story is not None, timeout=10_000)
    return history


def test_the_coordinator_returns_a_form_then_approves_its_correction(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore, tmp_path: Path
) -> None:
    coordinator = coordinator_for(study_db, tmp_path / "keys")
    laptop = make_field(tmp_path, coordinator, "laptop-a")
    instance = laptop.interview(dict(synthetic_documents()[0]))
    deliver(laptop, coordinator, tmp_path / "usb")
    laptop.close()
    study_db.close()
    window = make_window(qtbot, ctx)
    log_in(qtbot, window)
    assert _status_of(window, instance) == "Finalised"

    history = _open_history(qtbot, window, instance)
    assert history.approve_button.isVisible() and history.return_button.isVisible()
    qtbot.mouseClick(history.return_button, Qt.MouseButton.LeftButton)
    comment = wait_for_dialog(qtbot, ReturnDialog)
    qtbot.keyClick(comment.reason, Qt.Key.Key_Return)  # a return without a comment is refused
    assert comment.error.text() == "Please say what needs correcting."
    qtbot.keyClicks(comment.reason, "The staff count is missing")
    qtbot.keyClick(comment.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(history.rows()) == 2, timeout=10_000)
    assert history.rows()[1][1:3] == ("Returned for correction", "ແກ້ວ")
    assert history.rows()[1][4] == "The staff count is missing"
    assert history.review_status.text() == "Returned by ແກ້ວ: The staff count is missing"
    # The cases list follows: the form shows as returned, with the comment in its tooltip.
    qtbot.waitUntil(
        lambda: _status_of(window, instance) == "Returned for correction", timeout=10_000
    )

    qtbot.mouseClick(history.approve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(history.rows()) == 3, timeout=10_000)
    assert history.rows()[2][1] == "Approved"
    assert history.review_status.text() == "Approved by ແກ້ວ"
    qtbot.waitUntil(lambda: _status_of(window, instance) == "Approved", timeout=10_000)
    history.close()

    # An enumerator on the same computer sees the history, not the review buttons.
    window.log_out()
    qtbot.waitUntil(lambda: window.screen_name == "login")
    log_in(qtbot, window, username="noy")
    history = _open_history(qtbot, window, instance)
    assert len(history.rows()) == 3
    assert not history.approve_button.isVisible() and not history.return_button.isVisible()
    history.close()
    close_window(qtbot, window)


def test_return_is_offered_only_where_a_laptop_took_part(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore, tmp_path: Path
) -> None:
    """An interview made on the coordinator's computer only is on no interviewer's laptop:
    Return is not offered (it used to be, and the return then reached nobody). The
    coordinator's correction of a laptop's interview goes to that laptop, with a return."""
    coordinator = coordinator_for(study_db, tmp_path / "keys")
    laptop = make_field(tmp_path, coordinator, "laptop-a")
    instance = laptop.interview(dict(synthetic_documents()[0]))
    deliver(laptop, coordinator, tmp_path / "usb")
    laptop.close()
    draft = study_db.start_edit(instance_id=instance, reason="typo in the name")
    study_db.autosave(instance_id=instance, document=draft.document)
    study_db.finalise(instance_id=instance)
    own = make_submission(study_db, "dg_survey", answers={}, finalise=True).instance_id
    study_db.close()
    window = make_window(qtbot, ctx)
    log_in(qtbot, window)
    history = _open_history(qtbot, window, own)
    assert history.approve_button.isVisible() and not history.return_button.isVisible()
    history.reject()
    history = _open_history(qtbot, window, instance)
    assert history.approve_button.isVisible() and history.return_button.isVisible()
    history.reject()
    close_window(qtbot, window)


def test_the_interviewer_sees_what_to_correct_and_opens_the_form(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore, tmp_path: Path
) -> None:
    coordinator = make_coordinator(tmp_path)
    laptop = laptop_for(study_db, coordinator)
    documents = synthetic_documents()
    returned = laptop.interview(dict(documents[0]))
    laptop.interview(dict(documents[1]))
    deliver(laptop, coordinator, tmp_path / "usb")
    review_submission(
        coordinator.target,
        instance_id=returned,
        decision=ReviewOutcome.REJECTED,
        comment="ກະລຸນາເພີ່ມແຫຼ່ງຂໍ້ມູນ",
    )
    send_back(laptop, coordinator, tmp_path / "back")
    coordinator.close()
    study_db.close()
    window = make_window(qtbot, ctx)
    log_in(qtbot, window)
    home = window.home

    # Listed apart, with the comment; only the returned form.
    assert home.returned_view.isVisible()
    assert home.returned_model.rowCount() == 1
    line = home.returned_model.index(0).data()
    assert "ກະລຸນາເພີ່ມແຫຼ່ງຂໍ້ມູນ" in line
    assert _status_of(window, returned) == "Returned for correction"
    home.filter_boxes["status"].setCurrentIndex(home.filter_boxes["status"].findData("returned"))
    assert home.case_filter.rowCount() == 1

    # Enter on it asks why it changes, showing the coordinator's comment.
    def open_for_correction() -> None:
        home.returned_view.setFocus()
        home.returned_view.setCurrentIndex(home.returned_model.index(0))
        qtbot.keyClick(home.returned_view, Qt.Key.Key_Return)
        dialog = wait_for_dialog(qtbot, EditReasonDialog)
        assert dialog.note.isVisible()
        assert dialog.note.text() == "Returned by coord: ກະລຸນາເພີ່ມແຫຼ່ງຂໍ້ມູນ"
        type_text(qtbot, dialog.reason, "ເພີ່ມແຫຼ່ງຂໍ້ມູນແລ້ວ")
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: window.screen_name == "filling", timeout=10_000)

    # Closed without a change, it is still to correct: no draft was made.
    open_for_correction()
    assert window.filling_screen is not None
    window.filling_screen.close_form()
    qtbot.waitUntil(lambda: window.screen_name == "home", timeout=10_000)
    qtbot.waitUntil(lambda: home.task is None and home.returned_model.rowCount() == 1)
    assert home.drafts_model.rowCount() == 0
    assert _status_of(window, returned) == "Returned for correction"

    # Corrected in part and left for later, it is a draft to resume, still showing what
    # to correct.
    open_for_correction()
    assert window.filling_screen is not None
    screen = window.filling_screen
    screen.filling.session.set_value("statement_grp/statement", "ມີແຫຼ່ງຂໍ້ມູນເພີ່ມ")
    screen.autosaver.changed()  # as an answer typed in the view signals
    screen.close_form()
    qtbot.waitUntil(lambda: window.screen_name == "home", timeout=10_000)
    qtbot.waitUntil(lambda: home.task is None and home.drafts_model.rowCount() == 1)
    assert "ກະລຸນາເພີ່ມແຫຼ່ງຂໍ້ມູນ" in home.drafts_model.index(0).data()
    assert home.returned_model.rowCount() == 0 and not home.returned_view.isVisible()
    close_window(qtbot, window)
