"""SQLModel tables of the local store (the schema at the newest migration).

Portable on purpose: no SQLite-only types, so the same tables run on
PostgreSQL for a central store. Identifiers that travel between machines
(instance ids, revision ids, users, devices, studies, assignments) are text
UUIDs; only rows that never leave the machine use integer keys (attachment
blobs and chunks, the paradata row number).

Invariants enforced here *and* by database triggers (see the migrations):
a form version with submissions never changes, a finalised revision never
changes, paradata and review decisions are append-only.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    Text,
)
from sqlmodel import Field, SQLModel

from app.store.types import UTCDateTime, utcnow


class Role(StrEnum):
    """What a user may do. Ordered roughly by privilege."""

    ENUMERATOR = "enumerator"
    INTERVIEWER = "interviewer"
    SUPERVISOR = "supervisor"
    COORDINATOR = "coordinator"


class RevisionStatus(StrEnum):
    DRAFT = "draft"
    FINALISED = "finalised"


class SubmissionState(StrEnum):
    """Summary of a submission's revisions, kept on the submission row for listing."""

    DRAFT = "draft"  # never finalised
    FINALISED = "finalised"  # one head, no open draft
    EDITING = "editing"  # finalised before, an edit draft is open
    CONFLICT = "conflict"  # several finalised heads


class AssignmentStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    REFUSED = "refused"
    CANCELLED = "cancelled"


class ReviewOutcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class BundleStatus(StrEnum):
    APPLIED = "applied"
    QUARANTINED = "quarantined"


def _in(column: str, enum: type[StrEnum]) -> str:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"


class Study(SQLModel, table=True):
    """A study (e.g. one national baseline survey); forms and cases belong to it."""

    __tablename__ = "study"

    id: str = Field(primary_key=True, max_length=64)
    code: str = Field(max_length=64, unique=True)
    title: str
    description: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeviceRole(StrEnum):
    """What a laptop is for: collecting data, or merging it (the coordinator's)."""

    FIELD = "field"
    COORDINATOR = "coordinator"


class Device(SQLModel, table=True):
    """A laptop. Exactly one row per database has `is_local` set: this machine.

    `public_key` is the raw Ed25519 signing key that verifies its bundles and
    `age_recipient` the age X25519 key that coordinator bundles to it are
    encrypted to (both None until keys are made or the device is registered).
    """

    __tablename__ = "device"
    __table_args__ = (CheckConstraint(_in("role", DeviceRole), name="ck_device_role"),)

    id: str = Field(primary_key=True, max_length=64)
    name: str
    is_local: bool = False
    public_key: bytes | None = Field(default=None, sa_type=LargeBinary)
    registered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    age_recipient: str | None = Field(default=None, max_length=128)
    role: str = Field(
        default=DeviceRole.FIELD.value,
        max_length=16,
        sa_column_kwargs={"server_default": DeviceRole.FIELD.value},
    )


