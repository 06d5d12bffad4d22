"""Unlock the coordinator's key for this session, so that Sync now can import the laptops' bundles.

The key file is passphrase-protected (age scrypt); unlocking takes a second,
so it runs on a worker. The unlocked key stays in memory only, in the app's
context, until the coordinator logs out.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.bundle.keys import AgeIdentity
from app.core.i18n import _
from app.fieldwork.syncing import unlock_coordinator_key
from app.ui.language import on_language_changed, translate_buttons
from app.ui.messages import user_message
from app.ui.widgets import ErrorLabel, wrapping_label
from app.ui.workers import BusyIndicator, Job, Task, run_task


class CoordinatorKeyDialog(QDialog):
    """Asks for the passphrase; `identity` is the unlocked key once accepted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.identity: AgeIdentity | None = None
        self.task: Task | None = None
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        self.explanation = wrapping_label()
        layout.addWidget(self.explanation)
        self.label = QLabel()
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.label.setBuddy(self.passphrase)
        layout.addWidget(self.label)
        layout.addWidget(self.passphrase)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        self.busy = BusyIndicator()
        layout.addWidget(self.busy)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.unlock)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.retranslate()
        on_language_changed(self, self.retranslate)
        self.passphrase.setFocus()

    def retranslate(self) -> None:
        self.setWindowTitle(_("Unlock the coordinator key"))
        self.explanation.setText(
            _(
                "The laptops' bundles are encrypted to the coordinator's key. Type its "
                "passphrase to import them; the unlocked key is kept only until you log out."
            )
        )
        self.label.setText(_("Passphrase of the coordinator key"))
        # A dialog sizes itself before a wrapped label knows its width: reserve the
        # lines the explanation needs at the dialog's narrowest (Lao wraps to more).
        layout = self.layout()
        assert layout is not None
        margins = layout.contentsMargins()
        width = self.minimumWidth() - margins.left() - margins.right()
        self.explanation.setMinimumHeight(self.explanation.heightForWidth(width))
        translate_buttons(self.buttons)

    def unlock(self) -> None:
        if self.task is not None:
            return
        passphrase = self.passphrase.text()
        if not passphrase:
            self.error.show_message(_("Please type the passphrase."))
            return
        self.error.show_message("")
        self.buttons.setEnabled(False)

        def work(_job: Job) -> AgeIdentity:
            return unlock_coordinator_key(passphrase)

        self.task = run_task(
            work, name="unlock-key", on_success=self._unlocked, on_failure=self._failed
        )
        self.busy.track(self.task, _("Unlocking…"))

    def _unlocked(self, identity: AgeIdentity) -> None:
        self.task = None
        self.identity = identity
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.task = None
        self.buttons.setEnabled(True)
        self.passphrase.selectAll()
        self.passphrase.setFocus()
        self.error.show_message(user_message(error))
