"""Several invoices per file: ``invoice.document_id`` no longer unique, each invoice's page
range (``invoice.first_page``, ``invoice.last_page``), and the classifier's snapshot of an
exception invoice kept per invoice (``exception_case.invoice_id``): issue 16, part 2.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's unique constraints of the baseline have no name: batch mode names them by this
# convention to drop them (PostgreSQL's are named ``<table>_<column>_key``).
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _unique_name(table: str, column: str) -> str:
    """Return the name of ``table``'s unique constraint on ``column`` (SQLite: the name the
    batch's naming convention gives an unnamed one)."""
    for constraint in sa.inspect(op.get_bind()).get_unique_constraints(table):
        if constraint["column_names"] == [column] and constraint["name"]:
            return str(constraint["name"])
    return f"uq_{table}_{column}"


def upgrade() -> None:
    """Let a document hold several invoices, each with its pages and its own snapshot."""
    invoice_unique = _unique_name("invoice", "document_id")
    case_unique = _unique_name("exception_case", "document_id")
    with op.batch_alter_table("invoice", naming_convention=NAMING) as batch:
        batch.drop_constraint(invoice_unique, type_="unique")
        batch.add_column(sa.Column("first_page", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("last_page", sa.Integer(), nullable=True))
        batch.create_index(op.f("ix_invoice_document_id"), ["document_id"], unique=False)
    with op.batch_alter_table("exception_case", naming_convention=NAMING) as batch:
        batch.drop_constraint(case_unique, type_="unique")
        batch.add_column(sa.Column("invoice_id", sa.Integer(), nullable=True))
        batch.create_index(op.f("ix_exception_case_document_id"), ["document_id"], unique=False)
        batch.create_unique_constraint("exception_case_invoice_id_key", ["invoice_id"])
        batch.create_foreign_key(
            "exception_case_invoice_id_fkey", "invoice", ["invoice_id"], ["id"]
        )
    # Until now a document had at most one invoice: its snapshot is that invoice's.
    op.execute(
        "UPDATE exception_case SET invoice_id = (SELECT invoice.id FROM invoice "
        "WHERE invoice.document_id = exception_case.document_id)"
    )


def downgrade() -> None:
    """Back to one invoice per document (fails while a document holds several)."""
    with op.batch_alter_table("exception_case", naming_convention=NAMING) as batch:
        batch.drop_constraint("exception_case_invoice_id_fkey", type_="foreignkey")
        batch.drop_constraint("exception_case_invoice_id_key", type_="unique")
        batch.drop_index(op.f("ix_exception_case_document_id"))
        batch.drop_column("invoice_id")
        batch.create_unique_constraint("uq_exception_case_document_id", ["document_id"])
    with op.batch_alter_table("invoice", naming_convention=NAMING) as batch:
        batch.drop_index(op.f("ix_invoice_document_id"))
        batch.drop_column("last_page")
        batch.drop_column("first_page")
        batch.create_unique_constraint("uq_invoice_document_id", ["document_id"])
