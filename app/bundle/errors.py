"""Errors raised by bundles. Every message is safe to show to a user and says what to do.

`BundleRejected` carries the reason a bundle was refused (the importer copies
the file to quarantine with that reason); `BundleWaiting` means the bundle is
fine but needs something from an earlier bundle that has not arrived yet.
"""

from __future__ import annotations

from app.core.errors import SamluatError


class BundleError(SamluatError):
    """Base of every expected error raised by `app.bundle`."""


class KeyFileError(BundleError):
    """A key file or card is missing, damaged, or its passphrase is wrong."""


class KeysNotSetUpError(BundleError):
    """This database has no device key, or no coordinator to send to, yet."""


class BundleRejected(BundleError):
    """A bundle that must not be applied; `str()` is the reason, naming what is wrong."""


class BundleWaiting(BundleError):
    """A sound bundle that needs data from an earlier bundle first (retry later)."""


class BundleWriteError(BundleError):
    """A bundle could not be written or did not verify after writing."""


class LaptopRevokedError(BundleError):
    """The coordinator revoked this laptop: it no longer writes bundles."""
