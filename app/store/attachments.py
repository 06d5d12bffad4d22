"""Attachments (audio, photos, documents) addressed by the SHA-256 of their bytes.

Bytes are kept *inside* the database, in fixed-size chunks: they are then
encrypted by SQLCipher like everything else, covered by backups, integrity
checks and transactions, and need no home-made file encryption. Writing and
reading stream chunk by chunk; a file is never held whole in memory.

A write commits every `CHUNKS_PER_TRANSACTION` chunks (so a 500 MB recording
does not grow the WAL to 500 MB) into a blob marked incomplete; the final
transaction verifies the hash and publishes it as an `Attachment`. A crash
halfway leaves an incomplete blob, which `discard_incomplete_blobs` removes
at the next start. Storing the same bytes twice keeps one copy.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from sqlalchemy import Connection, CursorResult, delete, insert, update
from sqlmodel import Session, col, select

from app.store import errors
from app.store.db import Database
from app.store.tables import Attachment, AttachmentBlob, AttachmentChunk
from app.store.types import utcnow

log = logging.getLogger(__name__)

CHUNK_SIZE = 256 * 1024
CHUNKS_PER_TRANSACTION = 64


@dataclass(frozen=True)
class AttachmentInfo:
    sha256: str
    size: int
    media_type: str


def store_attachment(
    *, db: Database, stream: BinaryIO, media_type: str = "application/octet-stream"
) -> AttachmentInfo:
    """Copy `stream` into the store; returns its SHA-256 (the attachment's name)."""
    digest = hashlib.sha256()
    size = 0
    seq = 0
    with db.session(write=True) as session:
        blob_id = new_blob(session)
    try:
        done = False
        while not done:
            chunks = []
            for _ in range(CHUNKS_PER_TRANSACTION):
                chunk = stream.read(CHUNK_SIZE)
                if not chunk:
                    done = True
                    break
                digest.update(chunk)
                size += len(chunk)
                chunks.append(chunk)
            with db.session(write=True) as session:
                seq = add_chunks(session, blob_id, seq, chunks)
        sha = digest.hexdigest()
        with db.session(write=True) as session:
            existing = session.get(Attachment, sha)
            if existing is not None:
                delete_blob(session, blob_id)
                return AttachmentInfo(
                    sha256=sha, size=existing.size, media_type=existing.media_type
                )
            publish_blob(session, blob_id, AttachmentInfo(sha, size, media_type))
        log.info("attachment stored: %d bytes in %d chunks", size, seq)
        return AttachmentInfo(sha256=sha, size=size, media_type=media_type)
    except BaseException:
        try:
            with db.session(write=True) as session:
                delete_blob(session, blob_id)
        except errors.StoreError:
            log.warning("could not remove a partly written attachment; removed at next start")
        raise


# The steps of writing a blob, each inside the caller's transaction (a `Session`
# or a `Connection`): the store's own writes and a bundle import share them.


def new_blob(session: Session | Connection) -> int:
    """A new, incomplete blob; returns its id."""
    result = session.execute(insert(AttachmentBlob).values(complete=False, created_at=utcnow()))
    key = cast(CursorResult[Any], result).inserted_primary_key
    assert key is not None
    return int(key[0])


def add_chunks(session: Session | Connection, blob_id: int, seq: int, chunks: list[bytes]) -> int:
    """Append `chunks` to a blob from chunk number `seq`; returns the next number."""
    if chunks:
        session.execute(
            insert(AttachmentChunk),
            [{"blob_id": blob_id, "seq": seq + n, "data": data} for n, data in enumerate(chunks)],
        )
    return seq + len(chunks)


def publish_blob(session: Session | Connection, blob_id: int, info: AttachmentInfo) -> None:
    """Mark a fully written, verified blob complete and name it as attachment `info`.

    `StoreError` if the blob is no longer there as it was left (removed as
    incomplete by another program starting on the same database).
    """
    done = session.execute(
        update(AttachmentBlob)
        .where(col(AttachmentBlob.id) == blob_id, col(AttachmentBlob.complete).is_(False))
        .values(complete=True)
    )
    if cast(CursorResult[Any], done).rowcount != 1:
        raise errors.StoreError("An attachment being written was removed; write it again.")
    session.execute(
        insert(Attachment).values(
            sha256=info.sha256,
            size=info.size,
            media_type=info.media_type,
            blob_id=blob_id,
            created_at=utcnow(),
        )
    )


def delete_blob(session: Session | Connection, blob_id: int) -> None:
    session.execute(delete(AttachmentChunk).where(col(AttachmentChunk.blob_id) == blob_id))
    session.execute(delete(AttachmentBlob).where(col(AttachmentBlob.id) == blob_id))


def attachment_info(*, db: Database, sha256: str) -> AttachmentInfo:
    """Size and media type of a stored attachment; `NotFoundError` if unknown."""
    with db.session() as session:
        row = session.get(Attachment, sha256)
        if row is None:
            raise errors.NotFoundError("No such attachment.")
        return AttachmentInfo(sha256=row.sha256, size=row.size, media_type=row.media_type)


def iter_attachment(*, db: Database, sha256: str) -> Iterator[bytes]:
    """Yield an attachment's bytes chunk by chunk, verifying the SHA-256 at the end."""
    with db.session() as session:
        row = session.get(Attachment, sha256)
        if row is None:
            raise errors.NotFoundError("No such attachment.")
        blob_id = row.blob_id
    digest = hashlib.sha256()
    seq = 0
    while True:
        with db.session() as session:
            data = session.exec(
                select(AttachmentChunk.data).where(
                    AttachmentChunk.blob_id == blob_id, AttachmentChunk.seq == seq
                )
            ).first()
        if data is None:
            break
        digest.update(data)
        yield data
        seq += 1
    if digest.hexdigest() != sha256:
        raise errors.DatabaseCorruptError("A stored attachment does not match its SHA-256.")


def copy_attachment_to(*, db: Database, sha256: str, dest: BinaryIO) -> int:
    """Stream an attachment into `dest`; returns the number of bytes written."""
    written = 0
    for chunk in iter_attachment(db=db, sha256=sha256):
        dest.write(chunk)
        written += len(chunk)
    return written


def discard_incomplete_blobs(*, db: Database) -> int:
    """Remove blobs left by an interrupted `store_attachment`; returns how many."""
    with db.session(write=True) as session:
        ids = list(
            session.exec(select(AttachmentBlob.id).where(col(AttachmentBlob.complete).is_(False)))
        )
        for blob_id in ids:
            assert blob_id is not None
            delete_blob(session, blob_id)
    if ids:
        log.info("removed %d incomplete attachment blob(s)", len(ids))
    return len(ids)
