"""A central store's accounts and its check, for a coordinator working on PostgreSQL.

On a central store the database server decides who may connect (its own
logins and grants): nobody logs in to Samluat against it. Its accounts only
name who reviewed an interview, resolved a conflict or judged duplicates
(`--user NAME` of those commands), so they carry no password. Accounts of
field laptops arrive with their bundles, as on a coordinator's laptop.
Services written for a local store (assigning cases) run on a central one
through `acting_store`.
"""

from __future__ import annotations

from pathlib import Path

from app.bundle.errors import BundleError
from app.bundle.target import BundleTarget
from app.store import repo_paradata
from app.store import users as user_repo
from app.store.check import CheckReport, check_connection
from app.store.crypto import DEFAULT_KDF
from app.store.db import Database
from app.store.repo_paradata import EventIn, EventKind
from app.store.store import LocalStore
from app.store.tables import Role
from app.store.users import LaptopAccount, UserInfo


def add_account(
    target: BundleTarget, *, username: str, role: Role, display_name: str = ""
) -> UserInfo:
    """A new account on the central store, created by `target`'s user (if one is named)."""
    name = user_repo.check_username(username)
    with target.session(write=True) as session:
        user = user_repo.create_user(
            session=session,
            username=name,
            password_hash=None,
            role=Role(role),
            display_name=display_name,
            created_by=target.user_id,
        )
        info = UserInfo.of(user)
        repo_paradata.record_events(
            session=session,
            user_id=target.user_id or info.id,
            device_id=target.device_id,
            events=[
                EventIn(EventKind.USER_CREATED, detail={"user": info.id, "role": info.role.value})
            ],
        )
    return info


def list_accounts(target: BundleTarget) -> list[tuple[UserInfo, LaptopAccount | None]]:
    """Every account by name, with the laptop it belongs to (None: one of the store's own)."""
    with target.session() as session:
        laptops = user_repo.laptop_accounts(session=session, local_device_id=target.device_id)
        return [(info, laptops.get(info.id)) for info in user_repo.list_users(session=session)]


def check_central(target: BundleTarget) -> CheckReport:
    """Counts per table, the schema revision and the canonical content hash: the same hash
    `samluat db check` gives for a store file holding the same interviews."""
    with target.engine.connect() as connection, connection.begin():
        return check_connection(connection, where=target.label, encrypted=False)


def acting_store(target: BundleTarget) -> LocalStore:
    """The central store through the local store's API, acting as `target`'s user: the
    services written against `LocalStore` (assigning cases) run on it unchanged.

    Closing it closes `target`'s engine too; close either one.
    """
    if target.user_id is None:
        raise BundleError("This needs a user of the central store (--user NAME).")
    with target.session() as session:
        user = UserInfo.of(user_repo.get_user(session=session, user_id=target.user_id))
    database = Database(Path(target.label), None, target.engine)
    return LocalStore(db=database, user=user, device_id=target.device_id, kdf=DEFAULT_KDF)
