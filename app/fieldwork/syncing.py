"""Folder sync from the app: one pass through the sync folder for the logged-in laptop.

The bundle service does the work (`app.bundle.sync.sync_folder`); this adds
what the app needs around it: the laptop's keys exist before the first pass,
and a short account of what happened that a person can read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.bundle.importer import ImportStatus
from app.bundle.keys import init_device_keys
from app.bundle.sync import SyncReport, sync_folder
from app.bundle.target import BundleTarget
from app.core.errors import SamluatError
from app.core.i18n import N_, _
from app.store import LocalStore

log = logging.getLogger(__name__)

WRITING = N_("Writing this laptop's bundle…")


@dataclass(frozen=True)
class SyncOutcome:
    """What one pass did, in counts, plus the lines worth showing."""

    folder: Path
    imported: int
    written: int
    waiting: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def sync_pass(
    store: LocalStore,
    folder: Path,
    *,
    progress: Callable[[float, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> SyncOutcome:
    """Import what the folder holds for this laptop and write its own new bundle.

    `progress(fraction, message)` gets sentences for people, in the UI language.

    Raises `SamluatError` when the folder cannot be used at all (missing,
    not a folder); problems with single files are in the outcome.
    """
    if not folder.is_dir():
        raise SamluatError(f"The sync folder {folder} is not there (is the USB stick plugged in?)")
    target = BundleTarget.from_store(store)
    init_device_keys(target)  # idempotent: a laptop has keys before its first bundle

    def told(fraction: float, name: str) -> None:
        if progress is not None:
            progress(fraction, _("Receiving {file}…").format(file=name) if name else _(WRITING))

    report: SyncReport = sync_folder(target, folder, progress=told, cancel=cancel)
    problems = [
        f"{r.path.name}: {r.message}"
        for r in report.imported
        if r.status not in (ImportStatus.APPLIED, ImportStatus.ALREADY, ImportStatus.WAITING)
    ]
    problems += report.errors
    outcome = SyncOutcome(
        folder=folder,
        imported=sum(1 for r in report.imported if r.status is ImportStatus.APPLIED),
        written=len(report.written),
        waiting=sum(1 for r in report.imported if r.status is ImportStatus.WAITING),
        problems=problems,
    )
    log.info("sync %s: %s", folder, "; ".join(report.lines()))
    return outcome
