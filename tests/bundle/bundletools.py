"""Helpers for the bundle tests: a coordinator, field laptops, synthetic interviews."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import update

from app.bundle.applier import T_OUT
from app.bundle.export import (
    RESEND_RECORDINGS_AFTER,
    export_coordinator_bundle,
    export_field_bundle,
)
from app.bundle.importer import ImportStatus, import_bundle
from app.bundle.keys import (
    AgeIdentity,
    create_coordinator_keys,
    init_device_keys,
    register_device,
    trust_coordinator,
    unlock_identity_file,
)
from app.bundle.target import BundleTarget
from app.engine.compiled import CompiledForm
from app.engine.loader import load_form_bytes
from app.engine.serialize import to_document
from app.engine.synthetic import generate
from app.store.crypto import KdfParams
from app.store.repo_paradata import EventIn, EventKind
from app.store.repo_submissions import RevisionInfo
from app.store.store import LocalStore, create_store, open_store
from app.store.types import utcnow

REPO = Path(__file__).resolve().parents[2]
FAST_KDF = KdfParams(time_cost=1, memory_cost_kib=8 * 1024, parallelism=1)
PASSWORD = "test-password-1"
PASSPHRASE = "coordinator passphrase"
SWOT = REPO / "forms" / "swot_statement.md"
DESK = REPO / "forms" / "desk_review.md"


@cache
def form_source(path: Path = SWOT) -> bytes:
    return path.read_bytes()


@cache
def compiled(path: Path = SWOT) -> CompiledForm:
    return load_form_bytes(form_source(path), path.name)


@cache
def synthetic_documents(path: Path = SWOT, count: int = 40, seed: int = 7) -> tuple[Any, ...]:
    """Valid documents of a study instrument (deterministic)."""
    return tuple(to_document(s) for s in generate(compiled(path), count=count, seed=seed))


def add_form(store: LocalStore, path: Path = SWOT) -> tuple[str, str]:
    form = compiled(path).formdef
    store.add_form_version(
        form_id=form.form_id,
        version=form.version,
        title=form.title,
        source=form_source(path),
        source_name=path.name,
    )
    return form.form_id, form.version


@dataclass
class Coordinator:
    store: LocalStore
    target: BundleTarget
    identity: AgeIdentity
    card: Path
    keys_dir: Path

    def close(self) -> None:
        self.store.close()


def make_coordinator(
    root: Path, *, encrypted: bool = False, name: str = "coordinator"
) -> Coordinator:
    store = create_store(
        username="coord",
        password=PASSWORD,
        path=root / f"{name}.db",
        encrypted=encrypted,
        kdf=FAST_KDF,
        device_name=name,
    )
    target = BundleTarget.from_store(store)
    keys = create_coordinator_keys(target, out_dir=root / f"{name}-keys", passphrase=PASSPHRASE)
    identity = unlock_identity_file(keys.identity_file, PASSPHRASE)
    return Coordinator(store, target, identity, keys.card_file, root / f"{name}-keys")


@dataclass
class Field:
    store: LocalStore
    target: BundleTarget
    form: tuple[str, str]

    @property
    def device_id(self) -> str:
        return self.store.device_id

    def close(self) -> None:
        self.store.close()

    def interview(self, document: dict[str, Any], *, attachment: bytes | None = None) -> str:
        """Store and finalise one interview (with paradata); returns its instance id."""
        instance_id = str(document["instance_id"])
        self.store.start_submission(
            form_id=self.form[0],
            form_version=self.form[1],
            document=document,
            instance_id=instance_id,
        )
        links = None
        if attachment is not None:
            info = self.store.add_attachment(stream=io.BytesIO(attachment), media_type="audio/ogg")
            links = {"audio.ogg": info.sha256}
        self.store.autosave(
            instance_id=instance_id,
            document=document,
            events=[
                EventIn(EventKind.ANSWER_CHANGED, field="statement", old_value=None, new_value="x")
            ],
            attachments=links,
        )
        self.store.finalise(instance_id=instance_id)
        return instance_id

    def a_week_goes_by(self) -> None:
        """Date this laptop's bundles back past the resend time: recordings in them that
        were not acknowledged travel again in its next bundle."""
        with self.target.session(write=True) as session:
            session.connection().execute(
                update(T_OUT).values(
                    created_at=utcnow() - RESEND_RECORDINGS_AFTER - timedelta(minutes=1)
                )
            )

    def edit(self, instance_id: str, document: dict[str, Any], reason: str = "fix") -> str:
        draft = self.store.start_edit(instance_id=instance_id, reason=reason)
        self.store.autosave(instance_id=instance_id, document=document)
        self.store.finalise(instance_id=instance_id)
        return draft.rev_id


def make_field(root: Path, coordinator: Coordinator, name: str, *, register: bool = True) -> Field:
    store = create_store(
        username=f"enum-{name}",
        password=PASSWORD,
        path=root / f"{name}.db",
        encrypted=False,
        kdf=FAST_KDF,
        device_name=name,
    )
    return laptop_for(store, coordinator, register=register)


def laptop_for(store: LocalStore, coordinator: Coordinator, *, register: bool = True) -> Field:
    """An open store made a field laptop of `coordinator`'s study (with the SWOT form)."""
    from app.bundle.keys import COORDINATOR_CARD_FORMAT, read_card

    target = BundleTarget.from_store(store)
    keys = init_device_keys(target)
    trust_coordinator(target, read_card(coordinator.card, COORDINATOR_CARD_FORMAT))
    if register:
        register_device(coordinator.target, keys.card())
    form = add_form(store)
    return Field(store, target, form)


