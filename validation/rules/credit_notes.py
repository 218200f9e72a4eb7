"""Credit notes: the invoice a credit note credits, found among the supplier's invoices."""

from __future__ import annotations

from invoicebot.model import ExceptionCategory, Severity, invoice_number_key, seller_key
from validation.context import RuleContext
from validation.registry import Verdict, rule


@rule(
    id="CREDIT-NOTE-INVOICE",
    category=ExceptionCategory.DUPLICATE,
    severity=Severity.INFO,
    fields=("invoice_number", "total_gross"),
)
def credited_invoice_on_file(context: RuleContext) -> Verdict | None:
    """A credit note names the invoice it credits, and that invoice of the supplier is on file.

    A credit note (EN 16931 type 381) takes its amount off what is owed to the supplier; it
    names the invoice it credits (BT-25), which is looked up among the supplier's stored
    invoices (numbers compared as DUPLICATE-INVOICE-NUMBER compares them). Information only:
    the credited invoice may predate invoicebot or have come on paper. When it is unknown,
    check that the credit is for an invoice the company was really billed.
    """
    extraction = context.extraction
    if not extraction.document_type.is_credit:
        return None
    fields = context.fields
    preceding = extraction.preceding_invoice
    if preceding is None:
        named = (
            f"Credit note {fields.invoice_number}" if fields.invoice_number else "This credit note"
        )
        return Verdict(
            False,
            f"{named} does not say which invoice it credits (no preceding invoice, BT-25).",
            {"preceding_invoice": None},
        )
    values: dict[str, str | None] = {"preceding_invoice": preceding.number}
    seller = seller_key(fields)
    number = invoice_number_key(preceding.number)
    if seller is None or not number:
        return None
    prior = context.history.same_seller_and_number(
        seller_key=seller, invoice_number_key=number, exclude_document_id=context.document_id
    )
    credited = next((p for p in prior if not p.document_type.is_credit), None)
    if credited is None:
        return Verdict(
            False,
            f"The invoice {preceding.number} this credit note credits is not on file for "
            f"{fields.seller_name or seller}: check that it was billed to the company.",
            values,
        )
    values["credits"] = credited.source
    return Verdict(
        True,
        f"This credit note credits invoice {credited.invoice_number or preceding.number} "
        f"({credited.source}, status {credited.status}).",
        values,
    )
