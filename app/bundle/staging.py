"""A bundle's attachments written to the database before the bundle is applied.

A bundle's records are applied in one transaction; its attachments may be
gigabytes of audio. Writing them inside that transaction would hold the
database's only write lock (SQLite has one writer: the app's own saves and
reviews would wait) for as long as the audio takes to decrypt and write, and
grow the write-ahead log to the size of the audio. So an import first reads
the payload once for its attachments: each new one goes into an incomplete
blob, committed every `CHUNKS_PER_TRANSACTION` chunks, and the (compressed)
bodies of the record parts are kept in memory. The import proper then applies
those parts from memory, decoding and hash-checking each again, and within its
one transaction publishes each staged blob as the attachment it verified. So
the write lock is held only while records are applied, never while audio is
decrypted. (Record parts beyond `TRANSCRIPT_BUDGET` are not kept: the import
proper then decrypts the payload again, skipping the audio's bytes.)

Whatever the outcome, `discard` removes the staged blobs that were not
published, so a refused bundle leaves nothing behind; an import killed
midway leaves incomplete blobs, removed when a local store next opens and,
on a central store, by an import a day later (`discard_abandoned`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.bundle import format as fmt
from app.bundle.decrypt import decrypt_payload
from app.bundle.keys import AgeIdentity
from app.bundle.target import BundleTarget
from app.store.attachments import CHUNK_SIZE, CHUNKS_PER_TRANSACTION, add_chunks, new_blob
from app.store.tables import Attachment, AttachmentBlob, AttachmentChunk
from app.store.types import utcnow

log = logging.getLogger(__name__)

T_ATT = Attachment.__table__  # type: ignore[attr-defined]
T_BLOB = AttachmentBlob.__table__  # type: ignore[attr-defined]
T_CHUNK = AttachmentChunk.__table__  # type: ignore[attr-defined]

BATCH_BYTES = CHUNK_SIZE * CHUNKS_PER_TRANSACTION
ABANDONED_AFTER = timedelta(days=1)  # no import runs that long
DISCARD_BATCH = 500  # blob ids per statement (bound parameters are limited)
TRANSCRIPT_BUDGET = 256 * 1024**2  # stored record bodies kept between the passes, at most


class StagedAttachments:
    """Payload handler of the first pass: new attachments into incomplete blobs.

    Chunks wait in memory until `BATCH_BYTES` of them (from one recording or
    from many photos) are written in one transaction, so that neither a long
    recording nor a thousand small files costs a commit each. `blobs` maps each
    staged attachment's SHA-256 to its blob. `on_bytes` is called with the
    attachment bytes handled so far (and may raise to stop).
    """

    def __init__(self, target: BundleTarget, on_bytes: Callable[[int], None] | None) -> None:
        self.target = target
        self.blobs: dict[str, int] = {}
        # The payload's parts as read (see `fmt.replay`) and its manifest and counts, so
        # that applying it needs no second decryption; None if its records were too large.
        self.transcript: list[tuple[fmt.PartHeader, bytes | None]] | None = None
        self.end: dict[str, Any] = {}
        self._on_bytes = on_bytes
        self._done_bytes = 0
        self._seen: set[str] = set()
        self._current: str | None = None  # SHA-256 of the attachment being staged
        self._seq = 0
        self._buffer = bytearray()
        self._pending: list[tuple[str, int, bytes]] = []  # (SHA-256, chunk number, bytes)
        self._pending_bytes = 0

    def json_part(self, header: fmt.PartHeader, records: list[dict[str, Any]]) -> None:
        return None  # read by the second pass

    def attachment_start(self, header: fmt.PartHeader) -> None:
        self._current, self._seq, self._buffer = None, 0, bytearray()
        if header.sha256 in self._seen:
            return  # the same file twice in one bundle
        self._seen.add(header.sha256)
        with self.target.session() as session:
            stored = session.execute(
                select(T_ATT.c.sha256).where(T_ATT.c.sha256 == header.sha256)
            ).first()
        if stored is None:
            self._current = header.sha256

    def attachment_chunk(self, data: bytes) -> None:
        self._tick(len(data))
        if self._current is None:
            return
        self._buffer += data
        while len(self._buffer) >= CHUNK_SIZE:
            self._queue(bytes(self._buffer[:CHUNK_SIZE]))
            del self._buffer[:CHUNK_SIZE]

    def attachment_end(self, header: fmt.PartHeader) -> None:
        if self._current is not None and (self._buffer or self._seq == 0):
            self._queue(bytes(self._buffer))  # the last chunk (an empty file has one)
        self._current, self._buffer = None, bytearray()

    def _queue(self, chunk: bytes) -> None:
        assert self._current is not None
        self._pending.append((self._current, self._seq, chunk))
        self._seq += 1
        self._pending_bytes += len(chunk)
        if self._pending_bytes >= BATCH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Write the chunks waiting in memory, and their new blobs, in one transaction."""
        if not self._pending:
            return
        with self.target.session(write=True) as session:
            for sha256, seq, chunk in self._pending:
                blob = self.blobs.get(sha256)
                if blob is None:
                    blob = self.blobs[sha256] = new_blob(session)
                add_chunks(session, blob, seq, [chunk])
        self._pending, self._pending_bytes = [], 0

    def _tick(self, size: int) -> None:
        self._done_bytes += size
        if self._on_bytes is not None:
            self._on_bytes(self._done_bytes)

    def discard(self) -> None:
        """Remove the staged blobs that were not published (all of them if the import failed)."""
        ids = sorted(self.blobs.values())
        for start in range(0, len(ids), DISCARD_BATCH):
            batch = ids[start : start + DISCARD_BATCH]
            with self.target.session(write=True) as session:
                left = [
                    row.id
                    for row in session.execute(
                        select(T_BLOB.c.id).where(
                            T_BLOB.c.id.in_(batch), T_BLOB.c.complete.is_(False)
                        )
                    )
                ]
                if left:
                    session.execute(T_CHUNK.delete().where(T_CHUNK.c.blob_id.in_(left)))
                    session.execute(T_BLOB.delete().where(T_BLOB.c.id.in_(left)))
        self.blobs = {}


