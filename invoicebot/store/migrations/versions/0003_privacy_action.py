"""The audit of purges and erasures (``privacy_action``): issue 12, item 8.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``privacy_action``."""
    op.create_table(
        "privacy_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("criterion", sa.String(), nullable=False),
        sa.Column("operator", sa.String(length=120), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("prefect", sa.String(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_privacy_action_done_at"), "privacy_action", ["done_at"], unique=False)


def downgrade() -> None:
    """Drop ``privacy_action``."""
    op.drop_index(op.f("ix_privacy_action_done_at"), table_name="privacy_action")
    op.drop_table("privacy_action")
