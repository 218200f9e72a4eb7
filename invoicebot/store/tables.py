"""SQLModel tables of the store: documents, invoices, lines, rule results, exceptions, batches."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Index, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC (SQLModel stores aware datetimes)."""
    return datetime.now(UTC)


def money_field() -> Any:
    """Return a nullable exact-decimal column (18 digits, 4 decimals)."""
    return Field(default=None, sa_column=Column(Numeric(18, 4), nullable=True))


class BatchRun(SQLModel, table=True):
    """One run of the batch flow over an inbox."""

    __tablename__ = "batch_run"

    id: int | None = Field(default=None, primary_key=True)
    flow_run_id: str | None = Field(default=None, index=True)
    inbox: str
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    documents: int = 0
    approved: int = 0
    exceptions: int = 0
    duplicates: int = 0
    quarantined: int = 0
    machine_seconds: float = 0.0


class Document(SQLModel, table=True):
    """A file taken from the inbox, claimed by its sha256 before it is processed."""

    __tablename__ = "document"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(unique=True, max_length=64)
    source: str
    file_name: str
    size_bytes: int
    batch_id: int | None = Field(default=None, foreign_key="batch_run.id", index=True)
    status: str = Field(default="processing", index=True, max_length=20)
    claimed_at: datetime = Field(default_factory=utcnow)
    # The run holding the claim ("host:pid:token", one token per claim) and until when its
    # lease runs: it renews the lease while it works; another run takes over a lapsed one.
    claimed_by: str | None = Field(default=None, max_length=120)
    lease_expires_at: datetime | None = None
    processed_at: datetime | None = None
    archived_path: str | None = None
    error_code: str | None = Field(default=None, max_length=40)
    error_message: str | None = None
    processing_seconds: float | None = None


class Invoice(SQLModel, table=True):
    """The fields read from one invoice of a document: a file holding several invoices (a
    scanned stack) has one row per invoice, each with the pages it was read from."""

    __tablename__ = "invoice"
    __table_args__ = (
        Index("ix_invoice_seller_number", "seller_key", "invoice_number_key"),
        # DUPLICATE-AMOUNT-DATE: same seller, same gross, dates in a window.
        Index("ix_invoice_seller_gross_date", "seller_key", "total_gross", "invoice_date"),
        # PO-AMOUNT: what was already invoiced on a purchase order.
        Index("ix_invoice_po_number", "po_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    status: str = Field(index=True, max_length=20)
    method: str | None = Field(default=None, max_length=20)
    language: str | None = Field(default=None, max_length=8)
    pages: int = 0
    invoice_number: str | None = None
    invoice_number_key: str | None = Field(default=None, max_length=200)
    seller_key: str | None = Field(default=None, max_length=300)
    invoice_date: date | None = None
    due_date: date | None = None
    currency: str | None = Field(default=None, max_length=3)
    seller_name: str | None = None
    seller_vat_id: str | None = Field(default=None, max_length=40)
    seller_siret: str | None = Field(default=None, max_length=14)
    seller_iban: str | None = Field(default=None, max_length=40)
    buyer_name: str | None = None
    buyer_vat_id: str | None = Field(default=None, max_length=40)
    po_number: str | None = None
    total_net: Decimal | None = money_field()
    total_tax: Decimal | None = money_field()
    total_gross: Decimal | None = money_field()
    amount_due: Decimal | None = money_field()
    confidence: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)
    # Pages first..last (1-based, inclusive) of the file this invoice was read from, when the
    # file holds several invoices; None for a file read as one invoice.
    first_page: int | None = None
    last_page: int | None = None
    # Where each field and line was read on the pages (``invoicebot.model.ReadBoxes`` as
    # JSON), for the review form's outlined page; None for invoices stored before 0007.
    boxes: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # What kind of document it is (``invoicebot.model.DocumentType``: a credit note's
    # amounts are stored positive, as stated) and the earlier invoice it names (BG-3).
    document_type: str = Field(default="invoice", max_length=30)
    preceding_invoice_number: str | None = None
    preceding_invoice_date: date | None = None
    # The stored invoice of the same seller a credit note credits, found by the number it
    # names. No foreign key: the credited invoice may be purged before its credit note.
    credited_invoice_id: int | None = Field(default=None, index=True)

    @property
    def page_range(self) -> list[int] | None:
        """Return ``[first_page, last_page]``, None for a file read as one invoice."""
        if self.first_page is None or self.last_page is None:
            return None
        return [self.first_page, self.last_page]


class InvoiceLine(SQLModel, table=True):
    """One line item of an invoice, in printed order."""

    __tablename__ = "invoice_line"
    __table_args__ = (UniqueConstraint("invoice_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    position: int
    description: str | None = None
    quantity: Decimal | None = money_field()
    unit_price: Decimal | None = money_field()
    net_amount: Decimal | None = money_field()
    tax_rate: Decimal | None = money_field()


class RuleResultRow(SQLModel, table=True):
    """What one rule concluded about one invoice."""

    __tablename__ = "rule_result"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    rule: str = Field(max_length=60)
    category: str = Field(max_length=30)
    severity: str = Field(max_length=10)
    passed: bool
    message: str
    compared: dict[str, str | None] = Field(default_factory=dict, sa_column=Column(JSON))


class ExceptionRecord(SQLModel, table=True):
    """An exception waiting for (or resolved by) an operator."""

    __tablename__ = "exception"

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", index=True)
    rule: str = Field(max_length=60)
    category: str = Field(index=True, max_length=30)
    message: str
    state: str = Field(default="open", index=True, max_length=20)
    created_at: datetime = Field(default_factory=utcnow)
    # The classifier's suggestion for the invoice (a ``Resolution``), when a model was trained.
    suggested_resolution: str | None = Field(default=None, max_length=40)
    suggestion_probability: float | None = None


class ClaimTakeover(SQLModel, table=True):
    """A claim whose lease lapsed (its run died or stalled), taken over by another run.

    No foreign key: the record outlives a claim released after a transient failure (its
    document row is deleted and made again by the next run) and a purge.
    """

    __tablename__ = "claim_takeover"

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(index=True)
    sha256: str = Field(index=True, max_length=64)
    previous_owner: str | None = Field(default=None, max_length=120)
    # None for a claim made before leases (schema 0004): it lapsed an hour after claimed_at.
    previous_lease_expires_at: datetime | None = None
    taken_by: str = Field(max_length=120)
    batch_id: int | None = None
    taken_at: datetime = Field(default_factory=utcnow)