def stage_attachments(
    target: BundleTarget,
    envelope: fmt.Envelope,
    payload_sha: bytes,
    identities: Sequence[AgeIdentity],
    limits: fmt.Limits,
    on_bytes: Callable[[int], None] | None = None,
) -> StagedAttachments:
    """The first pass over a verified bundle's payload (see the module docstring).

    Raises as the import would for a damaged payload, having removed what it staged.
    """
    discard_abandoned(target)
    staged = StagedAttachments(target, on_bytes)
    parser = fmt.PayloadParser(
        staged,
        payload_length=envelope.payload_length,
        limits=limits,
        on_end=lambda manifest, counts: staged.end.update(manifest=manifest, counts=counts),
        transcript_budget=TRANSCRIPT_BUDGET,
    )
    try:
        decrypt_payload(envelope, identities, parser, payload_sha)
        staged.flush()
    except BaseException:
        discard_quietly(staged)
        raise
    staged.transcript = parser.transcript
    return staged


def discard_quietly(staged: StagedAttachments) -> None:
    """`discard`, on a path that is already failing: its own failure is only logged
    (the blobs left are incomplete, removed when the store next opens)."""
    try:
        staged.discard()
    except Exception:
        log.warning("could not remove the attachments staged by a failed import", exc_info=True)


def discard_abandoned(target: BundleTarget, older_than: timedelta = ABANDONED_AFTER) -> int:
    """Remove incomplete blobs older than `older_than`; returns how many.

    What an import killed midway left. A local store removes them when it
    opens; a central store, which several coordinators may be importing into
    at once, only once they are too old to belong to an import still running.
    """
    cutoff = utcnow() - older_than
    with target.session(write=True) as session:
        old = [
            row.id
            for row in session.execute(
                select(T_BLOB.c.id).where(
                    T_BLOB.c.complete.is_(False), T_BLOB.c.created_at < cutoff
                )
            )
        ]
        for start in range(0, len(old), DISCARD_BATCH):
            batch = old[start : start + DISCARD_BATCH]
            session.execute(T_CHUNK.delete().where(T_CHUNK.c.blob_id.in_(batch)))
            session.execute(T_BLOB.delete().where(T_BLOB.c.id.in_(batch)))
    if old:
        log.info("removed %d attachment(s) left incomplete by interrupted imports", len(old))
    return len(old)
