"""Tables for bundles: keys, outgoing bundles and acknowledgements, merge state.

Kept apart from `tables.py` (which imports this module, so every table is on
the one `SQLModel.metadata`) because they belong to the bundle feature
(`app/bundle`, docs/bundle-format.md). Created by migration 0003.

What lives where:

* `DeviceSecret`: this laptop's private keys (Ed25519 signing, age X25519
  receiving). In the database, so SQLCipher encrypts them and backups carry
  them; never in a bundle.
* `BundleRecipient`: the age public keys field bundles are encrypted to
  (the coordinator's and the escrow key), from the trusted coordinator card.
* `OutgoingBundle` / `OutgoingItem` / `DeliveredItem`: what this database
  has put into bundles, and what the receiver has acknowledged (so the next
  bundle carries only what is not acknowledged yet).
* `RevisionMerge`: the extra parents of a conflict-resolution revision.
* `SubmissionKey` / `DuplicateDecision`: business keys for finding likely
  duplicates, and the coordinator's decisions about them.
* `DeviceUser`: which laptop a user account lives on (coordinator side), so
  that assignments go to the right laptop.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.store.types import UTCDateTime, utcnow


def _in(column: str, enum: type[StrEnum]) -> str:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"


class RecipientRole(StrEnum):
    COORDINATOR = "coordinator"
    ESCROW = "escrow"


class OutgoingStatus(StrEnum):
    WRITING = "writing"  # sequence number taken, file not complete yet
    WRITTEN = "written"  # file written, verified and renamed into place
    ACKNOWLEDGED = "acknowledged"  # the receiver reported it applied


class ItemKind(StrEnum):
    REVISION = "revision"
    ATTACHMENT = "attachment"
    EVENT = "event"


class DuplicateVerdict(StrEnum):
    NOT_DUPLICATE = "not_duplicate"
    DUPLICATE = "duplicate"


class DeviceSecret(SQLModel, table=True):
    """This laptop's private keys. Only the local device has a row."""

    __tablename__ = "device_secret"

    device_id: str = Field(primary_key=True, foreign_key="device.id", max_length=64)
    signing_key: bytes = Field(sa_type=LargeBinary)
    age_identity: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BundleRecipient(SQLModel, table=True):
    """An age recipient (public key) that field bundles are encrypted to."""

    __tablename__ = "bundle_recipient"
    __table_args__ = (CheckConstraint(_in("role", RecipientRole), name="ck_bundle_recipient_role"),)

    recipient: str = Field(primary_key=True, max_length=128)
    role: str = Field(max_length=16)
    label: str = ""
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OutgoingBundle(SQLModel, table=True):
    """A bundle this database wrote. Sequence numbers count per target."""

    __tablename__ = "outgoing_bundle"
    __table_args__ = (
        UniqueConstraint("target", "sequence", name="uq_outgoing_bundle_target_sequence"),
        CheckConstraint(_in("status", OutgoingStatus), name="ck_outgoing_bundle_status"),
    )

    id: str = Field(primary_key=True, max_length=64)
    target: str = Field(max_length=64)
    sequence: int
    covers_since: int
    kind: str = Field(max_length=16)
    status: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sha256: str | None = Field(default=None, max_length=64)
    file_name: str | None = None
    acked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    state_digest: str | None = Field(default=None, max_length=64)
    summary: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class OutgoingItem(SQLModel, table=True):
    """One revision, attachment or paradata event carried by an outgoing bundle."""

    __tablename__ = "outgoing_item"
    __table_args__ = (Index("ix_outgoing_item_kind_key", "kind", "item_key"),)

    bundle_id: str = Field(primary_key=True, foreign_key="outgoing_bundle.id", max_length=64)
    kind: str = Field(primary_key=True, max_length=16)
    item_key: str = Field(primary_key=True, max_length=128)


class DeliveredItem(SQLModel, table=True):
    """An item the receiver has acknowledged: never sent again unless asked for."""

    __tablename__ = "delivered_item"

    kind: str = Field(primary_key=True, max_length=16)
    item_key: str = Field(primary_key=True, max_length=128)
    bundle_id: str = Field(max_length=64)
    acked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RevisionMerge(SQLModel, table=True):
    """An extra parent of a revision: a conflict resolution closes the other heads."""

    __tablename__ = "revision_merge"

    rev_id: str = Field(primary_key=True, foreign_key="revision.rev_id", max_length=64)
    parent_rev: str = Field(
        primary_key=True, foreign_key="revision.rev_id", max_length=64, index=True
    )


class SubmissionKey(SQLModel, table=True):
    """A submission's business key (institution and respondent), for duplicate checks."""

    __tablename__ = "submission_key"

    instance_id: str = Field(primary_key=True, foreign_key="submission.instance_id", max_length=128)
    form_id: str = Field(max_length=128)
    key_hash: str = Field(max_length=64, index=True)
    institution: str = ""
    respondent: str = ""
    device_id: str = Field(max_length=64)


class DuplicateDecision(SQLModel, table=True):
    """A coordinator's verdict on a group of likely duplicates (append-only)."""

    __tablename__ = "duplicate_decision"
    __table_args__ = (
        CheckConstraint(_in("decision", DuplicateVerdict), name="ck_duplicate_decision"),
    )

    id: str = Field(primary_key=True, max_length=64)
    key_hash: str = Field(max_length=64, index=True)
    instance_ids: str = Field(sa_column=Column(Text, nullable=False))
    decision: str = Field(max_length=16)
    comment: str = ""
    decided_by: str | None = Field(default=None, foreign_key="app_user.id", max_length=64)
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeviceUser(SQLModel, table=True):
    """A user account that lives on a given laptop (learnt from its bundles)."""

    __tablename__ = "device_user"

    device_id: str = Field(primary_key=True, foreign_key="device.id", max_length=64)
    user_id: str = Field(primary_key=True, foreign_key="app_user.id", max_length=64)


BUNDLE_TABLES: tuple[type[SQLModel], ...] = (
    DeviceSecret,
    BundleRecipient,
    OutgoingBundle,
    OutgoingItem,
    DeliveredItem,
    RevisionMerge,
    SubmissionKey,
    DuplicateDecision,
    DeviceUser,
)
