"""Errors raised by bundles. Every message is safe to show to a user and says what to do.

`BundleRejected` carries the reason a bundle was refused (the importer copies
the file to quarantine with that reason); `BundleWaiting` means the bundle is
fine but needs something from an earlier bundle that has not arrived yet.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path

from app.core.errors import SamluatError
from app.store.fileio import readable_name


class BundleError(SamluatError):
    """Base of every expected error raised by `app.bundle`."""


class KeyFileError(BundleError):
    """A key file or card is missing, damaged, or its passphrase is wrong."""


class WrongCardError(KeyFileError):
    """A card of the other kind: a coordinator card where a laptop's device card was
    expected, or the reverse. `found` is the format the card has."""

    def __init__(self, message: str, found: str) -> None:
        super().__init__(message)
        self.found = found


class KeysNotSetUpError(BundleError):
    """This database has no device key, or no coordinator to send to, yet."""


class Refusal(StrEnum):
    """Why a bundle was refused, as the app words it for people (in their language).

    The exception's own text stays in English with every technical detail, for
    the quarantine file, the log and the command line.
    """

    DAMAGED = "damaged"  # structure, hashes or records: damaged on the way, or not ours
    NOT_A_BUNDLE = "not a bundle"
    TRUNCATED = "truncated"  # cut short: still being copied, or a full stick
    UNREADABLE = "unreadable"
    NEWER_FORMAT = "newer format"  # written by a newer Samluat
    CHANGED_WHILE_READING = "changed while reading"
    UNKNOWN_LAPTOP = "unknown laptop"  # its card is not registered here
    NOT_ITS_KEY = "not its key"
    BAD_SIGNATURE = "bad signature"
    REVOKED = "revoked"
    NOT_A_COORDINATOR = "not a coordinator"
    FOR_ANOTHER_LAPTOP = "for another laptop"
    REPLAYED = "replayed"
    NUMBER_REUSED = "number reused"  # most likely a laptop restored from a backup
    OTHER_COORDINATOR = "other coordinator"  # encrypted to a key this database lacks
    INVALID_DATA = "invalid data"  # an interview fails its form's checks


class BundleRejected(BundleError):
    """A bundle that must not be applied; `str()` is the reason, naming what is wrong.

    `reason` says which kind of refusal it is and `laptop`, `when`, `sequence`
    the facts the app needs to word it; `str()` has the rest.
    """

    def __init__(
        self,
        message: str,
        reason: Refusal = Refusal.DAMAGED,
        *,
        laptop: str | None = None,
        when: datetime | None = None,
        sequence: int | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.laptop = laptop
        self.when = when
        self.sequence = sequence


class BundleWaiting(BundleError):
    """A sound bundle that needs data from an earlier bundle first (retry later)."""


class BundleWriteError(BundleError):
    """A bundle could not be written or did not verify after writing."""


class FolderWriteError(BundleWriteError):
    """The folder would not take the bundle: full, write-protected, pulled out, not a
    folder. `errno` says which (the app words the common ones)."""

    def __init__(self, folder: Path, error: OSError) -> None:
        self.folder = folder
        self.errno = error.errno
        where = readable_name(folder)
        super().__init__(f"cannot write a bundle into {where}: {error.strerror or error}")


class LaptopRevokedError(BundleError):
    """The coordinator revoked this laptop: it no longer writes bundles."""


def changed_while_reading() -> BundleRejected:
    """The file is not the one checked any more (replaced by a synced folder, cut short
    or removed with its USB stick): nothing was applied, and the next pass reads it
    afresh."""
    return BundleRejected(
        "the file changed or disappeared while it was being imported (a USB stick removed, "
        "a synced folder replacing it); nothing was changed: import it again",
        Refusal.CHANGED_WHILE_READING,
    )
