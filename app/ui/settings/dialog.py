"""The settings dialog: UI and form language, font size, page mode, folders."""

from __future__ import annotations

import logging
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.core import paths
from app.core.i18n import LANGUAGES, N_, _, translator
from app.study.config import StudyConfig
from app.ui.home.cases import pick
from app.ui.language import on_language_changed, translate_buttons
from app.ui.settings.store import FONT_SIZES, PAGE_MODES, Settings, SettingsStore
from app.ui.widgets import wrapping_label

log = logging.getLogger(__name__)

PAGE_MODE_NAMES = {
    "pages": N_("One page at a time"),
    "scroll": N_("The whole form on one scrolling page"),
}


class _FolderField(QWidget):
    def __init__(self, value: str | None, placeholder: str) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(value or "")
        self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(True)
        self.browse = QPushButton()
        self.browse.clicked.connect(self._browse)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.browse)

    def _browse(self) -> None:
        start = self.edit.text() or str(paths.data_dir())
        folder = QFileDialog.getExistingDirectory(self, "", start)
        if folder:
            self.edit.setText(folder)

    def value(self) -> str | None:
        return self.edit.text().strip() or None


class SettingsDialog(QDialog):
    sig_settings_changed = Signal(object, object)  # old Settings, new Settings

    def __init__(
        self, store: SettingsStore, study: StudyConfig | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.study = study
        current = store.settings
        self.setMinimumWidth(460)
        outer = QVBoxLayout(self)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes straight to the first setting
        inner = QWidget()
        form = QFormLayout(inner)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        scroll.setWidget(inner)
        outer.addWidget(scroll, 1)

        self.ui_language = QComboBox()
        for code, name in LANGUAGES.items():
            self.ui_language.addItem(name, code)
        self.ui_language.setCurrentIndex(max(0, self.ui_language.findData(current.ui_language)))
        self.form_language = QComboBox()
        self.page_mode = QComboBox()
        self.font_size = QComboBox()
        sizes = sorted({*FONT_SIZES, current.font_size})
        for size in sizes:
            self.font_size.addItem(f"{size:g}", size)
        self.font_size.setCurrentIndex(max(0, self.font_size.findData(current.font_size)))
        self.data_folder = _FolderField(current.data_folder, str(paths.data_dir()))
        self.data_note = wrapping_label()
        self.sync_folder = _FolderField(current.sync_folder, "")
        self.sync_note = wrapping_label()
        self.labels = {key: QLabel() for key in ("ui", "form", "font", "page", "data", "sync")}
        rows = (
            ("ui", self.ui_language),
            ("form", self.form_language),
            ("font", self.font_size),
            ("page", self.page_mode),
            ("data", self.data_folder),
        )
        for key, field in rows:
            self.labels[key].setBuddy(field)
            form.addRow(self.labels[key], field)
        form.addRow(self.data_note)
        form.addRow(self.labels["sync"], self.sync_folder)
        form.addRow(self.sync_note)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._accepted)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        self._initial = current
        self.retranslate()
        on_language_changed(self, self.retranslate)
        self._fit(inner)

    def _fit(self, inner: QWidget) -> None:
        """As tall as the settings need, within the screen (it scrolls beyond)."""
        wanted = inner.sizeHint() + self.buttons.sizeHint()
        screen = self.screen().availableGeometry()
        self.resize(
            min(max(self.minimumWidth(), inner.sizeHint().width() + 40), screen.width() - 40),
            min(wanted.height() + 60, screen.height() - 40),
        )

    def _fill_choices(self) -> None:
        chosen_form = (
            self.form_language.currentData()
            if self.form_language.count()
            else self._initial.form_language
        )
        self.form_language.clear()
        self.form_language.addItem(_("As the app, where the form has it"), None)
        if self.study is not None:
            for language in self.study.languages:
                self.form_language.addItem(
                    pick(language.name.as_dict(), translator.language, language.code),
                    language.code,
                )
        else:
            for code, name in LANGUAGES.items():
                self.form_language.addItem(name, code)
        index = self.form_language.findData(chosen_form) if chosen_form else 0
        self.form_language.setCurrentIndex(max(0, index))
        chosen_mode = (
            self.page_mode.currentData() if self.page_mode.count() else self._initial.page_mode
        )
        self.page_mode.clear()
        for mode in PAGE_MODES:
            self.page_mode.addItem(_(PAGE_MODE_NAMES[mode]), mode)
        self.page_mode.setCurrentIndex(max(0, self.page_mode.findData(chosen_mode)))

    def retranslate(self) -> None:
        self.setWindowTitle(_("Settings"))
        texts = {
            "ui": _("Language of the app"),
            "form": _("Language of the forms"),
            "font": _("Text size"),
            "page": _("Pages"),
            "data": _("Data folder"),
            "sync": _("Sync folder"),
        }
        for key, text in texts.items():
            self.labels[key].setText(text)
        self._fill_choices()
        for field in (self.data_folder, self.sync_folder):
            field.browse.setText(_("Choose…"))
        self.data_note.setText(
            _(
                "Where the database is kept; on this computer's own disk, never on a USB "
                "stick. A new folder is used from the next login."
            )
        )
        self.sync_note.setText(
            _(
                "A folder shared with your coordinator (a USB stick or a synced folder) "
                "where bundles are exchanged."
            )
        )
        translate_buttons(self.buttons)

    def chosen(self) -> Settings:
        return replace(
            self.store.settings,
            ui_language=self.ui_language.currentData(),
            form_language=self.form_language.currentData(),
            font_size=float(self.font_size.currentData()),
            page_mode=self.page_mode.currentData(),
            data_folder=self.data_folder.value(),
            sync_folder=self.sync_folder.value(),
        )

    def _accepted(self) -> None:
        old = self.store.settings
        new = self.chosen()
        self.store.update(
            ui_language=new.ui_language,
            form_language=new.form_language,
            font_size=new.font_size,
            page_mode=new.page_mode,
            data_folder=new.data_folder,
            sync_folder=new.sync_folder,
        )
        self.accept()
        self.sig_settings_changed.emit(old, self.store.settings)
