"""Folder sync: exchange bundles through a folder (USB stick, Syncthing, Nextcloud, Drive).

One pass (`sync_folder`) imports the bundles in the folder that are meant
for this database, then writes what is new for the others:

* a **field laptop** imports the coordinator's bundles addressed to it and
  writes its own bundle when it has something not put in a bundle before;
* a **coordinator** (the database has a coordinator key, and the caller
  passes the unlocked identity) imports field bundles and writes one bundle
  per registered laptop whose state changed (acknowledgements, forms,
  assignments, review decisions, registry).

Sync tools write files under temporary names and grow them in place, and
leave conflict copies next to the original. So a pass ignores hidden and
temporary names, files modified within `settle_seconds`, and files whose
size or time changes while it looks (a file dated in the future, from a
laptop whose clock is ahead, is taken when it does not change for a
moment); conflict copies are ordinary files (bundles are identified by
content, never by name). It never deletes, renames or rewrites anything in
the folder (removing delivered bundles is asked for apart: `app.bundle.tidy`):
its own memory of what it has seen lives in the user data folder, and forgets
files that are gone.
A file that brought a bundle is skipped only while this database still records
that bundle: a database put back from an older backup reads again the files
whose bundles it lost, even when it has imported others since. The whole
memory is dropped when this database has fewer bundles than at the last pass,
and the files it refused are tried again when the laptops it accepts change
(a laptop synced before its card was registered) or when it lost bundles.

The names the exporter gives (`samluat-field-…-to-coordinator-000007.samluat`)
are trusted for one thing only: a file still being written whose name says it
is for another database is not reported as "still being written" (it would
be skipped anyway). Whether a complete file is for this database is decided
by its header.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import stat
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.bundle import format as fmt
from app.bundle.applier import T_DEVICE
from app.bundle.errors import BundleError, BundleRejected
from app.bundle.export import (
    T_IMPORTED,
    ExportResult,
    bundle_file_name,
    export_coordinator_bundle,
    export_field_bundle,
    registered_field_devices,
    revoked_field_devices,
)
from app.bundle.grouping import ImportGroups
from app.bundle.importer import ImportResult, ImportStatus, Prechecks, import_bundle
from app.bundle.keys import AgeIdentity
from app.bundle.target import BundleTarget, is_coordinator_database
from app.bundle.validate import FormCache, default_workers
from app.core import paths
from app.store.fileio import readable_name, write_json

log = logging.getLogger(__name__)

# Names sync tools and editors use for files still being written or locked.
PARTIAL_PREFIXES = (".", "~", "~$")
PARTIAL_MARKERS = (
    ".syncthing.",
    "~syncthing~",
    ".~lock.",
    ".tmp",
    ".part",
    ".partial",
    ".crdownload",
    ".download",
    ".drivedownload",
    ".!sync",
)
MAX_DEPTH = 3
DEFAULT_SETTLE_SECONDS = 3.0
# FAT sticks keep times to 2 s; later than that is a clock ahead of this one.
FUTURE_TOLERANCE_SECONDS = 2.0
FUTURE_RECHECK_SECONDS = 2.0
# `bundle_file_name`: kind, source, whom it is for, sequence (found inside the
# longer names sync tools give partial files and conflict copies).
BUNDLE_NAME = re.compile(
    r"samluat-(field|coordinator)-[0-9a-z]*-to-([0-9a-z-]+)-\d{6,}(?![0-9a-z])", re.IGNORECASE
)


@dataclass
class SyncReport:
    """What one pass did."""

    folder: Path
    imported: list[ImportResult] = field(default_factory=list)
    written: list[ExportResult] = field(default_factory=list)
    skipped_partial: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    key_locked: bool = False  # a coordinator's pass without its key: field bundles left alone
    # Why no bundle was written (the app words it by its type, in the UI's language).
    write_error: BundleError | None = None

    @property
    def ok(self) -> bool:
        return (
            not self.errors
            and self.write_error is None
            and not self.key_locked
            and all(
                r.status in (ImportStatus.APPLIED, ImportStatus.ALREADY, ImportStatus.WAITING)
                for r in self.imported
            )
        )

    def lines(self) -> list[str]:
        """One line per thing done, for people."""
        out = [str(r) for r in self.imported]
        out += [f"wrote {w}" for w in self.written]
        out += [
            f"skipped (still being written): {readable_name(p.name)}" for p in self.skipped_partial
        ]
        out += [f"error: {e}" for e in self.errors]
        if self.write_error is not None:
            out.append(f"error: {self.write_error}")
        if self.key_locked:
            out.append("error: unlock the coordinator key to import field bundles")
        return out or ["nothing to do"]


def is_partial_name(name: str) -> bool:
    """True for names that sync tools, browsers and editors use while writing."""
    lowered = name.lower()
    return lowered.startswith(PARTIAL_PREFIXES) or any(m in lowered for m in PARTIAL_MARKERS)


def named_for_someone_else(name: str, device_id: str, coordinator: bool) -> bool:
    """True when `name` is one the exporter gives to bundles that the database
    `device_id` (a coordinator's or not) does not import. Unknown names: False."""
    found = BUNDLE_NAME.search(name)
    if found is None:
        return False
    kind, to = found.group(1).lower(), found.group(2).lower()
    if coordinator:
        return kind != fmt.KIND_FIELD
    mine = BUNDLE_NAME.search(bundle_file_name(fmt.KIND_COORDINATOR, "0", device_id, 1))
    return kind != fmt.KIND_COORDINATOR or mine is None or to != mine.group(2).lower()


def candidate_files(
    folder: Path,
    *,
    settle_seconds: float,
    not_mine: Callable[[str], bool] | None = None,
    seen: Callable[[Path, str], bool] | None = None,
) -> tuple[list[Path], list[Path]]:
    """(complete-looking bundle files, bundle files still being written), sorted by name.

    Files still being written whose name `not_mine` says is for someone else are
    in neither list. A file dated in the future that `seen(path, signature)` knows
    unchanged is ready without the look that such files otherwise get.
    """
    ready: list[Path] = []
    busy: list[Path] = []
    ahead: list[tuple[Path, str]] = []  # modified later than now, with their signature
    now = time.time()

    def walk(directory: Path, depth: int) -> None:
        try:
            entries = sorted(directory.iterdir(), key=lambda p: p.name)
        except OSError:
            return
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir():
                if depth < MAX_DEPTH and not entry.name.startswith((".", "~")):
                    walk(entry, depth + 1)
                continue
            name = entry.name.lower()
            if fmt.BUNDLE_SUFFIX not in name:
                continue
            if is_partial_name(name) or not name.endswith(fmt.BUNDLE_SUFFIX):
                still_writing(entry)
                continue
            try:
                info = entry.stat()
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode):
                continue  # a pipe or device named like a bundle: reading it would wait
            age = now - info.st_mtime
            if age < -FUTURE_TOLERANCE_SECONDS:
                if seen is not None and seen(entry, _signature_of(info)):
                    ready.append(entry)  # taken or judged at an earlier pass
                else:
                    ahead.append((entry, _signature_of(info)))
                continue
            if age < settle_seconds:
                still_writing(entry)
                continue
            ready.append(entry)

    def still_writing(entry: Path) -> None:
        if not_mine is None or not not_mine(entry.name):
            busy.append(entry)

    walk(folder, 0)
    if ahead:
        # Modified "in the future": written by a laptop whose clock is ahead (offline
        # laptops drift, or lose their date) and copied with its time. Age cannot
        # say whether it is complete; not changing for a moment can.
        if settle_seconds > 0:
            time.sleep(min(settle_seconds, FUTURE_RECHECK_SECONDS))
        for entry, before in ahead:
            try:
                info = entry.stat()
            except OSError:
                continue
            if _signature_of(info) == before:
                ready.append(entry)
            else:
                still_writing(entry)
        ready.sort(key=lambda path: path.relative_to(folder).parts)  # the walk's order
    return ready, busy


