"""Qt's own words (file choosers, text-field menus, message-box buttons) in our catalogues.

Qt ships no Lao translation, so in the Lao interface its file chooser said
"Look in:" and "File name:", and a right-click in an answer field offered
"Copy" and "Paste". Qt asks every installed `QTranslator` for these texts by
(context, source text); `QtTexts` answers from our gettext catalogues, so the
words live beside every other UI string and are checked the same way. Texts
not listed here stay as Qt has them (key names such as Ctrl, Shift).
A native dialog (Windows, macOS) is drawn by the system in its own language,
and neither offers Lao: in the Lao interface the app uses Qt's own file
choosers, which speak Lao through these catalogues.
"""

from __future__ import annotations

import logging

import shiboken6
from PySide6.QtCore import QCoreApplication, Qt, QTranslator

from app.core.i18n import DEFAULT_LANGUAGE, N_, _, translator

log = logging.getLogger(__name__)

_FILE_DIALOG = {
    "&Look in:": N_("&Look in:"),
    "File &name:": N_("File &name:"),
    "Files of &type:": N_("Files of &type:"),
    "Directory:": N_("Directory:"),
    "&Open": N_("&Open"),
    "&Save": N_("&Save"),
    "&Choose": N_("&Choose"),
    "Save As": N_("Save As"),
    "Find Directory": N_("Find Directory"),
    "Back": N_("Back"),
    "Forward": N_("Forward"),
    "Go back": N_("Go back"),
    "Go forward": N_("Go forward"),
    "Parent Directory": N_("Parent Directory"),
    "Go to the parent directory": N_("Go to the parent directory"),
    "Create New Folder": N_("Create New Folder"),
    "Create a New Folder": N_("Create a New Folder"),
    "New Folder": N_("New Folder"),
    "&New Folder": N_("&New Folder"),
    "List View": N_("List View"),
    "Change to list view mode": N_("Change to list view mode"),
    "Detail View": N_("Detail View"),
    "Change to detail view mode": N_("Change to detail view mode"),
    "Sidebar": N_("Sidebar"),
    "List of places and bookmarks": N_("List of places and bookmarks"),
    "Recent Places": N_("Recent Places"),
    "Files": N_("Files"),
    "Directories": N_("Directories"),
    "All Files (*)": N_("All Files (*)"),
    "&Rename": N_("&Rename"),
    "&Delete": N_("&Delete"),
    "Show &hidden files": N_("Show &hidden files"),
    "%1 already exists.\nDo you want to replace it?": N_(
        "%1 already exists.\nDo you want to replace it?"
    ),
    "%1\nFile not found.\nPlease verify the correct file name was given.": N_(
        "%1\nFile not found.\nPlease verify the correct file name was given."
    ),
    "%1\nDirectory not found.\nPlease verify the correct directory name was given.": N_(
        "%1\nDirectory not found.\nPlease verify the correct directory name was given."
    ),
    "'%1' is write protected.\nDo you want to delete it anyway?": N_(
        "'%1' is write protected.\nDo you want to delete it anyway?"
    ),
    "Are you sure you want to delete '%1'?": N_("Are you sure you want to delete '%1'?"),
    "Could not delete directory.": N_("Could not delete directory."),
}

_EDIT_MENU = {
    "&Undo": N_("&Undo"),
    "&Redo": N_("&Redo"),
    "Cu&t": N_("Cu&t"),
    "&Copy": N_("&Copy"),
    "&Paste": N_("&Paste"),
    "Delete": N_("Delete"),
    "Select All": N_("Select All"),
    "Copy &Link Location": N_("Copy &Link Location"),
}

_BUTTONS = {
    "OK": N_("OK"),
    "Cancel": N_("Cancel"),
    "Open": N_("Open"),
    "Save": N_("Save"),
    "Close": N_("Close"),
    "Discard": N_("Discard"),
    "Apply": N_("Apply"),
    "Reset": N_("Reset"),
    "Help": N_("Help"),
    "&Yes": N_("&Yes"),
    "&No": N_("&No"),
}

# (Qt's context, Qt's source text) → our msgid (the same English words).
QT_TEXTS: dict[tuple[str, str], str] = {
    **{("QFileDialog", source): msgid for source, msgid in _FILE_DIALOG.items()},
    **{("QLineEdit", source): msgid for source, msgid in _EDIT_MENU.items()},
    **{("QWidgetTextControl", source): msgid for source, msgid in _EDIT_MENU.items()},
    **{("QPlatformTheme", source): msgid for source, msgid in _BUTTONS.items()},
    ("QAbstractSpinBox", "&Select All"): N_("&Select All"),
    ("QAbstractSpinBox", "&Step up"): N_("&Step up"),
    ("QAbstractSpinBox", "Step &down"): N_("Step &down"),
    ("QFileSystemModel", "Name"): N_("Name"),
    ("QFileSystemModel", "Size"): N_("Size"),
    ("QFileSystemModel", "Type"): N_("Type"),
    ("QFileSystemModel", "Date Modified"): N_("Date Modified"),
    ("QFileSystemModel", "Computer"): N_("Computer"),
    ("QAbstractFileIconProvider", "Folder"): N_("Folder"),
    ("QAbstractFileIconProvider", "File"): N_("File"),
    ("QAbstractFileIconProvider", "Drive"): N_("Drive"),
    ("QMessageBox", "Show Details..."): N_("Show Details..."),
    ("QMessageBox", "Hide Details..."): N_("Hide Details..."),
}


class QtTexts(QTranslator):
    """Answers Qt's requests for its own texts from our catalogues; None means "as is"."""

    def translate(
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str | None:
        if translator.language == DEFAULT_LANGUAGE:
            return None
        msgid = QT_TEXTS.get((context, source))
        if msgid is None:
            return None
        text = _(msgid)
        return text if text != msgid else None

    def isEmpty(self) -> bool:  # Qt asks before it calls translate
        return False


_installed: list[QtTexts] = []


def install_qt_texts(app: QCoreApplication) -> None:
    """Give Qt our words, now and after every language switch (re-installing makes
    Qt send LanguageChange, so its open widgets re-read their texts)."""
    if _installed and shiboken6.isValid(_installed[-1]):
        return
    texts = QtTexts(app)
    _installed.append(texts)
    app.installTranslator(texts)

    def switched(language: str) -> None:
        if not shiboken6.isValid(app) or not shiboken6.isValid(texts):
            return  # the application has ended (tests create more than one)
        app.removeTranslator(texts)
        app.installTranslator(texts)
        use_own_dialogs(language)

    use_own_dialogs(translator.language)
    translator.on_change(switched)
    log.debug("Qt's own texts come from our catalogues")


def use_own_dialogs(language: str) -> None:
    """Qt's own file choosers in any interface language but English: the system's are in
    the system's language (Windows and macOS have no Lao), ours follow the app's."""
    QCoreApplication.setAttribute(
        Qt.ApplicationAttribute.AA_DontUseNativeDialogs, language != DEFAULT_LANGUAGE
    )
