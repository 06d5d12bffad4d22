"""Small helpers shared by the bundle modules: canonical JSON, times, base64, fingerprints."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from app.store.canonical import canonical_json

__all__ = ["b64d", "b64e", "canonical_json", "fingerprint", "parse_time", "time_text"]


def b64e(data: bytes) -> str:
    """Standard base64 text of `data`."""
    return base64.b64encode(data).decode("ascii")


def b64d(text: Any, what: str) -> bytes:
    """Decode strict base64; `ValueError` naming `what` otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"{what} is not base64 text")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError(f"{what} is not valid base64") from None


def fingerprint(public: bytes | str) -> str:
    """A key's fingerprint: first 20 hex digits of SHA-256 of its public form, by fours."""
    data = public.encode("utf-8") if isinstance(public, str) else public
    digest = hashlib.sha256(data).hexdigest()[:20]
    return "-".join(digest[i : i + 4] for i in range(0, 20, 4))


def time_text(value: datetime | None) -> str | None:
    """ISO 8601 UTC with microseconds and `Z` (the store's `iso`)."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def parse_time(value: Any, what: str, *, optional: bool = False) -> datetime | None:
    """Parse `time_text` output back to an aware UTC datetime; `ValueError` otherwise."""
    if value is None and optional:
        return None
    if not isinstance(value, str) or not _TIME.match(value):
        raise ValueError(f"{what} is not a UTC time")
    try:
        parsed = datetime.fromisoformat(value[:-1])
    except ValueError:
        raise ValueError(f"{what} is not a UTC time") from None
    return parsed.replace(tzinfo=UTC)
