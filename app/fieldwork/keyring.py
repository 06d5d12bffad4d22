"""Keys and laptops in the app: what `samluat keys …` does, for the shipped app alone.

A field laptop's build has no command line, yet a study cannot start without
its keys: each laptop's signing key and card, the coordinator's key pair and
card, the coordinator trusting laptops (register, revoke) and laptops trusting
the coordinator. This wraps the bundle service's key functions
(`app.bundle.keys`) for the app: cards are files people carry on a USB stick,
and every trust decision shows the fingerprint to compare on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.bundle.canon import b64d, fingerprint
from app.bundle.errors import KeyFileError
from app.bundle.keys import (
    COORDINATOR_CARD_FORMAT,
    DEVICE_CARD_FORMAT,
    CoordinatorKeys,
    DeviceKeys,
    DeviceRow,
    coordinator_card,
    create_coordinator_keys,
    init_device_keys,
    list_devices,
    read_card,
    register_device,
    rename_device,
    revoke_device,
    trust_coordinator,
    write_card,
)
from app.bundle.merge import require_coordinator
from app.bundle.target import BundleTarget, is_coordinator_database
from app.fieldwork.syncing import coordinator_key_file
from app.store import LocalStore
from app.store.errors import PermissionDeniedError
from app.store.tables import DeviceRole
from app.store.users import REVIEWER_ROLES


@dataclass(frozen=True)
class Card:
    """A card read from a file, before anyone trusts it."""

    content: dict[str, Any]
    name: str
    fingerprint: str


@dataclass(frozen=True)
class KeysOverview:
    this_laptop: DeviceKeys
    coordinator_database: bool  # this database is the coordinator's
    others: tuple[DeviceRow, ...]  # laptops registered here, or the coordinator trusted here

    @property
    def coordinator(self) -> DeviceRow | None:
        """The coordinator this laptop trusts (None on the coordinator's own database)."""
        return next((d for d in self.others if d.role == DeviceRole.COORDINATOR.value), None)

    @property
    def laptops(self) -> tuple[DeviceRow, ...]:
        return tuple(d for d in self.others if d.role != DeviceRole.COORDINATOR.value)


def keys_overview(store: LocalStore) -> KeysOverview:
    """This laptop's keys (made on first use) and the devices it knows."""
    target = BundleTarget.from_store(store)
    keys = init_device_keys(target)
    return KeysOverview(
        this_laptop=keys,
        coordinator_database=is_coordinator_database(target),
        others=tuple(d for d in list_devices(target) if not d.is_local),
    )


def save_laptop_card(store: LocalStore, path: Path) -> Path:
    """Write this laptop's card (public keys only) for the coordinator."""
    write_card(path, init_device_keys(BundleTarget.from_store(store)).card())
    return path


def read_laptop_card(path: Path) -> Card:
    return _card(read_card(path, DEVICE_CARD_FORMAT))


def read_coordinator_card(path: Path) -> Card:
    return _card(read_card(path, COORDINATOR_CARD_FORMAT))


def _card(content: dict[str, Any]) -> Card:
    # The fingerprint shown is computed from the key itself, never the card's own claim.
    try:
        key = b64d(str(content.get("signing_key")), "signing_key")
    except ValueError as error:
        raise KeyFileError(f"The card's signing key is damaged ({error}).") from None
    return Card(content, str(content.get("name") or ""), fingerprint(key))


def register_laptop(store: LocalStore, card: Card) -> DeviceKeys:
    """Coordinator: accept a laptop's bundles from now on."""
    target = BundleTarget.from_store(store)
    require_coordinator(target, "register laptops")
    return register_device(target, card.content)


def revoke_laptop(store: LocalStore, device_id: str) -> None:
    """Coordinator: refuse a lost or stolen laptop's bundles from now on."""
    target = BundleTarget.from_store(store)
    require_coordinator(target, "revoke laptops")
    revoke_device(target, device_id)


def rename_laptop(store: LocalStore, device_id: str, name: str) -> str:
    """Coordinator: name a registered laptop as the team calls it ("Laptop 07, Pakse")."""
    target = BundleTarget.from_store(store)
    require_coordinator(target, "rename laptops")
    return rename_device(target, device_id, name)


def may_trust_coordinators(store: LocalStore) -> bool:
    """Who may choose the coordinator a laptop encrypts to: not an enumerator or
    interviewer, who could otherwise send the study's data to someone else."""
    return store.user.role in REVIEWER_ROLES


def trust_coordinator_card(store: LocalStore, card: Card) -> DeviceKeys:
    """Field laptop: encrypt everything to this coordinator from now on."""
    if not may_trust_coordinators(store):
        raise PermissionDeniedError("Only a supervisor or a coordinator can trust a coordinator.")
    return trust_coordinator(BundleTarget.from_store(store), card.content)


def create_coordinator_key(
    store: LocalStore,
    passphrase: str,
    *,
    escrow_passphrase: str | None = None,
    escrow_file: Path | None = None,
) -> CoordinatorKeys:
    """Make this database the coordinator's: its key pair, kept where Sync now looks,
    and optionally an escrow key (a second way in) written to `escrow_file`, to be
    kept offline with its own passphrase."""
    target = BundleTarget.from_store(store)
    require_coordinator(target, "create the coordinator key")
    return create_coordinator_keys(
        target,
        out_dir=coordinator_key_file().parent,
        passphrase=passphrase,
        escrow_passphrase=escrow_passphrase,
        escrow_file=escrow_file,
    )


def save_coordinator_card(store: LocalStore, path: Path) -> Path:
    """Write the coordinator's card again (for laptops that join later)."""
    write_card(path, coordinator_card(BundleTarget.from_store(store)))
    return path
