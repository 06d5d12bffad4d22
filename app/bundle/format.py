"""The bundle file format, version 1 (docs/bundle-format.md): envelope, header, parts.

This module knows bytes, lengths, limits and schemas, nothing about
databases. Reading is defensive: every length is checked against a limit
before anything is read or allocated, every header field against its type,
and every failure is a `BundleRejected` whose message says what is wrong.
The payload parser is *push*-style (`PayloadParser.write`) because age
decryption (`pyrage.decrypt_io`) pushes plaintext into a writer as it goes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from app.bundle.canon import b64d, canonical_json, fingerprint
from app.bundle.errors import BundleRejected, Refusal, changed_while_reading
from app.store.canonical import parse_json

FORMAT_NAME = "samluat-bundle"
FORMAT_VERSION = 1
MAGIC = b"SAMLUATB"
PREFIX = struct.Struct(">8sHI")  # magic, version, header length
TRAILER_MAGIC = b"SAMLSIG1"
TRAILER = struct.Struct(">8sQ32s64s")  # magic, payload length, payload sha256, signature
SIGNATURE_DOMAIN = b"samluat-bundle-signature-v1\n"
PAYLOAD_MAGIC = b"SAMLUAT-PAYLOAD-1\n"
PART_LENGTH = struct.Struct(">I")
AGE_MAGIC = b"age-encryption.org/v1\n"
BUNDLE_SUFFIX = ".samluat"

KIND_FIELD = "field"
KIND_COORDINATOR = "coordinator"
TARGET_COORDINATOR = "coordinator"

# Part types in the order they must appear (docs/bundle-format.md).
PART_ORDER = (
    "bundle",
    "devices",
    "users",
    "studies",
    "form_versions",
    "assignments",
    "submissions",
    "revisions",
    "attachment",
    "revision_attachments",
    "events",
    "reviews",
    "acks",
    "recipients",
    "end",
)
PART_RANK = {name: rank for rank, name in enumerate(PART_ORDER)}
JSON_ENCODINGS = ("jsonl", "jsonl+zlib")
COUNT_KEYS = (
    "devices",
    "users",
    "studies",
    "form_versions",
    "assignments",
    "submissions",
    "revisions",
    "attachments",
    "attachment_bytes",
    "revision_attachments",
    "events",
    "reviews",
    "acks",
    "recipients",
)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def is_sha256(text: str) -> bool:
    """Whether `text` is a SHA-256 as bundles write it (64 lower-case hex digits)."""
    return bool(_HEX64.match(text))


_ID = re.compile(r"^[\w:.\-]{1,128}$")


@dataclass(frozen=True)
class Limits:
    """Hard limits checked before reading (tests lower them to build bombs cheaply)."""

    max_file: int = 64 * 1024**3
    max_header: int = 64 * 1024
    max_part_header: int = 16 * 1024
    max_json_part: int = 16 * 1024**2
    max_records_per_part: int = 50_000
    max_parts: int = 2_000_000
    max_ratio: int = 1_000
    max_count: int = 50_000_000


DEFAULT_LIMITS = Limits()


def reject(message: str, reason: Refusal = Refusal.DAMAGED) -> BundleRejected:
    """A `BundleRejected` (a helper so that call sites read `raise reject(...)`)."""
    return BundleRejected(message, reason)


# -- header ------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    """The signed, clear header of a bundle."""

    bundle_id: str
    kind: str
    created_at: str
    source_device_id: str
    source_name: str
    signing_key: bytes
    target: str
    sequence: int
    covers_since: int
    recipients: tuple[str, ...]
    counts: dict[str, int]
    app_version: str

    @property
    def signer_fingerprint(self) -> str:
        return fingerprint(self.signing_key)

    def to_json(self) -> dict[str, Any]:
        from app.bundle.canon import b64e

        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "bundle_id": self.bundle_id,
            "kind": self.kind,
            "created_at": self.created_at,
            "source": {
                "device_id": self.source_device_id,
                "name": self.source_name,
                "signing_key": b64e(self.signing_key),
                "fingerprint": self.signer_fingerprint,
            },
            "target": self.target,
            "sequence": self.sequence,
            "covers_since": self.covers_since,
            "recipients": list(self.recipients),
            "counts": dict(self.counts),
            "app_version": self.app_version,
        }

    def encode(self) -> bytes:
        return canonical_json(self.to_json())


def _want(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in obj:
        raise reject(f"{where}: '{key}' is missing")
    value = obj[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise reject(f"{where}: '{key}' has the wrong type")
    return value


def _exact_keys(obj: dict[str, Any], keys: set[str], where: str) -> None:
    extra = set(obj) - keys
    if extra:
        raise reject(f"{where}: unknown field(s) {', '.join(sorted(extra))}")


def parse_header(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Header:
    """Parse and check the header JSON; `BundleRejected` naming the bad field."""
    where = "bundle header"
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise reject(f"{where}: malformed JSON") from None
    if not isinstance(obj, dict):
        raise reject(f"{where}: not a JSON object")
    _exact_keys(
        obj,
        {
            "format",
            "version",
            "bundle_id",
            "kind",
            "created_at",
            "source",
            "target",
            "sequence",
            "covers_since",
            "recipients",
            "counts",
            "app_version",
        },
        where,
    )
    if obj.get("format") != FORMAT_NAME:
        raise reject(f"{where}: not a Samluat bundle")
    if obj.get("version") != FORMAT_VERSION:
        raise reject(
            f"{where}: format version {obj.get('version')!r} is not supported",
            Refusal.NEWER_FORMAT,
        )
    bundle_id = _want(obj, "bundle_id", str, where)
    if not _ID.match(bundle_id):
        raise reject(f"{where}: 'bundle_id' is invalid")
    kind = _want(obj, "kind", str, where)
    if kind not in (KIND_FIELD, KIND_COORDINATOR):
        raise reject(f"{where}: unknown kind {kind[:40]!r}")
    created_at = _want(obj, "created_at", str, where)
    source = _want(obj, "source", dict, where)
    _exact_keys(source, {"device_id", "name", "signing_key", "fingerprint"}, f"{where} source")
    device_id = _want(source, "device_id", str, f"{where} source")
    if not _ID.match(device_id):
        raise reject(f"{where}: source 'device_id' is invalid")
    name = _want(source, "name", str, f"{where} source")
    try:
        signing_key = b64d(source.get("signing_key"), "signing_key")
    except ValueError as error:
        raise reject(f"{where}: source {error}") from None
    if len(signing_key) != 32:
        raise reject(f"{where}: source signing key has the wrong length")
    if source.get("fingerprint") != fingerprint(signing_key):
        raise reject(f"{where}: source fingerprint does not match the signing key")
    target = _want(obj, "target", str, where)
    if not _ID.match(target):
        raise reject(f"{where}: 'target' is invalid")
    sequence = _want(obj, "sequence", int, where)
    covers_since = _want(obj, "covers_since", int, where)
    if not 1 <= sequence <= 10**9 or not 1 <= covers_since <= sequence:
        raise reject(f"{where}: sequence numbers are out of range")
    recipients = _want(obj, "recipients", list, where)
    if not 1 <= len(recipients) <= 16 or not all(isinstance(r, str) for r in recipients):
        raise reject(f"{where}: 'recipients' is invalid")
    counts = _want(obj, "counts", dict, where)
    _exact_keys(counts, set(COUNT_KEYS), f"{where} counts")
    for key, value in counts.items():
        # Attachment bytes are bytes (gigabytes of audio), every other count is records.
        most = limits.max_file if key == "attachment_bytes" else limits.max_count
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= most:
            raise reject(f"{where}: count '{key}' is absurd ({str(value)[:20]})")
    app_version = _want(obj, "app_version", str, where)
    return Header(
        bundle_id=bundle_id,
        kind=kind,
        created_at=created_at,
        source_device_id=device_id,
        source_name=name[:200],
        signing_key=signing_key,
        target=target,
        sequence=sequence,
        covers_since=covers_since,
        recipients=tuple(recipients),
        counts={k: int(v) for k, v in counts.items()},
        app_version=app_version[:40],
    )


# -- envelope ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Envelope:
    """Where things are in a bundle file, from its first and last bytes."""

    path: Path
    size: int
    header: Header
    prefix_sha256: bytes
    payload_offset: int
    payload_length: int
    payload_sha256: bytes  # as claimed by the trailer
    signature: bytes


def _open_regular(path: Path) -> BinaryIO:
    """`path` opened for reading; a folder, pipe or device is refused, not read (reading
    a pipe named like a bundle would wait for ever)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise reject(
                "this is not a file but a folder, a pipe or a device", Refusal.NOT_A_BUNDLE
            )
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_envelope(path: Path, limits: Limits = DEFAULT_LIMITS) -> Envelope:
    """Check size and structure of a bundle file and parse its header and trailer."""
    try:
        with _open_regular(path) as handle:
            size = handle.seek(0, 2)
            if size < PREFIX.size + TRAILER.size + len(AGE_MAGIC):
                raise reject("the file is too short to be a bundle (truncated?)", Refusal.TRUNCATED)
            if size > limits.max_file:
                raise reject(f"the file is absurdly large ({size} bytes)")
            handle.seek(0)
            magic, version, header_length = PREFIX.unpack(handle.read(PREFIX.size))
            if magic != MAGIC:
                raise reject(
                    "this is not a Samluat bundle (wrong magic bytes)", Refusal.NOT_A_BUNDLE
                )
            if version != FORMAT_VERSION:
                raise reject(
                    f"bundle format version {version} is not supported", Refusal.NEWER_FORMAT
                )
            if not 1 <= header_length <= limits.max_header:
                raise reject(f"the header length ({header_length}) is absurd")
            payload_offset = PREFIX.size + header_length
            if payload_offset + TRAILER.size + len(AGE_MAGIC) > size:
                raise reject(
                    "the file is truncated (the header runs past its end)", Refusal.TRUNCATED
                )
            header_bytes = handle.read(header_length)
            prefix = PREFIX.pack(magic, version, header_length) + header_bytes
            handle.seek(size - TRAILER.size)
            trailer_magic, payload_length, payload_sha, signature = TRAILER.unpack(
                handle.read(TRAILER.size)
            )
            if trailer_magic != TRAILER_MAGIC:
                raise reject(
                    "the file is truncated or damaged (no signature trailer)", Refusal.TRUNCATED
                )
            if payload_length != size - payload_offset - TRAILER.size:
                raise reject(
                    "the file is truncated or damaged (payload length mismatch)",
                    Refusal.TRUNCATED,
                )
            handle.seek(payload_offset)
            if handle.read(len(AGE_MAGIC)) != AGE_MAGIC:
                raise reject("the encrypted payload is not in age format")
    except OSError as error:
        raise reject(
            f"the file cannot be read: {error.strerror or error}", Refusal.UNREADABLE
        ) from None
    header = parse_header(header_bytes, limits)
    return Envelope(
        path=path,
        size=size,
        header=header,
        prefix_sha256=hashlib.sha256(prefix).digest(),
        payload_offset=payload_offset,
        payload_length=payload_length,
        payload_sha256=payload_sha,
        signature=signature,
    )


