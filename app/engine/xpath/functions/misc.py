"""Identifiers, hashing, external data and metadata: uuid, digest, base64-decode,
pulldata, property, version, jr:itext."""

from __future__ import annotations

import base64
import binascii
import hashlib
import string as _string
import uuid as _uuid

from app.core.errors import XPathEvalError
from app.engine.xpath.functions._common import java_int
from app.engine.xpath.registry import Context, function
from app.engine.xpath.values import Value, to_number, to_string

_GUID_ALPHABET = _string.digits + _string.ascii_uppercase
_MAX_GUID_LENGTH = 10_000


@function("uuid", 0, 1, volatile=True)
def uuid(ctx: Context, length: Value = None) -> str:
    """uuid(): a random RFC 4122 version 4 UUID (from the environment's generator
    when it has one). uuid(n): n random characters from 0-9A-Z, as JavaRosa."""
    if length is None:
        return ctx.env.uuid() if ctx.env.uuid is not None else str(_uuid.uuid4())
    count = java_int(to_number(length))
    if count > _MAX_GUID_LENGTH:
        raise XPathEvalError(f"uuid(): a length of {count} is too long")
    rng = ctx.env.rng
    return "".join(rng.choice(_GUID_ALPHABET) for _ in range(max(count, 0)))


_DIGESTS = {
    "MD5": "md5",
    "SHA1": "sha1",
    "SHA256": "sha256",
    "SHA384": "sha384",
    "SHA512": "sha512",
}


@function("digest", 2, 3)
def digest(ctx: Context, data: Value, algorithm: Value, encoding: Value = None) -> str:
    """digest(data, 'MD5'|'SHA-1'|'SHA-256'|'SHA-384'|'SHA-512'[, 'base64'|'hex']):
    the hash of the UTF-8 bytes of `data`, base64 by default (names are
    case-insensitive and the dash optional, as JavaRosa)."""
    name = to_string(algorithm)
    hash_name = _DIGESTS.get(name.upper().replace("-", ""))
    if hash_name is None:
        raise XPathEvalError(
            f"digest(): unsupported algorithm {name!r} "
            "(use MD5, SHA-1, SHA-256, SHA-384 or SHA-512)"
        )
    form = "base64" if encoding is None else to_string(encoding).lower()
    if form not in ("base64", "hex"):
        raise XPathEvalError(
            f"digest(): unsupported encoding {to_string(encoding)!r} (use base64 or hex)"
        )
    raw = hashlib.new(hash_name, to_string(data).encode("utf-8")).digest()
    return raw.hex() if form == "hex" else base64.b64encode(raw).decode("ascii")


@function("base64-decode", 1)
def base64_decode(ctx: Context, value: Value) -> str:
    """The UTF-8 text encoded in base64 (whitespace ignored). Text that is not
    base64 gives '' and invalid UTF-8 sequences become U+FFFD, so that a wrong
    answer makes a constraint fail instead of stopping the form."""
    text = "".join(to_string(value).split())
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return ""
    return raw.decode("utf-8", errors="replace")


@function("pulldata", 4)
def pulldata(ctx: Context, instance: Value, column: Value, key_column: Value, key: Value) -> str:
    """pulldata('list', 'col', 'key_col', key): `col` of the first row of the
    secondary instance whose `key_col` equals `key` (as text); '' when the
    instance, the row or the column does not exist. Short for
    `instance('list')/root/item[key_col = key]/col`."""
    root = ctx.env.secondary.get(to_string(instance))
    if root is None:
        return ""
    wanted_column, match_column, wanted = to_string(column), to_string(key_column), to_string(key)
    for container in root.by_name.get("root", ()):
        for item in container.by_name.get("item", ()):
            cell = item.child(match_column)
            if cell is not None and cell.value == wanted:
                result = item.child(wanted_column)
                return result.value if result is not None else ""
    return ""


@function("property", 1)
def property_(ctx: Context, name: Value) -> str:
    """A device or user property (deviceid, username, email, phonenumber, …); '' if unset."""
    return ctx.env.properties.get(to_string(name), "")


@function("version")
def version(ctx: Context) -> str:
    """The form version: the `version` attribute of the primary instance's root
    element (as in the XForm), '' when the form has none."""
    return ctx.env.root.attrs.get("version", "")


@function("jr:itext", 1)
def itext(ctx: Context, identifier: Value) -> str:
    """jr:itext(id) returns the id itself.

    XForms look texts up in an <itext> table that pyxform generates for labels;
    a Samluat form has no such table (labels are resolved by the session from
    the XLSForm columns), so a form calling jr:itext() directly shows the id,
    which makes the problem visible rather than leaving a blank.
    """
    return to_string(identifier)
