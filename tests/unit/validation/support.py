"""A clean French invoice, its vendor master and purchase order, and an in-memory store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from invoicebot.model import (
    DocumentType,
    Extraction,
    InvoiceExtras,
    InvoiceFields,
    InvoiceReference,
    Line,
    Method,
    OperationCategory,
    PostalAddress,
    ReformMentions,
    RuleResult,
    invoice_number_key,
)
from validation import (
    OrderLineRecord,
    PriorInvoice,
    PurchaseOrderRecord,
    VendorRecord,
    validate,
)
from validation.identity import fold_company_name

TODAY = date(2026, 11, 26)

CLEAN_FIELDS: dict[str, Any] = {
    "invoice_number": "F2026-0042",
    "invoice_date": date(2026, 11, 14),
    "due_date": date(2026, 12, 14),
    "currency": "EUR",
    "seller_name": "ACME Fournitures SAS",
    "seller_vat_id": "FR44732829320",
    "seller_siret": "73282932000074",
    "seller_iban": "FR7630006000011234567890189",
    "buyer_name": "Aurora Tech",
    "po_number": "PO-88123",
    "total_net": Decimal("300.00"),
    "total_tax": Decimal("60.00"),
    "total_gross": Decimal("360.00"),
    "amount_due": Decimal("360.00"),
}
CLEAN_LINES = [
    Line(description="Papier A4", quantity=Decimal(2), unit_price=Decimal(100),
         net_amount=Decimal("200.00"), tax_rate=Decimal(20)),
    Line(description="Stylos bleus", quantity=Decimal(1), unit_price=Decimal(100),
         net_amount=Decimal("100.00"), tax_rate=Decimal(20)),
]  # fmt: skip

ACME = VendorRecord(
    vendor_id="SUP-001",
    name="ACME Fournitures SAS",
    vat_id="FR44732829320",
    siren="732829320",
    siret="73282932000074",
    ibans=("FR7630006000011234567890189",),
    bic="BNPAFRPPXXX",
    currency="EUR",
    payment_terms_days=30,
    po_required=True,
)
OTHER_VENDOR = VendorRecord(
    vendor_id="SUP-002",
    name="Traiteur Les Saveurs SARL",
    vat_id="FR50464556810",
    siren="464556810",
    ibans=("FR7630004730664096567606071",),
    currency="EUR",
)
ORDER = PurchaseOrderRecord(
    po_number="PO-88123",
    vendor_id="SUP-001",
    currency="EUR",
    lines=(
        OrderLineRecord(1, "Papier A4 80 g", Decimal(2), Decimal(100), received=Decimal(2)),
        OrderLineRecord(2, "Stylos bleus", Decimal(1), Decimal(100), received=Decimal(1)),
    ),
)


def extraction(lines: list[Line] | None = None, **changes: Any) -> Extraction:
    """Return the clean invoice with ``changes`` to its fields (and other lines)."""
    fields = InvoiceFields(**{**CLEAN_FIELDS, **changes})
    return Extraction(
        source="x.pdf",
        sha256="0" * 64,
        fields=fields,
        lines=CLEAN_LINES if lines is None else lines,
    )


# The French reform's mentions of the clean invoice as its e-invoice XML would state them:
# a French buyer (SIREN and VAT number of one company), goods and services (BT-23 M1)
# delivered to another site, the supplier opted for VAT on debits (BT-8 code 5).
BUYER_SIREN = "936957935"
BUYER_VAT_ID = "FR57936957935"
BUYER_ADDRESS = PostalAddress(
    lines=("2 allée des Pins",), city="Grenoble", postcode="38000", country="FR"
)
SITE_ADDRESS = PostalAddress(
    lines=("ZI des Granges",), city="Moirans", postcode="38430", country="FR"
)
CLEAN_MENTIONS = ReformMentions(
    buyer_siren=BUYER_SIREN,
    buyer_country="FR",
    buyer_address=BUYER_ADDRESS,
    delivery_place="Entrepôt de Moirans",
    delivery_address=SITE_ADDRESS,
    delivery_address_printed=True,
    business_process="M1",
    operation_category=OperationCategory.MIXED,
    vat_point_code="5",
    vat_on_debits=True,
)
# ...and as a paper invoice prints them.
PRINTED_MENTIONS = ReformMentions(
    printed=True,
    buyer_siren=BUYER_SIREN,
    delivery_address_printed=True,
    operation_category=OperationCategory.MIXED,
    vat_on_debits=True,
)


def mentions_options(
    method: Method = Method.EINVOICE, mentions: ReformMentions = CLEAN_MENTIONS, **changes: Any
) -> dict[str, Any]:
    """Return validate() options of the clean invoice, read by ``method`` (with the buyer's
    VAT number and ``changes`` to its fields), stating ``mentions``."""
    invoice = extraction(**{"buyer_vat_id": BUYER_VAT_ID, **changes})
    return {
        "invoice": invoice.model_copy(update={"method": method}),
        "extras": InvoiceExtras(mentions=mentions),
    }


def mentions_changed(method: Method = Method.EINVOICE, **changes: Any) -> dict[str, Any]:
    """Return ``mentions_options`` with ``changes`` to the mentions."""
    base = CLEAN_MENTIONS if method is Method.EINVOICE else PRINTED_MENTIONS
    return mentions_options(method, replace(base, **changes))


def credit_note_of_clean_invoice(**changes: Any) -> Extraction:
    """Return a credit note of the whole clean invoice (same amounts, stated positive),
    naming it as the invoice it credits."""
    return extraction(invoice_number="AV2026-0007", **changes).model_copy(
        update={
            "document_type": DocumentType.CREDIT_NOTE,
            "preceding_invoice": InvoiceReference(
                number=CLEAN_FIELDS["invoice_number"], issue_date=CLEAN_FIELDS["invoice_date"]
            ),
        }
    )


@dataclass
class FakeStore:
    """An in-memory store: earlier invoices and the master data, as the rules see them."""

    invoices: list[tuple[PriorInvoice, str | None, str | None]] = field(default_factory=list)
    """Each earlier invoice with its seller key and PO number."""
    vendors: list[VendorRecord] = field(default_factory=list)
    orders: list[PurchaseOrderRecord] = field(default_factory=list)
    invoiced_net: dict[str, Decimal] = field(default_factory=dict)

    def same_seller_and_number(
        self, *, seller_key: str, invoice_number_key: str, exclude_document_id: int | None
    ) -> list[PriorInvoice]:
        return [
            prior
            for prior, key, _po in self.invoices
            if key == seller_key
            and prior.invoice_number
            and _key(prior.invoice_number) == invoice_number_key
            and prior.document_id != exclude_document_id
        ]

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
        return [
            prior
            for prior, key, _po in self.invoices
            if key == seller_key
            and prior.total_gross == total_gross
            and prior.invoice_date is not None
            and first_date <= prior.invoice_date <= last_date
            and (prior.invoice_number is None or _key(prior.invoice_number) != exclude_number_key)
            and prior.document_id != exclude_document_id
        ]

    def net_invoiced_on_order(
        self,
        *,
        po_numbers: Sequence[str],
        exclude_number_key: str | None,
        exclude_document_id: int | None,
    ) -> Decimal:
        return sum((self.invoiced_net.get(number, Decimal(0)) for number in po_numbers), Decimal(0))

    def has_vendors(self) -> bool:
        return bool(self.vendors)

    def vendors_by_identifier(self, *, vat_id: str | None, siren: str | None) -> list[VendorRecord]:
        return [
            vendor
            for vendor in self.vendors
            if (vat_id and vendor.vat_id == vat_id) or (siren and vendor.siren == siren)
        ]

    def vendor_names(self) -> Mapping[str, str]:
        return {vendor.vendor_id: fold_company_name(vendor.name) for vendor in self.vendors}

    def vendor(self, vendor_id: str) -> VendorRecord | None:
        return next((v for v in self.vendors if v.vendor_id == vendor_id), None)

    def has_orders(self) -> bool:
        return bool(self.orders)

    def purchase_order(self, po_key: str) -> PurchaseOrderRecord | None:
        return next((o for o in self.orders if _key(o.po_number) == po_key), None)


def _key(number: str) -> str:
    return invoice_number_key(number)


def master_store(**changes: Any) -> FakeStore:
    """Return a store holding ACME and another supplier, and ACME's purchase order."""
    store = FakeStore(vendors=[ACME, OTHER_VENDOR], orders=[ORDER])
    return replace(store, **changes)


def run(invoice: Extraction | None = None, **options: Any) -> dict[str, RuleResult]:
    """Return the results of validating ``invoice`` (default: the clean one) by rule id."""
    store = options.pop("store", None)
    if store is not None:
        options.setdefault("history", store)
        options.setdefault("master", store)
    options.setdefault("reference_date", TODAY)
    results = validate(invoice or extraction(), **options)
    return {result.rule: result for result in results}
