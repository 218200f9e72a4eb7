"""Lifecycle statuses issued for each invoice (``lifecycle_status``): issue 14, part 3.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``lifecycle_status``, one row per status an invoice reached."""
    op.create_table(
        "lifecycle_status",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.String(length=3), nullable=False),
        sa.Column("cause", sa.String(length=40), nullable=False),
        sa.Column("reason_code", sa.String(length=30), nullable=True),
        sa.Column("amount", sa.Numeric(18, 4), nullable=True),
        sa.Column("amount_type", sa.String(length=10), nullable=True),
        sa.Column("einvoice", sa.Boolean(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=250), nullable=True),
        sa.Column("message_file", sa.String(length=300), nullable=True),
        sa.Column("event_emitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invoice_id", "status_code"),
    )
    op.create_index(
        op.f("ix_lifecycle_status_invoice_id"), "lifecycle_status", ["invoice_id"], unique=False
    )
    op.create_index(
        op.f("ix_lifecycle_status_occurred_at"), "lifecycle_status", ["occurred_at"], unique=False
    )


def downgrade() -> None:
    """Drop ``lifecycle_status``."""
    op.drop_index(op.f("ix_lifecycle_status_occurred_at"), table_name="lifecycle_status")
    op.drop_index(op.f("ix_lifecycle_status_invoice_id"), table_name="lifecycle_status")
    op.drop_table("lifecycle_status")
