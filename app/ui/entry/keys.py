"""The keyboard map of form entry and the interview workspace, in one place.

Inside a question: Enter moves to the next question (Ctrl+Enter in a note
area, where Enter is a new line), Shift+Enter to the previous one; number
keys 1–9 and 0 pick the choices of a focused select, Delete clears it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

from app.core.i18n import N_, _

# action name → (key sequences, description msgid)
KEYMAP: dict[str, tuple[tuple[str, ...], str]] = {
    "next_page": (("PgDown", "Ctrl+PgDown"), N_("Next page")),
    "previous_page": (("PgUp", "Ctrl+PgUp"), N_("Previous page")),
    "index": (("Ctrl+I",), N_("Go to the index of questions")),
    "first_invalid": (("Ctrl+E",), N_("Go to the first question that needs correcting")),
    "next_unanswered": (("Ctrl+U",), N_("Go to the next unanswered question")),
    "finalise": (("Ctrl+Shift+F",), N_("Check and finalise")),
    "bookmark": (("Ctrl+B",), N_("Bookmark this question")),
    "first_page": (("Ctrl+Home",), N_("First page")),
    "last_page": (("Ctrl+End",), N_("Last page")),
    "add_repeat": (("Ctrl+Shift+N",), N_("Add an entry (in a repeated section)")),
    "remove_repeat": (("Ctrl+Shift+Del",), N_("Remove this entry (asks first)")),
    "move_repeat_up": (("Ctrl+Shift+Up",), N_("Move this entry earlier")),
    "move_repeat_down": (("Ctrl+Shift+Down",), N_("Move this entry later")),
    "keys_help": (("F1",), N_("Show the keyboard shortcuts")),
    # Interview workspace
    "timestamp": (("Ctrl+T",), N_("Insert the interview time into the note")),
    "clock": (("Ctrl+Shift+T",), N_("Start or pause the interview clock")),
    "record": (("Ctrl+R",), N_("Start or stop recording")),
    "pause_recording": (("Ctrl+Shift+R",), N_("Pause or resume recording")),
}

IN_QUESTION: tuple[tuple[str, str], ...] = (
    ("Enter", N_("Next question (Ctrl+Enter in a note area)")),
    ("Shift+Enter", N_("Previous question")),
    ("Tab / Shift+Tab", N_("Next / previous field")),
    ("1 … 9, 0", N_("Pick a choice of the focused question")),
    ("Delete", N_("Clear the focused choice question")),
    ("Alt+Down", N_("Open the calendar of a date")),
    ("Ctrl+Up / Ctrl+Down", N_("Move a choice in a ranking")),
)


def install(widget: QWidget, actions: dict[str, Callable[[], None]]) -> dict[str, list[QShortcut]]:
    """Shortcuts for `actions` (names from KEYMAP), active anywhere inside `widget`."""
    made: dict[str, list[QShortcut]] = {}
    for name, callback in actions.items():
        sequences, _description = KEYMAP[name]
        for sequence in sequences:
            shortcut = QShortcut(QKeySequence(sequence), widget)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(callback)
            made.setdefault(name, []).append(shortcut)
    return made


# The home screen's and the window's own keys (the Help menu lists them with the form's).
HOME_KEYS = (
    ("Ctrl+N", N_("Go to the forms to start")),
    ("Ctrl+F", N_("Search the cases")),
    ("Enter", N_("Open the chosen case or draft")),
    ("F2", N_("Edit a finalised form")),
    ("Ctrl+H", N_("Versions of the chosen form")),
    ("Ctrl+Shift+S", N_("Sync now")),
    ("Ctrl+,", N_("Settings")),
    ("Ctrl+Q", N_("Quit")),
)


def home_help_rows() -> list[tuple[str, str]]:
    return [(keys, _(text)) for keys, text in HOME_KEYS]


def help_rows(names: list[str] | None = None) -> list[tuple[str, str]]:
    """(keys, translated description) for the help dialog."""
    rows = [(" / ".join(KEYMAP[n][0]), _(KEYMAP[n][1])) for n in (names or list(KEYMAP))]
    rows += [(keys, _(text)) for keys, text in IN_QUESTION]
    return rows