def signature_message(prefix_sha256: bytes, payload_length: int, payload_sha256: bytes) -> bytes:
    """The 100 bytes the source device signs."""
    return SIGNATURE_DOMAIN + prefix_sha256 + struct.pack(">Q", payload_length) + payload_sha256


READ_CHUNK = 1024 * 1024


def hash_file(envelope: Envelope) -> tuple[str, bytes]:
    """(SHA-256 hex of the whole file, SHA-256 of the payload), in one streaming pass."""
    whole = hashlib.sha256()
    payload = hashlib.sha256()
    end = envelope.payload_offset + envelope.payload_length
    position = 0
    with open(envelope.path, "rb") as handle:
        while True:
            chunk = handle.read(READ_CHUNK)
            if not chunk:
                break
            whole.update(chunk)
            lo = max(envelope.payload_offset - position, 0)
            hi = min(end - position, len(chunk))
            if lo < hi:
                payload.update(chunk[lo:hi])
            position += len(chunk)
    if position != envelope.size:
        raise changed_while_reading()
    return whole.hexdigest(), payload.digest()


class PayloadReader:
    """A file-like view of the payload bytes that hashes what it reads (for decrypt_io)."""

    def __init__(self, handle: BinaryIO, offset: int, length: int) -> None:
        self._handle = handle
        handle.seek(offset)
        self._left = length
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > self._left:
            size = self._left
        data = self._handle.read(size)
        self._left -= len(data)
        self.sha256.update(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True


# -- parts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartHeader:
    """A part's declared type, size, hash and record count."""

    n: int
    type: str
    size: int
    sha256: str
    encoding: str
    count: int
    raw_size: int
    media_type: str = "application/octet-stream"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "n": self.n,
            "type": self.type,
            "size": self.size,
            "sha256": self.sha256,
            "encoding": self.encoding,
            "count": self.count,
            "raw_size": self.raw_size,
        }
        if self.type == "attachment":
            out["media_type"] = self.media_type
        return out


