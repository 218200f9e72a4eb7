"""The store's answers a rule reads (earlier invoices, the vendor master, purchase orders) and
what the matching of an invoice to them reads of a rule's context.

The store implements ``InvoiceHistory`` and ``MasterData`` (``invoicebot.store.StoreHistory``);
tests fake them. Below ``validation.context``, ``validation.lookups`` and ``validation.matching``
so that none of them imports another in a circle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from invoicebot.model import DocumentType, Extraction, InvoiceFields
from validation.config import RuleConfig

CENT = Decimal("0.01")


@dataclass(frozen=True)
class PriorInvoice:
    """An invoice already in the store that a rule compares against."""

    document_id: int
    source: str
    invoice_number: str | None
    invoice_date: date | None
    total_gross: Decimal | None
    status: str
    # What kind of document it is (a credit note is never a duplicate of an invoice) and
    # its own id in the store (None where a fake history gives none).
    document_type: DocumentType = DocumentType.INVOICE
    invoice_id: int | None = None


class InvoiceHistory(Protocol):
    """The store's look-ups of earlier invoices; every one is an indexed query."""

    def same_seller_and_number(
        self, *, seller_key: str, invoice_number_key: str, exclude_document_id: int | None
    ) -> list[PriorInvoice]:
        """Return the stored invoices of this seller with this normalised number."""
        ...

    def same_seller_and_gross(
        self,
        *,
        seller_key: str,
        total_gross: Decimal,
        first_date: date,
        last_date: date,
        exclude_number_key: str | None,
        exclude_document_id: int | None,
    ) -> list[PriorInvoice]:
        """Return the stored invoices of this seller with this gross total, dated between
        ``first_date`` and ``last_date``, whose normalised number is not
        ``exclude_number_key``."""
        ...

    def net_invoiced_on_order(
        self,
        *,
        po_numbers: Sequence[str],
        exclude_number_key: str | None,
        exclude_document_id: int | None,
    ) -> Decimal:
        """Return the net total of the stored invoices that quote one of ``po_numbers``."""
        ...


class EmptyHistory:
    """A history with no invoices: extraction-only checks and tests."""

    def same_seller_and_number(
        self, *, seller_key: str, invoice_number_key: str, exclude_document_id: int | None
    ) -> list[PriorInvoice]:
        """Return no invoice."""
        return []

    def same_seller_and_gross(
        self,
        *,
        seller_key: str,
        total_gross: Decimal,
        first_date: date,
        last_date: date,
        exclude_number_key: str | None,
        exclude_document_id: int | None,
    ) -> list[PriorInvoice]:
        """Return no invoice."""
        return []

    def net_invoiced_on_order(
        self,
        *,
        po_numbers: Sequence[str],
        exclude_number_key: str | None,
        exclude_document_id: int | None,
    ) -> Decimal:
        """Return zero."""
        return Decimal(0)


@dataclass(frozen=True)
class VendorRecord:
    """A supplier of the vendor master, as imported from the ERP's CSV."""

    vendor_id: str
    name: str
    vat_id: str | None = None
    siren: str | None = None
    siret: str | None = None
    ibans: tuple[str, ...] = ()
    bic: str | None = None
    currency: str | None = None
    payment_terms_days: int | None = None
    po_required: bool = False


@dataclass(frozen=True)
class OrderLineRecord:
    """One line of a purchase order with the quantity received against it so far."""

    line: int
    description: str | None
    quantity: Decimal
    unit_price: Decimal
    received: Decimal = Decimal(0)

    @property
    def amount(self) -> Decimal:
        """Return the line's ordered amount, rounded to the cent."""
        return (self.quantity * self.unit_price).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PurchaseOrderRecord:
    """A purchase order on file, with its lines."""

    po_number: str
    vendor_id: str | None
    currency: str | None
    lines: tuple[OrderLineRecord, ...] = ()

    @property
    def amount(self) -> Decimal:
        """Return the order's net amount: the sum of its lines."""
        return sum((line.amount for line in self.lines), Decimal(0))


class MasterData(Protocol):
    """The vendor master and the purchase orders, as imported into the store."""

    def has_vendors(self) -> bool:
        """Return True when a vendor master has been imported."""
        ...

    def vendors_by_identifier(self, *, vat_id: str | None, siren: str | None) -> list[VendorRecord]:
        """Return the suppliers with this VAT number or this SIREN."""
        ...

    def vendor_names(self) -> Mapping[str, str]:
        """Return every supplier's folded name (``fold_company_name``) by vendor id."""
        ...

    def vendor(self, vendor_id: str) -> VendorRecord | None:
        """Return the supplier with this vendor id."""
        ...

    def has_orders(self) -> bool:
        """Return True when purchase orders have been imported."""
        ...

    def purchase_order(self, po_key: str) -> PurchaseOrderRecord | None:
        """Return the purchase order whose folded number (``reference_key``) is ``po_key``."""
        ...


class EmptyMaster:
    """No vendor master and no purchase orders: the master-data rules do not apply."""

    def has_vendors(self) -> bool:
        """Return False."""
        return False

    def vendors_by_identifier(self, *, vat_id: str | None, siren: str | None) -> list[VendorRecord]:
        """Return no supplier."""
        return []

    def vendor_names(self) -> Mapping[str, str]:
        """Return no name."""
        return {}

    def vendor(self, vendor_id: str) -> VendorRecord | None:
        """Return None."""
        return None

    def has_orders(self) -> bool:
        """Return False."""
        return False

    def purchase_order(self, po_key: str) -> PurchaseOrderRecord | None:
        """Return None."""
        return None


class InvoiceFacts(Protocol):
    """What the look-ups and the matching read of a rule's context (``RuleContext`` is one)."""

    @property
    def extraction(self) -> Extraction:
        """The extraction being validated."""
        ...

    @property
    def fields(self) -> InvoiceFields:
        """The extraction's header fields."""
        ...

    @property
    def master(self) -> MasterData:
        """The vendor master and the purchase orders."""
        ...

    @property
    def config(self) -> RuleConfig:
        """The rules' configuration."""
        ...

    @property
    def document_id(self) -> int | None:
        """The stored document's id, left out of the look-ups of earlier invoices."""
        ...

    @property
    def has_vendor_master(self) -> bool:
        """Whether a vendor master is on file."""
        ...

    @property
    def purchase_order(self) -> PurchaseOrderRecord | None:
        """The purchase order quoted on the invoice, when it is on file."""
        ...
