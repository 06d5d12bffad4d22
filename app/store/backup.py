"""Backups through SQLite's online backup API (never a file copy of a live database).

The copy is written to a temporary file next to the destination with the
same SQLCipher key (an encrypted database gives an encrypted backup), checked
(integrity and the canonical content hash must equal the source's), then
renamed into place; the key file is copied beside it so that the backup
opens with the same user names and passwords.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from app.store import errors
from app.store.check import content_hash
from app.store.crypto import keyring_path
from app.store.db import Database, connect_raw, make_engine, translated_errors
from app.store.fileio import fsync_dir

log = logging.getLogger(__name__)

PAGES_PER_STEP = 1024


@dataclass(frozen=True)
class BackupResult:
    path: Path
    keyring: Path | None
    content_hash: str
    size: int


def backup_database(*, db: Database, dest: Path, overwrite: bool = False) -> BackupResult:
    """Copy the open database to `dest` (and its key file to `dest` + ``.keyring``)."""
    dest = dest.expanduser().resolve()
    if dest == db.path.resolve():
        raise errors.StoreError("The backup cannot overwrite the database itself.")
    if dest.exists() and not overwrite:
        raise errors.DuplicateError(f"{dest} already exists.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    with translated_errors():
        source = db.raw_connection()
        try:
            target = connect_raw(tmp, db.key)
            try:
                source.backup(target, pages=PAGES_PER_STEP)
                target.execute("PRAGMA journal_mode=DELETE")
            finally:
                target.close()
        finally:
            source.close()
        with db.engine.connect() as connection, connection.begin():
            expected = content_hash(connection)
        check_engine = make_engine(tmp, db.key, pooled=False)
        try:
            with check_engine.connect() as connection, connection.begin():
                integrity = [r[0] for r in connection.exec_driver_sql("PRAGMA integrity_check")]
                actual = content_hash(connection)
        finally:
            check_engine.dispose()
    if integrity != ["ok"] or actual != expected:
        tmp.unlink(missing_ok=True)
        raise errors.IntegrityCheckError("The backup copy failed its check and was deleted.")
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, dest)
    fsync_dir(dest.parent)
    keyring_copy: Path | None = None
    source_keyring = keyring_path(db.path)
    if source_keyring.is_file():
        keyring_copy = keyring_path(dest)
        shutil.copyfile(source_keyring, keyring_copy)
    log.info("backup written (%d bytes)", dest.stat().st_size)
    return BackupResult(
        path=dest, keyring=keyring_copy, content_hash=actual, size=dest.stat().st_size
    )