def encode_part_header(header: PartHeader) -> bytes:
    """Length prefix and canonical JSON of a part header."""
    data = canonical_json(header.to_json())
    return PART_LENGTH.pack(len(data)) + data


def parse_part_header(data: bytes, expected_n: int, limits: Limits) -> PartHeader:
    """Check a part header; `BundleRejected` naming the part and the problem."""
    where = f"part {expected_n}"
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise reject(f"{where}: malformed part header JSON") from None
    if not isinstance(obj, dict):
        raise reject(f"{where}: the part header is not an object")
    _exact_keys(
        obj, {"n", "type", "size", "sha256", "encoding", "count", "raw_size", "media_type"}, where
    )
    n = _want(obj, "n", int, where)
    if n != expected_n:
        raise reject(f"{where}: parts are out of order (found part {n})")
    kind = _want(obj, "type", str, where)
    if kind not in PART_RANK:
        raise reject(f"{where}: unknown part type {kind[:40]!r}")
    size = _want(obj, "size", int, where)
    sha = _want(obj, "sha256", str, where)
    if not _HEX64.match(sha):
        raise reject(f"{where}: invalid sha256")
    encoding = _want(obj, "encoding", str, where)
    count = _want(obj, "count", int, where)
    raw_size = _want(obj, "raw_size", int, where)
    media_type = obj.get("media_type", "application/octet-stream")
    if not isinstance(media_type, str) or len(media_type) > 200:
        raise reject(f"{where}: invalid media type")
    if size < 0 or raw_size < 0 or count < 0:
        raise reject(f"{where}: negative size or count")
    if kind == "attachment":
        if encoding != "raw" or raw_size != size or count != 1:
            raise reject(f"{where}: an attachment part must be raw, one file")
    else:
        if encoding not in JSON_ENCODINGS:
            raise reject(f"{where}: unknown encoding {encoding[:20]!r}")
        if size > limits.max_json_part or raw_size > limits.max_json_part:
            raise reject(f"{where}: absurd part size ({max(size, raw_size)} bytes)")
        if count > limits.max_records_per_part:
            raise reject(f"{where}: absurd record count ({count})")
        if encoding == "jsonl" and raw_size != size:
            raise reject(f"{where}: size and raw size differ for plain JSON")
        if encoding == "jsonl+zlib" and raw_size > max(size, 1) * limits.max_ratio:
            raise reject(
                f"{where}: compression ratio {raw_size // max(size, 1)}:1 is too high "
                "(decompression bomb?)"
            )
    return PartHeader(
        n=n,
        type=kind,
        size=size,
        sha256=sha,
        encoding=encoding,
        count=count,
        raw_size=raw_size,
        media_type=media_type,
    )


