"""Dialogs of the filling screen: the reason for an edit, the revision history."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.i18n import N_, _
from app.store import LocalStore
from app.store.repo_submissions import RevisionInfo
from app.ui.home.models import status_text, when_text
from app.ui.language import on_language_changed, translate_buttons
from app.ui.messages import show_problem
from app.ui.widgets import ErrorLabel, Heading, wrapping_label
from app.ui.workers import BusyIndicator, Job, run_task

log = logging.getLogger(__name__)


class EditReasonDialog(QDialog):
    """Editing a finalised submission needs a reason, kept with the new version."""

    sig_reason_given = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
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

    def retranslate(self) -> None:
        self.setWindowTitle(_("Edit a finalised form"))
        self.text.setText(
            _(
                "This form was finalised. Your changes will be kept as a new version next "
                "to the old one. Why does it need to change?"
            )
        )
        self.reason.setPlaceholderText(_("For example: the respondent corrected the staff count"))
        translate_buttons(self.buttons)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok is not None:
            ok.setText(_("Edit"))

    def _accepted(self) -> None:
        reason = self.reason.text().strip()
        if not reason:
            self.error.show_message(_("Please give the reason for this change."))
            self.reason.setFocus()
            return
        self.accept()
        self.sig_reason_given.emit(reason)


class HistoryDialog(QDialog):
    """Every version of a submission: who, when, and why it changed."""

    COLUMNS = (N_("Version"), N_("Status"), N_("Author"), N_("Time"), N_("Reason"))

    def __init__(self, store: LocalStore, instance_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.instance_id = instance_id
        self.revisions: list[RevisionInfo] = []
        self.users: dict[str, str] = {}
        self.resize(760, 360)
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
        self.busy = BusyIndicator()
        layout.addWidget(self.busy)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        close: QPushButton | None = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        if close is not None:
            close.clicked.connect(self.reject)
        layout.addWidget(self.buttons)
        self.retranslate()
        on_language_changed(self, self.retranslate)

        def work(_job: Job) -> tuple[list[RevisionInfo], dict[str, str]]:
            users = {u.id: (u.display_name or u.username) for u in store.list_users()}
            return store.history(instance_id=instance_id), users

        self.task = run_task(work, name="history", on_success=self._loaded, on_failure=self._failed)
        self.busy.track(self.task, _("Loading…"))

    def _loaded(self, result: tuple[list[RevisionInfo], dict[str, str]]) -> None:
        self.revisions, self.users = result
        self._fill()

    def _failed(self, error: BaseException) -> None:
        show_problem(self, error)

    def retranslate(self) -> None:
        self.setWindowTitle(_("History"))
        self.heading.setText(_("Versions of this form"))
        self.table.setHorizontalHeaderLabels([_(c) for c in self.COLUMNS])
        translate_buttons(self.buttons)
        self._fill()

    def rows(self) -> list[tuple[str, str, str, str, str]]:
        rows = []
        for number, revision in enumerate(self.revisions, start=1):
            moment = revision.finalised_at or revision.saved_at
            rows.append(
                (
                    str(number),
                    status_text(revision.status.value),
                    self.users.get(revision.author_id, revision.author_id),
                    when_text(moment),
                    revision.reason or "",
                )
            )
        return rows

    def _fill(self) -> None:
        rows = self.rows()
        self.table.setRowCount(len(rows))
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()
