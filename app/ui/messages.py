"""User-facing messages for expected errors, in the UI language.

The store's messages are English (they also go to the log); the UI shows
its own translated sentence for every error a field worker can meet.
"""

from __future__ import annotations

import re

from PySide6.QtWidgets import QWidget

from app.core.errors import SamluatError
from app.core.i18n import _
from app.fieldwork.filling import NotReadyError
from app.store import errors
from app.store.users import MIN_PASSWORD_LENGTH
from app.ui.errors import show_error


class ShownError(SamluatError):
    """An expected error carrying its already-translated message."""


def user_message(error: BaseException) -> str:
    """A translated message for `error` (the error's own text when there is none)."""
    if isinstance(error, errors.WrongPasswordError):
        return _("Wrong user name or password.")
    if isinstance(error, errors.AccountLockedError):
        found = re.search(r"(\d+)", str(error))
        return _(
            "Too many failed logins: this account is locked for about {count} minute(s), "
            "or until a supervisor unlocks it."
        ).format(count=found.group(1) if found else "5")
    if isinstance(error, errors.AccountDisabledError):
        return _("This account has been disabled. Ask your supervisor.")
    if isinstance(error, errors.PasswordPolicyError):
        if "space" in str(error):
            return _("The password must not start or end with a space.")
        return _("The password must have at least {count} characters.").format(
            count=MIN_PASSWORD_LENGTH
        )
    if isinstance(error, errors.StorageFullError):
        return _(
            "The disk is full: your latest answers are not saved yet. Free some space; "
            "saving is tried again with your next change."
        )
    if isinstance(error, errors.StorageIOError):
        return _(
            "The computer reported a disk error: your latest answers are not saved yet. "
            "Saving is tried again with your next change."
        )
    if isinstance(error, errors.DatabaseReadOnlyError):
        return _(
            "The database cannot be opened: its folder or file is read-only (another "
            "user's folder, a read-only copy or a write-protected stick). Nothing is damaged "
            "and nothing was changed: make the data folder writable, then log in again."
        )
    if isinstance(error, errors.DatabaseExistsError):
        return _("A database already exists in the data folder.")
    if isinstance(error, errors.DatabaseNotFoundError):
        return _("There is no database in the data folder.")
    if isinstance(error, errors.DatabaseCorruptError | errors.KeyringError):
        return _(
            "The database cannot be read: the file is damaged or its key file is missing. "
            "Ask your coordinator to restore a backup."
        )
    if isinstance(error, errors.DatabaseTooNewError):
        return _("This database was written by a newer version of Samluat. Update the app.")
    if isinstance(error, errors.DatabaseBusyError):
        return _("Another program is using the database. Try again in a moment.")
    if isinstance(error, errors.PermissionDeniedError):
        return _("Your account is not allowed to do this.")
    if isinstance(error, errors.DuplicateError):
        return _("That name is already taken.")
    if isinstance(error, errors.ReasonRequiredError):
        return _("Please give the reason for this change.")
    if isinstance(error, NotReadyError):
        return _("{count} question(s) still need attention.").format(count=len(error.problems))
    return str(error)


def show_problem(parent: QWidget | None, error: BaseException) -> None:
    """Show an error: expected ones in the UI language, bugs with their details."""
    if isinstance(error, SamluatError):
        show_error(parent, ShownError(user_message(error)))
    else:
        show_error(parent, error)
