"""Hybrid e-invoices (Factur-X, ZUGFeRD): the printed page and the embedded XML must agree."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from invoicebot.model import ExceptionCategory, invoice_number_key
from validation.context import RuleContext
from validation.registry import Verdict, rule
from validation.text import money

COMPARED = {
    "invoice_number": "invoice number",
    "invoice_date": "invoice date",
    "total_net": "net total",
    "total_tax": "VAT total",
    "total_gross": "gross total",
    "amount_due": "amount due",
}


def _shown(value: str | date | Decimal) -> str:
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _agree(
    xml: str | date | Decimal, page: str | date | Decimal, tolerance: Decimal, *, credit: bool
) -> bool:
    if isinstance(xml, Decimal) and isinstance(page, Decimal):
        # A credit note's XML states its amounts positive; its page may print them negative.
        return abs(xml - page) <= tolerance or (credit and abs(xml + page) <= tolerance)
    if isinstance(xml, str) and isinstance(page, str):
        return invoice_number_key(xml) == invoice_number_key(page)
    return xml == page


@rule(id="PAGE-XML-MISMATCH", category=ExceptionCategory.LOW_CONFIDENCE)
def page_agrees_with_xml(context: RuleContext) -> Verdict | None:
    """The printed page of a hybrid e-invoice shows the number, date and totals of its XML.

    The fields of a Factur-X or ZUGFeRD invoice come from its embedded XML, but people
    approve what the page shows. When the two disagree, one of them was altered or
    generated wrong: find out which one the supplier stands by before paying. Applies
    when the page was read as well (a field the page reading missed is not compared). A
    credit note's page may print its amounts negative.
    """
    page = context.page_fields
    if page is None:
        return None
    xml = context.fields
    tolerance = context.config.amount_tolerance
    credit = context.extraction.document_type.is_credit
    compared: dict[str, tuple[str | date | Decimal, str | date | Decimal]] = {}
    for name in COMPARED:
        xml_value, page_value = getattr(xml, name), getattr(page, name)
        if xml_value is not None and page_value is not None:
            compared[name] = (xml_value, page_value)
    if not compared:
        return None
    values = {
        name: f"{_shown(xml_value)} (XML) / {_shown(page_value)} (page)"
        for name, (xml_value, page_value) in compared.items()
    }
    wrong = [
        f"{COMPARED[name]} {_shown(xml_value)} in the XML, {_shown(page_value)} on the page"
        for name, (xml_value, page_value) in compared.items()
        if not _agree(xml_value, page_value, tolerance, credit=credit)
    ]
    if not wrong:
        return Verdict(True, "The printed page agrees with the embedded XML.", values)
    return Verdict(
        False,
        "The printed page and the embedded XML disagree: " + "; ".join(wrong) + ".",
        values,
    )
