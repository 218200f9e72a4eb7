"""Transient failures counted per file (``document_attempt``) and the requeue audit
(``requeue_record``): issue 12, items 1 and 3.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``document_attempt`` and ``requeue_record``."""
    op.create_table(
        "document_attempt",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=True),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "requeue_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("error_message", sa.String(), nullable=True),
        sa.Column("archived_path", sa.String(), nullable=True),
        sa.Column("requeued_to", sa.String(), nullable=False),
        sa.Column("operator", sa.String(length=120), nullable=False),
        sa.Column("requeued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_requeue_record_document_id"), "requeue_record", ["document_id"], unique=False
    )
    op.create_index(op.f("ix_requeue_record_sha256"), "requeue_record", ["sha256"], unique=False)


def downgrade() -> None:
    """Drop ``requeue_record`` and ``document_attempt``."""
    op.drop_index(op.f("ix_requeue_record_sha256"), table_name="requeue_record")
    op.drop_index(op.f("ix_requeue_record_document_id"), table_name="requeue_record")
    op.drop_table("requeue_record")
    op.drop_table("document_attempt")
