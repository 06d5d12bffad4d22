"""Helpers shared by the store tests."""

from __future__ import annotations

from pathlib import Path

from app.store.crypto import KdfParams
from app.store.store import LocalStore, create_store

# argon2id at 8 MiB / t=1: the same code paths as production, 100x faster.
FAST_KDF = KdfParams(time_cost=1, memory_cost_kib=8 * 1024, parallelism=1)
ADMIN = "admin"
ADMIN_PASSWORD = "admin-password-1"
FORM_SOURCE = b"| survey |\n| type | name | label |\n| text | q1 | Q1 |\n"


def make_store(*, encrypted: bool = True, path: Path | None = None) -> LocalStore:
    store = create_store(
        username=ADMIN, password=ADMIN_PASSWORD, path=path, encrypted=encrypted, kdf=FAST_KDF
    )
    store.add_form_version(
        form_id="household",
        version="1",
        title="Household",
        source=FORM_SOURCE,
        source_name="household.md",
    )
    return store


def doc(instance_id: str, **data: object) -> dict[str, object]:
    """A submission document shaped like the engine's."""
    return {
        "form_id": "household",
        "form_version": "1",
        "instance_id": instance_id,
        "data": dict(data),
    }
