"""At-rest encryption keys: one random database key, wrapped for each user.

A new encrypted database gets a random 256-bit SQLCipher key. The key is
never stored in clear: for each user it is encrypted (AES-256-GCM) under a
key derived from that user's password with argon2id, with a fresh salt and
nonce every time. The wrapped copies live in the *key file* next to the
database (``samluat.db.keyring``). Changing a password re-wraps the same key:
the database is not re-encrypted. The key file holds no secret that is not
protected by a password; losing it makes the database unreadable, so backups
copy it too.

The associated data binds each wrapped key to its user and KDF parameters,
so entries cannot be swapped between users or downgraded to a cheaper KDF.
"""

from __future__ import annotations

import base64
import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.store import errors
from app.store.fileio import read_json, write_json

log = logging.getLogger(__name__)

KEY_BYTES = 32
SALT_BYTES = 16
NONCE_BYTES = 12
KEYRING_FORMAT = "samluat-keyring"
KEYRING_VERSION = 1


@dataclass(frozen=True)
class KdfParams:
    """argon2id cost parameters (used both for key wrapping and password hashes).

    The defaults are RFC 9106's second recommendation (64 MiB, t=3, p=4),
    about 0.1-0.3 s on a field laptop: paid once per login.
    """

    time_cost: int = 3
    memory_cost_kib: int = 64 * 1024
    parallelism: int = 4

    def to_json(self) -> dict[str, int]:
        return {"t": self.time_cost, "m": self.memory_cost_kib, "p": self.parallelism}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> KdfParams:
        return cls(
            time_cost=int(value["t"]), memory_cost_kib=int(value["m"]), parallelism=int(value["p"])
        )


DEFAULT_KDF = KdfParams()


def normalise_username(username: str) -> str:
    """User names are compared trimmed and case-folded."""
    return username.strip().casefold()


def new_database_key() -> bytes:
    """A fresh random SQLCipher key."""
    return secrets.token_bytes(KEY_BYTES)


def derive_key(password: str, salt: bytes, params: KdfParams) -> bytes:
    """argon2id(password, salt) → 32 bytes."""
    return hash_secret_raw(
        secret=password.encode("utf-8"),
        salt=salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_cost_kib,
        parallelism=params.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


@dataclass(frozen=True)
class WrappedKey:
    """The database key encrypted for one user."""

    user_id: str
    username: str
    kdf: KdfParams
    salt: bytes
    nonce: bytes
    ciphertext: bytes

    def associated_data(self) -> bytes:
        return _associated_data(self.user_id, self.username, self.kdf, self.salt)

    def to_json(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "username": self.username,
            "kdf": {"alg": "argon2id", **self.kdf.to_json()},
            "salt": _b64(self.salt),
            "nonce": _b64(self.nonce),
            "wrapped_key": _b64(self.ciphertext),
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> WrappedKey:
        if value["kdf"].get("alg") != "argon2id":
            raise ValueError("unsupported KDF")
        return cls(
            user_id=str(value["user_id"]),
            username=str(value["username"]),
            kdf=KdfParams.from_json(value["kdf"]),
            salt=_unb64(value["salt"]),
            nonce=_unb64(value["nonce"]),
            ciphertext=_unb64(value["wrapped_key"]),
        )


def _associated_data(user_id: str, username: str, kdf: KdfParams, salt: bytes) -> bytes:
    return "|".join(
        [
            KEYRING_FORMAT,
            str(KEYRING_VERSION),
            user_id,
            username,
            f"{kdf.time_cost},{kdf.memory_cost_kib},{kdf.parallelism}",
            salt.hex(),
        ]
    ).encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def wrap_key(
    db_key: bytes, *, password: str, user_id: str, username: str, kdf: KdfParams = DEFAULT_KDF
) -> WrappedKey:
    """Encrypt `db_key` under a key derived from `password` (fresh salt and nonce)."""
    username = normalise_username(username)
    salt = secrets.token_bytes(SALT_BYTES)
    nonce = secrets.token_bytes(NONCE_BYTES)
    kek = derive_key(password, salt, kdf)
    aad = _associated_data(user_id, username, kdf, salt)
    ciphertext = AESGCM(kek).encrypt(nonce, db_key, aad)
    return WrappedKey(
        user_id=user_id, username=username, kdf=kdf, salt=salt, nonce=nonce, ciphertext=ciphertext
    )


def unwrap_key(entry: WrappedKey, password: str) -> bytes:
    """Recover the database key; `WrongPasswordError` if the password is wrong."""
    kek = derive_key(password, entry.salt, entry.kdf)
    try:
        key = AESGCM(kek).decrypt(entry.nonce, entry.ciphertext, entry.associated_data())
    except InvalidTag:
        raise errors.WrongPasswordError("Wrong user name or password.") from None
    if len(key) != KEY_BYTES:
        raise errors.KeyringError("The key file is damaged.")
    return key


def keyring_path(db_path: Path) -> Path:
    """Where the key file of the database at `db_path` lives."""
    return db_path.with_name(db_path.name + ".keyring")


@dataclass
class Keyring:
    """The key file: one wrapped copy of the database key per user."""

    path: Path
    entries: dict[str, WrappedKey] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Keyring:
        """Read a key file; `KeyringError` if it is missing or damaged."""
        if not path.is_file():
            raise errors.KeyringError(
                f"The key file {path} is missing: the encrypted database cannot be opened "
                "without it. Restore it from the backup taken with the database."
            )
        try:
            raw = read_json(path)
            if raw.get("format") != KEYRING_FORMAT:
                raise ValueError("not a keyring")
            if int(raw.get("version", 0)) > KEYRING_VERSION:
                raise errors.DatabaseTooNewError(
                    f"The key file {path} was written by a newer version of Samluat."
                )
            entries = {name: WrappedKey.from_json(value) for name, value in raw["users"].items()}
        except errors.StoreError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise errors.KeyringError(f"The key file {path} is damaged.") from error
        return cls(path=path, entries=entries)

    def save(self) -> None:
        """Write atomically (a crash leaves the old key file or the new one)."""
        write_json(
            self.path,
            {
                "format": KEYRING_FORMAT,
                "version": KEYRING_VERSION,
                "users": {name: entry.to_json() for name, entry in sorted(self.entries.items())},
            },
        )

    def get(self, username: str) -> WrappedKey | None:
        return self.entries.get(normalise_username(username))

    def put(self, entry: WrappedKey) -> None:
        self.entries[entry.username] = entry

    def remove(self, username: str) -> None:
        self.entries.pop(normalise_username(username), None)
