"""Initial schema: forms, studies, devices, users, cases, submissions, revisions,
attachments, paradata, review decisions, imported bundles, and the guard triggers.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 23:49:49.264664
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.store.types import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Invariants the database itself enforces, whatever code writes to it. The
# repository checks the same rules first to give better messages; these are
# the backstop. Messages start with "samluat:" so the store can recognise them.
_GUARDS: list[tuple[str, str, str, str | None, str]] = [
    # (name, event, table, WHEN condition or None, message)
    (
        "trg_form_version_no_update",
        "UPDATE",
        "form_version",
        "EXISTS (SELECT 1 FROM submission s WHERE s.form_id = OLD.form_id "
        "AND s.form_version = OLD.version)",
        "a form version that has submissions cannot be changed",
    ),
    (
        "trg_form_version_no_delete",
        "DELETE",
        "form_version",
        "EXISTS (SELECT 1 FROM submission s WHERE s.form_id = OLD.form_id "
        "AND s.form_version = OLD.version)",
        "a form version that has submissions cannot be deleted",
    ),
    (
        "trg_revision_final_no_update",
        "UPDATE",
        "revision",
        "OLD.status = 'finalised'",
        "a finalised revision cannot be changed",
    ),
    (
        "trg_revision_final_no_delete",
        "DELETE",
        "revision",
        "OLD.status = 'finalised'",
        "a finalised revision cannot be deleted",
    ),
    (
        "trg_revision_identity",
        "UPDATE",
        "revision",
        "NEW.rev_id IS NOT OLD.rev_id OR NEW.instance_id IS NOT OLD.instance_id "
        "OR NEW.parent_rev IS NOT OLD.parent_rev OR NEW.author_id IS NOT OLD.author_id "
        "OR NEW.device_id IS NOT OLD.device_id OR NEW.created_at IS NOT OLD.created_at",
        "the identity of a revision cannot be changed",
    ),
    (
        "trg_submission_identity",
        "UPDATE",
        "submission",
        "NEW.instance_id IS NOT OLD.instance_id OR NEW.form_id IS NOT OLD.form_id "
        "OR NEW.form_version IS NOT OLD.form_version OR NEW.created_by IS NOT OLD.created_by "
        "OR NEW.device_id IS NOT OLD.device_id OR NEW.created_at IS NOT OLD.created_at",
        "the identity of a submission cannot be changed",
    ),
    (
        "trg_submission_no_delete",
        "DELETE",
        "submission",
        "EXISTS (SELECT 1 FROM revision r WHERE r.instance_id = OLD.instance_id "
        "AND r.status = 'finalised')",
        "a submission with finalised revisions cannot be deleted",
    ),
    (
        "trg_revision_attachment_final",
        "UPDATE",
        "revision_attachment",
        "EXISTS (SELECT 1 FROM revision r WHERE r.rev_id = OLD.rev_id AND r.status = 'finalised')",
        "the attachments of a finalised revision cannot be changed",
    ),
    (
        "trg_revision_attachment_final_delete",
        "DELETE",
        "revision_attachment",
        "EXISTS (SELECT 1 FROM revision r WHERE r.rev_id = OLD.rev_id AND r.status = 'finalised')",
        "the attachments of a finalised revision cannot be changed",
    ),
    ("trg_paradata_no_update", "UPDATE", "paradata_event", None, "paradata is append-only"),
    ("trg_paradata_no_delete", "DELETE", "paradata_event", None, "paradata is append-only"),
    (
        "trg_review_decision_no_update",
        "UPDATE",
        "review_decision",
        None,
        "review decisions are append-only",
    ),
    (
        "trg_review_decision_no_delete",
        "DELETE",
        "review_decision",
        None,
        "review decisions are append-only",
    ),
]


def _create_guards() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name, event, table, condition, message in _GUARDS:
            when = f"WHEN {condition} " if condition else ""
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW {when}"
                f"BEGIN SELECT RAISE(ABORT, 'samluat: {message}'); END"
            )
    elif dialect == "postgresql":
        # PostgreSQL's WHEN cannot hold sub-queries: each guard is a function
        # that evaluates its condition on OLD/NEW and raises.
        for name, event, table, condition, message in _GUARDS:
            # SQLite's null-safe "IS NOT" is spelled "IS DISTINCT FROM" here.
            test = (condition or "TRUE").replace(" IS NOT ", " IS DISTINCT FROM ")
            op.execute(
                f"CREATE FUNCTION {name}_fn() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN IF {test} THEN RAISE EXCEPTION 'samluat: {message}' "
                f"USING ERRCODE = 'integrity_constraint_violation'; END IF; "
                f"IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}_fn()"
            )
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(f"no guard triggers for {dialect}")


def _drop_guards() -> None:
    dialect = op.get_bind().dialect.name
    for name, _event, table, _condition, _message in _GUARDS:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}_fn()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("password_changed_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "role IN ('enumerator', 'interviewer', 'supervisor', 'coordinator')",
            name="ck_app_user_role",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "attachment_blob",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "device",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("is_local", sa.Boolean(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=True),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "study",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "assignment",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("study_id", sa.String(length=64), nullable=True),
        sa.Column("form_id", sa.String(length=128), nullable=False),
        sa.Column("form_version", sa.String(length=64), nullable=True),
        sa.Column("institution", sa.String(), nullable=False),
        sa.Column("cluster", sa.String(), nullable=False),
        sa.Column("province", sa.String(), nullable=False),
        sa.Column("respondent", sa.String(), nullable=False),
        sa.Column("assigned_to", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.String(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'in_progress', 'completed', 'refused', 'cancelled')",
            name="ck_assignment_status",
        ),
        sa.ForeignKeyConstraint(
            ["assigned_to"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assignment_assigned_to"), ["assigned_to"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assignment_form_id"), ["form_id"], unique=False)

    op.create_table(
        "attachment",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(), nullable=False),
        sa.Column("blob_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["blob_id"],
            ["attachment_blob.id"],
        ),
        sa.PrimaryKeyConstraint("sha256"),
        sa.UniqueConstraint("blob_id"),
    )
    op.create_table(
        "attachment_chunk",
        sa.Column("blob_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["blob_id"],
            ["attachment_blob.id"],
        ),
        sa.PrimaryKeyConstraint("blob_id", "seq"),
    )
    op.create_table(
        "form_version",
        sa.Column("form_id", sa.String(length=128), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("source_name", sa.String(), nullable=False),
        sa.Column("source", sa.LargeBinary(), nullable=False),
        sa.Column("compiled", sa.LargeBinary(), nullable=True),
        sa.Column("study_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
        ),
        sa.PrimaryKeyConstraint("form_id", "version"),
    )
    op.create_table(
        "imported_bundle",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source_device_id", sa.String(length=64), nullable=True),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('applied', 'quarantined')", name="ck_imported_bundle_status"
        ),
        sa.ForeignKeyConstraint(
            ["imported_by"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256"),
    )
    op.create_table(
        "submission",
        sa.Column("instance_id", sa.String(length=128), nullable=False),
        sa.Column("form_id", sa.String(length=128), nullable=False),
        sa.Column("form_version", sa.String(length=64), nullable=False),
        sa.Column("assignment_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignment.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
        ),
        sa.ForeignKeyConstraint(
            ["form_id", "form_version"],
            ["form_version.form_id", "form_version.version"],
            name="fk_submission_form_version",
        ),
        sa.PrimaryKeyConstraint("instance_id"),
    )
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_submission_assignment_id"), ["assignment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_submission_form_id"), ["form_id"], unique=False)

    op.create_table(
        "revision",
        sa.Column("rev_id", sa.String(length=64), nullable=False),
        sa.Column("instance_id", sa.String(length=128), nullable=False),
        sa.Column("parent_rev", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("saved_at", UTCDateTime(), nullable=False),
        sa.Column("finalised_at", UTCDateTime(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("ui_state", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'finalised')", name="ck_revision_status"),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["submission.instance_id"],
        ),
        sa.ForeignKeyConstraint(
            ["parent_rev"],
            ["revision.rev_id"],
        ),
        sa.PrimaryKeyConstraint("rev_id"),
    )
    with op.batch_alter_table("revision", schema=None) as batch_op:
        batch_op.create_index(
            "ix_revision_instance_status", ["instance_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_revision_parent_rev"), ["parent_rev"], unique=False)

    op.create_table(
        "paradata_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("device_id", sa.String(length=64), nullable=True),
        sa.Column("instance_id", sa.String(length=128), nullable=True),
        sa.Column("rev_id", sa.String(length=64), nullable=True),
        sa.Column("field", sa.String(length=512), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["submission.instance_id"],
        ),
        sa.ForeignKeyConstraint(
            ["rev_id"],
            ["revision.rev_id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid"),
    )
    with op.batch_alter_table("paradata_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paradata_event_kind"), ["kind"], unique=False)
        batch_op.create_index("ix_paradata_instance_at", ["instance_id", "at"], unique=False)

    op.create_table(
        "review_decision",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("rev_id", sa.String(length=64), nullable=False),
        sa.Column("reviewer_id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.String(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "decision IN ('approved', 'rejected')", name="ck_review_decision_decision"
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
        ),
        sa.ForeignKeyConstraint(
            ["rev_id"],
            ["revision.rev_id"],
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("review_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_decision_rev_id"), ["rev_id"], unique=False)

    op.create_table(
        "revision_attachment",
        sa.Column("rev_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["rev_id"],
            ["revision.rev_id"],
        ),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["attachment.sha256"],
        ),
        sa.PrimaryKeyConstraint("rev_id", "name"),
    )
    with op.batch_alter_table("revision_attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_revision_attachment_sha256"), ["sha256"], unique=False)

    _create_guards()


def downgrade() -> None:
    _drop_guards()
    with op.batch_alter_table("revision_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_revision_attachment_sha256"))

    op.drop_table("revision_attachment")
    with op.batch_alter_table("review_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_decision_rev_id"))

    op.drop_table("review_decision")
    with op.batch_alter_table("paradata_event", schema=None) as batch_op:
        batch_op.drop_index("ix_paradata_instance_at")
        batch_op.drop_index(batch_op.f("ix_paradata_event_kind"))

    op.drop_table("paradata_event")
    with op.batch_alter_table("revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_revision_parent_rev"))
        batch_op.drop_index("ix_revision_instance_status")

    op.drop_table("revision")
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_form_id"))
        batch_op.drop_index(batch_op.f("ix_submission_assignment_id"))

    op.drop_table("submission")
    op.drop_table("imported_bundle")
    op.drop_table("form_version")
    op.drop_table("attachment_chunk")
    op.drop_table("attachment")
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_form_id"))
        batch_op.drop_index(batch_op.f("ix_assignment_assigned_to"))

    op.drop_table("assignment")
    op.drop_table("study")
    op.drop_table("device")
    op.drop_table("attachment_blob")
    op.drop_table("app_user")
