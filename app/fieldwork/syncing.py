"""Folder sync from the app: one pass through the sync folder for the logged-in laptop.

The bundle service does the work (`app.bundle.sync.sync_folder`); this adds
what the app needs around it: the laptop's keys exist before the first pass,
and a short account of what happened that a person can read.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from app.bundle.errors import (
    BundleError,
    FolderWriteError,
    KeyFileError,
    KeysNotSetUpError,
    LaptopRevokedError,
)
from app.bundle.export import ExportResult, export_field_bundle
from app.bundle.importer import ImportResult, ImportStatus, import_many
from app.bundle.keys import (
    COORDINATOR_IDENTITY_FILE,
    AgeIdentity,
    init_device_keys,
    unlock_identity_file,
)
from app.bundle.sync import SyncReport, sync_folder
from app.bundle.target import BundleTarget, is_coordinator_database
from app.core import paths
from app.core.errors import SamluatError
from app.core.i18n import N_, _
from app.fieldwork.refusals import refusal_text
from app.store import LocalStore
from app.store.fileio import readable_name

log = logging.getLogger(__name__)

WRITING = N_("Writing this laptop's bundle…")


@dataclass(frozen=True)
class SyncOutcome:
    """What one pass did, in counts, plus the lines worth showing."""

    folder: Path | None  # None for files imported by hand
    imported: int
    written: int
    waiting: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def coordinator_key_file() -> Path:
    """Where `samluat keys coordinator-new` keeps the coordinator's key by default."""
    return paths.data_dir() / "keys" / COORDINATOR_IDENTITY_FILE


def needs_coordinator_key(store: LocalStore) -> bool:
    """True for a coordinator's database whose key is on this computer: importing the
    laptops' bundles needs that key unlocked (once per session)."""
    return coordinator_key_file().is_file() and is_coordinator_database(
        BundleTarget.from_store(store)
    )


def unlock_coordinator_key(passphrase: str) -> AgeIdentity:
    """The coordinator's key, unlocked; `SamluatError` with a sentence for people if not."""
    try:
        return unlock_identity_file(coordinator_key_file(), passphrase)
    except KeyFileError as error:
        log.info("coordinator key not unlocked: %s", error)
        raise SamluatError(_("Wrong passphrase, or the key file is damaged.")) from None


def write_problem(error: BundleError) -> str:
    """Why this laptop wrote no bundle, in the UI's language (the error's own words are
    English and may name a command the field app does not have)."""
    if isinstance(error, KeysNotSetUpError):
        return _(
            "No coordinator is trusted on this laptop yet, so nothing can be sent: a "
            "supervisor trusts the coordinator's card under Samluat → Keys and laptops…"
        )
    if isinstance(error, FolderWriteError):
        return _folder_problem(error)
    if isinstance(error, LaptopRevokedError):
        return _(
            "The coordinator revoked this laptop: the bundles it writes are refused. Ask your "
            "coordinator what to do with its data."
        )
    return _("No bundle was written: {reason}").format(reason=error)


def _folder_problem(error: FolderWriteError) -> str:
    """A folder that would not take this laptop's bundle, said so a person can act."""
    folder = readable_name(error.folder)
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return _(
            "No bundle was written: {folder} is full. Make room on the stick (or use "
            "another one), then sync again; nothing is lost meanwhile."
        ).format(folder=folder)
    if error.errno == errno.EFBIG:  # FAT32 sticks take files of at most 4 GB
        return _(
            "No bundle was written: it is larger than {folder} can hold in one file (4 GB on "
            "most sticks). Use a stick formatted as exFAT or NTFS, or sync with the "
            "coordinator first: acknowledged recordings are not sent again."
        ).format(folder=folder)
    if error.errno == errno.ENOENT:  # the stick was pulled out during the pass
        return _(
            "No bundle was written: {folder} is not there any more (was the USB stick "
            "removed?). Plug it in and sync again; nothing is lost meanwhile."
        ).format(folder=folder)
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return _(
            "No bundle was written: {folder} cannot be written to (a write-protected stick "
            "or card, or a folder of another user). Nothing is lost meanwhile."
        ).format(folder=folder)
    return _("No bundle was written into {folder}: {reason}").format(folder=folder, reason=error)


