"""Credit notes: each invoice's document type, the earlier invoice it names and the stored
invoice a credit note credits (``invoice.document_type``, ``preceding_invoice_number``,
``preceding_invoice_date``, ``credited_invoice_id``): issue 14, part 2.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the document type (every invoice stored before is an invoice) and the references."""
    with op.batch_alter_table("invoice") as batch:
        batch.add_column(
            sa.Column(
                "document_type", sa.String(length=30), nullable=False, server_default="invoice"
            )
        )
        batch.add_column(sa.Column("preceding_invoice_number", sa.String(), nullable=True))
        batch.add_column(sa.Column("preceding_invoice_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("credited_invoice_id", sa.Integer(), nullable=True))
        batch.create_index(
            batch.f("ix_invoice_credited_invoice_id"), ["credited_invoice_id"], unique=False
        )


def downgrade() -> None:
    """Drop the document type and the references."""
    with op.batch_alter_table("invoice") as batch:
        batch.drop_index(batch.f("ix_invoice_credited_invoice_id"))
        batch.drop_column("credited_invoice_id")
        batch.drop_column("preceding_invoice_date")
        batch.drop_column("preceding_invoice_number")
        batch.drop_column("document_type")
