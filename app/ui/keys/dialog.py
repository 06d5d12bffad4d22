"""Keys and laptops: setting up a study's trust without a command line.

Every laptop shows its own fingerprint and saves its card for the coordinator.
A field laptop trusts the coordinator's card. The coordinator creates the
coordinator key, registers laptops' cards and revokes a lost laptop. Every
card is shown by name and fingerprint before it is trusted: read the
fingerprint out on the phone and compare it with the other laptop's screen.
Work with the database or key files runs on a worker (`app.fieldwork.keyring`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.bundle.keys import COORDINATOR_CARD_FILE
from app.core.i18n import N_, _
from app.fieldwork.keyring import (
    Card,
    KeysOverview,
    create_coordinator_key,
    keys_overview,
    may_trust_coordinators,
    read_coordinator_card,
    read_laptop_card,
    register_laptop,
    revoke_laptop,
    save_coordinator_card,
    save_laptop_card,
    trust_coordinator_card,
)
from app.store import LocalStore, Role
from app.ui.language import ask, on_language_changed, translate_buttons
from app.ui.messages import user_message
from app.ui.widgets import add_dialog_footer, wrapping_label
from app.ui.workers import Job, Task, run_task

log = logging.getLogger(__name__)

LAPTOP_COLUMNS = (N_("Laptop"), N_("Fingerprint"), N_("Registered"), N_("Revoked"))
CARD_FILTER = N_("Samluat cards (*.json);;All files (*)")


class KeysDialog(QDialog):
    def __init__(self, store: LocalStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.overview: KeysOverview | None = None
        self.task: Task | None = None
        screen = self.screen().availableGeometry()
        self.resize(min(760, screen.width() - 40), min(600, screen.height() - 40))
        layout = QVBoxLayout(self)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

        self.mine = QGroupBox()
        mine = QFormLayout(self.mine)
        self.name_label, self.name = QLabel(), QLabel()
        self.fingerprint_label, self.fingerprint = QLabel(), QLabel()
        self.fingerprint.setFont(mono)
        mine.addRow(self.name_label, self.name)
        mine.addRow(self.fingerprint_label, self.fingerprint)
        self.save_card_button = QPushButton()
        self.save_card_button.clicked.connect(self.save_card)
        mine.addRow(self.save_card_button)
        layout.addWidget(self.mine)

        self.trusted = QGroupBox()
        trusted = QVBoxLayout(self.trusted)
        self.coordinator_text = wrapping_label()
        self.coordinator_text.setFont(mono)
        self.trust_button = QPushButton()
        self.trust_button.clicked.connect(self.trust_card)
        trusted.addWidget(self.coordinator_text)
        trusted.addWidget(self.trust_button)
        layout.addWidget(self.trusted)

        self.coordination = QGroupBox()
        coordination = QVBoxLayout(self.coordination)
        self.key_text = wrapping_label()
        self.passphrase = QLineEdit()
        self.repeat = QLineEdit()
        for field in (self.passphrase, self.repeat):
            field.setEchoMode(QLineEdit.EchoMode.Password)
        self.create_button = QPushButton()
        self.create_button.clicked.connect(self.create_key)
        key_row = QHBoxLayout()
        for widget in (self.passphrase, self.repeat, self.create_button):
            key_row.addWidget(widget)
        self.laptops = QTableWidget(0, len(LAPTOP_COLUMNS))
        self.laptops.verticalHeader().setVisible(False)
        self.laptops.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.laptops.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.laptops.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.laptops.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.laptops.horizontalHeader().setStretchLastSection(True)
        self.save_coordinator_button = QPushButton()
        self.save_coordinator_button.clicked.connect(self.save_coordinator)
        laptop_row = QHBoxLayout()
        self.register_button = QPushButton()
        self.register_button.clicked.connect(self.register_card)
        self.revoke_button = QPushButton()
        self.revoke_button.clicked.connect(self.revoke_selected)
        laptop_row.addWidget(self.register_button)
        laptop_row.addWidget(self.revoke_button)
        coordination.addWidget(self.key_text)
        coordination.addLayout(key_row)
        coordination.addWidget(self.save_coordinator_button)
        coordination.addWidget(self.laptops, 1)
        coordination.addLayout(laptop_row)
        layout.addWidget(self.coordination, 1)

        self.error, self.busy, self.buttons = add_dialog_footer(self, layout)
        self.coordination.setVisible(store.user.role is Role.COORDINATOR)
        self.retranslate()
        on_language_changed(self, self.retranslate)
        self.reload()

    # -- texts ------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.setWindowTitle(_("Keys and laptops"))
        self.mine.setTitle(_("This laptop"))
        self.name_label.setText(_("Name"))
        self.fingerprint_label.setText(_("Fingerprint"))
        self.save_card_button.setText(_("Save this laptop's card…"))
        self.trusted.setTitle(_("Coordinator"))
        self.trust_button.setText(_("Trust a coordinator card…"))
        self.coordination.setTitle(_("Coordinating the study"))
        self.passphrase.setPlaceholderText(_("Passphrase for the coordinator key"))
        self.repeat.setPlaceholderText(_("Repeat the passphrase"))
        self.create_button.setText(_("Create the coordinator key"))
        self.laptops.setHorizontalHeaderLabels([_(c) for c in LAPTOP_COLUMNS])
        self.save_coordinator_button.setText(_("Save the coordinator card…"))
        self.register_button.setText(_("Register a laptop card…"))
        self.revoke_button.setText(_("Revoke the selected laptop…"))
        translate_buttons(self.buttons)
        self._fill()

    def _fill(self) -> None:
        view = self.overview
        if view is None:
            return
        self.name.setText(view.this_laptop.name)
        self.fingerprint.setText(view.this_laptop.fingerprint)
        coordinator = view.coordinator
        self.trusted.setVisible(not view.coordinator_database)
        self.trust_button.setEnabled(may_trust_coordinators(self.store))
        if coordinator is None:
            self.coordinator_text.setText(_("No coordinator trusted yet."))
        else:
            self.coordinator_text.setText(f"{coordinator.name}\n{coordinator.fingerprint}")
        if view.coordinator_database:
            self.key_text.setText(
                _(
                    "This computer is the coordinator's. Give the coordinator card to every "
                    "field laptop; register each laptop's card here."
                )
            )
        elif coordinator is not None:
            self.key_text.setText(
                _("This laptop follows a coordinator: the coordinator key is made on theirs.")
            )
        else:
            self.key_text.setText(
                _(
                    "Only on the coordinator's computer: create the coordinator key. Keep its "
                    "passphrase safe; without it no laptop's bundle can be opened."
                )
            )
        can_create = not view.coordinator_database and coordinator is None
        for field in (self.passphrase, self.repeat, self.create_button):
            field.setVisible(can_create)
        laptops = view.laptops
        self.laptops.setRowCount(len(laptops))
        for row, laptop in enumerate(laptops):
            values = (
                laptop.name,
                laptop.fingerprint or "",
                (laptop.registered_at or "")[:16].replace("T", " "),
                (laptop.revoked_at or "")[:16].replace("T", " "),
            )
            for column, value in enumerate(values):
                self.laptops.setItem(row, column, QTableWidgetItem(value))
        self.save_coordinator_button.setVisible(view.coordinator_database)
        for widget in (self.laptops, self.register_button, self.revoke_button):
            widget.setEnabled(view.coordinator_database)

    # -- work -------------------------------------------------------------------------------

    def reload(self) -> None:
        store = self.store
        self._run(lambda _job: keys_overview(store), self._loaded, _("Loading…"))

    def _loaded(self, overview: KeysOverview) -> None:
        self.overview = overview
        self._fill()

    def save_card(self) -> None:
        view = self.overview
        if view is None:
            return
        suggested = Path.home() / f"{view.this_laptop.name}.card.json"
        path = self._card_file(_("Save this laptop's card"), save_as=suggested)
        if path is not None:
            self.save_card_to(path)

    def save_card_to(self, path: Path) -> None:
        store = self.store
        self._run(lambda _job: save_laptop_card(store, path), self._card_saved, _("Saving…"))

    def _card_saved(self, path: Path) -> None:
        self.error.show_message("")
        self.key_text.setText(_("Card saved: {path}").format(path=path))

    def save_coordinator(self) -> None:
        suggested = Path.home() / COORDINATOR_CARD_FILE
        path = self._card_file(_("Save the coordinator card"), save_as=suggested)
        if path is not None:
            self.save_coordinator_to(path)

    def save_coordinator_to(self, path: Path) -> None:
        store = self.store
        self._run(lambda _job: save_coordinator_card(store, path), self._card_saved, _("Saving…"))

    def trust_card(self) -> None:
        path = self._card_file(_("Trust a coordinator card"))
        if path is not None:
            self.trust_card_from(path)

    def trust_card_from(self, path: Path) -> None:
        store = self.store
        self._after_confirming(
            path,
            read_coordinator_card,
            _("Trust the coordinator {name}?"),
            lambda card: trust_coordinator_card(store, card),
        )

    def register_card(self) -> None:
        path = self._card_file(_("Register a laptop card"))
        if path is not None:
            self.register_card_from(path)

    def register_card_from(self, path: Path) -> None:
        store = self.store
        self._after_confirming(
            path,
            read_laptop_card,
            _("Register the laptop {name}?"),
            lambda card: register_laptop(store, card),
        )

    def _card_file(self, title: str, *, save_as: Path | None = None) -> Path | None:
        """A card file chosen by the person: one to read, or where to write (`save_as`)."""
        if save_as is None:
            name, _filter = QFileDialog.getOpenFileName(
                self, title, str(Path.home()), _(CARD_FILTER)
            )
        else:
            name, _filter = QFileDialog.getSaveFileName(self, title, str(save_as), _(CARD_FILTER))
        return Path(name) if name else None

    def _after_confirming(
        self,
        path: Path,
        read: Callable[[Path], Card],
        question: str,
        act: Callable[[Card], Any],
    ) -> None:
        """Read the card, show its fingerprint, act only once the person said yes."""

        def confirm(card: Card) -> None:
            self.task = None
            text = (
                question.format(name=card.name)
                + "\n\n"
                + card.fingerprint
                + "\n\n"
                + _("Compare this fingerprint with the one on that laptop's screen.")
            )
            if ask(self, _("Keys and laptops"), text, yes=_("Trust it"), no=_("Cancel")):
                self._run(lambda _job: act(card), lambda _r: self.reload(), _("Saving…"))

        self._run(lambda _job: read(path), confirm, _("Loading…"))

    def revoke_selected(self) -> None:
        view = self.overview
        rows = self.laptops.selectionModel().selectedRows()
        if view is None or not rows:
            self.error.show_message(_("Please select the laptop to revoke."))
            return
        laptop = view.laptops[rows[0].row()]
        text = _(
            "Revoke {name}? Its bundles will be refused from now on. Do this for a lost or "
            "stolen laptop; it cannot be undone."
        ).format(name=laptop.name)
        if not ask(self, _("Keys and laptops"), text, yes=_("Revoke"), no=_("Cancel")):
            return
        store, device_id = self.store, laptop.device_id
        self._run(
            lambda _job: revoke_laptop(store, device_id), lambda _r: self.reload(), _("Saving…")
        )

    def create_key(self) -> None:
        passphrase = self.passphrase.text()
        if len(passphrase) < 10:
            self.error.show_message(_("The passphrase must have at least 10 characters."))
            return
        if passphrase != self.repeat.text():
            self.error.show_message(_("The two passphrases are not the same."))
            return
        store = self.store
        self._run(
            lambda _job: create_coordinator_key(store, passphrase),
            self._key_created,
            _("Creating the coordinator key…"),
        )

    def _key_created(self, keys: Any) -> None:
        self.passphrase.clear()
        self.repeat.clear()
        self.reload()
        log.info("coordinator key created; card %s", keys.card_file)

    def _run(self, work: Callable[[Job], Any], done: Callable[[Any], None], message: str) -> None:
        if self.task is not None and not self.task.done:
            return
        self.error.show_message("")

        def succeeded(result: Any) -> None:
            self.task = None
            done(result)

        self.task = run_task(work, name="keys", on_success=succeeded, on_failure=self._failed)
        self.busy.track(self.task, message)

    def _failed(self, error: BaseException) -> None:
        self.task = None
        self.error.show_message(user_message(error))
