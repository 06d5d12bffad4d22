"""Bundles: device keys, outgoing bundles and acknowledgements, merge state.

Adds what signed, encrypted bundles need (docs/bundle-format.md):

* `device.age_recipient` and `device.role`; `imported_bundle` header fields
  (sequence, target, kind, covers_since, bundle_created_at) for gap reports;
* `device_secret` (this laptop's private keys, inside the encrypted database),
  `bundle_recipient` (coordinator and escrow public keys);
* `outgoing_bundle`, `outgoing_item`, `delivered_item` (what was sent and
  acknowledged);
* `revision_merge` (extra parents of conflict resolutions; append-only, with
  guard triggers like the other history tables), `submission_key` and
  `duplicate_decision` (likely duplicates), `device_user`.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.store.types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_GUARDS = [
    ("trg_revision_merge_no_update", "UPDATE", "revision_merge", "revision merges are append-only"),
    ("trg_revision_merge_no_delete", "DELETE", "revision_merge", "revision merges are append-only"),
    (
        "trg_duplicate_decision_no_update",
        "UPDATE",
        "duplicate_decision",
        "duplicate decisions are append-only",
    ),
]


def _create_guards() -> None:
    dialect = op.get_bind().dialect.name
    for name, event, table, message in _GUARDS:
        if dialect == "sqlite":
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW "
                f"BEGIN SELECT RAISE(ABORT, 'samluat: {message}'); END"
            )
        else:
            op.execute(
                f"CREATE FUNCTION {name}_fn() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN RAISE EXCEPTION 'samluat: {message}' "
                f"USING ERRCODE = 'integrity_constraint_violation'; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}_fn()"
            )


def _drop_guards() -> None:
    dialect = op.get_bind().dialect.name
    for name, _event, table, _message in _GUARDS:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}_fn()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def upgrade() -> None:
    with op.batch_alter_table("device") as batch_op:
        batch_op.add_column(sa.Column("age_recipient", sa.String(length=128), nullable=True))
        batch_op.add_column(
            sa.Column("role", sa.String(length=16), nullable=False, server_default="field")
        )
        batch_op.create_check_constraint("ck_device_role", "role IN ('field', 'coordinator')")
    with op.batch_alter_table("imported_bundle") as batch_op:
        batch_op.add_column(sa.Column("sequence", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("target", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("covers_since", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("bundle_created_at", UTCDateTime(), nullable=True))
        batch_op.create_index(
            "ix_imported_bundle_source_seq", ["source_device_id", "target", "sequence"]
        )

    op.create_table(
        "device_secret",
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("signing_key", sa.LargeBinary(), nullable=False),
        sa.Column("age_identity", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"]),
        sa.PrimaryKeyConstraint("device_id"),
    )
    op.create_table(
        "bundle_recipient",
        sa.Column("recipient", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("role IN ('coordinator', 'escrow')", name="ck_bundle_recipient_role"),
        sa.PrimaryKeyConstraint("recipient"),
    )
    op.create_table(
        "outgoing_bundle",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("covers_since", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("file_name", sa.String(), nullable=True),
        sa.Column("acked_at", UTCDateTime(), nullable=True),
        sa.Column("state_digest", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('writing', 'written', 'acknowledged')", name="ck_outgoing_bundle_status"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("target", "sequence", name="uq_outgoing_bundle_target_sequence"),
    )
    op.create_table(
        "outgoing_item",
        sa.Column("bundle_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_key", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["bundle_id"], ["outgoing_bundle.id"]),
        sa.PrimaryKeyConstraint("bundle_id", "kind", "item_key"),
    )
    op.create_index("ix_outgoing_item_kind_key", "outgoing_item", ["kind", "item_key"])
    op.create_table(
        "delivered_item",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_key", sa.String(length=128), nullable=False),
        sa.Column("bundle_id", sa.String(length=64), nullable=False),
        sa.Column("acked_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "item_key"),
    )
    op.create_table(
        "revision_merge",
        sa.Column("rev_id", sa.String(length=64), nullable=False),
        sa.Column("parent_rev", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["parent_rev"], ["revision.rev_id"]),
        sa.ForeignKeyConstraint(["rev_id"], ["revision.rev_id"]),
        sa.PrimaryKeyConstraint("rev_id", "parent_rev"),
    )
    op.create_index("ix_revision_merge_parent_rev", "revision_merge", ["parent_rev"])
    op.create_table(
        "submission_key",
        sa.Column("instance_id", sa.String(length=128), nullable=False),
        sa.Column("form_id", sa.String(length=128), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("institution", sa.String(), nullable=False),
        sa.Column("respondent", sa.String(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["submission.instance_id"]),
        sa.PrimaryKeyConstraint("instance_id"),
    )
    op.create_index("ix_submission_key_key_hash", "submission_key", ["key_hash"])
    op.create_table(
        "duplicate_decision",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("instance_ids", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.String(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "decision IN ('not_duplicate', 'duplicate')", name="ck_duplicate_decision"
        ),
        sa.ForeignKeyConstraint(["decided_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_duplicate_decision_key_hash", "duplicate_decision", ["key_hash"])
    op.create_table(
        "device_user",
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("device_id", "user_id"),
    )
    _create_guards()


def downgrade() -> None:
    _drop_guards()
    op.drop_table("device_user")
    op.drop_index("ix_duplicate_decision_key_hash", table_name="duplicate_decision")
    op.drop_table("duplicate_decision")
    op.drop_index("ix_submission_key_key_hash", table_name="submission_key")
    op.drop_table("submission_key")
    op.drop_index("ix_revision_merge_parent_rev", table_name="revision_merge")
    op.drop_table("revision_merge")
    op.drop_table("delivered_item")
    op.drop_index("ix_outgoing_item_kind_key", table_name="outgoing_item")
    op.drop_table("outgoing_item")
    op.drop_table("outgoing_bundle")
    op.drop_table("bundle_recipient")
    op.drop_table("device_secret")
    with op.batch_alter_table("imported_bundle") as batch_op:
        batch_op.drop_index("ix_imported_bundle_source_seq")
        batch_op.drop_column("bundle_created_at")
        batch_op.drop_column("covers_since")
        batch_op.drop_column("kind")
        batch_op.drop_column("target")
        batch_op.drop_column("sequence")
    with op.batch_alter_table("device") as batch_op:
        batch_op.drop_constraint("ck_device_role", type_="check")
        batch_op.drop_column("role")
        batch_op.drop_column("age_recipient")
