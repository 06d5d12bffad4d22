"""Log in with one of the store's accounts (opening the store runs on a worker)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QPushButton, QWidget

from app.core.errors import SamluatError
from app.core.i18n import _, translator
from app.fieldwork.library import register_study_forms
from app.store import LocalStore, open_store
from app.ui.context import AppContext
from app.ui.home.cases import pick
from app.ui.language import on_language_changed
from app.ui.login.card import CardPage
from app.ui.messages import user_message
from app.ui.widgets import ErrorLabel
from app.ui.workers import BusyIndicator, Job, Task, run_task

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoginResult:
    store: LocalStore
    forms_error: SamluatError | None


class LoginScreen(CardPage):
    sig_logged_in = Signal(object)  # LoginResult

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx.settings, parent)
        self.ctx = ctx
        self.task: Task | None = None
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.username = QLineEdit(ctx.settings.settings.last_user)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.username_label = QLabel()
        self.username_label.setBuddy(self.username)
        self.password_label = QLabel()
        self.password_label.setBuddy(self.password)
        form.addRow(self.username_label, self.username)
        form.addRow(self.password_label, self.password)
        self.body.addLayout(form)
        self.error = ErrorLabel()
        self.body.addWidget(self.error)
        self.login_button = QPushButton()
        self.login_button.setDefault(True)
        self.login_button.clicked.connect(self.submit)
        self.password.returnPressed.connect(self.submit)
        self.username.returnPressed.connect(self.password.setFocus)
        self.body.addWidget(self.login_button)
        self.busy = BusyIndicator()
        self.body.addWidget(self.busy)
        self.retranslate()
        on_language_changed(self, self.retranslate)

    def reset(self) -> None:
        """Ready for the next login: the last user's name, an empty password."""
        last = self.ctx.settings.settings.last_user
        if last and not self.username.text():
            self.username.setText(last)
        self.password.clear()
        self.error.show_message("")

    def focus_first_empty(self) -> None:
        (self.password if self.username.text() else self.username).setFocus()

    def retranslate(self) -> None:
        study = self.ctx.study
        self.title.setText(
            pick(study.name.as_dict(), translator.language) if study else _("Samluat")
        )
        self.intro.setText(_("Log in with your user name and password."))
        self.username_label.setText(_("User name"))
        self.password_label.setText(_("Password"))
        self.login_button.setText(_("Log in"))

    def submit(self) -> None:
        if self.task is not None:
            return
        username = self.username.text().strip()
        password = self.password.text()
        if not username or not password:
            self.error.show_message(_("Please enter your user name and password."))
            self.focus_first_empty()
            return
        self.error.show_message("")
        path, forms_dir = self.ctx.db_path, self.ctx.forms_dir

        def work(_job: Job) -> LoginResult:
            store = open_store(username=username, password=password, path=path)
            try:
                # New versions of the study's forms (supervisors and coordinators only).
                register_study_forms(store, forms_dir)
            except SamluatError as error:
                log.warning("study forms not registered: %s", error)
                return LoginResult(store, error)
            return LoginResult(store, None)

        self._set_busy(True)
        self.task = run_task(work, name="login", on_success=self._opened, on_failure=self._failed)
        self.busy.track(self.task, _("Opening the database…"))

    def _set_busy(self, busy: bool) -> None:
        self.username.setEnabled(not busy)
        self.password.setEnabled(not busy)
        self.login_button.setEnabled(not busy)

    def _opened(self, result: LoginResult) -> None:
        self.task = None
        self._set_busy(False)
        self.password.clear()
        self.ctx.settings.update(last_user=result.store.user.username)
        self.sig_logged_in.emit(result)

    def _failed(self, error: BaseException) -> None:
        self.task = None
        self._set_busy(False)
        self.password.clear()
        self.password.setFocus()
        self.error.show_message(user_message(error))
        if not isinstance(error, SamluatError):
            raise error
