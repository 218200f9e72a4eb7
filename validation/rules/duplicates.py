"""Invoices received twice under different bytes (the same bytes never reach the rules:
the pipeline sets a file it already processed aside as ``duplicate``)."""

from __future__ import annotations

from invoicebot.model import ExceptionCategory, Severity
from validation.context import PriorInvoice, RuleContext
from validation.lookups import gross_lookup, number_lookup
from validation.registry import Verdict, rule
from validation.text import money


@rule(
    id="DUPLICATE-INVOICE-NUMBER", category=ExceptionCategory.DUPLICATE, severity=Severity.CRITICAL
)
def number_not_seen_before(context: RuleContext) -> Verdict | None:
    """No other invoice of this supplier carries the same invoice number.

    Numbers are compared without case, spaces or punctuation (F-0042 is F0042); the
    supplier is recognised by its VAT number, else its SIREN, else its name. A match is
    usually the same invoice sent again (a scan, a reminder copy): paying it would pay
    twice. Reject it unless the supplier confirms it is a different invoice. Credit notes
    are compared with credit notes only (a supplier may number both from 1).
    """
    fields = context.fields
    lookup = number_lookup(context)
    if lookup is None:
        return None
    prior = same_kind(
        context,
        context.history.same_seller_and_number(
            seller_key=lookup.seller_key,
            invoice_number_key=lookup.invoice_number_key,
            exclude_document_id=lookup.exclude_document_id,
        ),
    )
    seller = lookup.seller_key
    values = {"seller": seller, "invoice_number": fields.invoice_number}
    if not prior:
        return Verdict(True, "No other invoice of this supplier has this number.", values)
    first = prior[0]
    values["duplicate_of"] = first.source
    return Verdict(
        False,
        f"Invoice {fields.invoice_number} from {fields.seller_name or seller} was already "
        f"received as {first.source} (status {first.status}): it may be paid twice.",
        values,
    )


@rule(id="DUPLICATE-AMOUNT-DATE", category=ExceptionCategory.DUPLICATE, severity=Severity.CRITICAL)
def amount_and_date_not_seen_before(context: RuleContext) -> Verdict | None:
    """No other invoice of this supplier has the same gross amount within a few days.

    Catches an invoice sent again under a new number (5 days either side by default,
    ``duplicates.window_days``); invoices with the same number are DUPLICATE-INVOICE-NUMBER's.
    Recurring invoices of the same amount (a monthly fee) are further apart than the window.
    A credit note of the invoice's whole amount is no duplicate of it: credit notes are
    compared with credit notes only. Compare both documents before paying.
    """
    fields = context.fields
    lookup = gross_lookup(context)
    if lookup is None or fields.invoice_date is None:
        return None
    prior = same_kind(
        context,
        context.history.same_seller_and_gross(
            seller_key=lookup.seller_key,
            total_gross=lookup.total_gross,
            first_date=lookup.first_date,
            last_date=lookup.last_date,
            exclude_number_key=lookup.exclude_number_key,
            exclude_document_id=lookup.exclude_document_id,
        ),
    )
    seller = lookup.seller_key
    values = {
        "seller": seller,
        "total_gross": money(lookup.total_gross),
        "invoice_date": fields.invoice_date.isoformat(),
    }
    if not prior:
        return Verdict(
            True, "No other invoice of this supplier has this amount around this date.", values
        )
    first = prior[0]
    values["possible_duplicate_of"] = first.source
    dated = f" dated {first.invoice_date.isoformat()}" if first.invoice_date else ""
    return Verdict(
        False,
        f"{fields.seller_name or seller} already invoiced {money(lookup.total_gross)}{dated} "
        f"as {first.invoice_number or 'an unnumbered invoice'} ({first.source}): this may be "
        "the same invoice under a new number.",
        values,
    )


def same_kind(context: RuleContext, prior: list[PriorInvoice]) -> list[PriorInvoice]:
    """Return the earlier documents of the same side as this one: credit notes for a credit
    note, invoices for an invoice (a credit note repeats its invoice's amount by design)."""
    credit = context.extraction.document_type.is_credit
    return [invoice for invoice in prior if invoice.document_type.is_credit == credit]
