"""Attachment files: stored on a worker thread, answered on the UI thread.

`Filling.attach` both streams the file into the store and sets the answer.
The streaming is slow for long recordings, but setting the answer must stay
on the UI thread: the session is not thread-safe, and the user may be
typing elsewhere while a file copies. So the copy runs here on a worker
(the store is thread-safe), and `use_stored` answers afterwards on the UI
thread. The naming matches `Filling.attach` (content-addressed, suffix kept).
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path

from app.engine.instance import Node
from app.fieldwork.filling import Filling


@dataclass(frozen=True)
class StoredFile:
    name: str  # the answer text
    sha256: str
    size: int
    source: Path


def media_type_of(path: Path) -> str:
    guessed, _encoding = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def store_file(filling: Filling, path: Path) -> StoredFile:
    """Worker thread: stream `path` into the store."""
    with path.open("rb") as stream:
        info = filling.store.add_attachment(stream=stream, media_type=media_type_of(path))
    return StoredFile(f"{info.sha256[:20]}{path.suffix.lower()}", info.sha256, info.size, path)


def use_stored(filling: Filling, node: Node, stored: StoredFile) -> None:
    """UI thread: link the stored file to the draft and answer `node` with it."""
    filling.attachments[stored.name] = stored.sha256
    filling.session.set_value(node, stored.name)


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