def content_hash(target: BundleTarget) -> str:
    from app.store.check import content_hash as digest

    with target.session() as session:
        return digest(session.connection())


def corrected_here(
    store: LocalStore, instance_id: str, document: dict[str, Any], text: str, reason: str = "typo"
) -> RevisionInfo:
    """The coordinator's own correction of an interview: its statement set to `text`."""
    store.start_edit(instance_id=instance_id, reason=reason)
    store.autosave(instance_id=instance_id, document=with_text(document, text))
    return store.finalise(instance_id=instance_id)


def with_text(document: dict[str, Any], text: str, key: str = "statement") -> dict[str, Any]:
    """A deep copy of `document` with the (nested) text field `key` set to `text`."""
    import copy

    out = copy.deepcopy(document)
    stack = [out["data"]]
    while stack:
        node = stack.pop()
        if key in node:
            node[key] = text
            return out
        stack.extend(v for v in node.values() if isinstance(v, dict))
    raise KeyError(key)


def coordinator_for(store: LocalStore, keys_dir: Path) -> Coordinator:
    """An open store made a coordinator's: its key pair written into `keys_dir`."""
    target = BundleTarget.from_store(store)
    keys = create_coordinator_keys(target, out_dir=keys_dir, passphrase=PASSPHRASE)
    identity = unlock_identity_file(keys.identity_file, PASSPHRASE)
    return Coordinator(store, target, identity, keys.card_file, keys_dir)


@dataclass
class MergeQueues:
    """What `fill_merge_queues` made: ids to check the coordinator's queues against."""

    conflict_instance: str
    coordinator_version: str
    laptop_version: str
    duplicate_instances: tuple[str, str]
    laptops: list[Field]

    def close(self) -> None:
        for laptop in self.laptops:
            laptop.close()


def fill_merge_queues(store: LocalStore, root: Path) -> MergeQueues:
    """On a coordinator's store, with real laptops' bundles: one conflict (the coordinator
    and laptop-a both corrected an interview), one group of likely duplicates (laptop-b and
    laptop-c each recorded the same desk review) and one bundle of laptop-a never received."""
    import copy

    from app.bundle.export import export_field_bundle
    from app.bundle.importer import import_bundle

    coordinator = coordinator_for(store, root / "coordinator-keys")
    target, identity = coordinator.target, coordinator.identity

    def send(laptop: Field, *, deliver: bool = True) -> None:
        written = export_field_bundle(laptop.target, folder=root / "out")
        assert written is not None
        if deliver:
            result = import_bundle(target, written.path, identities=[identity])
            assert result.ok, result.message

    a = make_field(root, coordinator, "laptop-a")
    document = dict(synthetic_documents()[1])
    instance = a.interview(document)
    send(a)
    store.start_edit(instance_id=instance, reason="typo in the statement")
    store.autosave(instance_id=instance, document=with_text(document, "Data sharing is slow."))
    mine = store.finalise(instance_id=instance)
    theirs = a.edit(instance, with_text(document, "Data sharing between ministries is slow."))
    send(a, deliver=False)  # bundle 2: lost on the way
    send(a)  # bundle 3 carries it again

    b, c = make_field(root, coordinator, "laptop-b"), make_field(root, coordinator, "laptop-c")
    for laptop in (b, c):
        laptop.form = add_form(laptop.store, DESK)
    original = dict(synthetic_documents(DESK, 4)[0])
    copied = copy.deepcopy(original)
    copied["instance_id"] = copied["data"]["meta"]["instanceID"] = (
        "uuid:00000000-0000-4000-8000-0000000000d2"
    )
    b.interview(original)
    c.interview(copied)
    send(b)
    send(c)
    return MergeQueues(
        instance, mine.rev_id, theirs, (original["instance_id"], copied["instance_id"]), [a, b, c]
    )


def deliver(field: Field, coordinator: Coordinator, folder: Path) -> None:
    """The laptop's next bundle, written and imported by the coordinator."""
    bundle = export_field_bundle(field.target, folder=folder)
    assert bundle is not None
    result = import_bundle(coordinator.target, bundle.path, identities=[coordinator.identity])
    assert result.status is ImportStatus.APPLIED, result.message


def send_back(field: Field, coordinator: Coordinator, folder: Path) -> None:
    """The coordinator's next bundle for the laptop, written and imported there."""
    back = export_coordinator_bundle(coordinator.target, device_id=field.device_id, folder=folder)
    assert back is not None
    assert import_bundle(field.target, back.path).status is ImportStatus.APPLIED


def as_user(coordinator: Coordinator, user: str = "coord") -> list[str]:
    """Command-line options opening the coordinator's database as `user`."""
    return ["--db", str(coordinator.store.path), "--user", user, "--password-stdin"]


def reopen(coordinator: Coordinator) -> BundleTarget:
    """The coordinator's database, logged in again after the CLI used it (closed at teardown)."""
    coordinator.store = open_store(username="coord", password=PASSWORD, path=coordinator.store.path)
    coordinator.target = BundleTarget.from_store(coordinator.store)
    return coordinator.target