def sync_pass(
    store: LocalStore,
    folder: Path,
    *,
    identities: Sequence[AgeIdentity] = (),
    progress: Callable[[float, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> SyncOutcome:
    """Import what the folder holds for this laptop and write its own new bundle.

    On a coordinator's database, `identities` (the unlocked coordinator key)
    open the laptops' bundles; without them those are left for a later pass.
    `progress(fraction, message)` gets sentences for people, in the UI language.

    Raises `SamluatError` when the folder cannot be used at all (missing,
    not a folder); problems with single files are in the outcome.
    """
    if not folder.is_dir():
        raise SamluatError(
            _("The sync folder {folder} is not there (is the USB stick plugged in?)").format(
                folder=folder
            )
        )
    target = BundleTarget.from_store(store)
    init_device_keys(target)  # idempotent: a laptop has keys before its first bundle

    def told(fraction: float, name: str) -> None:
        if progress is not None:
            progress(fraction, _("Receiving {file}…").format(file=name) if name else _(WRITING))

    report: SyncReport = sync_folder(
        target, folder, identities=identities, progress=told, cancel=cancel
    )
    # What concerns the whole pass first: the app shows only the first few lines.
    problems = list(report.errors)
    if report.write_error is not None:
        problems.append(write_problem(report.write_error))
    if report.key_locked:
        problems.append(
            _("The laptops' bundles were not imported: unlock the coordinator key with Sync now.")
        )
    problems += _refused(report.imported)
    outcome = SyncOutcome(
        folder=folder,
        imported=sum(1 for r in report.imported if r.status is ImportStatus.APPLIED),
        written=len(report.written),
        waiting=sum(1 for r in report.imported if r.status is ImportStatus.WAITING),
        problems=problems,
    )
    log.info("sync %s: %s", folder, "; ".join(report.lines()))
    return outcome


def import_bundle_files(
    store: LocalStore,
    files: Sequence[Path],
    *,
    identities: Sequence[AgeIdentity] = (),
    progress: Callable[[float, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> SyncOutcome:
    """Import bundle files chosen by hand (received by a messaging app, copied from a stick).

    The same import as a sync pass: every check, refused files quarantined with
    their reason, files needing an earlier one retried after it. Nothing is written.
    """
    target = BundleTarget.from_store(store)
    init_device_keys(target)

    def told(fraction: float, name: str) -> None:
        if progress is not None:
            progress(fraction, _("Receiving {file}…").format(file=name))

    results = import_many(target, files, identities=identities, progress=told, cancel=cancel)
    return SyncOutcome(
        folder=None,
        imported=sum(1 for r in results if r.status is ImportStatus.APPLIED),
        written=0,
        waiting=sum(1 for r in results if r.status is ImportStatus.WAITING),
        problems=_refused(results),
    )


def _refused(results: Sequence[ImportResult]) -> list[str]:
    """A line for each file refused, in the UI's language."""
    return [refusal_text(r) for r in results if r.status is ImportStatus.REJECTED]


def write_everything(
    store: LocalStore, folder: Path, *, progress: Callable[[float, str], None] | None = None
) -> ExportResult:
    """A bundle of every finalised version on this laptop, acknowledged or not, into `folder`.

    For a coordinator who lost data the laptop believes delivered (a database
    restored from an old backup, a new coordinator computer): sync sends only
    what the coordinator has not acknowledged, so this is the way to send it all
    again. Importing it where the data already is changes nothing.
    """
    if not folder.is_dir():
        raise SamluatError(_("The folder {folder} is not there.").format(folder=folder))
    target = BundleTarget.from_store(store)
    if is_coordinator_database(target):
        raise SamluatError(
            _(
                "This computer is the coordinator's: its bundles for the laptops are written "
                "by Sync now."
            )
        )
    init_device_keys(target)

    def written(done: int, total: int) -> None:
        if progress is not None:
            progress(done / total if total else 1.0, _(WRITING))

    try:
        result = export_field_bundle(target, folder=folder, everything=True, progress=written)
    except BundleError as error:
        raise SamluatError(write_problem(error)) from error
    assert result is not None  # only `only_if_new` skips writing
    log.info("wrote %s with everything (%s)", result.path.name, result.counts)
    return result
