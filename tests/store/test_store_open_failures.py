"""Wrong password, corrupt file, newer version: a clear error and nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.store import errors, open_store
from app.store.crypto import keyring_path
from app.store.db import connect_raw
from app.store.store import LocalStore
from tests.store.storetools import ADMIN, ADMIN_PASSWORD, doc, make_store


def _snapshot(path: Path) -> dict[str, bytes | None]:
    """Bytes of the database, its key file and any WAL/SHM."""
    names = [path, keyring_path(path), Path(f"{path}-wal"), Path(f"{path}-shm")]
    return {str(p): (p.read_bytes() if p.exists() else None) for p in names}


@pytest.fixture(params=[True, False], ids=["encrypted", "plaintext"])
def closed_store(request: pytest.FixtureRequest, home: Path) -> Path:
    store: LocalStore = make_store(encrypted=request.param)
    store.start_submission(form_id="household", form_version="1", document=doc("uuid:o1", a=1))
    store.close()
    return store.path


def test_wrong_password_changes_nothing(closed_store: Path) -> None:
    before = _snapshot(closed_store)
    with pytest.raises(errors.WrongPasswordError, match="Wrong user name or password"):
        open_store(username=ADMIN, password="not-the-password", path=closed_store)
    with pytest.raises(errors.WrongPasswordError):
        open_store(username="nobody", password="not-the-password", path=closed_store)
    assert _snapshot(closed_store) == before


def test_corrupt_file_changes_nothing(closed_store: Path) -> None:
    data = bytearray(closed_store.read_bytes())
    # Damage pages in the middle of the file (not the header).
    for offset in range(4096 + 100, len(data) - 4096, 997):
        data[offset] ^= 0xFF
    closed_store.write_bytes(bytes(data))
    before = _snapshot(closed_store)
    with pytest.raises(errors.DatabaseCorruptError, match=r"damaged|not a readable"):
        open_store(username=ADMIN, password=ADMIN_PASSWORD, path=closed_store)
    assert _snapshot(closed_store) == before


def test_garbage_file_changes_nothing(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not a database at all" * 100)
    before = _snapshot(path)
    with pytest.raises(errors.DatabaseCorruptError):
        open_store(username=ADMIN, password=ADMIN_PASSWORD, path=path)
    assert _snapshot(path) == before


def test_truncated_file_changes_nothing(closed_store: Path) -> None:
    closed_store.write_bytes(closed_store.read_bytes()[: 4096 * 3])
    before = _snapshot(closed_store)
    with pytest.raises(errors.DatabaseCorruptError):
        open_store(username=ADMIN, password=ADMIN_PASSWORD, path=closed_store)
    assert _snapshot(closed_store) == before


def test_newer_schema_changes_nothing(closed_store: Path) -> None:
    from app.store.crypto import Keyring, unwrap_key

    key = None
    if keyring_path(closed_store).exists():
        entry = Keyring.load(keyring_path(closed_store)).get(ADMIN)
        assert entry is not None
        key = unwrap_key(entry, ADMIN_PASSWORD)
    conn = connect_raw(closed_store, key)
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.close()
    before = _snapshot(closed_store)
    with pytest.raises(errors.DatabaseTooNewError, match="newer version of Samluat"):
        open_store(username=ADMIN, password=ADMIN_PASSWORD, path=closed_store)
    assert _snapshot(closed_store) == before


def test_missing_database(home: Path, tmp_path: Path) -> None:
    with pytest.raises(errors.DatabaseNotFoundError):
        open_store(username=ADMIN, password=ADMIN_PASSWORD, path=tmp_path / "none.db")


def test_create_refuses_to_overwrite(closed_store: Path) -> None:
    before = _snapshot(closed_store)
    with pytest.raises(errors.DatabaseExistsError):
        make_store(path=closed_store)
    assert _snapshot(closed_store) == before
