"""The accounts dialog: who may log in on this laptop, and adding someone.

Only the roles the logged-in user may manage are offered (the store checks
again). Hashing the password and wrapping the database key take a moment,
so adding runs on a worker.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.i18n import N_, _
from app.store import LocalStore, Role
from app.store.users import MANAGEABLE_ROLES, UserInfo
from app.ui.home.screen import ROLE_NAMES
from app.ui.language import on_language_changed, translate_buttons
from app.ui.messages import user_message
from app.ui.widgets import ErrorLabel, Heading, size_for_screen
from app.ui.workers import BusyIndicator, Job, Task, run_task

log = logging.getLogger(__name__)

COLUMNS = (N_("User name"), N_("Full name"), N_("Role"), N_("Status"))


def may_manage_accounts(store: LocalStore) -> bool:
    return bool(MANAGEABLE_ROLES[store.user.role])


class AccountsDialog(QDialog):
    sig_account_added = Signal(object)  # UserInfo

    def __init__(self, store: LocalStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.users: list[UserInfo] = []
        self.task: Task | None = None
        size_for_screen(self, 680, 520)
        layout = QVBoxLayout(self)
        self.list_heading = Heading(scale=1.15)
        layout.addWidget(self.list_heading)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        self.add_heading = Heading(scale=1.15)
        layout.addWidget(self.add_heading)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.display_name = QLineEdit()
        self.username = QLineEdit()
        self.role = QComboBox()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.labels = [QLabel() for _ in range(5)]
        fields = (self.display_name, self.username, self.role, self.password, self.repeat)
        for label, field in zip(self.labels, fields, strict=True):
            label.setBuddy(field)
            form.addRow(label, field)
        layout.addLayout(form)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        self.add_button = QPushButton()
        self.add_button.clicked.connect(self.submit)
        self.repeat.returnPressed.connect(self.submit)
        layout.addWidget(self.add_button)
        self.busy = BusyIndicator()
        layout.addWidget(self.busy)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.retranslate()
        on_language_changed(self, self.retranslate)
        self.reload()
        self.display_name.setFocus()

    def retranslate(self) -> None:
        self.setWindowTitle(_("Accounts"))
        self.list_heading.setText(_("Who can log in on this computer"))
        self.add_heading.setText(_("Add an account"))
        texts = (_("Full name"), _("User name"), _("Role"), _("Password"), _("Repeat the password"))
        for label, text in zip(self.labels, texts, strict=True):
            label.setText(text)
        chosen = self.role.currentData()
        self.role.clear()
        for role in Role:
            if role in MANAGEABLE_ROLES[self.store.user.role]:
                self.role.addItem(_(ROLE_NAMES[role.value]), role.value)
        self.role.setCurrentIndex(max(0, self.role.findData(chosen or Role.ENUMERATOR.value)))
        self.add_button.setText(_("Add the account"))
        self.table.setHorizontalHeaderLabels([_(c) for c in COLUMNS])
        translate_buttons(self.buttons)
        self._fill()

    def _fill(self) -> None:
        self.table.setRowCount(len(self.users))
        for row, user in enumerate(self.users):
            values = (
                user.username,
                user.display_name,
                _(ROLE_NAMES.get(user.role.value, user.role.value)),
                _("Active") if user.active else _("Disabled"),
            )
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))

    def reload(self) -> None:
        store = self.store
        task = run_task(lambda _job: store.list_users(), name="users", on_success=self._loaded)
        self.busy.track(task, _("Loading…"))

    def _loaded(self, users: list[UserInfo]) -> None:
        self.users = users
        self._fill()

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
        store, role, display = self.store, Role(self.role.currentData()), self.display_name.text()

        def work(_job: Job) -> UserInfo:
            return store.add_user(
                username=username, password=password, role=role, display_name=display.strip()
            )

        self.add_button.setEnabled(False)
        self.task = run_task(work, name="add-user", on_success=self._added, on_failure=self._failed)
        self.busy.track(self.task, _("Adding the account…"))

    def _added(self, user: UserInfo) -> None:
        self.task = None
        self.add_button.setEnabled(True)
        for field in (self.display_name, self.username, self.password, self.repeat):
            field.clear()
        self.display_name.setFocus()
        log.info("account %s added", user.id)
        self.sig_account_added.emit(user)
        self.reload()

    def _failed(self, error: BaseException) -> None:
        self.task = None
        self.add_button.setEnabled(True)
        self.error.show_message(user_message(error))
