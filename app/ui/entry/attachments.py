"""Attachment files: stored on a worker thread, answered on the UI thread.

Streaming a long recording into the store is slow, but answering must stay on
the UI thread (the session is not thread-safe, and the user may be typing
elsewhere while a file copies): `Filling.store_file` runs on a worker and the
answer is given afterwards, here. Previews read stored files on a worker too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6

from app.core.i18n import _
from app.engine.instance import Node
from app.fieldwork.filling import Filling, StoredFile
from app.ui.entry.widgets.media import MediaWidget
from app.ui.entry.workers import run_async

if TYPE_CHECKING:
    from app.ui.entry.form_view import FormView

log = logging.getLogger(__name__)

__all__ = ["Attachments", "StoredFile", "read_stored", "stored_size"]


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


class Attachments:
    """A `FormView`'s files: attach from disk and load previews, both off the UI thread."""

    def __init__(self, view: FormView) -> None:
        self.view = view

    def attach(
        self, node: Node, path: str, on_stored: Callable[[StoredFile], None] | None = None
    ) -> None:
        """Copy `path` into the store on a worker, then answer `node` with it here."""
        view = self.view
        filling = view.filling

        def done(stored: StoredFile) -> None:
            # `Filling.use_file` does the same but would hide the session's Changes,
            # which the view needs to redraw what the new answer affects.
            filling.attachments[stored.name] = stored.sha256  # linked to the draft
            view.answer(node, stored.name)
            self._finished(node)
            if on_stored is not None:
                on_stored(stored)

        def failed(error: BaseException) -> None:
            self._finished(node)
            widget = view.widgets.get(node)
            if widget is not None:
                widget.set_answer_error(
                    _("The file could not be attached: {error}").format(error=error)
                )

        run_async(lambda: filling.store_file(Path(path)), done, failed)

    def _finished(self, node: Node) -> None:
        widget = self.view.widgets.get(node)
        if isinstance(widget, MediaWidget) and shiboken6.isValid(widget):
            widget.set_busy(False)

    def load(self, name: str, limit: int, on_ready: Callable[..., Any]) -> None:
        """Read a stored file on a worker: `on_ready(bytes or None past limit, size)`."""
        filling = self.view.filling

        def work() -> tuple[bytes | None, int | None]:
            data = read_stored(filling, name, limit) if limit else None
            size = len(data) if data is not None else stored_size(filling, name)
            return data, size

        def done(result: tuple[bytes | None, int | None]) -> None:
            on_ready(*result)

        run_async(work, done, lambda error: log.warning("preview of %s failed: %s", name, error))
