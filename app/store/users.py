"""Users, roles, password hashes and login lockout.

Password hashes are argon2id PHC strings (argon2-cffi). Failed logins are
counted in a small *lockout file* next to the database, not in the database:
with an encrypted database a wrong password cannot open it, and a failed
attempt must not change the database file either. After `MAX_FAILED_LOGINS`
consecutive failures the account is locked for `LOCKOUT_PERIOD`; a
supervisor or coordinator can unlock it earlier.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, col, select

from app.store import errors
from app.store.crypto import DEFAULT_KDF, KdfParams, normalise_username
from app.store.fileio import read_json, write_json
from app.store.tables import Role, User
from app.store.types import utcnow

log = logging.getLogger(__name__)

MAX_FAILED_LOGINS = 5
LOCKOUT_PERIOD = timedelta(minutes=5)
MIN_PASSWORD_LENGTH = 8

# Which roles each role may create, reset and unlock.
MANAGEABLE_ROLES: dict[Role, frozenset[Role]] = {
    Role.COORDINATOR: frozenset(Role),
    Role.SUPERVISOR: frozenset({Role.ENUMERATOR, Role.INTERVIEWER}),
    Role.INTERVIEWER: frozenset(),
    Role.ENUMERATOR: frozenset(),
}
REVIEWER_ROLES = frozenset({Role.SUPERVISOR, Role.COORDINATOR})


@dataclass(frozen=True)
class UserInfo:
    """A user as seen by callers (never carries the password hash)."""

    id: str
    username: str
    display_name: str
    role: Role
    active: bool

    @classmethod
    def of(cls, user: User) -> UserInfo:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=Role(user.role),
            active=user.active,
        )


def password_hasher(params: KdfParams = DEFAULT_KDF) -> PasswordHasher:
    """An argon2id hasher with the given costs."""
    return PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_cost_kib,
        parallelism=params.parallelism,
    )


def hash_password(password: str, params: KdfParams = DEFAULT_KDF) -> str:
    """argon2id PHC string for `password`."""
    return password_hasher(params).hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if `password` matches; False for a mismatch or an unusable hash."""
    if not password_hash:
        return False
    try:
        return PasswordHasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_password_policy(password: str) -> None:
    """Raise `PasswordPolicyError` if `password` is too weak to protect field data."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise errors.PasswordPolicyError(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters."
        )
    if password.strip() != password:
        raise errors.PasswordPolicyError("The password must not start or end with a space.")


def check_username(username: str) -> str:
    """Normalise and validate a user name."""
    name = normalise_username(username)
    if not name or len(name) > 64 or any(ch.isspace() for ch in name):
        raise errors.StoreError("A user name must be 1 to 64 characters without spaces.")
    return name


def require_can_manage(actor: UserInfo, target_role: Role) -> None:
    """Raise `PermissionDeniedError` unless `actor` may manage users of `target_role`."""
    if target_role not in MANAGEABLE_ROLES[actor.role]:
        raise errors.PermissionDeniedError(
            f"A {actor.role.value} cannot manage {target_role.value} accounts."
        )


def lockout_path(db_path: Path) -> Path:
    """Where the lockout file of the database at `db_path` lives."""
    return db_path.with_name(db_path.name + ".lockout")


class LockoutBook:
    """Consecutive failed logins per user name, kept in the lockout file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, Any]:
        if not self.path.is_file():
            return {}
        try:
            data = read_json(self.path)
        except (OSError, ValueError):
            # A damaged counter file must not lock everybody out for good.
            log.warning("lockout file unreadable; starting a new one")
            return {}
        return data if isinstance(data, dict) else {}

    def check(self, username: str, *, now: datetime | None = None) -> None:
        """Raise `AccountLockedError` while `username` is locked."""
        entry = self._load().get(normalise_username(username))
        if not entry or not entry.get("locked_until"):
            return
        until = datetime.fromisoformat(entry["locked_until"])
        if (now or utcnow()) < until:
            minutes = max(1, int((until - (now or utcnow())).total_seconds() // 60) + 1)
            raise errors.AccountLockedError(
                f"Too many failed logins: this account is locked for about {minutes} more "
                "minute(s), or until a supervisor unlocks it."
            )

    def record_failure(self, username: str, *, now: datetime | None = None) -> int:
        """Count a failed login; returns the number of consecutive failures."""
        name = normalise_username(username)
        data = self._load()
        entry = data.get(name) or {"failures": 0, "locked_until": None}
        entry["failures"] = int(entry.get("failures", 0)) + 1
        if entry["failures"] >= MAX_FAILED_LOGINS:
            entry["locked_until"] = ((now or utcnow()) + LOCKOUT_PERIOD).isoformat()
            log.warning("account locked after %d failed logins", entry["failures"])
        data[name] = entry
        write_json(self.path, data)
        return int(entry["failures"])

    def record_success(self, username: str) -> int:
        """Clear the counter after a successful login; returns the failures it had."""
        name = normalise_username(username)
        data = self._load()
        entry = data.pop(name, None)
        if entry is None:
            return 0
        write_json(self.path, data)
        return int(entry.get("failures", 0))

    def unlock(self, username: str) -> None:
        """Forget the failures of `username` (supervisor action)."""
        self.record_success(username)

    def failures(self, username: str) -> int:
        entry = self._load().get(normalise_username(username))
        return int(entry.get("failures", 0)) if entry else 0


# --- repository functions -------------------------------------------------


def create_user(
    *,
    session: Session,
    username: str,
    password_hash: str | None,
    role: Role,
    display_name: str = "",
    created_by: str | None = None,
    user_id: str | None = None,
) -> User:
    """Insert a user; `DuplicateError` if the name is taken."""
    name = check_username(username)
    if get_user_by_username(session=session, username=name) is not None:
        raise errors.DuplicateError(f"There is already a user called {name!r}.")
    now = utcnow()
    user = User(
        id=user_id or str(uuid.uuid4()),
        username=name,
        display_name=display_name or name,
        role=Role(role).value,
        password_hash=password_hash,
        active=True,
        created_at=now,
        created_by=created_by,
        password_changed_at=now if password_hash else None,
    )
    session.add(user)
    session.flush()
    return user


def get_user_by_username(*, session: Session, username: str) -> User | None:
    """The user called `username` (normalised), or None."""
    return session.exec(select(User).where(User.username == normalise_username(username))).first()


def get_user(*, session: Session, user_id: str) -> User:
    """The user with id `user_id`; `NotFoundError` otherwise."""
    user = session.get(User, user_id)
    if user is None:
        raise errors.NotFoundError("No such user.")
    return user


def list_users(*, session: Session) -> list[UserInfo]:
    """All users, by user name."""
    return [UserInfo.of(u) for u in session.exec(select(User).order_by(col(User.username)))]


@dataclass(frozen=True)
class LaptopAccount:
    """A user who arrived with another laptop's bundles: logs in there, never here."""

    user_id: str
    device_id: str
    device_name: str
    revoked: bool  # that laptop was revoked: nothing reaches it any more


def laptop_accounts(*, session: Session, local_device_id: str) -> dict[str, LaptopAccount]:
    """The accounts of other laptops known here, by user id."""
    from app.store.tables import Device
    from app.store.tables_bundle import DeviceUser

    rows = session.exec(
        select(DeviceUser.user_id, Device.id, Device.name, Device.revoked_at)
        .join(Device, col(Device.id) == col(DeviceUser.device_id))
        .join(User, col(User.id) == col(DeviceUser.user_id))
        .where(col(Device.id) != local_device_id, col(User.password_hash).is_(None))
    )
    return {
        user_id: LaptopAccount(user_id, device_id, name, revoked_at is not None)
        for user_id, device_id, name, revoked_at in rows
    }


def set_password_hash(*, session: Session, user_id: str, password_hash: str) -> None:
    """Store a new password hash for `user_id`."""
    user = get_user(session=session, user_id=user_id)
    user.password_hash = password_hash
    user.password_changed_at = utcnow()
    session.add(user)
    session.flush()


def set_active(*, session: Session, user_id: str, active: bool) -> None:
    """Enable or disable an account (users are never deleted: history names them)."""
    user = get_user(session=session, user_id=user_id)
    user.active = active
    session.add(user)
    session.flush()
