"""Submission summary columns for the cases page.

Listing and filtering 100,000 submissions by state and last save must not
read every revision. This adds `state`, `head_rev_id`, `last_saved_at` and
`revision_count` to `submission` (kept current by the repository in the same
transaction as each revision change), fills them from the existing
revisions, and indexes them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.store.types import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HEADS = (
    "FROM revision r WHERE r.instance_id = submission.instance_id AND r.status = 'finalised' "
    "AND NOT EXISTS (SELECT 1 FROM revision c WHERE c.parent_rev = r.rev_id "
    "AND c.status = 'finalised')"
)

_BACKFILL = f"""
UPDATE submission SET
  revision_count = (SELECT count(*) FROM revision r WHERE r.instance_id = submission.instance_id),
  last_saved_at = (SELECT max(r.saved_at) FROM revision r
                   WHERE r.instance_id = submission.instance_id),
  head_rev_id = (SELECT r.rev_id {_HEADS} ORDER BY r.finalised_at DESC, r.rev_id LIMIT 1),
  state = CASE
    WHEN (SELECT count(*) {_HEADS}) > 1 THEN 'conflict'
    WHEN (SELECT count(*) {_HEADS}) = 0 THEN 'draft'
    WHEN EXISTS (SELECT 1 FROM revision d WHERE d.instance_id = submission.instance_id
                 AND d.status = 'draft') THEN 'editing'
    ELSE 'finalised'
  END
"""


def upgrade() -> None:
    op.add_column(
        "submission",
        sa.Column(
            "state",
            sa.String(length=16),
            sa.CheckConstraint(
                "state IN ('draft', 'finalised', 'editing', 'conflict')",
                name="ck_submission_state",
            ),
            nullable=False,
            server_default="draft",
        ),
    )
    op.add_column("submission", sa.Column("head_rev_id", sa.String(length=64), nullable=True))
    op.add_column("submission", sa.Column("last_saved_at", UTCDateTime(), nullable=True))
    op.add_column(
        "submission",
        sa.Column("revision_count", sa.Integer(), nullable=False, server_default="0"),
    )
    op.execute(_BACKFILL)
    op.create_index("ix_submission_last_saved_at", "submission", ["last_saved_at"])
    op.create_index("ix_submission_state", "submission", ["state", "last_saved_at"])


def downgrade() -> None:
    op.drop_index("ix_submission_state", table_name="submission")
    op.drop_index("ix_submission_last_saved_at", table_name="submission")
    with op.batch_alter_table("submission") as batch_op:
        batch_op.drop_column("revision_count")
        batch_op.drop_column("last_saved_at")
        batch_op.drop_column("head_rev_id")
        batch_op.drop_column("state")
