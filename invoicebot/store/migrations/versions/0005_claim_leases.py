"""Claims as leases (``document.claimed_by``, ``document.lease_expires_at``) and the record of
takeovers (``claim_takeover``): issue 15, item 2.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the lease columns to ``document``; create ``claim_takeover``."""
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "claim_takeover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("previous_owner", sa.String(length=120), nullable=True),
        sa.Column("previous_lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("taken_by", sa.String(length=120), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_claim_takeover_document_id"), "claim_takeover", ["document_id"], unique=False
    )
    op.create_index(op.f("ix_claim_takeover_sha256"), "claim_takeover", ["sha256"], unique=False)


def downgrade() -> None:
    """Drop ``claim_takeover`` and the lease columns."""
    op.drop_index(op.f("ix_claim_takeover_sha256"), table_name="claim_takeover")
    op.drop_index(op.f("ix_claim_takeover_document_id"), table_name="claim_takeover")
    op.drop_table("claim_takeover")
    with op.batch_alter_table("document") as batch:
        batch.drop_column("lease_expires_at")
        batch.drop_column("claimed_by")