class User(SQLModel, table=True):
    """A person who logs in. `password_hash` is an argon2id PHC string."""

    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL
    __table_args__ = (CheckConstraint(_in("role", Role), name="ck_app_user_role"),)

    id: str = Field(primary_key=True, max_length=64)
    username: str = Field(max_length=64, unique=True)
    display_name: str = ""
    role: str = Field(max_length=16)
    password_hash: str | None = None
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str | None = Field(default=None, foreign_key="app_user.id", max_length=64)
    password_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FormVersion(SQLModel, table=True):
    """One version of one form. Immutable once a submission uses it."""

    __tablename__ = "form_version"

    form_id: str = Field(primary_key=True, max_length=128)
    version: str = Field(primary_key=True, max_length=64)
    title: str = ""
    content_hash: str = Field(max_length=64)
    source_name: str = ""
    source: bytes = Field(sa_type=LargeBinary)
    compiled: bytes | None = Field(default=None, sa_type=LargeBinary)
    study_id: str | None = Field(default=None, foreign_key="study.id", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str | None = Field(default=None, foreign_key="app_user.id", max_length=64)


class Assignment(SQLModel, table=True):
    """A case: who is to be interviewed, by whom, with which form."""

    __tablename__ = "assignment"
    __table_args__ = (
        CheckConstraint(_in("status", AssignmentStatus), name="ck_assignment_status"),
    )

    id: str = Field(primary_key=True, max_length=64)
    study_id: str | None = Field(default=None, foreign_key="study.id", max_length=64)
    form_id: str = Field(max_length=128, index=True)
    form_version: str | None = Field(default=None, max_length=64)
    institution: str = ""
    cluster: str = ""
    province: str = ""
    respondent: str = ""
    assigned_to: str | None = Field(
        default=None, foreign_key="app_user.id", max_length=64, index=True
    )
    status: str = Field(default=AssignmentStatus.PENDING.value, max_length=16)
    notes: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str | None = Field(default=None, foreign_key="app_user.id", max_length=64)


class Submission(SQLModel, table=True):
    """One interview/questionnaire instance. `instance_id` never changes.

    `state`, `head_rev_id`, `last_saved_at` and `revision_count` summarise the
    revisions (maintained by the repository in the same transaction) so that
    the cases page lists and filters without reading revisions.
    """

    __tablename__ = "submission"
    __table_args__ = (
        ForeignKeyConstraint(
            ["form_id", "form_version"],
            ["form_version.form_id", "form_version.version"],
            name="fk_submission_form_version",
        ),
        CheckConstraint(_in("state", SubmissionState), name="ck_submission_state"),
        Index("ix_submission_last_saved_at", "last_saved_at"),
        Index("ix_submission_state", "state", "last_saved_at"),
    )

    instance_id: str = Field(primary_key=True, max_length=128)
    form_id: str = Field(max_length=128, index=True)
    form_version: str = Field(max_length=64)
    assignment_id: str | None = Field(
        default=None, foreign_key="assignment.id", max_length=64, index=True
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(foreign_key="app_user.id", max_length=64)
    device_id: str = Field(foreign_key="device.id", max_length=64)
    state: str = Field(default=SubmissionState.DRAFT.value, max_length=16)
    head_rev_id: str | None = Field(default=None, max_length=64)
    last_saved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revision_count: int = 0


class Revision(SQLModel, table=True):
    """A version of a submission's content. Finalised revisions never change.

    A draft revision is updated in place by autosave; finalising freezes it.
    Editing a finalised submission adds a child draft (`parent_rev`) with a
    reason. Several finalised revisions without finalised children = conflict.
    """

    __tablename__ = "revision"
    __table_args__ = (
        CheckConstraint(_in("status", RevisionStatus), name="ck_revision_status"),
        Index("ix_revision_instance_status", "instance_id", "status"),
    )

    rev_id: str = Field(primary_key=True, max_length=64)
    instance_id: str = Field(foreign_key="submission.instance_id", max_length=128)
    parent_rev: str | None = Field(
        default=None, foreign_key="revision.rev_id", max_length=64, index=True
    )
    status: str = Field(max_length=16)
    author_id: str = Field(foreign_key="app_user.id", max_length=64)
    device_id: str = Field(foreign_key="device.id", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    saved_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finalised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reason: str | None = None
    content_hash: str = Field(max_length=64)
    document: str = Field(sa_column=Column(Text, nullable=False))
    ui_state: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class AttachmentBlob(SQLModel, table=True):
    """Local storage unit for one attachment's bytes; `complete` once verified."""

    __tablename__ = "attachment_blob"

    id: int | None = Field(default=None, primary_key=True)
    complete: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AttachmentChunk(SQLModel, table=True):
    """A fixed-size piece of a blob; attachments are streamed chunk by chunk."""

    __tablename__ = "attachment_chunk"

    blob_id: int = Field(foreign_key="attachment_blob.id", primary_key=True)
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_type=LargeBinary)


class Attachment(SQLModel, table=True):
    """A file known by the SHA-256 of its bytes (audio, photos, documents)."""

    __tablename__ = "attachment"

    sha256: str = Field(primary_key=True, max_length=64)
    size: int
    media_type: str = "application/octet-stream"
    blob_id: int = Field(foreign_key="attachment_blob.id", unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RevisionAttachment(SQLModel, table=True):
    """Which attachments a revision uses, under the name the form gave them."""

    __tablename__ = "revision_attachment"

    rev_id: str = Field(foreign_key="revision.rev_id", primary_key=True, max_length=64)
    name: str = Field(primary_key=True, max_length=255)
    sha256: str = Field(foreign_key="attachment.sha256", max_length=64, index=True)


class ParadataEvent(SQLModel, table=True):
    """One thing that happened: question enter/leave, answer change, open/save/finalise, login.

    Append-only. `old_value`/`new_value`/`detail` are JSON text.
    """

    __tablename__ = "paradata_event"
    __table_args__ = (Index("ix_paradata_instance_at", "instance_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(max_length=64, unique=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    kind: str = Field(max_length=32, index=True)
    user_id: str | None = Field(default=None, foreign_key="app_user.id", max_length=64)
    device_id: str | None = Field(default=None, foreign_key="device.id", max_length=64)
    instance_id: str | None = Field(
        default=None, foreign_key="submission.instance_id", max_length=128
    )
    rev_id: str | None = Field(default=None, foreign_key="revision.rev_id", max_length=64)
    field: str | None = Field(default=None, max_length=512)
    old_value: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    new_value: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reason: str | None = None
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ReviewDecision(SQLModel, table=True):
    """A supervisor's decision on one revision. Append-only."""

    __tablename__ = "review_decision"
    __table_args__ = (
        CheckConstraint(_in("decision", ReviewOutcome), name="ck_review_decision_decision"),
    )

    id: str = Field(primary_key=True, max_length=64)
    rev_id: str = Field(foreign_key="revision.rev_id", max_length=64, index=True)
    reviewer_id: str = Field(foreign_key="app_user.id", max_length=64)
    device_id: str | None = Field(default=None, foreign_key="device.id", max_length=64)
    decision: str = Field(max_length=16)
    comment: str = ""
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ImportedBundle(SQLModel, table=True):
    """A bundle file seen by this database (applied or quarantined).

    `sequence`, `target`, `kind`, `covers_since` and `bundle_created_at` come
    from the bundle header (see docs/bundle-format.md); sequence gaps per
    (source device, target) are computed from them.
    """

    __tablename__ = "imported_bundle"
    __table_args__ = (
        CheckConstraint(_in("status", BundleStatus), name="ck_imported_bundle_status"),
        Index("ix_imported_bundle_source_seq", "source_device_id", "target", "sequence"),
    )

    id: str = Field(primary_key=True, max_length=64)
    sha256: str = Field(max_length=64, unique=True)
    source_device_id: str | None = Field(default=None, max_length=64)
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    imported_by: str | None = Field(default=None, foreign_key="app_user.id", max_length=64)
    status: str = Field(max_length=16)
    reason: str | None = None
    summary: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sequence: int | None = None
    target: str | None = Field(default=None, max_length=64)
    kind: str | None = Field(default=None, max_length=16)
    covers_since: int | None = None
    bundle_created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


from app.store.tables_bundle import (  # noqa: E402  (bundle tables share this metadata)
    BUNDLE_TABLES,
    BundleRecipient,
    DeliveredItem,
    DeviceSecret,
    DeviceUser,
    DuplicateDecision,
    OutgoingBundle,
    OutgoingItem,
    RevisionMerge,
    SubmissionKey,
)

ALL_TABLES: tuple[type[SQLModel], ...] = (
    Study,
    Device,
    User,
    FormVersion,
    Assignment,
    Submission,
    Revision,
    AttachmentBlob,
    AttachmentChunk,
    Attachment,
    RevisionAttachment,
    ParadataEvent,
    ReviewDecision,
    ImportedBundle,
    *BUNDLE_TABLES,
)

__all__ = [
    "ALL_TABLES",
    "Assignment",
    "AssignmentStatus",
    "Attachment",
    "AttachmentBlob",
    "AttachmentChunk",
    "BundleRecipient",
    "BundleStatus",
    "DeliveredItem",
    "Device",
    "DeviceRole",
    "DeviceSecret",
    "DeviceUser",
    "DuplicateDecision",
    "FormVersion",
    "ImportedBundle",
    "OutgoingBundle",
    "OutgoingItem",
    "ParadataEvent",
    "ReviewDecision",
    "ReviewOutcome",
    "Revision",
    "RevisionAttachment",
    "RevisionMerge",
    "RevisionStatus",
    "Role",
    "Study",
    "Submission",
    "SubmissionKey",
    "SubmissionState",
    "User",
]
