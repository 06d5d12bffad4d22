"""F1: the keyboard shortcuts, in the UI language."""

from __future__ import annotations

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

from app.core.i18n import _
from app.ui.entry.keys import help_rows
from app.ui.widgets import size_for_screen


class KeysHelp(QDialog):
    def __init__(self, parent: QWidget | None = None, names: list[str] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Keyboard shortcuts"))
        layout = QVBoxLayout(self)
        rows = help_rows(names)
        table = QTableWidget(len(rows), 2)
        table.setHorizontalHeaderLabels([_("Keys"), _("What they do")])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(True)
        for row, (sequence, text) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(sequence))
            table.setItem(row, 1, QTableWidgetItem(text))
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        table.resizeRowsToContents()
        layout.addWidget(table)
        buttons = QDialogButtonBox()
        close = QPushButton(_("Close"))
        buttons.addButton(close, QDialogButtonBox.ButtonRole.RejectRole)
        close.clicked.connect(self.reject)
        layout.addWidget(buttons)
        size_for_screen(self, 640, 520)
