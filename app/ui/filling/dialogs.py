"""Dialogs about a finalised form: the reason for an edit, its history, its review."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.i18n import N_, _
from app.core.times import when_text
from app.fieldwork.reviewing import SubmissionStory, load_story, review
from app.store import LocalStore
from app.store.repo_reviews import ReviewInfo
from app.store.repo_submissions import RevisionInfo
from app.store.tables import ReviewOutcome
from app.ui.home.models import returned_note, status_text
from app.ui.language import on_language_changed, translate_buttons
from app.ui.messages import show_problem, user_message
from app.ui.widgets import (
    ErrorLabel,
    Heading,
    add_dialog_footer,
    size_for_screen,
    wrapping_label,
)
from app.ui.workers import run_task

log = logging.getLogger(__name__)


class ReasonDialog(QDialog):
    """Asks for one required line of text (a reason, a comment); Enter accepts."""

    sig_reason_given = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, note: str = "") -> None:
        super().__init__(parent)
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        self.note = wrapping_label(note)  # e.g. the coordinator's comment on a returned form
        self.note.setStyleSheet("font-weight: bold;")
        self.note.setVisible(bool(note))
        layout.addWidget(self.note)
        self.text = wrapping_label()
        layout.addWidget(self.text)
        self.reason = QLineEdit()  # Enter accepts: the whole dialog works from the keyboard
        self.reason.setMinimumWidth(360)
        self.reason.returnPressed.connect(self._accepted)
        layout.addWidget(self.reason)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._accepted)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.retranslate()
        on_language_changed(self, self.retranslate)
        self.reason.setFocus()

    def texts(self) -> tuple[str, str, str, str, str]:
        """(title, explanation, placeholder, OK button, message when left empty), translated."""
        raise NotImplementedError

    def retranslate(self) -> None:
        title, text, placeholder, ok_text, _missing = self.texts()
        self.setWindowTitle(title)
        self.text.setText(text)
        self.reason.setPlaceholderText(placeholder)
        translate_buttons(self.buttons)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok is not None:
            ok.setText(ok_text)

    def _accepted(self) -> None:
        reason = self.reason.text().strip()
        if not reason:
            self.error.show_message(self.texts()[4])
            self.reason.setFocus()
            return
        self.accept()
        self.sig_reason_given.emit(reason)


class EditReasonDialog(ReasonDialog):
    """Editing a finalised submission needs a reason, kept with the new version."""

    def texts(self) -> tuple[str, str, str, str, str]:
        return (
            _("Edit a finalised form"),
            _(
                "This form was finalised. Your changes will be kept as a new version next "
                "to the old one. Why does it need to change?"
            ),
            _("For example: the respondent corrected the staff count"),
            _("Edit"),
            _("Please give the reason for this change."),
        )


class ReturnDialog(ReasonDialog):
    """Returning a form to its interviewer needs a comment: what to correct."""

    def texts(self) -> tuple[str, str, str, str, str]:
        return (
            _("Return for correction"),
            _(
                "The form goes back to its interviewer with your comment at the next sync. "
                "What needs correcting?"
            ),
            _("For example: the staff count is missing"),
            _("Return"),
            _("Please say what needs correcting."),
        )


DECISION_NAMES = {
    ReviewOutcome.APPROVED: N_("Approved"),
    ReviewOutcome.REJECTED: N_("Returned for correction"),
}


class HistoryDialog(QDialog):
    """Every version of a submission and every review: who, when, and why.

    A supervisor or coordinator on the coordinator's database also approves
    the current version here, or returns it to its interviewer.
    """

    COLUMNS = (N_("Version"), N_("Status"), N_("Author"), N_("Time"), N_("Reason"))
    sig_reviewed = Signal()

    def __init__(self, store: LocalStore, instance_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.instance_id = instance_id
        self.story: SubmissionStory | None = None
        size_for_screen(self, 760, 380)
        layout = QVBoxLayout(self)
        self.heading = Heading(scale=1.2)
        layout.addWidget(self.heading)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        review_row = QHBoxLayout()
        self.review_status = wrapping_label()
        self.approve_button = QPushButton()
        self.approve_button.clicked.connect(self._approve)
        self.return_button = QPushButton()
        self.return_button.clicked.connect(self._ask_return)
        review_row.addWidget(self.review_status, 1)
        review_row.addWidget(self.approve_button)
        review_row.addWidget(self.return_button)
        layout.addLayout(review_row)
        self.error, self.busy, self.buttons = add_dialog_footer(self, layout)
        self.retranslate()
        on_language_changed(self, self.retranslate)
        self._load()

    @property
    def revisions(self) -> list[RevisionInfo]:
        return self.story.revisions if self.story else []

    def _load(self) -> None:
        store, instance_id = self.store, self.instance_id
        self.task = run_task(
            lambda _job: load_story(store, instance_id),
            name="history",
            on_success=self._loaded,
            on_failure=self._failed,
        )
        self.busy.track(self.task, _("Loading…"))

    def _loaded(self, story: SubmissionStory) -> None:
        self.story = story
        self._fill()

    def _failed(self, error: BaseException) -> None:
        show_problem(self, error)

    def retranslate(self) -> None:
        self.setWindowTitle(_("History"))
        self.heading.setText(_("Versions of this form"))
        self.table.setHorizontalHeaderLabels([_(c) for c in self.COLUMNS])
        self.approve_button.setText(_("Approve"))
        self.approve_button.setToolTip(_("The current version is complete and correct"))
        self.return_button.setText(_("Return for correction…"))
        self.return_button.setToolTip(
            _("Send the form back to its interviewer with a comment, at the next sync")
        )
        translate_buttons(self.buttons)
        self._fill()

    def _name(self, user_id: str) -> str:
        return self.story.users.get(user_id, user_id) if self.story else user_id

    def rows(self) -> list[tuple[str, str, str, str, str]]:
        """(version, status, who, when, reason or comment): versions and reviews by time."""
        if self.story is None:
            return []
        number = {r.rev_id: n for n, r in enumerate(self.story.revisions, start=1)}
        timed = []
        for revision in self.story.revisions:
            moment = revision.finalised_at or revision.saved_at
            row = (
                str(number[revision.rev_id]),
                status_text(revision.status.value),
                self._name(revision.author_id),
                when_text(moment),
                revision.reason or "",
            )
            timed.append((moment, row))
        for decision in self.story.decisions:
            row = (
                str(number.get(decision.rev_id, "")),
                _(DECISION_NAMES[decision.decision]),
                self._name(decision.reviewer_id),
                when_text(decision.decided_at),
                decision.comment,
            )
            timed.append((decision.decided_at, row))
        timed.sort(key=lambda pair: pair[0])  # stable: a version before its review
        return [row for _moment, row in timed]

    def _fill(self) -> None:
        rows = self.rows()
        self.table.setRowCount(len(rows))
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()
        story = self.story
        reviewable = story is not None and story.reviewable
        self.approve_button.setVisible(reviewable)
        # A version made on this computer has no interviewer's laptop to go back to.
        self.return_button.setVisible(story is not None and story.returnable)
        current = story.current if story else None
        self.review_status.setText(self._review_text(current))

    def _review_text(self, current: ReviewInfo | None) -> str:
        if current is None:
            return ""
        if current.decision is ReviewOutcome.REJECTED:
            return returned_note(current.comment, self._name(current.reviewer_id))
        return _("Approved by {name}").format(name=self._name(current.reviewer_id))

    def _approve(self) -> None:
        self._decide(approve=True)

    def _ask_return(self) -> None:
        dialog = ReturnDialog(self)
        dialog.sig_reason_given.connect(
            lambda comment: self._decide(approve=False, comment=comment)
        )
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _decide(self, *, approve: bool, comment: str = "") -> None:
        store, instance_id = self.store, self.instance_id
        self.error.hide()
        self.approve_button.setEnabled(False)
        self.return_button.setEnabled(False)
        self.task = run_task(
            lambda _job: review(store, instance_id, approve=approve, comment=comment),
            name="review",
            on_success=self._decided,
            on_failure=self._decision_failed,
        )
        self.busy.track(self.task, _("Saving…"))

    def _decided(self, _decision: ReviewInfo) -> None:
        self.approve_button.setEnabled(True)
        self.return_button.setEnabled(True)
        self.sig_reviewed.emit()
        self._load()

    def _decision_failed(self, error: BaseException) -> None:
        self.approve_button.setEnabled(True)
        self.return_button.setEnabled(True)
        self.error.show_message(user_message(error))
