"""The master data's tables: suppliers, purchase orders and their lines, goods receipts, and
the revision of each, which the caches of the look-ups key on."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Numeric,
    UniqueConstraint,
)
from sqlmodel import Field, Session, SQLModel

from invoicebot.store.tables import utcnow

# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------


def quantity_column() -> Any:
    """Return a required exact-decimal column (18 digits, 4 decimals)."""
    return Field(sa_column=Column(Numeric(18, 4), nullable=False))


class Vendor(SQLModel, table=True):
    """A supplier of the vendor master."""

    __tablename__ = "vendor"

    id: int | None = Field(default=None, primary_key=True)
    vendor_id: str = Field(unique=True, max_length=60)
    name: str
    name_key: str
    vat_id: str | None = Field(default=None, index=True, max_length=40)
    siren: str | None = Field(default=None, index=True, max_length=9)
    siret: str | None = Field(default=None, max_length=14)
    ibans: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    bic: str | None = Field(default=None, max_length=11)
    currency: str | None = Field(default=None, max_length=3)
    payment_terms_days: int | None = None
    po_required: bool = False
    # The account its invoices' net is posted to in the FEC export (PCG: 3 digits first).
    expense_account: str | None = Field(default=None, max_length=20)
    updated_at: datetime = Field(default_factory=utcnow)


class PurchaseOrder(SQLModel, table=True):
    """A purchase order; its lines are ``PurchaseOrderLine`` rows."""

    __tablename__ = "purchase_order"

    id: int | None = Field(default=None, primary_key=True)
    po_number: str
    po_key: str = Field(unique=True, max_length=200)
    vendor_id: str | None = Field(default=None, index=True, max_length=60)
    currency: str | None = Field(default=None, max_length=3)
    ordered_on: date | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class PurchaseOrderLine(SQLModel, table=True):
    """One line of a purchase order."""

    __tablename__ = "purchase_order_line"
    __table_args__ = (UniqueConstraint("order_id", "line"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="purchase_order.id", index=True)
    line: int
    description: str | None = None
    quantity: Decimal = quantity_column()
    unit_price: Decimal = quantity_column()


class GoodsReceipt(SQLModel, table=True):
    """A quantity received against one line of a purchase order.

    ``receipt_key`` (the receipt id, else its date) makes re-importing the same file
    harmless.
    """

    __tablename__ = "goods_receipt"
    __table_args__ = (UniqueConstraint("order_id", "line", "receipt_key"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="purchase_order.id", index=True)
    line: int
    receipt_key: str = Field(max_length=80)
    quantity: Decimal = quantity_column()
    received_on: date | None = None


class MasterRevision(SQLModel, table=True):
    """How many times each kind of master data was imported: ``vendors``, ``orders`` or
    ``receipts``. A row exists once that kind is on file; the rules read these rows to know
    whether the master-data rules apply, and the vendor names cache its revision."""

    __tablename__ = "master_revision"

    name: str = Field(primary_key=True, max_length=20)
    revision: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


def bump_revision(session: Session, *, name: str) -> None:
    """Count one more import of ``name`` (in the caller's transaction)."""
    row = session.get(MasterRevision, name) or MasterRevision(name=name)
    row.revision += 1
    row.updated_at = utcnow()
    session.add(row)
