"""The mailbox channel's ledger (``mail_part``): issue 16.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``mail_part``."""
    op.create_table(
        "mail_part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_key", sa.String(length=998), nullable=False),
        sa.Column("part_key", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("stored_as", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("sender", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mailbox", sa.String(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_key", "part_key"),
    )
    op.create_index(op.f("ix_mail_part_sha256"), "mail_part", ["sha256"], unique=False)
    op.create_index(op.f("ix_mail_part_status"), "mail_part", ["status"], unique=False)


def downgrade() -> None:
    """Drop ``mail_part``."""
    op.drop_index(op.f("ix_mail_part_status"), table_name="mail_part")
    op.drop_index(op.f("ix_mail_part_sha256"), table_name="mail_part")
    op.drop_table("mail_part")
