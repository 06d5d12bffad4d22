"""The one canonical JSON form used for every hash in the store.

A submission document hashes to the same value on any machine, whatever the
key order of the dict it came from: keys sorted, no whitespace, UTF-8, no
ASCII escaping. NaN and infinities are rejected (they are not JSON).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson


def canonical_json(doc: Any) -> bytes:
    """Serialise `doc` to canonical JSON bytes.

    Raises `ValueError` for NaN/Infinity and `TypeError` for values that are
    not JSON (sets, bytes, datetimes: the caller converts those first).
    """
    return json.dumps(
        doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def canonical_text(doc: Any) -> str:
    """`canonical_json` as a `str`, for storing in a TEXT column."""
    return canonical_json(doc).decode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def content_hash(doc: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of `doc`."""
    return sha256_hex(canonical_json(doc))


def canonical_matching(doc: Any, digest: str) -> tuple[bytes, bool]:
    """`canonical_json(doc)` and whether its SHA-256 is `digest`, fast when it is.

    orjson writes the same bytes several times faster for almost every document;
    when its bytes hash to `digest` they are the canonical bytes (the hash says
    so). Otherwise (a float or a huge integer it writes differently, NaN) the
    standard encoder decides. Raises like `canonical_json`.
    """
    try:
        fast = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        fast = None
    if fast is not None and hashlib.sha256(fast).hexdigest() == digest:
        return fast, True
    data = canonical_json(doc)
    return data, sha256_hex(data) == digest


# A run of 19 digits may be an integer past 64 bits, which orjson reads as a float. Runs
# are found by mapping every digit to "0" and everything else to " " (a regular
# expression took six times as long as parsing).
_DIGITS_ONLY = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_LONG_RUN = b"0" * 19


def parse_json(data: bytes | str) -> Any:
    """`json.loads(data)`, several times faster for almost every record.

    orjson reads the same values as the standard parser for every text both
    accept; what it refuses (NaN, 1e400, a lone surrogate, nesting past 1,024)
    and text where it could differ (integers past 64 bits, which it reads as
    floats) go to the standard parser, so what is accepted and what it means
    never depend on the fast path. Raises `ValueError` (bad JSON, bad UTF-8)
    or `RecursionError`.
    """
    raw = data
    if isinstance(raw, str):
        try:
            raw = raw.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate
            return json.loads(data)
    if _LONG_RUN not in raw.translate(_DIGITS_ONLY):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data if isinstance(data, str) else data.decode("utf-8"))
