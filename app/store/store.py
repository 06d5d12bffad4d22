"""`LocalStore`: the logged-in store the UI, the engine and the CLI talk to.

Create or open the database with `create_store` / `open_store` (a login);
then call methods that each run one transaction and return plain frozen
dataclasses, so callers never hold a database session. Every method records
who did it (the logged-in user) and on which device.

Opening does, in order and without writing anything until the password is
proven right: lockout check → unlock the key (encrypted) or verify the
password hash (plaintext) → `quick_check` and schema version → backup and
upgrade if the schema is older → login event.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlmodel import Session

from app.store import attachments as attachment_store
from app.store import errors, repo_cases, repo_forms, repo_paradata, repo_reviews, repo_submissions
from app.store import users as user_repo
from app.store.backup import BackupResult, backup_database
from app.store.check import CheckReport, check_database
from app.store.crypto import (
    DEFAULT_KDF,
    KdfParams,
    Keyring,
    derive_key,
    keyring_path,
    new_database_key,
    normalise_username,
    unwrap_key,
    wrap_key,
)
from app.store.db import (
    Database,
    connect_raw,
    default_db_path,
    is_plaintext_sqlite,
    make_engine,
    probe,
    read_only_part,
)
from app.store.fileio import fsync_dir
from app.store.migrate import head_revision, known_revisions, upgrade_database
from app.store.repo_paradata import EventIn, EventKind, EventOut
from app.store.repo_submissions import (
    Conflict,
    DraftState,
    RevisionInfo,
    SaveAck,
    SubmissionPage,
)
from app.store.tables import ReviewOutcome, Role, SubmissionState
from app.store.users import LaptopAccount, LockoutBook, UserInfo, lockout_path

log = logging.getLogger(__name__)


class LocalStore:
    """An open, logged-in store. Thread-safe; close it when done."""

    def __init__(self, *, db: Database, user: UserInfo, device_id: str, kdf: KdfParams) -> None:
        self.db = db
        self.user = user
        self.device_id = device_id
        self._kdf = kdf

    # -- plumbing ----------------------------------------------------------

    @property
    def path(self) -> Path:
        return self.db.path

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A transaction for repository functions (services only; the UI never needs it)."""
        with self.db.session(write=write) as session:
            yield session

    def close(self) -> None:
        """Close every connection."""
        self.db.close()

    def __enter__(self) -> LocalStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _require(self, *roles: Role) -> None:
        if self.user.role not in roles:
            raise errors.PermissionDeniedError(
                f"A {self.user.role.value} is not allowed to do this."
            )

    # -- users -------------------------------------------------------------

    def add_user(
        self, *, username: str, password: str, role: Role, display_name: str = ""
    ) -> UserInfo:
        """Create an account (coordinator: any role; supervisor: enumerators, interviewers)."""
        role = Role(role)
        user_repo.require_can_manage(self.user, role)
        user_repo.check_password_policy(password)
        name = user_repo.check_username(username)
        with self.db.session(write=True) as session:
            user = user_repo.create_user(
                session=session,
                username=name,
                password_hash=user_repo.hash_password(password, self._kdf),
                role=role,
                display_name=display_name,
                created_by=self.user.id,
            )
            info = UserInfo.of(user)
            repo_paradata.record_events(
                session=session,
                user_id=self.user.id,
                device_id=self.device_id,
                events=[
                    EventIn(EventKind.USER_CREATED, detail={"user": info.id, "role": role.value})
                ],
            )
            # Written inside the transaction: if the key file cannot be
            # written the user row is rolled back too.
            self._wrap_key_for(user_id=info.id, username=name, password=password)
        log.info("user %s created with role %s", info.id, role.value)
        return info

    def change_password(self, *, old_password: str, new_password: str) -> None:
        """Change the logged-in user's password (re-wraps the key; no re-encryption)."""
        user_repo.check_password_policy(new_password)
        with self.db.session() as session:
            user = user_repo.get_user(session=session, user_id=self.user.id)
            stored_hash = user.password_hash
        if not user_repo.verify_password(stored_hash, old_password):
            raise errors.WrongPasswordError("The current password is wrong.")
        self._set_password(self.user, new_password)

    def reset_password(self, *, username: str, new_password: str) -> None:
        """Set another user's password (their manager only)."""
        user_repo.check_password_policy(new_password)
        with self.db.session() as session:
            target = user_repo.get_user_by_username(session=session, username=username)
            if target is None:
                raise errors.NotFoundError("No such user.")
            info = UserInfo.of(target)
        user_repo.require_can_manage(self.user, info.role)
        self._set_password(info, new_password)

    def _wrap_key_for(self, *, user_id: str, username: str, password: str) -> None:
        """(Re)write this user's copy of the database key, wrapped under `password`."""
        if self.db.key is None:
            return
        keyring = Keyring.load(keyring_path(self.path))
        keyring.put(
            wrap_key(
                self.db.key, password=password, user_id=user_id, username=username, kdf=self._kdf
            )
        )
        keyring.save()

    def _set_password(self, target: UserInfo, new_password: str) -> None:
        with self.db.session(write=True) as session:
            user_repo.set_password_hash(
                session=session,
                user_id=target.id,
                password_hash=user_repo.hash_password(new_password, self._kdf),
            )
            repo_paradata.record_events(
                session=session,
                user_id=self.user.id,
                device_id=self.device_id,
                events=[EventIn(EventKind.PASSWORD_CHANGED, detail={"user": target.id})],
            )
            self._wrap_key_for(user_id=target.id, username=target.username, password=new_password)
        LockoutBook(lockout_path(self.path)).unlock(target.username)

    def unlock_user(self, *, username: str) -> None:
        """Clear a user's failed-login lockout."""
        with self.db.session() as session:
            target = user_repo.get_user_by_username(session=session, username=username)
            if target is None:
                raise errors.NotFoundError("No such user.")
            role = Role(target.role)
        user_repo.require_can_manage(self.user, role)
        LockoutBook(lockout_path(self.path)).unlock(username)

    def set_user_active(self, *, username: str, active: bool) -> None:
        """Disable or re-enable an account; a disabled user's key copy is removed."""
        with self.db.session(write=True) as session:
            target = user_repo.get_user_by_username(session=session, username=username)
            if target is None:
                raise errors.NotFoundError("No such user.")
            user_repo.require_can_manage(self.user, Role(target.role))
            if target.id == self.user.id:
                raise errors.PermissionDeniedError("You cannot disable your own account.")
            user_repo.set_active(session=session, user_id=target.id, active=active)
            repo_paradata.record_events(
                session=session,
                user_id=self.user.id,
                device_id=self.device_id,
                events=[
                    EventIn(EventKind.USER_UPDATED, detail={"user": target.id, "active": active})
                ],
            )
            if self.db.key is not None and not active:
                keyring = Keyring.load(keyring_path(self.path))
                keyring.remove(target.username)
                keyring.save()

    def list_users(self) -> list[UserInfo]:
        with self.db.session() as session:
            return user_repo.list_users(session=session)

    def laptop_accounts(self) -> dict[str, LaptopAccount]:
        """The accounts that arrived with other laptops' bundles, by user id."""
        with self.db.session() as session:
            return user_repo.laptop_accounts(session=session, local_device_id=self.device_id)

    # -- forms, studies, cases ----------------------------------------------

    def add_form_version(
        self,
        *,
        form_id: str,
        version: str,
        title: str,
        source: bytes,
        source_name: str = "",
        compiled: bytes | None = None,
        study_id: str | None = None,
    ) -> repo_forms.FormVersionInfo:
        """Store a form version (source file bytes and the engine's compiled model bytes)."""
        self._require(Role.SUPERVISOR, Role.COORDINATOR)
        with self.db.session(write=True) as session:
            info = repo_forms.add_form_version(
                session=session,
                form_id=form_id,
                version=version,
                title=title,
                source=source,
                source_name=source_name,
                compiled=compiled,
                study_id=study_id,
                created_by=self.user.id,
            )
            repo_paradata.record_events(
                session=session,
                user_id=self.user.id,
                device_id=self.device_id,
                events=[
                    EventIn(
                        EventKind.FORM_VERSION_ADDED,
                        detail={"form_id": form_id, "version": version},
                    )
                ],
            )
            return info

    def get_form_version(
        self, *, form_id: str, version: str
    ) -> tuple[repo_forms.FormVersionInfo, bytes, bytes | None]:
        """(info, source bytes, compiled bytes) of a form version."""
        with self.db.session() as session:
            row = repo_forms.get_form_version(session=session, form_id=form_id, version=version)
            return repo_forms.FormVersionInfo.of(row), row.source, row.compiled

    def list_form_versions(self, *, form_id: str | None = None) -> list[repo_forms.FormVersionInfo]:
        with self.db.session() as session:
            return repo_forms.list_form_versions(session=session, form_id=form_id)

    def delete_form_version(self, *, form_id: str, version: str) -> None:
        """Delete an unused form version (`ImmutableError` once it has submissions)."""
        self._require(Role.SUPERVISOR, Role.COORDINATOR)
        with self.db.session(write=True) as session:
            repo_forms.delete_form_version(session=session, form_id=form_id, version=version)

    def create_assignment(self, **fields: Any) -> repo_cases.AssignmentInfo:
        """Add a case (supervisor, coordinator); fields as `repo_cases.create_assignment`."""
        self._require(Role.SUPERVISOR, Role.COORDINATOR)
        with self.db.session(write=True) as session:
            return repo_cases.create_assignment(session=session, created_by=self.user.id, **fields)

    def create_assignments(self, cases: Iterable[Mapping[str, Any]]) -> int:
        """Add many cases in one transaction (all or none); returns how many."""
        self._require(Role.SUPERVISOR, Role.COORDINATOR)
        count = 0
        with self.db.session(write=True) as session:
            for fields in cases:
                repo_cases.create_assignment(session=session, created_by=self.user.id, **fields)
                count += 1
        return count

    def list_assignments(self, **filters: Any) -> list[repo_cases.AssignmentInfo]:
        with self.db.session() as session:
            return repo_cases.list_assignments(session=session, **filters)

    # -- submissions ---------------------------------------------------------

    def start_submission(
        self,
        *,
        form_id: str,
        form_version: str,
        document: Mapping[str, Any],
        instance_id: str | None = None,
        ui_state: Mapping[str, Any] | None = None,
        assignment_id: str | None = None,
        opened_at: datetime | None = None,
    ) -> DraftState:
        """Create a submission with its first draft (logs "form opened", at `opened_at`
        when the form was opened before its first answer made it worth storing)."""
        instance_id = instance_id or document.get("instance_id") or f"uuid:{uuid.uuid4()}"
        with self.db.session(write=True) as session:
            return repo_submissions.create_submission(
                session=session,
                instance_id=str(instance_id),
                form_id=form_id,
                form_version=form_version,
                document=document,
                ui_state=ui_state,
                assignment_id=assignment_id,
                user_id=self.user.id,
                device_id=self.device_id,
                events=[EventIn(EventKind.FORM_OPENED, at=opened_at)],
                now=opened_at,
            )

    def autosave(
        self,
        *,
        instance_id: str,
        document: Mapping[str, Any],
        ui_state: Mapping[str, Any] | None = None,
        events: Iterable[EventIn] = (),
        attachments: Mapping[str, str] | None = None,
    ) -> SaveAck:
        """Store the current draft and its paradata in one durable transaction.

        Call it on every answer, passing that answer's paradata (e.g. an
        `answer_changed` event with old and new value): when it returns, the
        save survives a crash or a power cut. Autosave records no event of its
        own; pass a `form_saved` event for an explicit save by the user.
        Raises `StorageFullError`/`StorageIOError` (nothing saved, store still
        usable) or `DraftStateError` (no open draft).
        """
        with self.db.session(write=True) as session:
            return repo_submissions.save_draft(
                session=session,
                instance_id=instance_id,
                document=document,
                ui_state=ui_state,
                events=events,
                attachments=attachments,
                user_id=self.user.id,
                device_id=self.device_id,
            )

    def record_events(self, *, events: Iterable[EventIn], instance_id: str | None = None) -> int:
        """Append paradata events on their own (e.g. question enter/leave)."""
        with self.db.session(write=True) as session:
            return repo_paradata.record_events(
                session=session,
                events=events,
                instance_id=instance_id,
                user_id=self.user.id,
                device_id=self.device_id,
            )

    def load_draft(self, *, instance_id: str) -> DraftState | None:
        """The open draft exactly as last saved (document and UI state), or None."""
        with self.db.session() as session:
            return repo_submissions.get_draft(session=session, instance_id=instance_id)

    def finalise(
        self, *, instance_id: str, document: Mapping[str, Any] | None = None
    ) -> RevisionInfo:
        """Freeze the open draft as an immutable revision."""
        with self.db.session(write=True) as session:
            return repo_submissions.finalise(
                session=session,
                instance_id=instance_id,
                document=document,
                user_id=self.user.id,
                device_id=self.device_id,
                events=[EventIn(EventKind.FORM_FINALISED)],
            )

    def start_edit(
        self, *, instance_id: str, reason: str, parent_rev: str | None = None
    ) -> DraftState:
        """Open a child draft of a finalised revision; `reason` is required."""
        with self.db.session(write=True) as session:
            self._require_editor(session, instance_id)
            return repo_submissions.start_edit(
                session=session,
                instance_id=instance_id,
                reason=reason,
                parent_rev=parent_rev,
                user_id=self.user.id,
                device_id=self.device_id,
                events=[EventIn(EventKind.FORM_EDITED, reason=reason)],
            )

    def edit_base(self, *, instance_id: str) -> RevisionInfo:
        """The finalised version an edit would start from, checked as `start_edit` checks
        (who may edit, no draft open, a single head); nothing is written."""
        with self.db.session() as session:
            self._require_editor(session, instance_id)
            parent = repo_submissions.edit_parent(session=session, instance_id=instance_id)
            return RevisionInfo.of(parent)

    def _require_editor(self, session: Session, instance_id: str) -> None:
        submission = repo_submissions.get_submission(session=session, instance_id=instance_id)
        if submission.created_by != self.user.id and self.user.role not in (
            user_repo.REVIEWER_ROLES
        ):
            raise errors.PermissionDeniedError(
                "Only the author, a supervisor or a coordinator can edit this submission."
            )

    def history(self, *, instance_id: str) -> list[RevisionInfo]:
        """Every revision of a submission, oldest first."""
        with self.db.session() as session:
            return repo_submissions.history(session=session, instance_id=instance_id)

    def revision_document(self, *, rev_id: str) -> dict[str, Any]:
        """The document of any revision (hash-verified)."""
        with self.db.session() as session:
            return repo_submissions.get_revision_document(session=session, rev_id=rev_id)

    def heads(self, *, instance_id: str) -> list[RevisionInfo]:
        with self.db.session() as session:
            return repo_submissions.list_heads(session=session, instance_id=instance_id)

    def conflicts(self) -> list[Conflict]:
        """Submissions with several childless finalised revisions."""
        with self.db.session() as session:
            return repo_submissions.list_conflicts(session=session)

    def list_submissions(
        self,
        *,
        state: SubmissionState | None = None,
        form_id: str | None = None,
        assignment_id: str | None = None,
        created_by: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> SubmissionPage:
        """A page of the submissions list, newest save first."""
        with self.db.session() as session:
            return repo_submissions.list_submissions(
                session=session,
                state=state,
                form_id=form_id,
                assignment_id=assignment_id,
                created_by=created_by,
                limit=limit,
                offset=offset,
            )

    def events(self, *, instance_id: str | None = None, kind: str | None = None) -> list[EventOut]:
        with self.db.session() as session:
            return repo_paradata.list_events(session=session, instance_id=instance_id, kind=kind)

    def review(self, *, rev_id: str, decision: ReviewOutcome, comment: str = "") -> None:
        """Approve or reject a finalised revision (supervisor, coordinator)."""
        self._require(Role.SUPERVISOR, Role.COORDINATOR)
        with self.db.session(write=True) as session:
            repo_reviews.record_review(
                session=session,
                rev_id=rev_id,
                reviewer_id=self.user.id,
                decision=decision,
                comment=comment,
                device_id=self.device_id,
            )

    def head_reviews(self) -> dict[str, repo_reviews.ReviewInfo]:
        """The latest decision on each submission's current version, by instance id."""
        with self.db.session() as session:
            return repo_reviews.decisions_on_heads(session=session)

    def reviews(self, *, instance_id: str) -> list[repo_reviews.ReviewInfo]:
        """Every decision on the versions of one submission, oldest first."""
        with self.db.session() as session:
            return repo_reviews.decisions_on_instance(session=session, instance_id=instance_id)

    # -- attachments ---------------------------------------------------------

    def add_attachment(
        self, *, stream: BinaryIO, media_type: str = "application/octet-stream"
    ) -> attachment_store.AttachmentInfo:
        """Stream a file into the store; returns its SHA-256 and size."""
        return attachment_store.store_attachment(db=self.db, stream=stream, media_type=media_type)

    def read_attachment(self, *, sha256: str) -> Iterator[bytes]:
        """Stream a stored attachment's bytes."""
        return attachment_store.iter_attachment(db=self.db, sha256=sha256)

    # -- maintenance -----------------------------------------------------------

    def check(self, *, full: bool = True) -> CheckReport:
        """Integrity check, counts per table and the canonical content hash."""
        return check_database(db=self.db, full=full)

    def backup(self, *, dest: Path, overwrite: bool = False) -> BackupResult:
        """Online backup (SQLite backup API) to `dest`, verified, with the key file."""
        result = backup_database(db=self.db, dest=dest, overwrite=overwrite)
        with self.db.session(write=True) as session:
            repo_paradata.record_events(
                session=session,
                user_id=self.user.id,
                device_id=self.device_id,
                events=[EventIn(EventKind.BACKUP_MADE, detail={"hash": result.content_hash})],
            )
        return result


# -- create / open -------------------------------------------------------------


def create_store(
    *,
    username: str,
    password: str,
    path: Path | None = None,
    display_name: str = "",
    encrypted: bool = True,
    kdf: KdfParams = DEFAULT_KDF,
    device_name: str | None = None,
) -> LocalStore:
    """Create a new database with its first user (a coordinator) and log in.

    Encrypted by default. The file is built under a temporary name and
    renamed into place only when complete (with its key file written first),
    so a crash never leaves a half-created database at `path`.
    """
    path = (path or default_db_path()).expanduser()
    if path.exists() or keyring_path(path).exists():
        raise errors.DatabaseExistsError(f"A database already exists at {path}.")
    user_repo.check_password_policy(password)
    name = user_repo.check_username(username)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = new_database_key() if encrypted else None
    tmp = path.with_name(f".{path.name}.creating")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    connect_raw(tmp, key).close()
    upgrade_database(tmp, key)
    engine = make_engine(tmp, key)
    db = Database(tmp, key, engine)
    try:
        with db.session(write=True) as session:
            device = repo_cases.register_local_device(session=session, name=device_name)
            user = user_repo.create_user(
                session=session,
                username=name,
                password_hash=user_repo.hash_password(password, kdf),
                role=Role.COORDINATOR,
                display_name=display_name,
            )
            info, device_id = UserInfo.of(user), device.id
            repo_paradata.record_events(
                session=session,
                user_id=info.id,
                device_id=device_id,
                events=[
                    EventIn(
                        EventKind.USER_CREATED,
                        detail={"user": info.id, "role": Role.COORDINATOR.value},
                    )
                ],
            )
    finally:
        db.close()
    # Fold the WAL into the file so that the rename moves everything.
    conn = connect_raw(tmp, key)
    try:
        conn.execute("PRAGMA journal_mode=DELETE").fetchone()
    finally:
        conn.close()
    if key is not None:
        keyring = Keyring(path=keyring_path(path))
        keyring.put(wrap_key(key, password=password, user_id=info.id, username=name, kdf=kdf))
        keyring.save()
    os.replace(tmp, path)
    fsync_dir(path.parent)
    log.info("created %s database at %s", "encrypted" if key else "plaintext", path)
    return _finish_open(
        db=Database(path, key, make_engine(path, key)),
        user=info,
        device_id=device_id,
        kdf=kdf,
        previous_failures=0,
    )


def open_store(*, username: str, password: str, path: Path | None = None) -> LocalStore:
    """Log in and open the database at `path` (default: the user data directory).

    Raises `WrongPasswordError`, `AccountLockedError`, `AccountDisabledError`,
    `DatabaseNotFoundError`, `DatabaseReadOnlyError`, `KeyringError`, `DatabaseCorruptError`,
    `DatabaseTooNewError`, `MigrationError`. None of them changes the
    database file.
    """
    path = (path or default_db_path()).expanduser()
    if not path.is_file():
        raise errors.DatabaseNotFoundError(f"No database at {path}.")
    read_only = read_only_part(path)
    if read_only is not None:
        raise errors.DatabaseReadOnlyError(
            f"The database {path} cannot be opened: {read_only} is read-only (a folder or "
            "file of another user, a read-only copy, or a write-protected stick). Make it "
            "writable, or copy the database's folder to one you can write to. Nothing was "
            "changed."
        )
    lockout = LockoutBook(lockout_path(path))
    lockout.check(username)
    key_file = keyring_path(path)
    key: bytes | None = None
    kdf = DEFAULT_KDF
    if key_file.exists() or not is_plaintext_sqlite(path):
        if not key_file.exists():
            raise errors.DatabaseCorruptError(
                f"The file {path} is not a readable database: it is damaged, or it is "
                "encrypted and its key file is missing."
            )
        keyring = Keyring.load(key_file)
        entry = keyring.get(username)
        if entry is None:
            derive_key(password, b"\0" * 16, DEFAULT_KDF)  # same delay as a known user
            lockout.record_failure(username)
            raise errors.WrongPasswordError("Wrong user name or password.")
        try:
            key = unwrap_key(entry, password)
        except errors.WrongPasswordError:
            lockout.record_failure(username)
            raise
        kdf = entry.kdf
    result = probe(path, key, known_revisions())
    user = _lookup_user(path, key, username)
    if key is None:
        if user is None or not user_repo.verify_password(user[1], password):
            lockout.record_failure(username)
            raise errors.WrongPasswordError("Wrong user name or password.")
    elif user is None:
        lockout.record_failure(username)
        raise errors.WrongPasswordError("Wrong user name or password.")
    user_id, _hash, active = user
    if not active:
        raise errors.AccountDisabledError("This account has been disabled.")
    if result.schema_revision != head_revision():
        _upgrade_with_backup(path, key, result.schema_revision)
    previous_failures = lockout.record_success(username)
    db = Database(path, key, make_engine(path, key))
    try:
        with db.session() as session:
            info = UserInfo.of(user_repo.get_user(session=session, user_id=user_id))
            device = repo_cases.get_local_device(session=session)
            if device is None:
                raise errors.DatabaseCorruptError("The database has no record of this device.")
            device_id = device.id
        return _finish_open(
            db=db, user=info, device_id=device_id, kdf=kdf, previous_failures=previous_failures
        )
    except BaseException:
        db.close()
        raise


def _lookup_user(
    path: Path, key: bytes | None, username: str
) -> tuple[str, str | None, bool] | None:
    conn = connect_raw(path, key)
    try:
        row = conn.execute(
            "SELECT id, password_hash, active FROM app_user WHERE username = ?",
            (normalise_username(username),),
        ).fetchone()
    finally:
        conn.close()
    return None if row is None else (str(row[0]), row[1], bool(row[2]))


def _upgrade_with_backup(path: Path, key: bytes | None, revision: str | None) -> None:
    backup = path.with_name(f"{path.name}.pre-{revision}.bak")
    source = connect_raw(path, key)
    try:
        target = connect_raw(backup, key)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()
    if keyring_path(path).is_file():
        shutil.copyfile(keyring_path(path), keyring_path(backup))
    log.info("backed up the database before upgrading schema %s", revision)
    upgrade_database(path, key)


def _finish_open(
    *,
    db: Database,
    user: UserInfo,
    device_id: str,
    kdf: KdfParams,
    previous_failures: int,
) -> LocalStore:
    store = LocalStore(db=db, user=user, device_id=device_id, kdf=kdf)
    attachment_store.discard_incomplete_blobs(db=db)
    with db.session(write=True) as session:
        repo_paradata.record_events(
            session=session,
            user_id=user.id,
            device_id=device_id,
            events=[EventIn(EventKind.LOGIN, detail={"failed_attempts_before": previous_failures})],
        )
    log.info("user %s logged in", user.id)
    return store