def _state_path(folder: Path, device_id: str) -> Path:
    # One memory per (folder, database): two databases may sync through one folder.
    where = readable_name(folder.resolve())  # (a folder name that is not UTF-8 on disk)
    key = hashlib.sha256(f"{where}\n{device_id}".encode()).hexdigest()[:16]
    return paths.data_dir() / "sync" / f"{key}.json"


def _load_state(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
        return value if isinstance(value, dict) else {}
    except (OSError, ValueError):
        return {}


def _key(path: Path, folder: Path) -> str:
    """How the memory names a file: its path in the folder, as UTF-8 text (a name
    that is not valid UTF-8 on disk is kept with its bytes escaped, `\\xe9`)."""
    return readable_name(path.relative_to(folder))


def file_signature(path: Path) -> str | None:
    try:
        return _signature_of(path.stat())
    except OSError:
        return None


def _signature_of(info: os.stat_result) -> str:
    """What the memory compares to tell whether a file changed: size and time."""
    return f"{info.st_size}:{info.st_mtime_ns}"


def _wanted(target: BundleTarget, path: Path, coordinator: bool) -> bool:
    try:
        header = fmt.read_envelope(path).header
    except BundleRejected:
        return True  # let the importer refuse it properly (and quarantine it)
    if coordinator:
        return header.kind == fmt.KIND_FIELD
    return header.kind == fmt.KIND_COORDINATOR and header.target == target.device_id


def sync_folder(
    target: BundleTarget,
    folder: Path,
    *,
    identities: Sequence[AgeIdentity] = (),
    settle_seconds: float = DEFAULT_SETTLE_SECONDS,
    quarantine_dir: Path | None = None,
    write: bool = True,
    forms: FormCache | None = None,
    progress: Callable[[float, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> SyncReport:
    """One sync pass through `folder` (see the module docstring). Safe to call repeatedly.

    `progress(fraction, name)`: while importing, the fraction of files done and the
    name of the one being read; while writing this laptop's bundle, the fraction of
    its attachment bytes written and an empty name.
    """
    folder = Path(folder)
    report = SyncReport(folder=folder)
    if not folder.is_dir():
        report.errors.append(
            f"the folder {readable_name(folder)} is not there (is the USB stick plugged in?)"
        )
        return report
    coordinator = is_coordinator_database(target)
    report.key_locked = coordinator and not identities
    state_path = _state_path(folder, target.device_id)
    state = _load_state(state_path)
    database = _database_state(target)
    _forget_what_no_longer_holds(state, database, _recorded_bundles(target))
    seen: dict[str, str] = state.setdefault("seen", {})
    refused: dict[str, str] = state.setdefault("refused", {})
    brought: dict[str, str] = state.setdefault("brought", {})  # file key → bundle sha256
    ready, busy = candidate_files(
        folder,
        settle_seconds=settle_seconds,
        not_mine=lambda name: named_for_someone_else(name, target.device_id, coordinator),
        seen=lambda path, signature: seen.get(_key(path, folder)) == signature,
    )
    report.skipped_partial.extend(busy)
    owned = forms is None
    forms = forms or FormCache(workers=default_workers())
    todo = []
    for path in ready:
        signature = file_signature(path)
        key = _key(path, folder)
        if signature is None or seen.get(key) == signature:
            continue
        if not _wanted(target, path, coordinator):
            seen[key] = signature
            continue
        todo.append((path, key, signature))
    ahead = Prechecks(target, [path for path, _key, _sig in todo], identities, forms)
    try:
        with ImportGroups(target) as groups:
            for index, (path, key, signature) in enumerate(todo):
                if cancel is not None and cancel():
                    break
                if progress is not None:
                    progress(index / max(len(todo), 1), readable_name(path.name))
                if coordinator and not identities:
                    continue
                ahead.schedule(index)
                groups.before(path)
                result = import_bundle(
                    target, path, identities=identities, quarantine_dir=quarantine_dir, forms=forms
                )
                if file_signature(path) != signature:
                    report.skipped_partial.append(path)  # changed while we read it: next pass
                    continue
                report.imported.append(result)
                if result.status is not ImportStatus.WAITING:
                    seen[key] = signature
                if result.status is ImportStatus.REJECTED:
                    refused[key] = signature
                else:
                    refused.pop(key, None)
                _remember_what_it_brought(brought, key, result)
    finally:
        ahead.drop()
        if owned:
            forms.close()  # stop the validation workers, if any started
    if write and not (cancel is not None and cancel()):
        try:
            if coordinator:
                for device_id in registered_field_devices(target):
                    written = export_coordinator_bundle(
                        target,
                        device_id=device_id,
                        folder=folder,
                        only_if_changed=True,
                        create_folder=False,
                    )
                    if written is not None:
                        report.written.append(written)
                for device_id in revoked_field_devices(target):  # told once, nothing more
                    written = export_coordinator_bundle(
                        target,
                        device_id=device_id,
                        folder=folder,
                        only_if_changed=True,
                        notify_revoked=True,
                        create_folder=False,
                    )
                    if written is not None:
                        report.written.append(written)
            else:

                def writing(done: int, total: int) -> None:
                    if progress is not None:
                        progress(done / total if total else 1.0, "")

                written = export_field_bundle(
                    target, folder=folder, only_if_new=True, progress=writing, create_folder=False
                )
                if written is not None:
                    report.written.append(written)
        except BundleError as error:
            report.write_error = error
    for written in report.written:
        signature = file_signature(written.path)
        if signature is not None:
            seen[_key(written.path, folder)] = signature
    # Files gone from the folder (removed once delivered, or by hand) are forgotten: the
    # memory does not grow for ever, and a new file under an old name is read.
    present = {_key(path, folder) for path in [*ready, *busy]} | {
        _key(w.path, folder) for w in report.written
    }
    for memory in (seen, refused, brought):
        for key in [k for k in memory if k not in present]:
            del memory[key]
    state.update(_database_state(target))
    state_path.parent.mkdir(parents=True, exist_ok=True)
    write_json(state_path, state)
    return report


def _database_state(target: BundleTarget) -> dict[str, Any]:
    """What the memory of a folder rests on: how many bundles this database has
    recorded, and which laptops it accepts bundles from."""
    with target.session() as session:
        connection = session.connection()
        applied = connection.execute(select(func.count()).select_from(T_IMPORTED)).scalar()
        accepted = sorted(
            str(device_id)
            for (device_id,) in connection.execute(
                select(T_DEVICE.c.id).where(
                    T_DEVICE.c.public_key.is_not(None), T_DEVICE.c.revoked_at.is_(None)
                )
            )
        )
    registry = hashlib.sha256("\n".join(accepted).encode()).hexdigest()[:16]
    return {"applied": int(applied or 0), "registry": registry}


def _recorded_bundles(target: BundleTarget) -> set[str]:
    """The sha256 of every bundle file this database records as applied: what the
    importer answers "already imported" for (a few hundred rows)."""
    with target.session() as session:
        rows = session.connection().execute(
            select(T_IMPORTED.c.sha256).where(T_IMPORTED.c.status == "applied")
        )
        return {str(sha) for (sha,) in rows}


def _remember_what_it_brought(brought: dict[str, str], key: str, result: ImportResult) -> None:
    """Which bundle the file `key` is in this database as, so that the file is read
    again if the database loses it (see `_forget_files_whose_bundle_is_gone`)."""
    if result.ok and result.sha256 is not None:
        brought[key] = result.sha256
    else:
        brought.pop(key, None)  # waiting or refused: it brought nothing


def _forget_what_no_longer_holds(
    state: dict[str, Any], database: dict[str, Any], recorded: set[str]
) -> None:
    """A database restored from an older backup has not applied what the memory says
    was seen: with fewer bundles than at the last pass, look at every file again
    (importing what is known costs little); otherwise read again the files whose
    bundle it lost. A laptop registered (or revoked) since, or bundles lost: try the
    files that were refused again."""
    applied = state.get("applied")
    if isinstance(applied, int) and applied > database["applied"]:
        log.info("this database has fewer bundles than at the last pass: every file again")
        state["seen"], state["refused"], state["brought"] = {}, {}, {}
        return
    lost_bundles = _forget_files_whose_bundle_is_gone(state, recorded)
    if lost_bundles or state.get("registry") not in (None, database["registry"]):
        _retry_refused(state)


def _forget_files_whose_bundle_is_gone(state: dict[str, Any], recorded: set[str]) -> bool:
    """Forget the files whose bundle this database no longer records (put back from a
    backup, then given other bundles before this pass, so it has no fewer): they are
    read and imported again. True when there were any."""
    seen, refused, brought = state.get("seen"), state.get("refused"), state.get("brought")
    if not isinstance(seen, dict):
        state["brought"] = {}
        return False
    if not isinstance(brought, dict):
        # A memory written before files were remembered with their bundle: it cannot
        # tell what a file brought, so every file it took is read once more (the
        # headers, and a hash of what is already imported); a restore it missed would
        # otherwise lose those interviews for good. Refused files stay as they are.
        keep = refused if isinstance(refused, dict) else {}
        state["seen"] = {key: value for key, value in seen.items() if key in keep}
        state["brought"] = {}
        return False
    gone = [key for key, sha in brought.items() if not (isinstance(sha, str) and sha in recorded)]
    for key in gone:
        seen.pop(key, None)
        del brought[key]
    if gone:
        log.info("this database lost %d bundle(s) still in the folder: read again", len(gone))
    return bool(gone)


def _retry_refused(state: dict[str, Any]) -> None:
    """Read the refused files again: the laptops accepted changed, or the bundles a
    refusal rested on (a number used twice, a replay) are no longer recorded."""
    seen, refused = state.get("seen"), state.get("refused")
    if isinstance(seen, dict) and isinstance(refused, dict):
        for key in refused:
            seen.pop(key, None)
    state["refused"] = {}
