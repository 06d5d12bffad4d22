"""Schema migrations, run from code (no alembic.ini, no `alembic` command).

An upgrade runs every pending revision inside one ``BEGIN IMMEDIATE``
transaction on a connection with foreign keys off (table rebuilds need it),
then runs ``PRAGMA foreign_key_check`` before committing. SQLite DDL is
transactional, so a crash or an error at any point leaves the old schema
with all its data, or the new one: never a mix.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from app.store import errors
from app.store.db import make_engine, translate

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic Config pointing at `app/store/migrations`, optionally bound to `connection`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest schema revision this code knows."""
    head = _script().get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    """Every schema revision this code knows (a database at any other one is newer)."""
    return {rev.revision for rev in _script().walk_revisions()}


def current_revision(connection: Connection) -> str | None:
    """The revision recorded in the database (None for an empty database)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_connection(connection: Connection, target: str = "head") -> None:
    """Run migrations up to `target` on `connection`, inside the caller's transaction."""
    command.upgrade(alembic_config(connection), target)


def upgrade_database(path: Path, key: bytes | None, target: str = "head") -> str | None:
    """Upgrade the file at `path` to `target` atomically; returns the revision before.

    Raises `MigrationError` (database unchanged) if any step or the final
    foreign-key check fails.
    """
    engine = make_engine(path, key, foreign_keys=False, pooled=False)
    try:
        with engine.connect() as plain:
            conn = plain.execution_options(sqlite_begin="IMMEDIATE")
            try:
                with conn.begin():
                    before = current_revision(conn)
                    upgrade_connection(conn, target)
                    problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if problems:
                        log.error(
                            "foreign key check failed after migration: %d rows", len(problems)
                        )
                        raise errors.MigrationError(
                            "The database upgrade was abandoned: it would break references "
                            "between records. The database is unchanged."
                        )
                    after = current_revision(conn)
            except errors.StoreError:
                raise
            except Exception as error:
                mapped = translate(error)
                log.exception("schema upgrade failed; rolled back")
                if mapped is not None:
                    raise mapped from error
                raise errors.MigrationError(
                    "The database upgrade failed and was rolled back; the database is unchanged."
                ) from error
    finally:
        engine.dispose()
    log.info("schema upgraded from %s to %s", before, after)
    return before
