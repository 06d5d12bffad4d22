"""Errors raised by the local store. Every message is safe to show to a user.

Messages never contain answer text, passwords or key material: they end up
in log files, which are not encrypted.
"""

from __future__ import annotations

from app.core.errors import SamluatError


class StoreError(SamluatError):
    """Base of every expected error raised by `app.store`."""


class DatabaseNotFoundError(StoreError):
    """There is no database at the given path."""


class DatabaseExistsError(StoreError):
    """A database already exists where a new one was to be created."""


class WrongPasswordError(StoreError):
    """Unknown user name or wrong password (deliberately not told apart)."""


class AccountLockedError(StoreError):
    """Too many failed logins: the account is locked for a while."""


class AccountDisabledError(StoreError):
    """The account exists but has been disabled."""


class PermissionDeniedError(StoreError):
    """The logged-in user's role does not allow the action."""


class DatabaseCorruptError(StoreError):
    """The file is not a readable Samluat database (corrupt, truncated, wrong key)."""


class DatabaseTooNewError(StoreError):
    """The database was written by a newer version of Samluat."""


class KeyringError(StoreError):
    """The key file that unlocks an encrypted database is missing or damaged."""


class MigrationError(StoreError):
    """A schema upgrade failed; the database was left at its previous version."""


class StorageFullError(StoreError):
    """The disk (or the database's size limit) is full; the change was not saved."""


class DatabaseReadOnlyError(StoreError):
    """The database, its folder or a file SQLite keeps beside it cannot be written."""


class StorageIOError(StoreError):
    """The operating system reported an I/O error; the change was not saved."""


class DatabaseBusyError(StoreError):
    """Another program holds the database for too long."""


class NotFoundError(StoreError):
    """A record asked for does not exist."""


class ImmutableError(StoreError):
    """An attempt to change or delete something that may never change."""


class ReasonRequiredError(StoreError):
    """Editing a finalised submission needs a reason."""


class DraftStateError(StoreError):
    """The submission is not in a state that allows the requested step."""


class ConflictError(StoreError):
    """A submission has several concurrent heads; the caller must choose one."""


class IntegrityCheckError(StoreError):
    """SQLite's integrity or foreign-key check found a problem."""


class PasswordPolicyError(StoreError):
    """A new password is too weak."""


class DuplicateError(StoreError):
    """A record with the same identity already exists."""
