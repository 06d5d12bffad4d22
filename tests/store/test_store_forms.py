"""Form versions: a version with submissions never changes; a new version is a new row."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.store import errors
from app.store.store import LocalStore
from tests.store.storetools import FORM_SOURCE, doc


def test_source_hash_and_blobs_are_stored(store: LocalStore) -> None:
    info = store.add_form_version(
        form_id="f", version="2024-01", title="F", source=b"source bytes", compiled=b"\x80pickle"
    )
    got, source, compiled = store.get_form_version(form_id="f", version="2024-01")
    assert got == info
    assert (source, compiled) == (b"source bytes", b"\x80pickle")
    import hashlib

    assert info.content_hash == hashlib.sha256(b"source bytes").hexdigest()


def test_same_version_same_bytes_is_noop_different_bytes_refused(store: LocalStore) -> None:
    again = store.add_form_version(
        form_id="household", version="1", title="Household", source=FORM_SOURCE
    )
    assert again.version == "1"
    with pytest.raises(errors.ImmutableError):
        store.add_form_version(form_id="household", version="1", title="x", source=b"changed")
    store.add_form_version(
        form_id="household", version="2", title="Household v2", source=b"changed"
    )
    assert [v.version for v in store.list_form_versions(form_id="household")] == ["1", "2"]


def test_unused_version_can_be_deleted(store: LocalStore) -> None:
    store.add_form_version(form_id="tmp", version="1", title="T", source=b"t")
    store.delete_form_version(form_id="tmp", version="1")
    assert store.list_form_versions(form_id="tmp") == []


def test_version_with_submissions_cannot_change_or_go(store: LocalStore) -> None:
    store.start_submission(form_id="household", form_version="1", document=doc("uuid:f1"))
    with pytest.raises(errors.ImmutableError):
        store.delete_form_version(form_id="household", version="1")
    from app.store import repo_forms

    with store.session(write=True) as session, pytest.raises(errors.ImmutableError):
        repo_forms.update_form_version(
            session=session, form_id="household", version="1", compiled=b"new"
        )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE form_version SET source = x'00' WHERE form_id = 'household'",
        "UPDATE form_version SET title = 'renamed' WHERE form_id = 'household'",
        "DELETE FROM form_version WHERE form_id = 'household'",
    ],
)
def test_database_triggers_guard_used_versions(store: LocalStore, statement: str) -> None:
    """Even SQL that bypasses the repository is refused once a submission exists."""
    with store.session(write=True) as session:
        session.execute(text(statement.replace("household", "nobody")))  # no rows: fine
    store.start_submission(form_id="household", form_version="1", document=doc("uuid:f2"))
    with (
        pytest.raises(errors.ImmutableError, match="form version"),
        store.session(write=True) as session,
    ):
        session.execute(text(statement))
    _, source, _ = store.get_form_version(form_id="household", version="1")
    assert source == FORM_SOURCE
