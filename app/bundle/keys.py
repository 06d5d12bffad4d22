"""Keys: the coordinator's age identity, each laptop's signing and receiving keys, cards.

* The **coordinator key** (and an optional **escrow key**) is an age X25519
  identity kept in a file encrypted with age's own scrypt passphrase mode
  (`pyrage.passphrase`): vetted code, no home-made key wrapping. Field
  bundles are encrypted to its public recipient.
* Each **laptop** (field or coordinator) has an Ed25519 signing key and an
  age X25519 receiving key. They live in the laptop's database
  (`device_secret`), which SQLCipher encrypts, so no extra passphrase is
  needed to export and they are part of backups. The public halves are in
  the `device` row.
* **Cards** are small JSON files with public keys only: a device card goes
  from a laptop to the coordinator (`register_device`); the coordinator card
  goes to laptops (`trust_coordinator`). People compare the fingerprints
  printed on both sides before trusting a card.
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlmodel import Session, col, select

from app.bundle.canon import b64d, b64e, fingerprint, time_text
from app.bundle.errors import BundleError, KeyFileError, KeysNotSetUpError, WrongCardError
from app.bundle.target import BundleTarget
from app.store.fileio import atomic_write_bytes
from app.store.tables import BundleRecipient, Device, DeviceRole, DeviceSecret
from app.store.tables_bundle import RecipientRole
from app.store.types import utcnow

log = logging.getLogger(__name__)

IDENTITY_FILE_MAGIC = "samluat-age-identity/1"
DEVICE_CARD_FORMAT = "samluat-device-card/1"
COORDINATOR_CARD_FORMAT = "samluat-coordinator-card/1"
COORDINATOR_IDENTITY_FILE = "coordinator-identity.age"
ESCROW_IDENTITY_FILE = "escrow-identity.age"
COORDINATOR_CARD_FILE = "coordinator.card.json"
MAX_CARD_BYTES = 64 * 1024


# -- primitives ------------------------------------------------------------------


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    """The raw 32-byte public key of an Ed25519 private key."""
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def sign(key: Ed25519PrivateKey, message: bytes) -> bytes:
    """Ed25519 signature (64 bytes)."""
    return key.sign(message)


def verify(public: bytes, signature: bytes, message: bytes) -> bool:
    """True if `signature` is a valid Ed25519 signature of `message` by `public`."""
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class AgeIdentity:
    """An unlocked age X25519 identity (a private key) and its public recipient."""

    secret: str
    recipient: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.recipient)

    def pyrage_identity(self) -> Any:
        return pyrage.x25519.Identity.from_str(self.secret)

    def __repr__(self) -> str:  # never print the secret
        return f"AgeIdentity({self.fingerprint})"

    @classmethod
    def generate(cls) -> AgeIdentity:
        identity = pyrage.x25519.Identity.generate()
        return cls(secret=str(identity), recipient=str(identity.to_public()))

    @classmethod
    def from_secret(cls, secret: str) -> AgeIdentity:
        try:
            identity = pyrage.x25519.Identity.from_str(secret.strip())
        except Exception:
            raise KeyFileError("The key is not an age identity (AGE-SECRET-KEY-1…).") from None
        return cls(secret=str(identity), recipient=str(identity.to_public()))


def parse_recipient(recipient: str) -> Any:
    """A pyrage recipient from `age1…` text; `KeyFileError` if it is not one."""
    try:
        return pyrage.x25519.Recipient.from_str(recipient)
    except Exception:
        raise KeyFileError(f"{recipient[:20]!r} is not an age recipient (age1…).") from None


# -- passphrase-protected identity files --------------------------------------------


def write_identity_file(path: Path, identity: AgeIdentity, passphrase: str) -> None:
    """Store `identity` encrypted with `passphrase` (age scrypt), atomically, mode 0600."""
    if len(passphrase) < 8:
        raise KeyFileError("Choose a passphrase of at least 8 characters.")
    if path.exists():
        raise KeyFileError(f"{path} already exists; it is never overwritten.")
    payload = json.dumps(
        {"format": IDENTITY_FILE_MAGIC, "secret": identity.secret, "recipient": identity.recipient}
    ).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, pyrage.passphrase.encrypt(payload, passphrase))
    with contextlib.suppress(OSError):
        path.chmod(0o600)


def _unreadable_key_file(path: Path, error: OSError) -> KeyFileError:
    # Typically a coordinator on a new computer after a restore that left out the key.
    return KeyFileError(
        f"Cannot read the key file {path}: {error.strerror or error}. If it is lost, copy "
        "it back from a backup (samluat db backup keeps the coordinator key as "
        f"keys/{COORDINATOR_IDENTITY_FILE} beside the backup), or open the bundles with the "
        "escrow key instead: --identity ESCROW-KEY-FILE."
    )


def check_key_file(path: Path) -> None:
    """`KeyFileError` saying how to get the key back if `path` cannot be read (checked
    before asking for its passphrase)."""
    try:
        with path.open("rb"):
            pass
    except OSError as error:
        raise _unreadable_key_file(path, error) from None


def unlock_identity_file(path: Path, passphrase: str) -> AgeIdentity:
    """Read and decrypt an identity file; `KeyFileError` for a wrong passphrase or bad file."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise _unreadable_key_file(path, error) from None
    if len(data) > MAX_CARD_BYTES:
        raise KeyFileError(f"{path} is not a Samluat key file (too large).")
    try:
        plain = pyrage.passphrase.decrypt(data, passphrase)
    except Exception:
        raise KeyFileError(
            f"Cannot unlock {path.name}: wrong passphrase, or the file is damaged."
        ) from None
    try:
        content = json.loads(plain)
        assert content["format"] == IDENTITY_FILE_MAGIC
        identity = AgeIdentity.from_secret(content["secret"])
    except (ValueError, KeyError, AssertionError, TypeError):
        raise KeyFileError(f"{path} is not a Samluat key file.") from None
    if identity.recipient != content.get("recipient"):
        raise KeyFileError(f"{path} is damaged (its public key does not match).")
    return identity


