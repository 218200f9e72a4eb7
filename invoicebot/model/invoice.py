"""An invoice's header fields and lines, and what an e-invoice states beyond them."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from pydantic.dataclasses import dataclass

from invoicebot.model.codes import Money


class InvoiceReference(BaseModel):
    """The earlier invoice a document refers to (EN 16931 BG-3): its number (BT-25) and
    issue date (BT-26), as a credit note names the invoice it credits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    number: str
    issue_date: date | None = None


class InvoiceFields(BaseModel):
    """The header fields of an invoice; ``None`` where a field was not found."""

    model_config = ConfigDict(extra="forbid")

    invoice_number: str | None = None
    invoice_date: date | None = None
    due_date: date | None = None
    currency: str | None = None
    seller_name: str | None = None
    seller_vat_id: str | None = None
    seller_siret: str | None = None
    seller_iban: str | None = None
    buyer_name: str | None = None
    buyer_vat_id: str | None = None
    po_number: str | None = None
    total_net: Money | None = None
    total_tax: Money | None = None
    total_gross: Money | None = None
    amount_due: Money | None = None


class Line(BaseModel):
    """One invoice line; amounts are net of VAT, ``tax_rate`` is a percentage (``"20"``)."""

    model_config = ConfigDict(extra="forbid")

    description: str | None = None
    quantity: Money | None = None
    unit_price: Money | None = None
    net_amount: Money | None = None
    tax_rate: Money | None = None


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class VatSubtotal:
    """One line of a stated VAT breakdown (EN 16931 BG-23): the base and the VAT at one rate."""

    rate: Money
    base: Money
    tax: Money


class OperationCategory(StrEnum):
    """What an invoice bills, as the French reform's mention "catégorie de l'opération" says
    it: the first letter of the billing framework (BT-23: B1, S1, M1...) on e-invoices."""

    GOODS = "goods"
    SERVICES = "services"
    MIXED = "mixed"


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class PostalAddress:
    """A postal address as an e-invoice states it (BT-50..55 for the buyer, BT-75..80 for
    the place of delivery)."""

    lines: tuple[str, ...] = ()
    city: str | None = None
    postcode: str | None = None
    country: str | None = None

    def key(self) -> str:
        """Return the address folded for comparison (case, spacing and punctuation)."""
        parts = (*self.lines, self.postcode or "", self.city or "", self.country or "")
        return "".join(ch for ch in " ".join(parts).casefold() if ch.isalnum())


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class ReformMentions:
    """The mentions the French e-invoicing reform added to invoices (CGI annexe II art. 242
    nonies A as amended), as the document states them, for the FR-* mention rules.

    Read from an e-invoice's XML (``printed`` False): the buyer's SIREN (BT-47, scheme
    0002), its address, the place of delivery (BT-70/BT-71 and BG-15), the billing framework
    (BT-23) whose first letter is the category of operation, the VAT point date code (BT-8:
    5 in CII, 3 in UBL for VAT on debits), the notes stating an option for debits, and the
    B2B/B2C treatment note (BAR). Found in a paper invoice's page text (``printed`` True):
    the buyer's SIREN, the category, whether a delivery address and the debits option are
    printed.
    """

    printed: bool = False
    buyer_siren: str | None = None
    buyer_country: str | None = None
    buyer_address: PostalAddress | None = None
    delivery_place: str | None = None
    delivery_address: PostalAddress | None = None
    delivery_address_printed: bool = False
    business_process: str | None = None
    operation_category: OperationCategory | None = None
    vat_point_code: str | None = None
    vat_on_debits: bool | None = None
    debits_statement: str | None = None
    treatment: str | None = None


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class InvoiceExtras:
    """What some documents state beyond the contract's fields (an e-invoice XML states all
    of it): the payee's BIC (BT-86), the stated sum of the line amounts (BT-106), the
    document-level allowances (BT-107) and charges (BT-108), the prepaid (BT-113) and
    rounding (BT-114) amounts, the VAT breakdown (BG-23). The rules that need one of these
    apply only when it is given. ``einvoice_xml`` is the e-invoice XML itself (standalone or
    embedded), for the official rules (``EINVOICE-OFFICIAL``); never shown, never stored."""

    seller_bic: str | None = None
    line_total: Money | None = None
    allowance_total: Money | None = None
    charge_total: Money | None = None
    prepaid_amount: Money | None = None
    rounding_amount: Money | None = None
    vat_breakdown: tuple[VatSubtotal, ...] = ()
    einvoice_xml: bytes | None = Field(default=None, repr=False)
    # The French reform's mentions (``ReformMentions``), on paper invoices too.
    mentions: ReformMentions | None = None


def compact(value: str) -> str:
    """Return ``value`` upper-cased without spaces or punctuation (``fr 76-300`` -> ``FR76300``):
    the one compaction of identifiers and reference numbers."""
    return "".join(ch for ch in value.upper() if ch.isalnum())


def invoice_number_key(number: str) -> str:
    """Return the invoice number with case and punctuation folded: ``F-0042`` -> ``F0042``."""
    return compact(number)


def seller_key(fields: InvoiceFields) -> str | None:
    """Return a stable key for the seller: VAT id, else SIREN, else the folded name."""
    if fields.seller_vat_id:
        return f"vat:{fields.seller_vat_id.upper()}"
    if fields.seller_siret and len(fields.seller_siret) >= 9:
        return f"siren:{fields.seller_siret[:9]}"
    if fields.seller_name:
        return "name:" + "".join(ch for ch in fields.seller_name.casefold() if ch.isalnum())
    return None
