"""Alembic environment: runs on the connection handed over by `app.store.migrate`.

There is no alembic.ini: `app.store.migrate` builds the Config, opens the
connection (foreign keys off, one ``BEGIN IMMEDIATE`` transaction) and passes
it in ``config.attributes["connection"]``. Because that transaction is the
caller's, every revision of an upgrade commits together or not at all.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import app.store.tables  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through app.store.migrate, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,
    transaction_per_migration=False,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