# -- this laptop's keys --------------------------------------------------------------


@dataclass(frozen=True)
class DeviceKeys:
    """The public side of a laptop's keys, as shown to people."""

    device_id: str
    name: str
    role: str
    signing_key: bytes
    age_recipient: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.signing_key)

    def card(self) -> dict[str, Any]:
        """The device card (public keys only) for the coordinator."""
        return {
            "format": DEVICE_CARD_FORMAT,
            "device_id": self.device_id,
            "name": self.name,
            "role": self.role,
            "signing_key": b64e(self.signing_key),
            "age_recipient": self.age_recipient,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True)
class LocalKeys:
    """This laptop's private keys, loaded for signing and decrypting."""

    device_id: str
    name: str
    signing: Ed25519PrivateKey
    receiving: AgeIdentity

    @property
    def public(self) -> bytes:
        return public_bytes(self.signing)


def init_device_keys(target: BundleTarget, *, role: DeviceRole | None = None) -> DeviceKeys:
    """Create this laptop's keys on first use (idempotent); returns the public side."""
    with target.session(write=True) as session:
        device = session.get(Device, target.device_id)
        assert device is not None
        secret = session.get(DeviceSecret, device.id)
        if secret is None:
            signing = Ed25519PrivateKey.generate()
            receiving = AgeIdentity.generate()
            session.add(
                DeviceSecret(
                    device_id=device.id,
                    signing_key=signing.private_bytes_raw(),
                    age_identity=receiving.secret,
                    created_at=utcnow(),
                )
            )
            device.public_key = public_bytes(signing)
            device.age_recipient = receiving.recipient
            log.info("created the keys of device %s", device.id)
        if role is not None:
            device.role = DeviceRole(role).value
        session.add(device)
        session.flush()
        assert device.public_key is not None and device.age_recipient is not None
        return DeviceKeys(
            device_id=device.id,
            name=device.name,
            role=device.role,
            signing_key=device.public_key,
            age_recipient=device.age_recipient,
        )


def load_local_keys(session: Session, device_id: str) -> LocalKeys:
    """The private keys of this laptop; `KeysNotSetUpError` before `init_device_keys`."""
    secret = session.get(DeviceSecret, device_id)
    device = session.get(Device, device_id)
    if secret is None or device is None:
        raise KeysNotSetUpError(
            "This laptop has no signing key yet. Run 'samluat keys device-init' first."
        )
    signing = Ed25519PrivateKey.from_private_bytes(secret.signing_key)
    return LocalKeys(
        device_id=device_id,
        name=device.name,
        signing=signing,
        receiving=AgeIdentity.from_secret(secret.age_identity),
    )


