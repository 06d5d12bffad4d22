"""Who may decide which coordinator a laptop encrypts the study's data to."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.fieldwork.keyring import keys_overview, read_coordinator_card, trust_coordinator_card
from app.store import Role, create_store, open_store
from app.store.errors import PermissionDeniedError
from tests.bundle.bundletools import FAST_KDF, PASSWORD, make_coordinator


def test_an_enumerator_cannot_point_the_laptop_at_another_coordinator(tmp_path: Path) -> None:
    coordinator = make_coordinator(tmp_path / "office")
    card = read_coordinator_card(coordinator.card)
    coordinator.close()
    laptop = create_store(username="boss", password=PASSWORD, kdf=FAST_KDF, path=tmp_path / "l.db")
    laptop.add_user(username="enum", password=PASSWORD, role=Role.ENUMERATOR)
    laptop.close()
    with open_store(username="enum", password=PASSWORD, path=tmp_path / "l.db") as enumerator:
        with pytest.raises(PermissionDeniedError):
            trust_coordinator_card(enumerator, card)
        assert keys_overview(enumerator).coordinator is None  # nothing trusted
    with open_store(username="boss", password=PASSWORD, path=tmp_path / "l.db") as boss:
        trust_coordinator_card(boss, card)
        trusted = keys_overview(boss).coordinator
        assert trusted is not None and trusted.fingerprint == card.fingerprint
