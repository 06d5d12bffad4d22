"""Re-render widgets when the UI language changes, and Qt texts Qt cannot translate.

`translator.on_change` has no way to unsubscribe, so widgets register here
instead: one translator listener calls every live widget's `retranslate`
callback and drops those whose widget has been deleted.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable

import shiboken6
from PySide6.QtWidgets import QComboBox, QDialogButtonBox, QMessageBox, QWidget

from app.core.i18n import LANGUAGES, _, translator
from app.ui.settings.store import SettingsStore

log = logging.getLogger(__name__)

_entries: list[tuple[weakref.ref[QWidget], Callable[[], None]]] = []
_subscribed = False


def _broadcast(_language: str) -> None:
    alive: list[tuple[weakref.ref[QWidget], Callable[[], None]]] = []
    for ref, callback in list(_entries):
        widget = ref()
        if widget is None or not shiboken6.isValid(widget):
            continue
        alive.append((ref, callback))
        callback()
    _entries[:] = alive


def on_language_changed(widget: QWidget, callback: Callable[[], None]) -> None:
    """Call `callback` after every UI-language switch for as long as `widget` lives."""
    global _subscribed
    if not _subscribed:
        translator.on_change(_broadcast)
        _subscribed = True
    _entries.append((weakref.ref(widget), callback))


def translate_buttons(box: QDialogButtonBox) -> None:
    """Qt has no Lao translation of its standard buttons: name them ourselves."""
    names = {
        QDialogButtonBox.StandardButton.Ok: _("OK"),
        QDialogButtonBox.StandardButton.Cancel: _("Cancel"),
        QDialogButtonBox.StandardButton.Close: _("Close"),
        QDialogButtonBox.StandardButton.Save: _("Save"),
        QDialogButtonBox.StandardButton.Yes: _("Yes"),
        QDialogButtonBox.StandardButton.No: _("No"),
    }
    for which, text in names.items():
        button = box.button(which)
        if button is not None:
            button.setText(text)


def ask(
    parent: QWidget | None, title: str, text: str, *, yes: str, no: str, default_yes: bool = False
) -> bool:
    """A yes/no question with our own button texts. True for yes."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    no_button = box.addButton(no, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes_button if default_yes else no_button)
    box.setEscapeButton(no_button)
    box.exec()
    return box.clickedButton() is yes_button


def apply_ui_language(settings: SettingsStore, code: str) -> None:
    """Remember the UI language and switch every screen to it now."""
    if settings.settings.ui_language != code:
        settings.update(ui_language=code)
    if translator.language != code:
        translator.set_language(code)


class LanguageBox(QComboBox):
    """The UI-language switch shown on the screens before login."""

    def __init__(self, settings: SettingsStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        for code, name in LANGUAGES.items():
            self.addItem(name, code)  # each language named in itself: no retranslation
        self._sync()
        self.currentIndexChanged.connect(self._chosen)
        on_language_changed(self, self._sync)

    def _sync(self) -> None:
        index = self.findData(translator.language)
        if index >= 0 and index != self.currentIndex():
            self.blockSignals(True)
            self.setCurrentIndex(index)
            self.blockSignals(False)

    def _chosen(self, index: int) -> None:
        apply_ui_language(self._settings, self.itemData(index))
