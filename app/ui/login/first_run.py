"""First run: no database yet → create it with its first (coordinator) account,
then store the study's forms in it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QPushButton, QWidget

from app.core.errors import SamluatError
from app.core.i18n import _
from app.fieldwork.library import RegisteredForm, register_study_forms
from app.store import LocalStore, create_store
from app.ui.context import AppContext
from app.ui.language import on_language_changed
from app.ui.login.card import CardPage
from app.ui.messages import user_message
from app.ui.widgets import ErrorLabel
from app.ui.workers import BusyIndicator, Job, Task, run_task

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FirstRunResult:
    store: LocalStore
    forms: list[RegisteredForm]
    forms_error: SamluatError | None  # the database exists even if a form failed to load


class FirstRunScreen(CardPage):
    sig_logged_in = Signal(object)  # FirstRunResult

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx.settings, parent)
        self.ctx = ctx
        self.task: Task | None = None
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.display_name = QLineEdit()
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.labels = [QLabel() for _ in range(4)]
        for label, field in zip(
            self.labels, (self.display_name, self.username, self.password, self.repeat), strict=True
        ):
            label.setBuddy(field)
            form.addRow(label, field)
        self.body.addLayout(form)
        self.error = ErrorLabel()
        self.body.addWidget(self.error)
        self.create_button = QPushButton()
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.submit)
        self.repeat.returnPressed.connect(self.submit)
        self.body.addWidget(self.create_button)
        self.busy = BusyIndicator()
        self.body.addWidget(self.busy)
        self.retranslate()
        on_language_changed(self, self.retranslate)

    def retranslate(self) -> None:
        self.title.setText(_("Welcome to Samluat"))
        self.intro.setText(
            _(
                "There is no database on this computer yet. Create it with the first "
                "account: a coordinator, who can then add the accounts of enumerators "
                "and interviewers. The database is encrypted with this password."
            )
        )
        for label, text in zip(
            self.labels,
            (_("Full name"), _("User name"), _("Password"), _("Repeat the password")),
            strict=True,
        ):
            label.setText(text)
        self.create_button.setText(_("Create the database"))

    def submit(self) -> None:
        if self.task is not None:
            return
        username = self.username.text().strip()
        password = self.password.text()
        if not username:
            self.error.show_message(_("Please enter a user name."))
            self.username.setFocus()
            return
        if password != self.repeat.text():
            self.error.show_message(_("The two passwords are not the same."))
            self.repeat.setFocus()
            return
        self.error.show_message("")
        ctx = self.ctx
        path, kdf, forms_dir = ctx.db_path, ctx.kdf, ctx.forms_dir
        display = self.display_name.text().strip()

        def work(job: Job) -> FirstRunResult:
            store = create_store(
                username=username, password=password, path=path, display_name=display, kdf=kdf
            )
            job.progress(0.5, _("Storing the study's forms…"))
            try:
                forms = register_study_forms(store, forms_dir)
            except SamluatError as error:
                log.warning("study forms not registered: %s", error)
                return FirstRunResult(store, [], error)
            return FirstRunResult(store, forms, None)

        self._set_busy(True)
        self.task = run_task(
            work, name="first-run", on_success=self._created, on_failure=self._failed
        )
        self.busy.track(self.task, _("Creating the encrypted database…"))

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.display_name, self.username, self.password, self.repeat):
            widget.setEnabled(not busy)
        self.create_button.setEnabled(not busy)

    def _created(self, result: FirstRunResult) -> None:
        self.task = None
        self._set_busy(False)
        self.ctx.settings.update(last_user=result.store.user.username)
        self.password.clear()
        self.repeat.clear()
        self.sig_logged_in.emit(result)

    def _failed(self, error: BaseException) -> None:
        self.task = None
        self._set_busy(False)
        self.error.show_message(user_message(error))
        if not isinstance(error, SamluatError):
            raise error
