"""Attachment files: stored on a worker thread, answered on the UI thread.

Streaming a long recording into the store is slow, but answering must stay on
the UI thread (the session is not thread-safe, and the user may be typing
elsewhere while a file copies): `Filling.store_file` runs on a worker and
`Filling.use_file` answers afterwards. This module holds the reading side.
"""

from __future__ import annotations

from app.fieldwork.filling import Filling, StoredFile

__all__ = ["StoredFile", "read_stored", "stored_size"]


def read_stored(filling: Filling, name: str, limit: int) -> bytes | None:
    """Worker thread: the stored bytes of `name`, or None when larger than `limit`."""
    if name not in filling.attachments:
        return None
    chunks: list[bytes] = []
    size = 0
    for chunk in filling.attachment_bytes(name):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def stored_size(filling: Filling, name: str) -> int | None:
    """Worker thread: the size of a stored attachment (streams it once)."""
    if name not in filling.attachments:
        return None
    return sum(len(chunk) for chunk in filling.attachment_bytes(name))
