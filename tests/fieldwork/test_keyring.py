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


def test_only_a_coordinator_registers_revokes_or_creates_the_coordinator_key(
    tmp_path: Path,
) -> None:
    from app.bundle.keys import DEVICE_CARD_FORMAT, init_device_keys, write_card
    from app.bundle.target import BundleTarget
    from app.fieldwork.keyring import (
        create_coordinator_key,
        read_laptop_card,
        register_laptop,
        revoke_laptop,
    )

    other = create_store(username="x", password=PASSWORD, kdf=FAST_KDF, path=tmp_path / "o.db")
    keys = init_device_keys(BundleTarget.from_store(other))
    write_card(tmp_path / "o.card.json", keys.card())
    other.close()
    card = read_laptop_card(tmp_path / "o.card.json")
    assert card.content["format"] == DEVICE_CARD_FORMAT and card.fingerprint == keys.fingerprint
    office = create_store(username="boss", password=PASSWORD, kdf=FAST_KDF, path=tmp_path / "c.db")
    office.add_user(username="sup", password=PASSWORD, role=Role.SUPERVISOR)
    office.close()
    with open_store(username="sup", password=PASSWORD, path=tmp_path / "c.db") as supervisor:
        for attempt in (
            lambda: create_coordinator_key(supervisor, "a long passphrase here"),
            lambda: register_laptop(supervisor, card),
            lambda: revoke_laptop(supervisor, keys.device_id),
        ):
            with pytest.raises(PermissionDeniedError, match="Only a coordinator"):
                attempt()
        assert keys_overview(supervisor).laptops == ()
    with open_store(username="boss", password=PASSWORD, path=tmp_path / "c.db") as boss:
        create_coordinator_key(boss, "a long passphrase here")
        register_laptop(boss, card)
        revoke_laptop(boss, keys.device_id)
        (laptop,) = keys_overview(boss).laptops
        assert laptop.fingerprint == keys.fingerprint and laptop.revoked_at
