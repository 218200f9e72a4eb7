"""Baseline: the store's schema as invoicebot 0.1.0 created it (``SQLModel.metadata.create_all``).

A store made by that release has these tables and no ``alembic_version``: ``invoicebot db
upgrade`` recognises it, stamps it at this revision and applies the later ones. This file is
a frozen copy of that schema: never edit it, add a revision on top instead.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create every table of the 0.1.0 store."""
    op.create_table(
        "batch_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flow_run_id", sa.String(), nullable=True),
        sa.Column("inbox", sa.String(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("approved", sa.Integer(), nullable=False),
        sa.Column("exceptions", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.Column("machine_seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_batch_run_flow_run_id"), "batch_run", ["flow_run_id"], unique=False)
    op.create_table(
        "master_revision",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "purchase_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("po_number", sa.String(), nullable=False),
        sa.Column("po_key", sa.String(length=200), nullable=False),
        sa.Column("vendor_id", sa.String(length=60), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("ordered_on", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("po_key"),
    )
    op.create_index(
        op.f("ix_purchase_order_vendor_id"), "purchase_order", ["vendor_id"], unique=False
    )
    op.create_table(
        "vendor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("vat_id", sa.String(length=40), nullable=True),
        sa.Column("siren", sa.String(length=9), nullable=True),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("ibans", sa.JSON(), nullable=True),
        sa.Column("bic", sa.String(length=11), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("payment_terms_days", sa.Integer(), nullable=True),
        sa.Column("po_required", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("vendor_id"),
    )
    op.create_index(op.f("ix_vendor_siren"), "vendor", ["siren"], unique=False)
    op.create_index(op.f("ix_vendor_vat_id"), "vendor", ["vat_id"], unique=False)
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archived_path", sa.String(), nullable=True),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("error_message", sa.String(), nullable=True),
        sa.Column("processing_seconds", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["batch_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256"),
    )
    op.create_index(op.f("ix_document_batch_id"), "document", ["batch_id"], unique=False)
    op.create_index(op.f("ix_document_status"), "document", ["status"], unique=False)
    op.create_table(
        "goods_receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("receipt_key", sa.String(length=80), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["purchase_order.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id", "line", "receipt_key"),
    )
    op.create_index(op.f("ix_goods_receipt_order_id"), "goods_receipt", ["order_id"], unique=False)
    op.create_table(
        "purchase_order_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["purchase_order.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id", "line"),
    )
    op.create_index(
        op.f("ix_purchase_order_line_order_id"), "purchase_order_line", ["order_id"], unique=False
    )
    op.create_table(
        "exception_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("case", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id"),
    )
    op.create_table(
        "invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("invoice_number", sa.String(), nullable=True),
        sa.Column("invoice_number_key", sa.String(length=200), nullable=True),
        sa.Column("seller_key", sa.String(length=300), nullable=True),
        sa.Column("invoice_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("seller_name", sa.String(), nullable=True),
        sa.Column("seller_vat_id", sa.String(length=40), nullable=True),
        sa.Column("seller_siret", sa.String(length=14), nullable=True),
        sa.Column("seller_iban", sa.String(length=40), nullable=True),
        sa.Column("buyer_name", sa.String(), nullable=True),
        sa.Column("buyer_vat_id", sa.String(length=40), nullable=True),
        sa.Column("po_number", sa.String(), nullable=True),
        sa.Column("total_net", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("total_tax", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("total_gross", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("amount_due", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("confidence", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id"),
    )
    op.create_index("ix_invoice_po_number", "invoice", ["po_number"], unique=False)
    op.create_index(
        "ix_invoice_seller_gross_date",
        "invoice",
        ["seller_key", "total_gross", "invoice_date"],
        unique=False,
    )
    op.create_index(
        "ix_invoice_seller_number", "invoice", ["seller_key", "invoice_number_key"], unique=False
    )
    op.create_index(op.f("ix_invoice_status"), "invoice", ["status"], unique=False)
    op.create_table(
        "exception",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("rule", sa.String(length=60), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("suggested_resolution", sa.String(length=40), nullable=True),
        sa.Column("suggestion_probability", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_exception_category"), "exception", ["category"], unique=False)
    op.create_index(op.f("ix_exception_document_id"), "exception", ["document_id"], unique=False)
    op.create_index(op.f("ix_exception_invoice_id"), "exception", ["invoice_id"], unique=False)
    op.create_index(op.f("ix_exception_state"), "exception", ["state"], unique=False)
    op.create_table(
        "invoice_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("net_amount", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("tax_rate", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invoice_id", "position"),
    )
    op.create_index(
        op.f("ix_invoice_line_invoice_id"), "invoice_line", ["invoice_id"], unique=False
    )
    op.create_table(
        "review_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=40), nullable=False),
        sa.Column("reviewer", sa.String(length=120), nullable=False),
        sa.Column("comment", sa.String(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("flow_run_id", sa.String(length=40), nullable=True),
        sa.Column("status_before", sa.String(length=20), nullable=False),
        sa.Column("status_after", sa.String(length=20), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=True),
        sa.Column("rules_before", sa.JSON(), nullable=True),
        sa.Column("rules_after", sa.JSON(), nullable=True),
        sa.Column("refused_reason", sa.String(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_review_decision_decided_at"), "review_decision", ["decided_at"], unique=False
    )
    op.create_index(
        op.f("ix_review_decision_invoice_id"), "review_decision", ["invoice_id"], unique=False
    )
    op.create_table(
        "review_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("flow_run_id", sa.String(length=40), nullable=False),
        sa.Column("flow_run_name", sa.String(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invoice_id"),
    )
    op.create_table(
        "rule_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=60), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("compared", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_rule_result_invoice_id"), "rule_result", ["invoice_id"], unique=False)
    op.create_table(
        "operator_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("exception_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.String(length=40), nullable=False),
        sa.Column("suggested_resolution", sa.String(length=40), nullable=True),
        sa.Column("suggestion_probability", sa.Float(), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=False),
        sa.Column("comment", sa.String(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
        ),
        sa.ForeignKeyConstraint(
            ["exception_id"],
            ["exception.id"],
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_operator_decision_decided_at"), "operator_decision", ["decided_at"], unique=False
    )
    op.create_index(
        op.f("ix_operator_decision_document_id"), "operator_decision", ["document_id"], unique=False
    )
    op.create_index(
        op.f("ix_operator_decision_invoice_id"), "operator_decision", ["invoice_id"], unique=False
    )
    op.create_table(
        "review_start",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("operator", sa.String(length=120), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("flow_run_id", sa.String(length=40), nullable=True),
        sa.Column("pause_key", sa.String(length=60), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["review_decision.id"],
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_review_start_decision_id"), "review_start", ["decision_id"], unique=False
    )
    op.create_index(
        op.f("ix_review_start_invoice_id"), "review_start", ["invoice_id"], unique=False
    )
    op.create_index(
        op.f("ix_review_start_started_at"), "review_start", ["started_at"], unique=False
    )


def downgrade() -> None:
    """Drop every table of the 0.1.0 store."""
    op.drop_index(op.f("ix_review_start_started_at"), table_name="review_start")
    op.drop_index(op.f("ix_review_start_invoice_id"), table_name="review_start")
    op.drop_index(op.f("ix_review_start_decision_id"), table_name="review_start")
    op.drop_table("review_start")
    op.drop_index(op.f("ix_operator_decision_invoice_id"), table_name="operator_decision")
    op.drop_index(op.f("ix_operator_decision_document_id"), table_name="operator_decision")
    op.drop_index(op.f("ix_operator_decision_decided_at"), table_name="operator_decision")
    op.drop_table("operator_decision")
    op.drop_index(op.f("ix_rule_result_invoice_id"), table_name="rule_result")
    op.drop_table("rule_result")
    op.drop_table("review_run")
    op.drop_index(op.f("ix_review_decision_invoice_id"), table_name="review_decision")
    op.drop_index(op.f("ix_review_decision_decided_at"), table_name="review_decision")
    op.drop_table("review_decision")
    op.drop_index(op.f("ix_invoice_line_invoice_id"), table_name="invoice_line")
    op.drop_table("invoice_line")
    op.drop_index(op.f("ix_exception_state"), table_name="exception")
    op.drop_index(op.f("ix_exception_invoice_id"), table_name="exception")
    op.drop_index(op.f("ix_exception_document_id"), table_name="exception")
    op.drop_index(op.f("ix_exception_category"), table_name="exception")
    op.drop_table("exception")
    op.drop_index(op.f("ix_invoice_status"), table_name="invoice")
    op.drop_index("ix_invoice_seller_number", table_name="invoice")
    op.drop_index("ix_invoice_seller_gross_date", table_name="invoice")
    op.drop_index("ix_invoice_po_number", table_name="invoice")
    op.drop_table("invoice")
    op.drop_table("exception_case")
    op.drop_index(op.f("ix_purchase_order_line_order_id"), table_name="purchase_order_line")
    op.drop_table("purchase_order_line")
    op.drop_index(op.f("ix_goods_receipt_order_id"), table_name="goods_receipt")
    op.drop_table("goods_receipt")
    op.drop_index(op.f("ix_document_status"), table_name="document")
    op.drop_index(op.f("ix_document_batch_id"), table_name="document")
    op.drop_table("document")
    op.drop_index(op.f("ix_vendor_vat_id"), table_name="vendor")
    op.drop_index(op.f("ix_vendor_siren"), table_name="vendor")
    op.drop_table("vendor")
    op.drop_index(op.f("ix_purchase_order_vendor_id"), table_name="purchase_order")
    op.drop_table("purchase_order")
    op.drop_table("master_revision")
    op.drop_index(op.f("ix_batch_run_flow_run_id"), table_name="batch_run")
    op.drop_table("batch_run")
