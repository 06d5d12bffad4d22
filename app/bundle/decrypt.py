"""Decrypt a verified bundle's payload into a parser, saying what went wrong if it fails.

Used by every pass over a payload (staging its attachments, applying it), so
that a damaged bundle gets the same refusal whichever pass meets the damage.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyrage

from app.bundle import format as fmt
from app.bundle.errors import BundleError, BundleRejected, Refusal, changed_while_reading
from app.bundle.keys import AgeIdentity


def decrypt_payload(
    envelope: fmt.Envelope,
    identities: Sequence[AgeIdentity],
    parser: fmt.PayloadParser,
    payload_sha: bytes,
) -> None:
    """Stream the payload of `envelope` through `parser`, then close it.

    Raises `BundleRejected` for a payload that does not decrypt, is damaged
    or changed since its hash `payload_sha` was taken; an error raised by
    the parser's handler (a refused record, a full disk) as it was raised.
    """
    try:
        handle = open(envelope.path, "rb")  # noqa: SIM115 (the with below closes it)
    except OSError:
        raise changed_while_reading() from None  # gone since it was checked: a stick pulled
    with handle:
        reader = fmt.PayloadReader(handle, envelope.payload_offset, envelope.payload_length)
        try:
            pyrage.decrypt_io(reader, parser, [k.pyrage_identity() for k in identities])
        except BaseException as error:
            if parser.failure is not None:
                # Raised by our side of the stream (a refused part, a full disk, a
                # bug), whether pyrage passes it on or wraps it: that, not "the
                # payload is damaged", is what happened.
                if parser.failure is error:
                    raise
                raise parser.failure from None
            if isinstance(error, BundleError | MemoryError) or not isinstance(error, Exception):
                raise
            if not _still_the_same(envelope, payload_sha):
                # Replaced or cut short under us (a synced folder, a stick pulled): what
                # failed to decrypt is not the file that was verified.
                raise changed_while_reading() from None
            raise _decryption_failure(error) from None
    if parser.failure is not None:  # pyrage may swallow a failed write and stop early
        raise parser.failure
    if reader.sha256.digest() != payload_sha:
        raise changed_while_reading()
    parser.close()


def _still_the_same(envelope: fmt.Envelope, payload_sha: bytes) -> bool:
    """Whether the file still holds the payload that was verified (read again: only
    after a failure)."""
    try:
        return fmt.hash_file(envelope)[1] == payload_sha
    except (BundleError, OSError):
        return False


def _decryption_failure(error: Exception) -> BundleRejected:
    """What a failure inside pyrage (not raised by our parser) says about the bundle."""
    if isinstance(error, pyrage.DecryptError):
        return BundleRejected(
            "the payload cannot be decrypted with this coordinator's key (encrypted to "
            "another coordinator, or its key header was altered)",
            Refusal.OTHER_COORDINATOR,
        )
    if isinstance(error, OSError):
        return BundleRejected(
            "the encrypted payload is damaged (decryption failed its integrity check)"
        )
    return BundleRejected(f"the encrypted payload is damaged ({error})")
