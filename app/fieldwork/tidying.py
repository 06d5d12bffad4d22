"""Clearing delivered bundles from the sync folder, from the app.

Sync never deletes, so a USB stick or a shared folder fills with every bundle
ever written. The bundle service says which files this database knows to be
delivered (`app.bundle.tidy`); this asks the person first, in the UI's
language, with the list of files and why each may go, and removes only those.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.bundle.target import BundleTarget
from app.bundle.tidy import Delivered, DeliveredFile, delivered_files, remove_delivered
from app.core.errors import SamluatError
from app.core.i18n import _
from app.core.text import human_size
from app.store import LocalStore
from app.store.fileio import readable_name

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveredList:
    """The delivered bundle files found in one folder."""

    folder: Path
    files: list[DeliveredFile]

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def list_delivered(
    store: LocalStore, folder: Path, *, progress: Callable[[float, str], None] | None = None
) -> DeliveredList:
    """What in `folder` this laptop knows to be delivered; `SamluatError` when the folder
    is not there. Reads the files that may go whole (to compare their SHA-256 with the
    one recorded): `progress(fraction, message)` follows them."""
    if not folder.is_dir():
        raise SamluatError(
            _("The sync folder {folder} is not there (is the USB stick plugged in?)").format(
                folder=readable_name(folder)
            )
        )

    def told(fraction: float, name: str) -> None:
        if progress is not None:
            progress(fraction, _("Looking at {file}…").format(file=name))

    files = delivered_files(BundleTarget.from_store(store), folder, progress=told)
    return DeliveredList(folder, files)


def why_text(why: Delivered) -> str:
    """Why a file may be removed, in the UI's language."""
    if why is Delivered.ACKNOWLEDGED:
        return _("the coordinator has it")
    if why is Delivered.IMPORTED:
        return _("imported on this computer")
    return _("a newer bundle for the same laptop is in the folder")


def removal_question(found: DeliveredList) -> str:
    """What the person is asked before anything is removed."""
    return _(
        "{count} bundle files ({size}) in {folder} have reached where they were going and are "
        "no longer needed. Remove them? Bundles not yet delivered stay."
    ).format(
        count=len(found.files), size=human_size(found.size), folder=readable_name(found.folder)
    )


def file_lines(found: DeliveredList) -> str:
    """One line per file, with why it may go (the question's details)."""
    return "\n".join(
        f"{readable_name(f.path.relative_to(found.folder))}: {why_text(f.why)}" for f in found.files
    )


def nothing_to_remove(folder: Path) -> str:
    return _("Nothing to remove: no bundle in {folder} is known to be delivered yet.").format(
        folder=readable_name(folder)
    )


def remove_listed(found: DeliveredList) -> tuple[str, bool]:
    """Remove the files listed; (a sentence saying what was done, whether all went)."""
    report = remove_delivered(found.files)
    text = _("Removed {count} delivered bundle files from {folder} ({size} freed).").format(
        count=len(report.removed), size=human_size(report.freed), folder=readable_name(found.folder)
    )
    if report.kept:
        log.info("kept while clearing %s: %s", found.folder, report.kept)
        text += " " + _(
            "{count} were kept: they changed since they were looked at, or could not be removed."
        ).format(count=len(report.kept))
    return text, not report.kept
