"""Where each value was read: ``invoice.boxes``, the page and box of the words each field
and line was read from (JSON, null for invoices stored before): issue 17, part 2.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Keep the boxes with each invoice."""
    with op.batch_alter_table("invoice") as batch:
        batch.add_column(sa.Column("boxes", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop the boxes."""
    with op.batch_alter_table("invoice") as batch:
        batch.drop_column("boxes")
