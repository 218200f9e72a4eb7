"""The outlined page of an invoice under review: what the review forms embed (through the
page view, ``invoicebot.docserver``) and ``invoicebot review show --page-image`` writes."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlmodel import Session

from invoicebot.pageview import DocumentNotFoundError, Outline, find_document, outline_of, page_png
from invoicebot.review import fields_to_correct
from invoicebot.settings import Settings
from invoicebot.store.review_audit import StoredCase, UnknownInvoiceError, load_case


def case_outline(case: StoredCase, *, review_confidence: float | None = None) -> Outline:
    """Return the invoice's outline: the fields its form offers to correct (those the
    failed rules concern) in the failed colour, the other fields read in the other.
    ``review_confidence``: the rules' setting, read from their configuration when None."""
    failed = fields_to_correct(case, review_confidence=review_confidence)
    return outline_of(case, set(failed))


def invoice_outline(
    session: Session, document_id: int, invoice_id: int, *, review_confidence: float | None
) -> Outline:
    """Return the outline of one invoice of the document; raise ``DocumentNotFoundError``
    when the invoice is not one read from it."""
    try:
        case = load_case(session, invoice_id=invoice_id)
    except UnknownInvoiceError:
        raise DocumentNotFoundError(document_id, f"no invoice {invoice_id}") from None
    if case.document_id != document_id:
        raise DocumentNotFoundError(document_id, f"invoice {invoice_id} is not read from it")
    return case_outline(case, review_confidence=review_confidence)


def first_page(case: StoredCase) -> int:
    """Return the invoice's first page in its file."""
    return case.page_range[0] if case.page_range else 1


def write_page_image(
    session: Session, settings: Settings, case: StoredCase, target: Path, page: int | None = None
) -> int:
    """Write the outlined PNG of ``page`` (default: the invoice's first) to ``target``;
    return the page written. Raise ``pageview.PageViewError`` when there is none."""
    chosen = first_page(case) if page is None else page
    document = find_document(session, settings, case.document_id)
    rendered = page_png(settings, document, chosen, case_outline(case))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(rendered, target)
    return chosen
