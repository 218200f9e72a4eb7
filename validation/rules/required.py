"""Fields without which an invoice cannot be booked, and the French mandatory mentions."""

from __future__ import annotations

from decimal import Decimal

from invoicebot.model import ExceptionCategory
from validation.context import RuleContext
from validation.identity import seller_country
from validation.registry import Verdict, rule

FIELD_LABELS = {
    "invoice_number": "invoice number",
    "invoice_date": "invoice date",
    "due_date": "due date",
    "currency": "currency",
    "seller_name": "supplier name",
    "seller_vat_id": "supplier VAT number",
    "seller_siret": "supplier SIREN/SIRET",
    "seller_iban": "supplier IBAN",
    "buyer_name": "buyer name",
    "buyer_vat_id": "buyer VAT number",
    "po_number": "purchase order number",
    "total_net": "total without VAT",
    "total_tax": "total VAT",
    "total_gross": "total including VAT",
    "amount_due": "amount due",
}


@rule(id="REQUIRED-FIELDS", category=ExceptionCategory.MISSING_FIELD)
def required_fields(context: RuleContext) -> Verdict:
    """The invoice number, date, supplier and gross total were all read.

    The list of fields is configurable (``required_fields``). A failure means the document
    did not show the field or it could not be read: key it from the document.
    """
    fields = context.extraction.fields
    missing = [name for name in context.config.required_fields if getattr(fields, name) is None]
    if not missing:
        return Verdict(True, "All required fields were read.")
    labels = ", ".join(FIELD_LABELS.get(name, name) for name in missing)
    return Verdict(
        False,
        f"Could not read: {labels}. Key them from the document.",
        {"missing": ",".join(missing)},
    )


@rule(id="FR-MANDATORY-MENTIONS", category=ExceptionCategory.MISSING_FIELD)
def french_mandatory_mentions(context: RuleContext) -> Verdict | None:
    """A French supplier's invoice shows its SIREN/SIRET, its VAT number and a due date.

    French law (CGI art. 242 nonies A, Code de commerce L441-9) requires on every invoice
    the number, the date, the seller's identity and SIREN/SIRET, its VAT number when VAT
    is charged, and the payment date. Applies to sellers in France; the fields already
    asked for by REQUIRED-FIELDS are not repeated here. When the mention is really absent,
    ask the supplier for a compliant invoice: VAT on an incomplete invoice may be refused
    on a tax audit.
    """
    fields = context.fields
    if seller_country(fields) != "FR":
        return None
    mandatory = ["invoice_number", "invoice_date", "seller_name", "seller_siret", "due_date"]
    if fields.total_tax is not None and fields.total_tax != Decimal(0):
        mandatory.append("seller_vat_id")
    if context.config.is_enabled("REQUIRED-FIELDS"):
        mandatory = [name for name in mandatory if name not in context.config.required_fields]
    missing = [name for name in mandatory if getattr(fields, name) is None]
    if not missing:
        return Verdict(True, "The French mandatory mentions were all read.")
    labels = ", ".join(FIELD_LABELS[name] for name in missing)
    return Verdict(
        False,
        f"This French invoice does not show: {labels}. Key it from the document, or ask "
        "the supplier for a compliant invoice if it is really missing.",
        {"missing": ",".join(missing)},
    )