def encode_records(records: list[dict[str, Any]], *, compress: bool = True) -> tuple[bytes, bytes]:
    """(stored body, decoded JSON lines) of a list of records."""
    raw = b"".join(canonical_json(r) + b"\n" for r in records)
    if compress:
        return zlib.compress(raw, 3), raw
    return raw, raw


def decode_records(header: PartHeader, body: bytes) -> list[dict[str, Any]]:
    """Decode, hash-check and parse a JSON part body; `BundleRejected` naming the part."""
    where = f"part {header.n} ({header.type})"
    if header.encoding == "jsonl+zlib":
        inflater = zlib.decompressobj()
        try:
            raw = inflater.decompress(body, header.raw_size + 1)
        except zlib.error:
            raise reject(f"{where}: the compressed data is damaged") from None
        if len(raw) > header.raw_size or inflater.unconsumed_tail:
            raise reject(f"{where}: decompresses to more than its declared size (bomb?)")
        if not inflater.eof or inflater.unused_data:
            raise reject(f"{where}: the compressed data is truncated or has trailing bytes")
    else:
        raw = body
    if len(raw) != header.raw_size:
        raise reject(f"{where}: decoded size differs from the declared size")
    if hashlib.sha256(raw).hexdigest() != header.sha256:
        raise reject(f"{where}: SHA-256 does not match (damaged or tampered)")
    if raw and not raw.endswith(b"\n"):
        raise reject(f"{where}: malformed JSON lines")
    lines = raw.split(b"\n")[:-1] if raw else []
    if len(lines) != header.count:
        raise reject(f"{where}: has {len(lines)} records, declares {header.count}")
    records: list[dict[str, Any]] = []
    for index, line in enumerate(lines):
        try:
            record = parse_json(line)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise reject(f"{where}: record {index + 1} is malformed JSON") from None
        if not isinstance(record, dict):
            raise reject(f"{where}: record {index + 1} is not a JSON object")
        records.append(record)
    return records


