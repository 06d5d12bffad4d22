"""F1: the keyboard shortcuts, in the UI language."""

from __future__ import annotations

from PySide6.QtGui import QFont
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
    """The shortcuts of a form (F1 in it), or of the whole app (the Help menu: the home
    screen's first, then the form's, each under a heading)."""

    def __init__(
        self,
        parent: QWidget | None = None,
        names: list[str] | None = None,
        *,
        sections: list[tuple[str, list[tuple[str, str]]]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Keyboard shortcuts"))
        layout = QVBoxLayout(self)
        rows: list[tuple[str, str] | str] = []
        for heading, keys in sections or [("", help_rows(names))]:
            rows += [heading] if heading else []
            rows += keys
        table = QTableWidget(len(rows), 2)
        table.setHorizontalHeaderLabels([_("Keys"), _("What they do")])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(True)
        bold = QFont(table.font())
        bold.setBold(True)
        for row, entry in enumerate(rows):
            if isinstance(entry, str):  # a heading across both columns
                item = QTableWidgetItem(entry)
                item.setFont(bold)
                table.setItem(row, 0, item)
                table.setSpan(row, 0, 1, 2)
                continue
            sequence, text = entry
            table.setItem(row, 0, QTableWidgetItem(sequence))
            table.setItem(row, 1, QTableWidgetItem(text))
        self.table = table
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