def device_keys(target: BundleTarget) -> DeviceKeys:
    """The public side of this laptop's keys; `KeysNotSetUpError` if there are none."""
    with target.session() as session:
        device = session.get(Device, target.device_id)
        if device is None or device.public_key is None or device.age_recipient is None:
            raise KeysNotSetUpError(
                "This laptop has no signing key yet. Run 'samluat keys device-init' first."
            )
        return DeviceKeys(
            device_id=device.id,
            name=device.name,
            role=device.role,
            signing_key=device.public_key,
            age_recipient=device.age_recipient,
        )


# -- cards ---------------------------------------------------------------------------


def write_card(path: Path, card: dict[str, Any]) -> None:
    """Write a card file (public keys only), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, json.dumps(card, indent=2, sort_keys=True).encode("utf-8"))


def read_card(path: Path, expected_format: str) -> dict[str, Any]:
    """Parse a card file of the given format; `KeyFileError` naming the problem."""
    try:
        if path.stat().st_size > MAX_CARD_BYTES:
            raise KeyFileError(f"{path} is not a Samluat card (too large).")
        card = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise KeyFileError(f"Cannot read {path}: {error.strerror or error}.") from None
    except (ValueError, RecursionError):  # (JSON nested absurdly deep)
        raise KeyFileError(f"{path} is not a Samluat card (not JSON).") from None
    if not isinstance(card, dict) or card.get("format") != expected_format:
        message = f"{path} is not a {expected_format.split('/')[0]} file."
        found = card.get("format") if isinstance(card, dict) else None
        if found in (DEVICE_CARD_FORMAT, COORDINATOR_CARD_FORMAT):
            raise WrongCardError(message, found)
        raise KeyFileError(message)
    return card


def _card_device(card: dict[str, Any], where: str) -> tuple[str, str, bytes, str]:
    try:
        device_id = card["device_id"]
        name = card["name"]
        signing = b64d(card["signing_key"], "signing_key")
        recipient = card["age_recipient"]
        if not (isinstance(device_id, str) and 0 < len(device_id) <= 64):
            raise ValueError("device_id")
        if not isinstance(name, str) or len(name) > 200:
            raise ValueError("name")
        if len(signing) != 32:
            raise ValueError("signing_key")
        if not isinstance(recipient, str):
            raise ValueError("age_recipient")
    except (KeyError, ValueError) as error:
        raise KeyFileError(f"{where}: the card's {error} is missing or invalid.") from None
    parse_recipient(recipient)
    if card.get("fingerprint") not in (None, fingerprint(signing)):
        raise KeyFileError(f"{where}: the card's fingerprint does not match its key.")
    return device_id, name, signing, recipient


def register_device(target: BundleTarget, card: dict[str, Any]) -> DeviceKeys:
    """Coordinator: accept a laptop's card, so that its bundles are accepted.

    A device already registered with a different key is refused (a new key
    means a new device id). Registering the same card again is a no-op.
    """
    device_id, name, signing, recipient = _card_device(card, "device card")
    with target.session(write=True) as session:
        row = session.get(Device, device_id)
        if row is not None and row.public_key is not None and row.public_key != signing:
            raise BundleError(
                f"Device {name} ({device_id}) is already registered with another key "
                f"({fingerprint(row.public_key)}). A laptop with a new key must get a new id."
            )
        if row is None:
            row = Device(id=device_id, name=name, is_local=False, registered_at=utcnow())
        if row.is_local:
            raise BundleError("That card is this database's own device.")
        row.public_key = signing
        row.age_recipient = recipient
        row.name = name or row.name
        row.role = DeviceRole(card.get("role", DeviceRole.FIELD.value)).value
        session.add(row)
        session.flush()
        return DeviceKeys(device_id, row.name, row.role, signing, recipient)


MAX_DEVICE_NAME = 80


def rename_device(target: BundleTarget, device_id: str, name: str) -> str:
    """Coordinator: give a registered laptop the name its listings and reports use
    (a card carries the computer's own name, often the same on every laptop).
    Returns the name kept: one line, spaces tidied."""
    tidy = " ".join("".join(c if c.isprintable() else " " for c in name).split())
    if not tidy:
        raise BundleError("A laptop's name cannot be empty.")
    if len(tidy) > MAX_DEVICE_NAME:
        raise BundleError(f"A laptop's name has at most {MAX_DEVICE_NAME} characters.")
    with target.session(write=True) as session:
        row = session.get(Device, device_id)
        if row is None or row.is_local:
            raise BundleError(f"No registered device {device_id!r}.")
        row.name = tidy
        session.add(row)
    log.info("device %s renamed %r", device_id, tidy)
    return tidy


def revoke_device(target: BundleTarget, device_id: str) -> None:
    """Coordinator: refuse every bundle signed by this device from now on."""
    with target.session(write=True) as session:
        row = session.get(Device, device_id)
        if row is None or row.is_local:
            raise BundleError(f"No registered device {device_id!r}.")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            session.add(row)
    log.info("device %s revoked", device_id)


@dataclass(frozen=True)
class DeviceRow:
    """A device as listed for people."""

    device_id: str
    name: str
    role: str
    fingerprint: str | None
    is_local: bool
    registered_at: str | None
    revoked_at: str | None


def list_devices(target: BundleTarget) -> list[DeviceRow]:
    """Every device this database knows, local first, then by name."""
    with target.session() as session:
        rows = session.exec(select(Device).order_by(col(Device.is_local).desc(), col(Device.name)))
        return [
            DeviceRow(
                device_id=r.id,
                name=r.name,
                role=r.role,
                fingerprint=fingerprint(r.public_key) if r.public_key else None,
                is_local=r.is_local,
                registered_at=time_text(r.registered_at),
                revoked_at=time_text(r.revoked_at),
            )
            for r in rows
        ]


# -- the coordinator -------------------------------------------------------------------


@dataclass(frozen=True)
class CoordinatorKeys:
    """What `create_coordinator_keys` wrote."""

    identity_file: Path
    escrow_file: Path | None
    card_file: Path
    coordinator: str
    escrow: str | None
    set_aside: tuple[Path, ...] = ()  # the replaced keys' files, under their new names


def create_coordinator_keys(
    target: BundleTarget,
    *,
    out_dir: Path,
    passphrase: str,
    escrow_passphrase: str | None = None,
    escrow_file: Path | None = None,
    replace: bool = False,
) -> CoordinatorKeys:
    """Make the coordinator key pair (and an escrow pair), record them, write the card.

    The database becomes a coordinator's: its device gets keys and role
    coordinator, and the new recipients are the ones its bundles hand out.
    The escrow key is written to `escrow_file` (default: next to the
    coordinator key), e.g. straight onto a stick that is then kept offline.
    Existing files are never overwritten. With `replace`, the key files already in
    `out_dir` are first renamed `….replaced-<time>.age`: the new key takes the place
    where sync looks for it, and the old one stays for the bundles encrypted to it.
    """
    identity_file = out_dir / COORDINATOR_IDENTITY_FILE
    if escrow_passphrase is None:
        escrow_file = None
    elif escrow_file is None:
        escrow_file = out_dir / ESCROW_IDENTITY_FILE
    set_aside = _set_aside(out_dir) if replace else ()
    for existing in (identity_file, escrow_file):
        if existing is not None and existing.exists():
            raise KeyFileError(f"{existing} already exists; it is never overwritten.")
    coordinator = AgeIdentity.generate()
    escrow = AgeIdentity.generate() if escrow_passphrase is not None else None
    write_identity_file(identity_file, coordinator, passphrase)
    if escrow is not None and escrow_file is not None and escrow_passphrase is not None:
        write_identity_file(escrow_file, escrow, escrow_passphrase)
    init_device_keys(target, role=DeviceRole.COORDINATOR)
    with target.session(write=True) as session:
        now = utcnow()
        for row in session.exec(
            select(BundleRecipient).where(col(BundleRecipient.retired_at).is_(None))
        ):
            row.retired_at = now
            session.add(row)
        session.add(
            BundleRecipient(
                recipient=coordinator.recipient,
                role=RecipientRole.COORDINATOR.value,
                label="coordinator",
                added_at=now,
            )
        )
        if escrow is not None:
            session.add(
                BundleRecipient(
                    recipient=escrow.recipient,
                    role=RecipientRole.ESCROW.value,
                    label="escrow",
                    added_at=now,
                )
            )
    card_file = out_dir / COORDINATOR_CARD_FILE
    write_card(card_file, coordinator_card(target))
    return CoordinatorKeys(
        identity_file=identity_file,
        escrow_file=escrow_file,
        card_file=card_file,
        coordinator=coordinator.recipient,
        escrow=escrow.recipient if escrow else None,
        set_aside=set_aside,
    )


def _set_aside(out_dir: Path) -> tuple[Path, ...]:
    """Rename the coordinator and escrow key files in `out_dir` out of the new keys' way."""
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    moved = []
    for name in (COORDINATOR_IDENTITY_FILE, ESCROW_IDENTITY_FILE):
        old = out_dir / name
        if old.exists():
            new = old.with_name(f"{old.stem}.replaced-{stamp}{old.suffix}")
            if new.exists():
                raise KeyFileError(f"{new} already exists; it is never overwritten.")
            old.rename(new)
            moved.append(new)
    return tuple(moved)


def active_recipients(session: Session) -> list[tuple[str, str]]:
    """(recipient, role) of the keys field bundles are encrypted to, coordinator first."""
    rows = session.exec(
        select(BundleRecipient.recipient, BundleRecipient.role)
        .where(col(BundleRecipient.retired_at).is_(None))
        .order_by(col(BundleRecipient.role), col(BundleRecipient.recipient))
    ).all()
    return [(r, role) for r, role in rows]


def coordinator_card(target: BundleTarget) -> dict[str, Any]:
    """The coordinator card: this database's device keys and the active recipients."""
    keys = device_keys(target)
    with target.session() as session:
        recipients = active_recipients(session)
    if not any(role == RecipientRole.COORDINATOR.value for _r, role in recipients):
        raise KeysNotSetUpError(
            "This database has no coordinator key. Run 'samluat keys coordinator-new' first."
        )
    return {
        "format": COORDINATOR_CARD_FORMAT,
        **{k: v for k, v in keys.card().items() if k != "format"},
        "recipients": [
            {"recipient": r, "role": role, "fingerprint": fingerprint(r)} for r, role in recipients
        ],
    }


def trust_coordinator(target: BundleTarget, card: dict[str, Any]) -> DeviceKeys:
    """Field laptop: accept the coordinator's card (its signing key and recipients)."""
    device_id, name, signing, recipient = _card_device(card, "coordinator card")
    recipients = card.get("recipients")
    if not isinstance(recipients, list) or not recipients or len(recipients) > 16:
        raise KeyFileError("coordinator card: it lists no recipients.")
    parsed: list[tuple[str, str]] = []
    for item in recipients:
        if not isinstance(item, dict):
            raise KeyFileError("coordinator card: a recipient is invalid.")
        value, role = item.get("recipient"), item.get("role")
        if not isinstance(value, str) or role not in {r.value for r in RecipientRole}:
            raise KeyFileError("coordinator card: a recipient is invalid.")
        parse_recipient(value)
        parsed.append((value, str(role)))
    if not any(role == RecipientRole.COORDINATOR.value for _v, role in parsed):
        raise KeyFileError("coordinator card: it has no coordinator recipient.")
    with target.session(write=True) as session:
        row = session.get(Device, device_id)
        if row is not None and row.is_local:
            raise BundleError("That card is this database's own device.")
        if row is not None and row.public_key is not None and row.public_key != signing:
            raise BundleError(
                f"A coordinator {device_id} is already trusted with another key "
                f"({fingerprint(row.public_key)})."
            )
        if row is None:
            row = Device(id=device_id, name=name, is_local=False, registered_at=utcnow())
        row.public_key = signing
        row.age_recipient = recipient
        row.role = DeviceRole.COORDINATOR.value
        session.add(row)
        now = utcnow()
        wanted = {value for value, _role in parsed}
        for existing in session.exec(select(BundleRecipient)):
            if existing.recipient not in wanted and existing.retired_at is None:
                existing.retired_at = now
                session.add(existing)
        for value, role in parsed:
            current = session.get(BundleRecipient, value)
            if current is None:
                session.add(BundleRecipient(recipient=value, role=role, label=role, added_at=now))
            elif current.retired_at is not None:
                current.retired_at = None
                session.add(current)
        session.flush()
        return DeviceKeys(device_id, name, row.role, signing, recipient)
