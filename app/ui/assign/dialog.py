"""Assign cases from a spreadsheet: choose the file, see what was assigned or what to correct.

The checking and storing is `app.fieldwork.assigning` (all rows or none),
run on a worker. Problems are listed one per line as the service words them
(``file:row: column: what``), selectable so that they can be copied into a
message to whoever keeps the spreadsheet.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.i18n import _
from app.fieldwork.assigning import AssignmentFileError, AssignmentImport, import_assignments
from app.store import LocalStore, Role
from app.ui.context import AppContext
from app.ui.language import on_language_changed, translate_buttons
from app.ui.messages import user_message
from app.ui.widgets import Heading, add_dialog_footer, size_for_screen, wrapping_label
from app.ui.workers import Task, run_task


def may_assign(store: LocalStore) -> bool:
    return store.user.role in (Role.SUPERVISOR, Role.COORDINATOR)


class AssignDialog(QDialog):
    """Choose a CSV or Excel list of cases; the result, or every row to correct."""

    sig_assigned = Signal(object)  # AssignmentImport

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.task: Task | None = None
        self.result_: AssignmentImport | None = None
        size_for_screen(self, 720, 460)
        layout = QVBoxLayout(self)
        self.heading = Heading(scale=1.2)
        layout.addWidget(self.heading)
        self.explanation = wrapping_label()
        layout.addWidget(self.explanation)
        row = QHBoxLayout()
        self.choose_button = QPushButton()
        self.choose_button.clicked.connect(self.choose_file)
        row.addWidget(self.choose_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.outcome = wrapping_label()
        self.outcome.setStyleSheet("font-weight: bold;")
        layout.addWidget(self.outcome)
        self.problems = QListWidget()
        self.problems.setWordWrap(True)
        self.problems.hide()
        layout.addWidget(self.problems, 1)
        self.error, self.busy, self.buttons = add_dialog_footer(self, layout)
        self.retranslate()
        on_language_changed(self, self.retranslate)

    def retranslate(self) -> None:
        self.setWindowTitle(_("Assign cases"))
        self.heading.setText(_("Assign cases from a spreadsheet"))
        self.explanation.setText(
            _(
                "One row per case, with the columns form, institution and interviewer (a "
                "user name), and if you like respondent, province, cluster and notes. "
                "Institutions, clusters and provinces by code or by name, in Lao or English. "
                "Save the sheet as Excel (.xlsx) or CSV UTF-8. The cases reach the "
                "interviewers' laptops at the next sync."
            )
        )
        self.choose_button.setText(_("Choose a spreadsheet…"))
        translate_buttons(self.buttons)
        self._show_result()

    def choose_file(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(
            self,
            _("Choose a spreadsheet"),
            str(Path.home()),
            _("Spreadsheets (*.xlsx *.csv);;All files (*)"),
        )
        if name:
            self.import_file(Path(name))

    def import_file(self, path: Path) -> None:
        store, library = self.ctx.store, self.ctx.library
        if store is None or library is None or (self.task is not None and not self.task.done):
            return
        study = self.ctx.load_study()
        self.error.hide()
        self.problems.clear()
        self.problems.hide()
        self.outcome.setText("")
        self.choose_button.setEnabled(False)
        self.task = run_task(
            lambda _job: import_assignments(store, library, study, path),
            name="assign",
            on_success=self._assigned,
            on_failure=self._failed,
        )
        self.busy.track(self.task, _("Checking the spreadsheet…"))

    def _assigned(self, result: AssignmentImport) -> None:
        self.choose_button.setEnabled(True)
        self.result_ = result
        self._show_result()
        self.sig_assigned.emit(result)

    def _show_result(self) -> None:
        result = self.result_
        if result is None:
            return
        lines = [
            _("{count} case(s) assigned.").format(count=result.added)
            + (
                " "
                + _("{already} already assigned, left as they were.").format(already=result.already)
                if result.already
                else ""
            )
        ]
        lines += [
            _("{name}: {count} case(s)").format(name=name, count=count)
            for name, count in sorted(result.by_interviewer.items())
        ]
        self.outcome.setText("\n".join(lines))

    def _failed(self, error: BaseException) -> None:
        self.choose_button.setEnabled(True)
        self.result_ = None
        if isinstance(error, AssignmentFileError):
            self.outcome.setText(
                _("Nothing was assigned. Correct these rows and choose the file again:")
            )
            self.problems.addItems(error.problems)
            self.problems.show()
            return
        self.error.show_message(user_message(error))
