"""Users, roles, argon2id, lockout, password change without re-encryption."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.store import Role, errors, open_store
from app.store.crypto import Keyring, keyring_path, unwrap_key
from app.store.store import LocalStore
from app.store.users import MAX_FAILED_LOGINS, LockoutBook, lockout_path
from tests.store.storetools import ADMIN, ADMIN_PASSWORD


def test_password_hashes_are_argon2id(store: LocalStore) -> None:
    store.add_user(username="Noy", password="enumerator-pw", role=Role.ENUMERATOR)
    from sqlmodel import select

    from app.store.tables import User

    with store.session() as session:
        hashes = [u.password_hash for u in session.exec(select(User))]
    assert hashes and all(h and h.startswith("$argon2id$") for h in hashes)
    assert not any("enumerator-pw" in (h or "") for h in hashes)


@pytest.mark.parametrize("encrypted", [True, False])
def test_new_user_can_log_in_with_role(home: Path, encrypted: bool) -> None:
    from tests.store.storetools import make_store

    with make_store(encrypted=encrypted) as store:
        store.add_user(
            username="Noy", password="enumerator-pw", role=Role.ENUMERATOR, display_name="Noy S."
        )
        path = store.path
    with open_store(username="noy", password="enumerator-pw", path=path) as noy:
        assert (noy.user.username, noy.user.role, noy.user.display_name) == (
            "noy",
            Role.ENUMERATOR,
            "Noy S.",
        )
        with pytest.raises(errors.PermissionDeniedError):
            noy.add_user(username="x", password="whatever-pw", role=Role.ENUMERATOR)
        with pytest.raises(errors.PermissionDeniedError):
            noy.add_form_version(form_id="f", version="1", title="", source=b"")


def test_supervisor_manages_only_field_roles(store: LocalStore) -> None:
    store.add_user(username="sup", password="supervisor-pw", role=Role.SUPERVISOR)
    with open_store(username="sup", password="supervisor-pw", path=store.path) as sup:
        sup.add_user(username="int", password="interviewer-pw", role=Role.INTERVIEWER)
        with pytest.raises(errors.PermissionDeniedError):
            sup.add_user(username="boss2", password="coordinator-pw", role=Role.COORDINATOR)


def test_weak_password_and_duplicate_name(store: LocalStore) -> None:
    with pytest.raises(errors.PasswordPolicyError):
        store.add_user(username="a", password="short", role=Role.ENUMERATOR)
    store.add_user(username="a", password="long-enough", role=Role.ENUMERATOR)
    with pytest.raises(errors.DuplicateError):
        store.add_user(username="A ", password="long-enough", role=Role.ENUMERATOR)


@pytest.mark.parametrize("encrypted", [True, False])
def test_lockout_after_repeated_failures(home: Path, encrypted: bool) -> None:
    from tests.store.storetools import make_store

    with make_store(encrypted=encrypted) as store:
        path = store.path
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(errors.WrongPasswordError):
            open_store(username=ADMIN, password="wrong-password", path=path)
    # Now even the right password is refused until the lock expires or is lifted.
    with pytest.raises(errors.AccountLockedError):
        open_store(username=ADMIN, password=ADMIN_PASSWORD, path=path)
    LockoutBook(lockout_path(path)).unlock(ADMIN)
    with open_store(username=ADMIN, password=ADMIN_PASSWORD, path=path) as store:
        login = store.events(kind="login")[-1]
        assert login.detail == {"failed_attempts_before": 0}


def test_failures_before_success_are_recorded_in_login_event(store: LocalStore) -> None:
    path = store.path
    store.close()
    for _ in range(2):
        with pytest.raises(errors.WrongPasswordError):
            open_store(username=ADMIN, password="nope-nope", path=path)
    with open_store(username=ADMIN, password=ADMIN_PASSWORD, path=path) as again:
        assert again.events(kind="login")[-1].detail == {"failed_attempts_before": 2}


def test_supervisor_can_unlock(store: LocalStore) -> None:
    store.add_user(username="noy", password="enumerator-pw", role=Role.ENUMERATOR)
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(errors.WrongPasswordError):
            open_store(username="noy", password="bad-password", path=store.path)
    with pytest.raises(errors.AccountLockedError):
        open_store(username="noy", password="enumerator-pw", path=store.path)
    store.unlock_user(username="noy")
    open_store(username="noy", password="enumerator-pw", path=store.path).close()


def test_password_change_rewraps_same_key_without_reencryption(store: LocalStore) -> None:
    path = store.path
    key_before = store.db.key
    entry_before = Keyring.load(keyring_path(path)).get(ADMIN)
    assert entry_before is not None
    store.change_password(old_password=ADMIN_PASSWORD, new_password="a-new-password")
    entry_after = Keyring.load(keyring_path(path)).get(ADMIN)
    assert entry_after is not None and entry_after.ciphertext != entry_before.ciphertext
    assert unwrap_key(entry_after, "a-new-password") == key_before
    with pytest.raises(errors.WrongPasswordError):
        unwrap_key(entry_after, ADMIN_PASSWORD)
    store.close()
    with pytest.raises(errors.WrongPasswordError):
        open_store(username=ADMIN, password=ADMIN_PASSWORD, path=path)
    with open_store(username=ADMIN, password="a-new-password", path=path) as again:
        assert again.db.key == key_before
        assert again.check().integrity == ["ok"]


def test_change_password_needs_current_password(store: LocalStore) -> None:
    with pytest.raises(errors.WrongPasswordError):
        store.change_password(old_password="not-it-at-all", new_password="a-new-password")


def test_disabled_user_cannot_log_in(store: LocalStore) -> None:
    store.add_user(username="noy", password="enumerator-pw", role=Role.ENUMERATOR)
    store.set_user_active(username="noy", active=False)
    with pytest.raises((errors.AccountDisabledError, errors.WrongPasswordError)):
        open_store(username="noy", password="enumerator-pw", path=store.path)
    store.reset_password(username="noy", new_password="fresh-password")
    store.set_user_active(username="noy", active=True)
    open_store(username="noy", password="fresh-password", path=store.path).close()


def test_disabled_user_refused_on_plaintext(plain_store: LocalStore) -> None:
    plain_store.add_user(username="noy", password="enumerator-pw", role=Role.ENUMERATOR)
    plain_store.set_user_active(username="noy", active=False)
    with pytest.raises(errors.AccountDisabledError):
        open_store(username="noy", password="enumerator-pw", path=plain_store.path)