class PartHandler(Protocol):
    """What the payload parser calls, part by part."""

    def json_part(self, header: PartHeader, records: list[dict[str, Any]]) -> None: ...

    def attachment_start(self, header: PartHeader) -> None: ...

    def attachment_chunk(self, data: bytes) -> None: ...

    def attachment_end(self, header: PartHeader) -> None: ...


@dataclass
class _State:
    phase: str = "magic"  # magic, length, header, body, done
    need: int = len(PAYLOAD_MAGIC)
    part: PartHeader | None = None
    n: int = 0
    rank: int = -1
    buffer: bytearray = field(default_factory=bytearray)
    attachment_hash: Any = None
    manifest: list[list[Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


class PayloadParser:
    """Push parser for the decrypted payload; call `write` with bytes, then `close`.

    Checks part order, sizes against what is left of the payload, every part
    hash, and the closing manifest; hands JSON parts (decoded) and attachment
    bytes (streamed) to `handler`. `end_record` is called with the manifest.
    """

    def __init__(
        self,
        handler: PartHandler,
        *,
        payload_length: int,
        limits: Limits = DEFAULT_LIMITS,
        on_end: Callable[[dict[str, Any], dict[str, int]], None] | None = None,
        transcript_budget: int = 0,
    ) -> None:
        self._handler = handler
        # With a budget: every part in order, JSON parts with their stored bodies, for
        # `replay` (None once the bodies pass the budget).
        self.transcript: list[tuple[PartHeader, bytes | None]] | None = (
            [] if transcript_budget > 0 else None
        )
        self._budget = transcript_budget
        self._limits = limits
        self._left = payload_length  # plaintext is never longer than the ciphertext
        self._on_end = on_end
        self._s = _State()
        self.plain_bytes = 0
        self._pos = 0  # bytes parsed so far
        # The exception our own code raised while pyrage was feeding us: pyrage may
        # re-raise it wrapped, and the importer must not blame the bundle for, say,
        # a full disk.
        self.failure: BaseException | None = None

    # file-like for pyrage.decrypt_io
    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        return None

    def write(self, data: Any) -> int:
        if self.failure is not None:
            # pyrage may write again after a failed write: nothing more is parsed.
            raise self.failure
        try:
            return self._write(data)
        except BaseException as error:
            self.failure = error
            raise

    def _write(self, data: Any) -> int:
        view = memoryview(bytes(data))
        total = len(view)
        self.plain_bytes += total
        if self.plain_bytes > self._left:
            raise reject("the payload is longer than the bundle (damaged)")
        while view:
            view = self._step(view)
        return total

    def _step(self, view: memoryview) -> memoryview:
        s = self._s
        if s.phase == "done":
            raise reject("data follows the end of the bundle")
        if s.phase == "body" and s.part is not None and s.part.type == "attachment":
            take = min(s.need, len(view))
            self._pos += take
            chunk = bytes(view[:take])
            s.attachment_hash.update(chunk)
            self._handler.attachment_chunk(chunk)
            s.need -= take
            if s.need == 0:
                self._finish_attachment()
            return view[take:]
        take = min(s.need - len(s.buffer), len(view))
        self._pos += take
        s.buffer += view[:take]
        if len(s.buffer) == s.need:
            data = bytes(s.buffer)
            s.buffer = bytearray()
            self._complete(data)
        return view[take:]

    def _complete(self, data: bytes) -> None:
        s = self._s
        if s.phase == "magic":
            if data != PAYLOAD_MAGIC:
                raise reject("the decrypted payload is not a Samluat payload")
            s.phase, s.need = "length", PART_LENGTH.size
        elif s.phase == "length":
            (length,) = PART_LENGTH.unpack(data)
            if not 1 <= length <= self._limits.max_part_header:
                raise reject(f"part {s.n}: absurd part header length ({length})")
            s.phase, s.need = "header", length
        elif s.phase == "header":
            part = parse_part_header(data, s.n, self._limits)
            if s.n >= self._limits.max_parts:
                raise reject("absurd number of parts")
            rank = PART_RANK[part.type]
            if rank < s.rank or (part.type in ("bundle", "end") and rank == s.rank):
                raise reject(f"part {s.n}: '{part.type}' is out of order")
            if s.n == 0 and part.type != "bundle":
                raise reject("the payload does not start with its bundle part")
            if part.size > self._left - self._pos:
                raise reject(f"part {s.n}: declares {part.size} bytes, more than the bundle holds")
            s.rank = rank
            s.part = part
            if part.type == "attachment":
                self._record(part, None)
                s.attachment_hash = hashlib.sha256()
                self._handler.attachment_start(part)
                if part.size == 0:
                    s.need = 0
                    self._finish_attachment()
                    return
            s.phase, s.need = "body", part.size
            if part.size == 0 and part.type != "attachment":
                self._complete(b"")
        elif s.phase == "body":
            current = s.part
            assert current is not None
            records = decode_records(current, data)
            s.manifest.append([current.n, current.type, current.size, current.sha256])
            if current.type == "end":
                self._end(records)
                return
            s.counts[current.type] = s.counts.get(current.type, 0) + len(records)
            self._record(current, data)
            self._handler.json_part(current, records)
            self._next_part()

    def _record(self, part: PartHeader, body: bytes | None) -> None:
        if self.transcript is None:
            return
        self._budget -= len(body or b"")
        if self._budget < 0:
            self.transcript = None  # too much to keep: the payload is read again instead
        else:
            self.transcript.append((part, body))

    def _finish_attachment(self) -> None:
        s = self._s
        part = s.part
        assert part is not None
        if s.attachment_hash.hexdigest() != part.sha256:
            raise reject(
                f"part {part.n} (attachment): SHA-256 does not match (damaged or tampered)"
            )
        self._handler.attachment_end(part)
        s.manifest.append([part.n, part.type, part.size, part.sha256])
        s.counts["attachments"] = s.counts.get("attachments", 0) + 1
        s.counts["attachment_bytes"] = s.counts.get("attachment_bytes", 0) + part.size
        self._next_part()

    def _next_part(self) -> None:
        s = self._s
        s.n += 1
        s.part = None
        s.phase, s.need = "length", PART_LENGTH.size

    def _end(self, records: list[dict[str, Any]]) -> None:
        s = self._s
        if len(records) != 1:
            raise reject("the end part must hold exactly one manifest")
        manifest = records[0]
        if manifest.get("parts") != s.manifest[:-1]:
            raise reject("the manifest does not list the parts read (parts missing or altered)")
        s.phase = "done"
        if self._on_end is not None:
            self._on_end(manifest, dict(s.counts))

    def close(self) -> None:
        """Call after the last byte: the payload must have ended with its manifest."""
        if self._s.phase != "done":
            raise reject("the payload ends before its end part (truncated)")


def replay(transcript: list[tuple[PartHeader, bytes | None]], handler: PartHandler) -> None:
    """Hand a payload's parts to `handler` again, from a `PayloadParser` transcript.

    The payload was decrypted and every check of the parser passed for it;
    JSON bodies are decoded (and hash-checked) again, attachments are given
    by their part headers only (their bytes were handled in that first pass).
    """
    for part, body in transcript:
        if body is None:
            handler.attachment_start(part)
            handler.attachment_end(part)
        else:
            handler.json_part(part, decode_records(part, body))


def check_counts(header: Header, counts: dict[str, int], manifest: dict[str, Any]) -> None:
    """The header's counts, the manifest's and the records actually read must agree."""
    declared = {k: v for k, v in header.counts.items() if v}
    seen = {k: v for k, v in counts.items() if v and k in COUNT_KEYS}
    listed = manifest.get("counts")
    if not isinstance(listed, dict) or {k: v for k, v in listed.items() if v} != declared:
        raise reject("the manifest counts differ from the header counts")
    if seen != declared:
        raise reject("the records read differ from the counts in the header")
