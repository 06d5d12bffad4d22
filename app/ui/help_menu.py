"""The Help menu: the keyboard shortcuts from anywhere, and what this copy of the app is.

"About" names the folders a support person asks for first (where the database,
the logs and the settings are), so that a field team can answer on the phone.
"""

from __future__ import annotations

import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox

from app import __version__
from app.core import paths
from app.core.i18n import _
from app.ui.context import AppContext
from app.ui.entry.keys import help_rows, home_help_rows
from app.ui.entry.keys_help import KeysHelp


class HelpMenu(QMenu):
    def __init__(self, window: QMainWindow, ctx: AppContext) -> None:
        super().__init__(window)
        self.window_ = window
        self.ctx = ctx
        self.keys_action = QAction(self)
        self.keys_action.triggered.connect(self.show_keys)
        self.about_action = QAction(self)
        self.about_action.triggered.connect(self.show_about)
        self.addAction(self.keys_action)
        self.addSeparator()
        self.addAction(self.about_action)
        window.menuBar().addMenu(self)

    def retranslate(self) -> None:
        self.setTitle(_("&Help"))
        self.keys_action.setText(_("Keyboard shortcuts…"))
        self.about_action.setText(_("About Samluat…"))

    def show_keys(self) -> KeysHelp:
        dialog = KeysHelp(
            self.window_,
            sections=[
                (_("Home screen"), home_help_rows()),
                (_("In a form (F1 there)"), help_rows()),
            ],
        )
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def about_text(self) -> str:
        database = self.ctx.db_path
        return "\n".join(
            [
                _("Samluat {version}: offline survey and interview fieldwork.").format(
                    version=__version__
                ),
                "",
                _("Database: {path}").format(path=database),
                _("Logs: {path}").format(path=paths.log_dir()),
                _("Settings: {path}").format(path=paths.config_dir()),
                "",
                f"Python {platform.python_version()} · PySide6 {pyside_version}",
            ]
        )

    def show_about(self) -> QMessageBox:
        box = QMessageBox(self.window_)
        box.setWindowTitle(_("About Samluat"))
        box.setIcon(QMessageBox.Icon.Information)
        box.setText(self.about_text())
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.finished.connect(box.deleteLater)
        box.open()
        return box
