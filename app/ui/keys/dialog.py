"""Keys and laptops: setting up a study's trust without a command line.

Every laptop shows its own fingerprint and saves its card for the coordinator.
A field laptop trusts the coordinator's card. The coordinator creates the
coordinator key (and, if wanted, an escrow key written where the coordinator
chooses, to be kept offline), registers laptops' cards and revokes a lost laptop. Every
card is shown by name and fingerprint before it is trusted: read the
fingerprint out on the phone and compare it with the other laptop's screen.
Work with the database or key files runs on a worker (`app.fieldwork.keyring`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.bundle.keys import COORDINATOR_CARD_FILE, ESCROW_IDENTITY_FILE, MAX_DEVICE_NAME, DeviceRow
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
    rename_laptop,
    revoke_laptop,
    save_coordinator_card,
    save_laptop_card,
    trust_coordinator_card,
)
from app.store import LocalStore, Role
from app.ui.language import ask, on_language_changed, translate_buttons
from app.ui.messages import user_message
from app.ui.widgets import add_dialog_footer, scrolling_body, size_for_screen, wrapping_label
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
        size_for_screen(self, 760, 600)
        outer, layout = scrolling_body(self)  # (at 150 % zoom it is taller than the screen)
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
        # An escrow key: a second way to open the laptops' bundles, kept offline.
        self.escrow_check = QCheckBox()
        self.escrow_passphrase = QLineEdit()
        self.escrow_repeat = QLineEdit()
        for field in (self.escrow_passphrase, self.escrow_repeat):
            field.setEchoMode(QLineEdit.EchoMode.Password)
        escrow_row = QHBoxLayout()
        escrow_row.addWidget(self.escrow_check)
        escrow_row.addWidget(self.escrow_passphrase)
        escrow_row.addWidget(self.escrow_repeat)
        self.escrow_check.toggled.connect(lambda _on: self._fill())
        self.escrow_note = wrapping_label()
        self.escrow_note.setStyleSheet("font-weight: bold;")
        self.escrow_note.hide()
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
        self.rename_button = QPushButton()
        self.rename_button.clicked.connect(self.rename_selected)
        laptop_row.addWidget(self.register_button)
        laptop_row.addWidget(self.rename_button)
        laptop_row.addWidget(self.revoke_button)
        coordination.addWidget(self.key_text)
        coordination.addLayout(key_row)
        coordination.addLayout(escrow_row)
        coordination.addWidget(self.escrow_note)
        coordination.addWidget(self.save_coordinator_button)
        coordination.addWidget(self.laptops, 1)
        coordination.addLayout(laptop_row)
        layout.addWidget(self.coordination, 1)

        self.error, self.busy, self.buttons = add_dialog_footer(self, outer)
        # Enter in a passphrase field creates the key; no button is clicked by Enter
        # elsewhere (an auto-default button would open a file chooser instead).
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
        self.passphrase.returnPressed.connect(self.repeat.setFocus)
        self.escrow_passphrase.returnPressed.connect(self.escrow_repeat.setFocus)
        for field in (self.repeat, self.escrow_repeat):
            field.returnPressed.connect(self.create_key)
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
        self.escrow_check.setText(_("Also an escrow key"))
        self.escrow_check.setToolTip(
            _(
                "A second key that opens the laptops' bundles if the coordinator key or its "
                "passphrase is lost. It is written where you choose (a stick kept offline)."
            )
        )
        self.escrow_passphrase.setPlaceholderText(_("Passphrase for the escrow key"))
        self.escrow_repeat.setPlaceholderText(_("Repeat the passphrase"))
        self.laptops.setHorizontalHeaderLabels([_(c) for c in LAPTOP_COLUMNS])
        self.save_coordinator_button.setText(_("Save the coordinator card…"))
        self.register_button.setText(_("Register a laptop card…"))
        self.rename_button.setText(_("Rename the selected laptop…"))
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
        for field in (self.passphrase, self.repeat, self.create_button, self.escrow_check):
            field.setVisible(can_create)
        for field in (self.escrow_passphrase, self.escrow_repeat):
            field.setVisible(can_create and self.escrow_check.isChecked())
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
        for widget in (self.laptops, self.register_button, self.rename_button, self.revoke_button):
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

    def _selected_laptop(self, missing: str) -> DeviceRow | None:
        view = self.overview
        rows = self.laptops.selectionModel().selectedRows()
        if view is None or not rows:
            self.error.show_message(missing)
            return None
        return view.laptops[rows[0].row()]

    def rename_selected(self) -> None:
        laptop = self._selected_laptop(_("Please select the laptop to rename."))
        if laptop is None:
            return
        dialog = self.rename_dialog(laptop)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.rename_selected_to(dialog.textValue())

    def rename_dialog(self, laptop: DeviceRow) -> QInputDialog:
        """Asks for a laptop's new name, with buttons in the interface's language
        (Qt's own "OK" and "Cancel" are English)."""
        dialog = QInputDialog(self)
        dialog.setWindowTitle(_("Keys and laptops"))
        dialog.setLabelText(
            _("New name for {name} (as the team calls it, e.g. Laptop 07, Pakse):").format(
                name=laptop.name
            )
        )
        dialog.setTextValue(laptop.name)
        dialog.setOkButtonText(_("Rename"))
        dialog.setCancelButtonText(_("Cancel"))
        return dialog

    def rename_selected_to(self, name: str) -> None:
        laptop = self._selected_laptop(_("Please select the laptop to rename."))
        if laptop is None:
            return
        if not name.strip() or len(name.strip()) > MAX_DEVICE_NAME:
            self.error.show_message(
                _("A laptop's name has 1 to {count} characters.").format(count=MAX_DEVICE_NAME)
            )
            return
        self.error.show_message("")
        store, device_id = self.store, laptop.device_id
        self._run(
            lambda _job: rename_laptop(store, device_id, name),
            lambda _r: self.reload(),
            _("Saving…"),
        )

    def revoke_selected(self) -> None:
        laptop = self._selected_laptop(_("Please select the laptop to revoke."))
        if laptop is None:
            return
        if laptop.revoked_at:
            self.error.show_message(
                _("{name} is already revoked: its bundles are refused.").format(name=laptop.name)
            )
            return
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
        if not self._passphrases_fit():
            return
        escrow_file = None
        if self.escrow_check.isChecked():
            name, _filter = QFileDialog.getSaveFileName(
                self,
                _("Save the escrow key"),
                str(Path.home() / ESCROW_IDENTITY_FILE),
                _("Key files (*.age);;All files (*)"),
            )
            if not name:
                return
            escrow_file = Path(name)
        self.create_key_to(escrow_file)

    def create_key_to(self, escrow_file: Path | None) -> None:
        """Create the coordinator key, and the escrow key into `escrow_file` when asked for."""
        if not self._passphrases_fit():
            return
        store, passphrase = self.store, self.passphrase.text()
        escrow = self.escrow_passphrase.text() if self.escrow_check.isChecked() else None
        self._run(
            lambda _job: create_coordinator_key(
                store,
                passphrase,
                escrow_passphrase=escrow,
                escrow_file=escrow_file if escrow is not None else None,
            ),
            self._key_created,
            _("Creating the coordinator key…"),
        )

    def _passphrases_fit(self) -> bool:
        pairs = [(self.passphrase, self.repeat)]
        if self.escrow_check.isChecked():
            pairs.append((self.escrow_passphrase, self.escrow_repeat))
        for field, repeat in pairs:
            if len(field.text()) < 10:
                self.error.show_message(_("The passphrase must have at least 10 characters."))
                field.setFocus()
                return False
            if field.text() != repeat.text():
                self.error.show_message(_("The two passphrases are not the same."))
                repeat.setFocus()
                return False
        if (
            self.escrow_check.isChecked()
            and self.escrow_passphrase.text() == self.passphrase.text()
        ):
            self.error.show_message(
                _("The escrow key needs its own passphrase, not the coordinator key's.")
            )
            self.escrow_passphrase.setFocus()
            return False
        return True

    def _key_created(self, keys: Any) -> None:
        for field in (self.passphrase, self.repeat, self.escrow_passphrase, self.escrow_repeat):
            field.clear()
        if keys.escrow_file is not None:
            self.escrow_note.setText(
                _(
                    "Escrow key written to {file}. Take it away from this computer and keep it "
                    "offline; keep its passphrase apart from it."
                ).format(file=keys.escrow_file)
            )
            self.escrow_note.show()
        self.escrow_check.setChecked(False)
        self.reload()
        log.info("coordinator key created; card %s", keys.card_file)

    def _run(self, work: Callable[[Job], Any], done: Callable[[Any], None], message: str) -> None:
        if self.task is not None and not self.task.done:
            return
        self.error.show_message("")

        def succeeded(result: Any) -> None:
            if not shiboken6.isValid(self):
                return  # closed (and deleted) while the work ran
            self.task = None
            done(result)

        self.task = run_task(work, name="keys", on_success=succeeded, on_failure=self._failed)
        self.busy.track(self.task, message)

    def _failed(self, error: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self.task = None
        self.error.show_message(user_message(error))
