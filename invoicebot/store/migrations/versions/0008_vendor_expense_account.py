"""The vendor master's expense account: ``vendor.expense_account``, the account a supplier's
invoices are posted to by the FEC export (null: the configured default): issue 14, part 5.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Keep an expense account with each supplier."""
    with op.batch_alter_table("vendor") as batch:
        batch.add_column(sa.Column("expense_account", sa.String(length=20), nullable=True))


def downgrade() -> None:
    """Drop the expense account."""
    with op.batch_alter_table("vendor") as batch:
        batch.drop_column("expense_account")
