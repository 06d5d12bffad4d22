"""Setting up a study's keys in the app alone (the field build has no command line):
the coordinator creates its key, registers a laptop's card and revokes it; a laptop
saves its card and trusts the coordinator's. Every card is confirmed by fingerprint."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.bundle.keys import (
    COORDINATOR_CARD_FORMAT,
    DEVICE_CARD_FORMAT,
    init_device_keys,
    read_card,
    unlock_identity_file,
    write_card,
)
from app.bundle.target import BundleTarget
from app.fieldwork.syncing import coordinator_key_file
from app.store import LocalStore, create_store
from app.ui.app_window import AppWindow
from app.ui.context import AppContext
from app.ui.keys.dialog import KeysDialog
from tests.bundle.bundletools import make_coordinator
from tests.ui.shell.helpers import FAST_KDF, PASSWORD, log_in, make_window, wait_for_dialog


def keys_dialog(qtbot: QtBot, window: AppWindow) -> KeysDialog:
    window.keys_action.trigger()
    dialog = wait_for_dialog(qtbot, KeysDialog)
    qtbot.waitUntil(lambda: dialog.overview is not None, timeout=10_000)
    return dialog


def answer_next_question(qtbot: QtBot, button: str, seen: list[str]) -> None:
    """Click `button` in the next question box once it is on screen; note its text."""

    def look() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, look)
            return
        seen.append(box.text())
        next(b for b in box.buttons() if b.text() == button).click()

    QTimer.singleShot(20, look)


def test_a_coordinator_sets_up_keys_and_registers_then_revokes_a_laptop(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore, tmp_path: Path
) -> None:
    laptop = create_store(
        username="enum",
        password=PASSWORD,
        kdf=FAST_KDF,
        path=tmp_path / "laptop-07.db",
        device_name="laptop-07",
    )
    laptop_keys = init_device_keys(BundleTarget.from_store(laptop))
    card = tmp_path / "laptop-07.card.json"
    write_card(card, laptop_keys.card())
    laptop.close()
    study_db.close()
    window = make_window(qtbot, ctx)
    log_in(qtbot, window)
    dialog = keys_dialog(qtbot, window)
    assert dialog.fingerprint.text()  # this laptop's own, made on first use
    assert dialog.create_button.isVisibleTo(dialog) and not dialog.register_button.isEnabled()

    qtbot.keyClicks(dialog.passphrase, "short")
    qtbot.keyClicks(dialog.repeat, "short")
    dialog.create_button.click()
    assert dialog.error.text() == "The passphrase must have at least 10 characters."
    for field in (dialog.passphrase, dialog.repeat):
        field.clear()
        qtbot.keyClicks(field, "a long coordinator passphrase")
    dialog.create_button.click()
    qtbot.waitUntil(
        lambda: dialog.overview is not None and dialog.overview.coordinator_database, timeout=15_000
    )
    assert coordinator_key_file().is_file()  # where Sync now looks for it
    assert not dialog.create_button.isVisibleTo(dialog)
    assert not dialog.trusted.isVisibleTo(dialog)  # a coordinator trusts no other coordinator
    assert dialog.register_button.isEnabled()
    handed_out = tmp_path / "stick" / "coordinator.card.json"
    dialog.save_coordinator_to(handed_out)
    qtbot.waitUntil(handed_out.is_file, timeout=10_000)
    assert read_card(handed_out, COORDINATOR_CARD_FORMAT)["fingerprint"] == (
        dialog.fingerprint.text()
    )

    # A file that is not a card is refused, saying why; nothing is registered.
    junk = tmp_path / "photo.json"
    junk.write_text(json.dumps({"format": "something else"}))
    dialog.register_card_from(junk)
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10_000)
    assert "samluat-device-card" in dialog.error.text()
    assert dialog.laptops.rowCount() == 0

    seen: list[str] = []
    answer_next_question(qtbot, "Trust it", seen)
    dialog.register_card_from(card)
    qtbot.waitUntil(lambda: dialog.laptops.rowCount() == 1, timeout=10_000)
    assert laptop_keys.fingerprint in seen[0] and "laptop-07" in seen[0]
    assert dialog.laptops.item(0, 1).text() == laptop_keys.fingerprint
    assert dialog.laptops.item(0, 3).text() == ""

    # Named as the team calls it (the card carries the computer's own name).
    dialog.laptops.clearSelection()
    dialog.rename_selected_to("Laptop 07, Pakse")
    assert dialog.error.text() == "Please select the laptop to rename."
    dialog.laptops.selectRow(0)
    dialog.rename_selected_to("   ")
    assert dialog.error.text() == "A laptop's name has 1 to 80 characters."
    dialog.rename_selected_to("Laptop 07,\n Pakse ")
    qtbot.waitUntil(lambda: dialog.laptops.item(0, 0).text() == "Laptop 07, Pakse", timeout=10_000)
    assert not dialog.error.isVisible()

    dialog.laptops.selectRow(0)
    answer_next_question(qtbot, "Revoke", seen)
    dialog.revoke_selected()
    qtbot.waitUntil(lambda: dialog.laptops.item(0, 3).text() != "", timeout=10_000)
    assert "cannot be undone" in seen[1]
    dialog.reject()


def test_a_laptop_saves_its_card_and_trusts_the_coordinator(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore, tmp_path: Path
) -> None:
    coordinator = make_coordinator(tmp_path / "office")
    study_db.close()
    window = make_window(qtbot, ctx)
    log_in(qtbot, window)
    dialog = keys_dialog(qtbot, window)
    assert dialog.coordinator_text.text() == "No coordinator trusted yet."

    saved = tmp_path / "stick" / "my-laptop.card.json"
    dialog.save_card_to(saved)
    qtbot.waitUntil(saved.is_file, timeout=10_000)
    assert read_card(saved, DEVICE_CARD_FORMAT)["fingerprint"] == dialog.fingerprint.text()

    seen: list[str] = []
    answer_next_question(qtbot, "Trust it", seen)
    dialog.trust_card_from(coordinator.card)
    qtbot.waitUntil(
        lambda: dialog.overview is not None and dialog.overview.coordinator is not None,
        timeout=10_000,
    )
    trusted = dialog.overview.coordinator
    assert trusted is not None and trusted.fingerprint in seen[0]
    assert trusted.fingerprint in dialog.coordinator_text.text()
    assert not dialog.create_button.isVisibleTo(dialog)  # it follows that coordinator now
    dialog.reject()
    coordinator.close()


def test_a_coordinator_also_makes_an_escrow_key_written_where_chosen(
    qtbot: QtBot, ctx: AppContext, study_db: LocalStore, tmp_path: Path
) -> None:
    study_db.close()
    window = make_window(qtbot, ctx)
    log_in(qtbot, window)
    dialog = keys_dialog(qtbot, window)
    assert dialog.escrow_check.isVisibleTo(dialog)
    assert not dialog.escrow_passphrase.isVisibleTo(dialog)  # asked for only when wanted
    dialog.escrow_check.setChecked(True)
    assert dialog.escrow_passphrase.isVisibleTo(dialog)
    for field in (dialog.passphrase, dialog.repeat, dialog.escrow_passphrase, dialog.escrow_repeat):
        qtbot.keyClicks(field, "a long coordinator passphrase")
    stick = tmp_path / "stick" / "escrow-identity.age"
    stick.parent.mkdir()
    dialog.create_key_to(stick)
    assert dialog.error.text() == (
        "The escrow key needs its own passphrase, not the coordinator key's."
    )
    assert not stick.exists() and not coordinator_key_file().exists()  # nothing made

    for field in (dialog.escrow_passphrase, dialog.escrow_repeat):
        field.clear()
        qtbot.keyClicks(field, "the escrow passphrase, kept apart")
    dialog.create_key_to(stick)
    qtbot.waitUntil(
        lambda: dialog.overview is not None and dialog.overview.coordinator_database, timeout=15_000
    )
    assert dialog.escrow_note.isVisible() and str(stick) in dialog.escrow_note.text()
    assert not dialog.escrow_check.isVisibleTo(dialog)  # the keys exist now
    escrow = unlock_identity_file(stick, "the escrow passphrase, kept apart")
    card = tmp_path / "coordinator.card.json"
    dialog.save_coordinator_to(card)
    qtbot.waitUntil(card.is_file, timeout=10_000)
    recipients = read_card(card, COORDINATOR_CARD_FORMAT)["recipients"]
    assert [(r["recipient"], r["role"]) for r in recipients if r["role"] == "escrow"] == [
        (escrow.recipient, "escrow")
    ]
    dialog.reject()
