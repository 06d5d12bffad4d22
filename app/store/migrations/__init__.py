"""Alembic migrations of the local store, run programmatically by `app.store.migrate`."""
