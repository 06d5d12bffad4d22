"""The same schema, migrations, guards and repository code on a real PostgreSQL server.

A throw-away PostgreSQL cluster is started from the machine's PostgreSQL
binaries, listening only on a Unix socket in a temporary folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session, SQLModel

from app.store import errors, repo_forms, repo_submissions, users
from app.store.check import content_hash, table_counts
from app.store.db import make_engine, translated_errors
from app.store.migrate import current_revision, head_revision, upgrade_connection
from app.store.tables import Device, Role, SubmissionState
from tests.pgserver import postgres_server
from tests.store.storetools import doc


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture
def pg(pg_url: str) -> Iterator[Engine]:
    engine = create_engine(pg_url, hide_parameters=True)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    with engine.connect() as conn, conn.begin():
        upgrade_connection(conn)
    yield engine
    engine.dispose()


T0 = datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)


def _build(engine: Engine, order: list[int]) -> str:
    with Session(engine) as session, session.begin():
        session.add(Device(id="dev-1", name="a", is_local=True, registered_at=T0))
        users.create_user(
            session=session,
            username="u",
            password_hash=None,
            role=Role.ENUMERATOR,
            user_id="user-1",
        )
        repo_forms.add_form_version(
            session=session, form_id="household", version="1", title="H", source=b"s"
        )
    for n in order:
        with Session(engine) as session, session.begin():
            at = T0 + timedelta(minutes=n)
            common = {
                "session": session,
                "instance_id": f"uuid:{n}",
                "user_id": "user-1",
                "device_id": "dev-1",
            }
            repo_submissions.create_submission(
                **common,
                form_id="household",
                form_version="1",
                document=doc(f"uuid:{n}", start=n),
                now=at,
                rev_id=f"rev-{n}-a",
            )
            repo_submissions.save_draft(**common, document=doc(f"uuid:{n}", v=n, s="ສ"), now=at)
            if n % 2 == 0:
                repo_submissions.finalise(**common, now=at)
                repo_submissions.start_edit(**common, reason="fix", now=at, rev_id=f"rev-{n}-b")
    with engine.connect() as conn:
        return content_hash(conn)


def test_migrations_give_the_table_schema_on_postgres(pg: Engine) -> None:
    with pg.connect() as conn:
        assert current_revision(conn) == head_revision()
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
        assert set(table_counts(conn)) == set(SQLModel.metadata.tables)


def test_same_data_same_content_hash_as_sqlite(pg: Engine, tmp_path: Path) -> None:
    from app.store.migrate import upgrade_database

    pg_hash = _build(pg, [5, 3, 1, 6, 4, 2])
    path = tmp_path / "same.db"
    upgrade_database(path, None)
    sqlite = make_engine(path, None)
    try:
        assert _build(sqlite, [1, 2, 3, 4, 5, 6]) == pg_hash
    finally:
        sqlite.dispose()


def test_guards_and_repository_on_postgres(pg: Engine) -> None:
    _build(pg, [1, 2])
    with Session(pg) as session:
        page = repo_submissions.list_submissions(session=session)
        assert page.total == 2
        assert {r.state for r in page.rows} == {SubmissionState.DRAFT, SubmissionState.EDITING}
        heads = repo_submissions.list_heads(session=session, instance_id="uuid:2")
        assert [h.rev_id for h in heads] == ["rev-2-a"]
    with (
        pytest.raises(errors.ImmutableError, match="finalised revision"),
        translated_errors(),
        pg.begin() as conn,
    ):
        conn.execute(text("UPDATE revision SET document = '{}' WHERE rev_id = 'rev-2-a'"))
    with (
        pytest.raises(errors.ImmutableError, match="form version"),
        translated_errors(),
        pg.begin() as conn,
    ):
        conn.execute(text("DELETE FROM form_version"))
    from app.store.repo_paradata import EventIn, EventKind, record_events

    with Session(pg) as session, session.begin():
        record_events(
            session=session, events=[EventIn(EventKind.LOGIN)], user_id="user-1", device_id="dev-1"
        )
    with (
        pytest.raises(errors.ImmutableError, match="append-only"),
        translated_errors(),
        pg.begin() as conn,
    ):
        conn.execute(text("DELETE FROM paradata_event"))
    # A second line of edits on another machine makes a conflict, found the same way.
    with Session(pg) as session, session.begin():
        repo_submissions.finalise(
            session=session, instance_id="uuid:2", user_id="user-1", device_id="dev-1"
        )
        repo_submissions.start_edit(
            session=session,
            instance_id="uuid:2",
            reason="other laptop",
            parent_rev="rev-2-a",
            user_id="user-1",
            device_id="dev-1",
        )
        repo_submissions.finalise(
            session=session, instance_id="uuid:2", user_id="user-1", device_id="dev-1"
        )
    with Session(pg) as session:
        conflicts = repo_submissions.list_conflicts(session=session)
        assert [c.instance_id for c in conflicts] == ["uuid:2"]
        assert len(conflicts[0].head_rev_ids) == 2
