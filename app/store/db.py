"""Database files: connections, PRAGMAs, SQLCipher keys, sessions, error mapping.

Every connection to a store file is made here, through `sqlcipher3` (SQLite
with SQLCipher built in; without a key it is plain SQLite). Each one gets the
PRAGMAs from DESIGN.md before SQLAlchemy sees it:

* ``journal_mode=WAL`` and ``synchronous=FULL``: an acknowledged commit
  survives power loss (NORMAL would lose the last ones);
* ``foreign_keys=ON`` (off only while a migration rebuilds tables);
* ``busy_timeout`` so that a CLI and the app can share the file;
* ``secure_delete=ON`` so deleted draft text is overwritten, not left in
  free pages;
* ``temp_store=MEMORY`` so that sorts never spill answer text into temporary
  files; ``journal_size_limit`` so that a large attachment does not leave a
  huge ``-wal`` behind.

Transactions are explicit: the driver runs in autocommit mode and the
engine's ``begin`` event emits ``BEGIN`` (readers) or ``BEGIN IMMEDIATE``
(writers: takes the write lock up front, so two writers wait for each other
instead of failing on lock upgrade).

Nothing here writes to the file before `probe` has checked that it is
readable, intact and not newer than this code.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.pool import NullPool, QueuePool
from sqlmodel import Session

from app.core import paths
from app.store import errors

log = logging.getLogger(__name__)

DB_FILE_NAME = "samluat.db"
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5_000
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024
# Pages the WAL may hold before a commit checkpoints it (SQLite's default: 1,000).
# A bundle import writes megabytes per transaction: checkpointing every 4 MB wrote
# the same index pages back after nearly every bundle (50,000 interviews merged
# ~15 % faster with 10,000). Durability is the WAL's (synchronous=FULL) either way.
WAL_AUTOCHECKPOINT_PAGES = 10_000
KEY_BYTES = 32
TRIGGER_MESSAGE_PREFIX = "samluat:"

DbapiConnection = Any  # sqlcipher3 has no type stubs


def default_db_path() -> Path:
    """The store file under the user data directory (`SAMLUAT_HOME` overrides)."""
    return paths.data_dir() / DB_FILE_NAME


def is_plaintext_sqlite(path: Path) -> bool:
    """True if `path` starts with the plain SQLite header (i.e. is not encrypted)."""
    with open(path, "rb") as handle:
        return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER


def connect_raw(path: Path, key: bytes | None) -> DbapiConnection:
    """A bare driver connection with the key applied and no other PRAGMA.

    Used to inspect a file without changing it (`probe`) and by the backup
    code. The caller closes it.
    """
    conn = sqlcipher.connect(
        str(path),
        isolation_level=None,
        check_same_thread=False,
        timeout=BUSY_TIMEOUT_MS / 1000,
    )
    if key is not None:
        if len(key) != KEY_BYTES:
            conn.close()
            raise ValueError("database key must be 32 bytes")
        # A raw key (x'..') skips SQLCipher's per-connection PBKDF2: the key is
        # already random; the password KDF is done once, when unwrapping it.
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    return conn


def apply_pragmas(conn: DbapiConnection, *, foreign_keys: bool = True) -> None:
    """Set the connection PRAGMAs every store connection must have."""
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise errors.StorageIOError(f"The database could not switch to WAL mode (got {mode}).")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA secure_delete=ON")
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
    conn.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")


def connection_pragmas(conn: DbapiConnection) -> dict[str, Any]:
    """The current values of the PRAGMAs set by `apply_pragmas` (for tests and `db check`)."""
    names = [
        "journal_mode",
        "synchronous",
        "foreign_keys",
        "busy_timeout",
        "secure_delete",
        "temp_store",
        "wal_autocheckpoint",
    ]
    return {name: conn.execute(f"PRAGMA {name}").fetchone()[0] for name in names}


@dataclass(frozen=True)
class ProbeResult:
    """What `probe` learned about a file without changing it."""

    schema_revision: str | None
    encrypted: bool


def read_only_part(path: Path) -> Path | None:
    """The database's folder, file or WAL companion that cannot be written, if any.

    SQLite in WAL mode writes beside the database even to read it, and a failed open
    would otherwise read as "damaged", which sends people to restore a healthy file.
    """
    for part in (path.parent, path, *(Path(f"{path}{end}") for end in ("-wal", "-shm"))):
        if os.path.lexists(part) and not os.access(part, os.W_OK):
            return part
    return None


def probe(path: Path, key: bytes | None, known_revisions: set[str]) -> ProbeResult:
    """Check that `path` is a readable, intact Samluat database not newer than this code.

    Reads only: no PRAGMA that writes, no migration. Raises
    `DatabaseNotFoundError`, `DatabaseCorruptError` (also for a wrong key) or
    `DatabaseTooNewError`.
    """
    if not path.is_file():
        raise errors.DatabaseNotFoundError(f"No database at {path}.")
    encrypted = key is not None
    try:
        conn = connect_raw(path, key)
    except sqlcipher.Error as error:
        raise errors.DatabaseCorruptError(f"The database file {path} cannot be opened.") from error
    try:
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher.DatabaseError as error:
            if encrypted:
                raise errors.DatabaseCorruptError(
                    f"The database {path} cannot be read: it is damaged or does not belong "
                    "to this key file."
                ) from error
            raise errors.DatabaseCorruptError(
                f"The file {path} is not a readable database (damaged, or encrypted without "
                "its key file)."
            ) from error
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        except sqlcipher.DatabaseError as error:
            raise errors.DatabaseCorruptError(f"The database {path} is damaged.") from error
        if [tuple(r) for r in rows] != [("ok",)]:
            log.error("quick_check failed for %s: %d problem(s)", path, len(rows))
            raise errors.DatabaseCorruptError(
                f"The database {path} is damaged (integrity check failed). "
                "Restore it from a backup."
            )
        has_version = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).fetchone()
        if not has_version:
            raise errors.DatabaseCorruptError(f"The file {path} is not a Samluat database.")
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    finally:
        conn.close()
    if revision is not None and revision not in known_revisions:
        raise errors.DatabaseTooNewError(
            f"The database {path} was written by a newer version of Samluat "
            f"(schema {revision}). Install the newer version to open it."
        )
    return ProbeResult(schema_revision=revision, encrypted=encrypted)


def make_engine(
    path: Path, key: bytes | None, *, foreign_keys: bool = True, pooled: bool = True
) -> Engine:
    """An SQLAlchemy engine whose every connection has the key and the PRAGMAs.

    Bind parameters are hidden from error messages: they contain answer text,
    and error messages reach the (unencrypted) log file.
    """

    def creator() -> DbapiConnection:
        conn = connect_raw(path, key)
        try:
            apply_pragmas(conn, foreign_keys=foreign_keys)
        except BaseException:
            conn.close()
            raise
        return conn

    engine = create_engine(
        "sqlite://",
        creator=creator,
        module=sqlcipher,
        poolclass=QueuePool if pooled else NullPool,
        hide_parameters=True,
    )

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def translate(error: BaseException) -> errors.StoreError | None:
    """Map a driver/SQLAlchemy error to a user-safe `StoreError`, or None if it is a bug."""
    orig = getattr(error, "orig", error)
    if TRIGGER_MESSAGE_PREFIX in str(orig):
        # A guard trigger (SQLite RAISE or PostgreSQL RAISE EXCEPTION).
        text = str(orig).split(TRIGGER_MESSAGE_PREFIX, 1)[1].strip().splitlines()[0]
        return errors.ImmutableError(text[:1].upper() + text[1:] + ".")
    if not isinstance(orig, sqlcipher.Error):
        return None
    code = getattr(orig, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    message = str(orig)
    if primary == sqlcipher.SQLITE_FULL or "disk is full" in message:
        return errors.StorageFullError(
            "The disk is full: the last change was not saved. Free some space and try again."
        )
    if primary == sqlcipher.SQLITE_IOERR or "disk I/O error" in message:
        return errors.StorageIOError(
            "The computer reported a disk error: the last change was not saved. "
            "Try again; if it keeps happening, back up the database and check the disk."
        )
    if primary in (sqlcipher.SQLITE_BUSY, sqlcipher.SQLITE_LOCKED):
        return errors.DatabaseBusyError(
            "The database is in use by another Samluat window or command. Try again."
        )
    if primary in (sqlcipher.SQLITE_CORRUPT, sqlcipher.SQLITE_NOTADB):
        return errors.DatabaseCorruptError("The database is damaged. Restore it from a backup.")
    if primary == sqlcipher.SQLITE_READONLY:
        return errors.StorageIOError(
            "The database file cannot be written (read-only). The last change was not saved."
        )
    return None


@contextmanager
def translated_errors() -> Iterator[None]:
    """Re-raise storage failures as `StoreError`s; other errors pass unchanged."""
    try:
        yield
    except (exc.DBAPIError, sqlcipher.Error) as error:  # any driver: SQLite or PostgreSQL
        mapped = translate(error)
        if mapped is None:
            raise
        log.warning("storage error: %s (%s)", type(mapped).__name__, type(error).__name__)
        raise mapped from error


class Database:
    """An open store file: its engine, and sessions that commit or roll back as a whole.

    Thread-safe: each session takes its own pooled connection.
    """

    def __init__(self, path: Path, key: bytes | None, engine: Engine) -> None:
        self.path = path
        self.encrypted = key is not None
        self._key = key
        self.engine = engine
        self._write_engine = engine.execution_options(sqlite_begin="IMMEDIATE")
        self._closed = False
        self._lock = threading.Lock()

    @property
    def key(self) -> bytes | None:
        """The raw SQLCipher key (None for a plaintext database)."""
        return self._key

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error.

        `write=True` takes the write lock at BEGIN. Storage failures surface
        as `StorageFullError`, `StorageIOError`, `DatabaseBusyError`, ...
        """
        if self._closed:
            raise errors.StoreError("The database has been closed.")
        bind = self._write_engine if write else self.engine
        with translated_errors(), Session(bind=bind, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def raw_connection(self) -> DbapiConnection:
        """A new driver connection with key and PRAGMAs (caller closes it)."""
        conn = connect_raw(self.path, self._key)
        apply_pragmas(conn)
        return conn

    def close(self) -> None:
        """Dispose of all pooled connections (checkpoints the WAL on the last one)."""
        with self._lock:
            if not self._closed:
                self.engine.dispose()
                self._closed = True

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
