"""The database a bundle is exported from or imported into: a local store or a central one.

A coordinator's store is the same schema on SQLite (the usual `LocalStore`,
logged in, SQLCipher-encrypted) or on PostgreSQL for a central store that
outgrew one laptop. Bundle code only needs transactions, the dialect, who is
acting and which device this database is; `BundleTarget` gives exactly that
for both, so every bundle service runs unchanged on either engine.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col

from app.store import repo_cases
from app.store.crypto import normalise_username
from app.store.db import translated_errors
from app.store.errors import StoreError
from app.store.migrate import current_revision, head_revision, upgrade_connection
from app.store.store import LocalStore
from app.store.tables import Device, DeviceRole, User

log = logging.getLogger(__name__)


@dataclass
class BundleTarget:
    """A database plus the acting user and this database's own device id."""

    engine: Engine
    device_id: str
    user_id: str | None
    label: str
    store: LocalStore | None = None
    _owned: bool = field(default=False, repr=False)
    # The open `one_transaction` session of each thread that opened one.
    _shared: dict[int, Session] = field(default_factory=dict, repr=False)

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any error.

        Inside `one_transaction` (in the thread that opened it), the shared
        transaction instead: a write is a savepoint, undone alone on error.
        """
        session = self._shared.get(threading.get_ident())
        if session is not None:
            if write:
                with translated_errors():
                    nested = session.begin_nested()
                    try:
                        yield session
                    except BaseException as error:
                        _roll_back_savepoint(nested, error)
                        raise
                    nested.commit()
            else:
                with translated_errors():
                    yield session
            return
        if self.store is not None:
            with self.store.session(write=write) as session:
                yield session
            return
        with translated_errors(), Session(bind=self.engine, expire_on_commit=False) as session:
            try:
                if write and self.dialect == "postgresql":
                    # One importer/exporter at a time on a central store.
                    session.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def one_transaction(self) -> Iterator[None]:
        """Every `session()` this thread opens inside is part of one write transaction,
        committed at the end (rolled back on error).

        Importing many small bundles: a commit each wrote the same index pages
        to the WAL and synced it once per bundle, which doubled the cost of
        the inserts themselves (`bench/merge.py`). Each bundle still applies
        or fails alone, in its savepoint.
        """
        thread = threading.get_ident()
        if thread in self._shared:
            raise RuntimeError("one_transaction is already open in this thread")
        with self.session(write=True) as session:
            self._shared[thread] = session
            try:
                yield
            finally:
                del self._shared[thread]

    def close(self) -> None:
        """Close the engine if this target opened it (a `LocalStore` is closed by its owner)."""
        if self._owned:
            self.engine.dispose()

    def __enter__(self) -> BundleTarget:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @classmethod
    def from_store(cls, store: LocalStore) -> BundleTarget:
        """The logged-in local store."""
        return cls(
            engine=store.db.engine,
            device_id=store.device_id,
            user_id=store.user.id,
            label=str(store.path),
            store=store,
        )

    @classmethod
    def open_url(cls, url: str, *, username: str | None = None) -> BundleTarget:
        """A central store by SQLAlchemy URL (``postgresql://…``), migrated to the newest schema.

        The database's own device row (role coordinator) is created on first
        use. `username`, if given, must be a user of that database; access
        control is the database server's.
        """
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        engine = create_engine(url, hide_parameters=True, pool_pre_ping=True)
        try:
            try:
                connection = engine.connect()
            except OperationalError as error:
                raise _cannot_connect(engine, error) from None
            with connection as conn, conn.begin():
                if engine.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(4242000)"))
                if current_revision(conn) != head_revision():
                    upgrade_connection(conn)
            with Session(bind=engine, expire_on_commit=False) as session, session.begin():
                device = repo_cases.get_local_device(session=session)
                if device is None:
                    device = repo_cases.register_local_device(session=session, name="central store")
                    device.role = DeviceRole.COORDINATOR.value
                    session.add(device)
                device_id = device.id
                user_id: str | None = None
                if username is not None:
                    user_id = session.execute(
                        select(col(User.id)).where(
                            col(User.username) == normalise_username(username)
                        )
                    ).scalar()
                    if user_id is None:
                        from app.bundle.errors import BundleError

                        raise BundleError(f"There is no user {username!r} in that database.")
        except BaseException:
            engine.dispose()
            raise
        log.info("opened central store %s", _shown(engine))
        return cls(
            engine=engine,
            device_id=device_id,
            user_id=user_id,
            label=_shown(engine),
            _owned=True,
        )


def _roll_back_savepoint(nested: SessionTransaction, error: BaseException) -> None:
    """Undo one write of a shared transaction after `error`.

    SQLite ends the whole transaction itself on some errors (a full disk):
    then the savepoint is gone, and `error` (why) is what the caller must
    see, not "no such savepoint". Any other failure to roll back is raised:
    nothing more may run in that transaction.
    """
    try:
        nested.rollback()
    except DBAPIError:
        if not isinstance(error, DBAPIError):
            raise
        log.info("the savepoint went with the transaction", exc_info=True)


def local_device(session: Session, target: BundleTarget) -> Device:
    """This database's own device row."""
    device = session.get(Device, target.device_id)
    assert device is not None
    return device


def is_coordinator_database(target: BundleTarget) -> bool:
    """True for a coordinator's database (it imports field bundles, with its key)."""
    with target.session() as session:
        device = session.get(Device, target.device_id)
        return device is not None and device.role == DeviceRole.COORDINATOR.value


def _cannot_connect(engine: Engine, error: OperationalError) -> StoreError:
    """One line naming the server and database (never the password) and the server's
    reason: a wrong password, a server that is down, a database that does not exist."""
    where = _shown(engine)
    reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
    reason = reason.removeprefix("connection failed: ")
    return StoreError(f"cannot open the central store {where}: {reason}")


def _shown(engine: Engine) -> str:
    """The central store's URL as its user wrote it, without the password."""
    return engine.url.render_as_string(hide_password=True).replace("+psycopg", "", 1)
