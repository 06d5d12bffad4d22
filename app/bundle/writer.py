"""Write a bundle file: stream parts through age into a temporary file, sign, rename, verify.

The caller gives the header and an iterator of parts (`JsonPart`,
`AttachmentPart`); nothing is held in memory beyond one part (attachments:
one chunk). The file appears under its final name only when complete and
durable (temp name → fsync → rename → fsync folder), and `write_bundle`
returns only after reading it back and checking structure, ciphertext hash
and signature.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage

from app.bundle import format as fmt
from app.bundle.errors import BundleRejected, BundleWriteError, FolderWriteError
from app.bundle.keys import LocalKeys, parse_recipient, sign, verify
from app.store.fileio import fsync_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JsonPart:
    """Records of one type (one JSON object each)."""

    type: str
    records: list[dict[str, Any]]


@dataclass(frozen=True)
class AttachmentPart:
    """One attachment, streamed from `chunks` (must total `size` bytes hashing to `sha256`)."""

    sha256: str
    size: int
    media_type: str
    chunks: Iterable[bytes]


Part = JsonPart | AttachmentPart


@dataclass(frozen=True)
class WrittenBundle:
    """A bundle file on disk, verified."""

    path: Path
    sha256: str
    size: int
    header: fmt.Header


class _Plaintext(io.RawIOBase):
    """The plaintext payload as a readable stream, generated part by part."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._buffer))
        buffer[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


class _HashingWriter(io.RawIOBase):
    def __init__(self, handle: Any) -> None:
        self._handle = handle
        self.sha256 = hashlib.sha256()
        self.length = 0
        self.failure: OSError | None = None  # pyrage reports it as its own error type

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        try:
            self._handle.write(chunk)
        except OSError as error:
            self.failure = error
            raise
        self.sha256.update(chunk)
        self.length += len(chunk)
        return len(chunk)


def _payload(
    parts: Iterable[Part],
    counts: dict[str, int],
    compress: bool,
    progress: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    yield fmt.PAYLOAD_MAGIC
    manifest: list[list[Any]] = []
    n = 0
    for part in parts:
        if isinstance(part, JsonPart):
            if not part.records and part.type != "bundle":
                continue
            body, raw = fmt.encode_records(part.records, compress=compress)
            header = fmt.PartHeader(
                n=n,
                type=part.type,
                size=len(body),
                sha256=hashlib.sha256(raw).hexdigest(),
                encoding="jsonl+zlib" if compress else "jsonl",
                count=len(part.records),
                raw_size=len(raw),
            )
            yield fmt.encode_part_header(header)
            yield body
            if part.type != "bundle":
                counts[part.type] = counts.get(part.type, 0) + len(part.records)
        else:
            header = fmt.PartHeader(
                n=n,
                type="attachment",
                size=part.size,
                sha256=part.sha256,
                encoding="raw",
                count=1,
                raw_size=part.size,
                media_type=part.media_type,
            )
            yield fmt.encode_part_header(header)
            digest = hashlib.sha256()
            written = 0
            for chunk in part.chunks:
                digest.update(chunk)
                written += len(chunk)
                yield chunk
                if progress is not None:
                    progress(len(chunk))
            if written != part.size or digest.hexdigest() != part.sha256:
                raise BundleWriteError("An attachment changed while it was being written.")
            counts["attachments"] = counts.get("attachments", 0) + 1
            counts["attachment_bytes"] = counts.get("attachment_bytes", 0) + part.size
        manifest.append([header.n, header.type, header.size, header.sha256])
        n += 1
    end_records = [{"parts": manifest, "counts": {k: v for k, v in counts.items() if v}}]
    body, raw = fmt.encode_records(end_records, compress=False)
    end = fmt.PartHeader(
        n=n,
        type="end",
        size=len(body),
        sha256=hashlib.sha256(raw).hexdigest(),
        encoding="jsonl",
        count=1,
        raw_size=len(raw),
    )
    yield fmt.encode_part_header(end)
    yield body


def write_bundle(
    *,
    folder: Path,
    file_name: str,
    header: fmt.Header,
    parts: Iterable[Part],
    keys: LocalKeys,
    recipients: list[str],
    compress: bool = True,
    progress: Callable[[int, int], None] | None = None,
    create_folder: bool = True,
) -> WrittenBundle:
    """Write, rename into place and verify one bundle; returns its path and SHA-256.

    `header.counts` must equal what `parts` hold (checked: a mismatch is a bug
    and nothing is left behind). An existing file of the same name is never
    overwritten. `progress(done, total)` follows the attachment bytes written
    (gigabytes of audio take a while; the records are quick). `folder` is made if
    missing, unless `create_folder` is False (folder sync: a folder gone is a stick
    pulled out).
    """
    if not file_name.endswith(fmt.BUNDLE_SUFFIX) or "/" in file_name or "\\" in file_name:
        raise BundleWriteError(f"Invalid bundle file name {file_name!r}.")
    if header.signing_key != keys.public or header.source_device_id != keys.device_id:
        raise BundleWriteError("The header does not name this laptop's key.")
    final = folder / file_name
    tmp = folder / f".{file_name}.partial"
    try:
        if create_folder:
            folder.mkdir(parents=True, exist_ok=True)
        elif not folder.is_dir():
            # A USB stick pulled out: its folder must not be made again on the laptop's
            # own disk, where a bundle "written to the stick" would never travel.
            raise FileNotFoundError(
                errno.ENOENT, "the folder is not there (was the USB stick removed?)"
            )
    except OSError as error:
        raise FolderWriteError(folder, error) from error
    if final.exists():
        raise BundleWriteError(f"{final} already exists.")
    age_recipients = [parse_recipient(r) for r in recipients]
    header_bytes = header.encode()
    prefix = fmt.PREFIX.pack(fmt.MAGIC, fmt.FORMAT_VERSION, len(header_bytes)) + header_bytes
    counts: dict[str, int] = {}
    try:
        with open(tmp, "wb") as handle:
            handle.write(prefix)
            sink = _HashingWriter(handle)
            total = header.counts.get("attachment_bytes", 0)
            done = [0]

            def advanced(size: int) -> None:
                done[0] += size
                assert progress is not None
                progress(done[0], total)

            source = _Plaintext(
                _payload(parts, counts, compress, advanced if progress is not None else None)
            )
            try:
                pyrage.encrypt_io(source, sink, age_recipients)
            except BundleWriteError:
                raise
            except Exception as error:  # pyrage raises its own types and OSError
                if sink.failure is not None:  # the folder refused the bytes (a full stick)
                    raise sink.failure from None
                raise BundleWriteError(f"Encrypting the bundle failed: {error}") from error
            declared = {k: v for k, v in header.counts.items() if v}
            if counts != declared:
                raise BundleWriteError(
                    f"Internal error: header counts {declared} differ from parts {counts}."
                )
            payload_sha = sink.sha256.digest()
            message = fmt.signature_message(
                hashlib.sha256(prefix).digest(), sink.length, payload_sha
            )
            handle.write(
                fmt.TRAILER.pack(
                    fmt.TRAILER_MAGIC, sink.length, payload_sha, sign(keys.signing, message)
                )
            )
            handle.flush()
            os.fsync(handle.fileno())
        if final.exists():
            raise BundleWriteError(f"{final} already exists.")
        os.replace(tmp, final)
        fsync_dir(folder)
    except BaseException as error:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if isinstance(error, OSError):  # full, write-protected, pulled out
            raise FolderWriteError(folder, error) from error
        raise
    written = verify_written(final, expected_payload_sha=payload_sha)
    log.info("wrote bundle %s (%d bytes)", final.name, written.size)
    return written


def verify_written(path: Path, *, expected_payload_sha: bytes | None = None) -> WrittenBundle:
    """Re-read a bundle: structure, ciphertext hash and signature by its own header key."""
    try:
        envelope = fmt.read_envelope(path)
        file_sha, payload_sha = fmt.hash_file(envelope)
    except BundleRejected as error:
        raise BundleWriteError(f"The bundle written to {path} does not verify: {error}") from None
    if payload_sha != envelope.payload_sha256 or (
        expected_payload_sha is not None and payload_sha != expected_payload_sha
    ):
        raise BundleWriteError(f"The bundle written to {path} is damaged (payload hash).")
    message = fmt.signature_message(envelope.prefix_sha256, envelope.payload_length, payload_sha)
    if not verify(envelope.header.signing_key, envelope.signature, message):
        raise BundleWriteError(f"The bundle written to {path} does not verify (signature).")
    return WrittenBundle(path=path, sha256=file_sha, size=envelope.size, header=envelope.header)
