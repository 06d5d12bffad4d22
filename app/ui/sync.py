"""Bundles in the app: a "Sync now" action, a pass every few minutes, files imported by hand.

A pass runs on a worker (`app.fieldwork.syncing.sync_pass`); one at a time.
Nothing is synced until a sync folder is set in Settings. On a coordinator's
database the laptops' bundles need the coordinator key: Sync now and
Import bundle files… ask for it once per session (`sig_key_needed`); the
timer's passes never ask. A field laptop can also write a bundle of
everything it has, for a coordinator who lost data (`write_everything`), and
clear the bundles in the sync folder it knows are delivered (`list_delivered`,
then, once the person agreed, `remove_delivered`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.bundle.export import ExportResult
from app.core.errors import SamluatError
from app.core.i18n import _
from app.fieldwork.syncing import (
    SyncOutcome,
    import_bundle_files,
    needs_coordinator_key,
    sync_pass,
    write_everything,
)
from app.fieldwork.tidying import DeliveredList, list_delivered, nothing_to_remove, remove_listed
from app.store import LocalStore
from app.store.errors import StorageFullError, StorageIOError
from app.ui.context import AppContext
from app.ui.messages import user_message
from app.ui.workers import Job, Task, run_task

log = logging.getLogger(__name__)

INTERVAL_MS = 5 * 60 * 1000
LIST_DELIVERED, REMOVE_DELIVERED = "list-delivered", "remove-delivered"  # task names
TIDY_TASKS = frozenset({LIST_DELIVERED, REMOVE_DELIVERED})
SHOWN_PROBLEMS = 3  # the rest are counted (each refused file is in the quarantine folder)


class SyncController(QObject):
    sig_sync_started = Signal()  # `task` is the pass just started
    sig_key_needed = Signal()  # Sync now on a coordinator's database, its key still locked
    sig_sync_finished = Signal(str, bool)  # a sentence for people, whether all went well
    sig_delivered_listed = Signal(object)  # a DeliveredList with files: ask before removing

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.task: Task | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(lambda: self.sync_now(ask_for_key=False))
        self.last_status = ""
        self._waiting_files: list[Path] = []

    def folder(self) -> Path | None:
        value = self.ctx.settings.settings.sync_folder
        return Path(value) if value else None

    def restart(self) -> None:
        """Follow the settings: run every few minutes while logged in with a folder."""
        if self.ctx.store is not None and self.folder() is not None:
            self.timer.start()
        else:
            self.timer.stop()

    @property
    def busy(self) -> bool:
        """A pass, an import or a write is running (one at a time)."""
        return self.task is not None and not self.task.done

    def activity(self) -> str:
        """What the running task does, for the status bar."""
        tidying = self.task is not None and self.task.name in TIDY_TASKS
        return _("Clearing the sync folder…") if tidying else _("Syncing…")

    def _store_and_folder(self) -> tuple[LocalStore, Path] | None:
        """The logged-in store and the sync folder; None (saying what to set, when it is
        the folder) when there is not both."""
        store, folder = self.ctx.store, self.folder()
        if folder is None:
            self._finish(_("Choose a sync folder in Settings first."), False)
        return (store, folder) if store is not None and folder is not None else None

    def _start(self, work: Callable[[Job], Any], name: str, done: Callable[[Any], None]) -> bool:
        self.task = run_task(work, name=name, on_success=done, on_failure=self._failed)
        self.sig_sync_started.emit()
        return True

    def sync_now(self, *, ask_for_key: bool = True) -> bool:
        """Start a pass; False when none can start (no folder, not logged in, one running,
        or the coordinator's key must be unlocked first: `sig_key_needed` asks for it)."""
        found = self._store_and_folder()
        if found is None or self.busy:
            return False
        store, folder = found
        identities = list(self.ctx.coordinator_keys)
        if ask_for_key and not identities and needs_coordinator_key(store):
            self._waiting_files = []  # files chosen earlier and given up on are not imported now
            self.sig_key_needed.emit()  # asked on Sync now only, never by the timer
            return False

        def work(job: Job) -> SyncOutcome:
            return sync_pass(
                store,
                folder,
                identities=identities,
                progress=job.progress,
                cancel=job.cancelled,
            )

        return self._start(work, "sync", self._succeeded)

    def import_files(self, files: list[Path]) -> bool:
        """Import bundle files chosen by hand; False when that cannot start now (not
        logged in, a pass running, or the coordinator's key to unlock first)."""
        store = self.ctx.store
        if store is None or not files or self.busy:
            return False
        identities = list(self.ctx.coordinator_keys)
        if not identities and needs_coordinator_key(store):
            self._waiting_files = files  # imported once the key is unlocked
            self.sig_key_needed.emit()
            return False

        def work(job: Job) -> SyncOutcome:
            return import_bundle_files(
                store, files, identities=identities, progress=job.progress, cancel=job.cancelled
            )

        return self._start(work, "import-files", self._succeeded)

    def key_unlocked(self) -> None:
        """Go on with what needed the key: the files chosen, or a pass."""
        files, self._waiting_files = self._waiting_files, []
        if files:
            self.import_files(files)
        else:
            self.sync_now()

    def key_declined(self) -> None:
        """The passphrase was not given: forget the files that waited for it."""
        self._waiting_files = []

    def write_everything(self, folder: Path) -> bool:
        """Write a bundle of every finalised version into `folder`; False when that
        cannot start now (not logged in, a pass running)."""
        store = self.ctx.store
        if store is None or self.busy:
            return False

        def done(result: ExportResult) -> None:
            self._finish(
                _("Wrote {file}: every finalised version on this laptop ({count}).").format(
                    file=result.path.name, count=result.counts.get("revisions", 0)
                ),
                True,
            )

        return self._start(
            lambda job: write_everything(store, folder, progress=job.progress),
            "write-everything",
            done,
        )

    def list_delivered(self) -> bool:
        """Look for delivered bundles in the sync folder (it reads the files that may go
        whole, so off the UI thread); `sig_delivered_listed` follows when there are some.
        False when that cannot start now (no folder, not logged in, a pass running)."""
        found = self._store_and_folder()
        if found is None or self.busy:
            return False
        store, folder = found

        def listed(listing: DeliveredList) -> None:
            if listing.files:
                self.sig_delivered_listed.emit(listing)
            else:
                self._finish(nothing_to_remove(listing.folder), True)

        return self._start(
            lambda job: list_delivered(store, folder, progress=job.progress),
            LIST_DELIVERED,
            listed,
        )

    def remove_delivered(self, found: DeliveredList) -> bool:
        """Remove the files the person agreed to remove; False when a pass is running."""
        if self.busy:
            return False
        return self._start(
            lambda _job: remove_listed(found), REMOVE_DELIVERED, lambda done: self._finish(*done)
        )

    def _succeeded(self, outcome: SyncOutcome) -> None:
        time = datetime.now().strftime("%H:%M")
        if outcome.folder is None:
            text = _("Imported at {time}: {received} received.").format(
                time=time, received=outcome.imported
            )
        else:
            text = _("Synced at {time}: {received} received, {sent} written.").format(
                time=time, received=outcome.imported, sent=outcome.written
            )
        if outcome.waiting:
            text += " " + _("{count} waiting for an earlier bundle.").format(count=outcome.waiting)
        if outcome.problems:  # each its own line: they are sentences, some long
            shown = outcome.problems[:SHOWN_PROBLEMS]
            text += "\n" + "\n".join(shown)
            if len(outcome.problems) > len(shown):
                text += "\n" + _("… and {count} more.").format(
                    count=len(outcome.problems) - len(shown)
                )
        self._finish(text, outcome.ok)

    def _failed(self, error: BaseException) -> None:
        self._finish(_("Sync failed: {error}").format(error=_failure_text(error)), False)

    def _finish(self, text: str, ok: bool) -> None:
        self.last_status = text
        self.sig_sync_finished.emit(text, ok)


def _failure_text(error: BaseException) -> str:
    """Why a pass stopped, in the UI's language (the store's own words are English and
    speak of answers; here a bundle was being imported)."""
    if isinstance(error, StorageFullError):
        return _(
            "this computer's disk is full. The bundle being imported was not applied; those "
            "before it are kept. Free some space, then sync again."
        )
    if isinstance(error, StorageIOError):
        return _(
            "the computer reported a disk error. The bundle being imported was not applied; "
            "sync again, and if it keeps happening, back up the database and check the disk."
        )
    if isinstance(error, SamluatError):
        return user_message(error)
    return str(error)  # a bug: the worker logged it with its traceback
