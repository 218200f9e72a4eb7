"""The store look-ups the rules make for one invoice, with their parameters.

Each is computed here, once, from the invoice and the configuration: the rules call the store
with these parameters, and ``validate()`` hands the whole plan to a store that can answer
several look-ups in one round trip (``Prefetching``, e.g. PostgreSQL), before the rules run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol, runtime_checkable

from invoicebot.model import invoice_number_key, seller_key
from validation.days import add_days
from validation.identity import compact, reference_key, siren_of
from validation.records import InvoiceFacts


@dataclass(frozen=True)
class NumberLookup:
    """Parameters of ``InvoiceHistory.same_seller_and_number``."""

    seller_key: str
    invoice_number_key: str
    exclude_document_id: int | None


@dataclass(frozen=True)
class GrossLookup:
    """Parameters of ``InvoiceHistory.same_seller_and_gross``."""

    seller_key: str
    total_gross: Decimal
    first_date: date
    last_date: date
    exclude_number_key: str | None
    exclude_document_id: int | None


@dataclass(frozen=True)
class IdentifierLookup:
    """Parameters of ``MasterData.vendors_by_identifier``."""

    vat_id: str | None
    siren: str | None


@dataclass(frozen=True)
class LookupPlan:
    """Every look-up the rules may make for one invoice that is known before they run."""

    same_seller_and_number: NumberLookup | None
    same_seller_and_gross: GrossLookup | None
    vendors_by_identifier: IdentifierLookup | None
    purchase_order: str | None


@runtime_checkable
class Prefetching(Protocol):
    """A store that answers a plan's look-ups at once, and then each look-up from memory."""

    def prefetch(self, plan: LookupPlan) -> None:
        """Run the plan's look-ups now and keep their answers."""
        ...


def number_lookup(context: InvoiceFacts) -> NumberLookup | None:
    """Return the look-up of earlier invoices with this seller and number (None: no seller
    or no number to look for)."""
    fields = context.fields
    seller = seller_key(fields)
    number = invoice_number_key(fields.invoice_number) if fields.invoice_number else ""
    if seller is None or not number:
        return None
    return NumberLookup(seller, number, context.document_id)


def gross_lookup(context: InvoiceFacts) -> GrossLookup | None:
    """Return the look-up of earlier invoices with this seller and gross amount around this
    date under another number."""
    fields = context.fields
    seller = seller_key(fields)
    if seller is None or fields.total_gross is None or fields.invoice_date is None:
        return None
    window = context.config.duplicates.window_days
    number = invoice_number_key(fields.invoice_number) if fields.invoice_number else ""
    return GrossLookup(
        seller_key=seller,
        total_gross=fields.total_gross,
        first_date=add_days(fields.invoice_date, -window),
        last_date=add_days(fields.invoice_date, window),
        exclude_number_key=number or None,
        exclude_document_id=context.document_id,
    )


def identifier_lookup(context: InvoiceFacts) -> IdentifierLookup | None:
    """Return the look-up of suppliers by the seller's VAT number and SIREN."""
    fields = context.fields
    vat_id = compact(fields.seller_vat_id) if fields.seller_vat_id else None
    siren = siren_of(fields.seller_siret) if fields.seller_siret else None
    if not vat_id and not siren:
        return None
    return IdentifierLookup(vat_id or None, siren)


def order_key(context: InvoiceFacts) -> str | None:
    """Return the folded number of the purchase order the invoice quotes."""
    po_number = context.fields.po_number
    key = reference_key(po_number) if po_number else ""
    return key or None


def plan_lookups(context: InvoiceFacts) -> LookupPlan:
    """Return the look-ups the rules will make for the invoice in ``context``."""
    enabled = context.config.is_enabled
    return LookupPlan(
        same_seller_and_number=number_lookup(context)
        if enabled("DUPLICATE-INVOICE-NUMBER")
        else None,
        same_seller_and_gross=gross_lookup(context) if enabled("DUPLICATE-AMOUNT-DATE") else None,
        vendors_by_identifier=identifier_lookup(context),
        purchase_order=order_key(context),
    )
