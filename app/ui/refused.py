"""Refused bundle files: what import refused, when, and why, in the UI's language.

A refused file is copied to the quarantine folder in the data folder with its
reason; the sync status names only the last pass's refusals. This dialog
lists all of them, newest first, and opens the folder for whoever must send
a file on (to a developer, to the laptop's team) or clear it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.bundle.refused import RefusedFile, refused_files
from app.core.i18n import _
from app.core.times import when_text
from app.fieldwork.refusals import refused_file_text
from app.ui.language import on_language_changed, translate_buttons
from app.ui.widgets import size_for_screen, wrapping_label


class RefusedFilesDialog(QDialog):
    """The files kept in `folder` (the quarantine folder), with why each was refused."""

    def __init__(self, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.files: list[RefusedFile] = []
        size_for_screen(self, 900, 480)
        layout = QVBoxLayout(self)
        self.explanation = wrapping_label()
        layout.addWidget(self.explanation)
        self.table = QTableWidget(0, 3)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        self.empty = wrapping_label()
        layout.addWidget(self.empty)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.open_button = QPushButton()
        self.buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button.clicked.connect(self.open_folder)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.reload()
        self.retranslate()
        on_language_changed(self, self.retranslate)

    def reload(self) -> None:
        self.files = refused_files(self.folder)
        self.open_button.setEnabled(self.folder.is_dir())

    def retranslate(self) -> None:
        self.setWindowTitle(_("Refused bundle files"))
        self.explanation.setText(
            _(
                "Files that import refused, newest first. Nothing in them was stored. A copy of "
                "each is kept in {folder} with its reason; the original stays where it was."
            ).format(folder=self.folder)
        )
        self.table.setHorizontalHeaderLabels([_("Refused"), _("File"), _("Why")])
        self.table.setRowCount(len(self.files))
        for row, item in enumerate(self.files):
            name = (
                item.name
                if item.copy is not None
                else _("{file} (too large to copy)").format(file=item.name)
            )
            for column, text in enumerate(
                (when_text(item.rejected_at) or "?", name, refused_file_text(item))
            ):
                cell = QTableWidgetItem(text)
                cell.setToolTip(item.reason if column == 2 else text)  # English detail
                cell.setTextAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
                self.table.setItem(row, column, cell)
        self.table.setColumnWidth(1, 280)
        self.table.resizeRowsToContents()
        self.table.setVisible(bool(self.files))
        self.empty.setVisible(not self.files)
        self.empty.setText(_("No bundle file has been refused on this computer."))
        self.open_button.setText(_("Open the folder"))
        translate_buttons(self.buttons)

    def open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))
