"""Credit notes in the store: their type and reference kept, the invoice they credit
linked, their net taken off a purchase order, and the books reading them back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.engine import Engine
from sqlmodel import Session

from invoicebot.model import (
    DocumentType,
    Extraction,
    InvoiceFields,
    InvoiceReference,
    InvoiceStatus,
    seller_key,
)
from invoicebot.store.books import approved_for_books, approved_for_einvoices
from invoicebot.store.repository import StoreHistory, add_invoice
from invoicebot.store.review_audit import load_case
from invoicebot.store.tables import Document

SELLER = InvoiceFields(seller_name="ACME", seller_vat_id="FR44732829320")


def stored(
    session: Session,
    number: str,
    *,
    kind: DocumentType = DocumentType.INVOICE,
    credits: str | None = None,
    seller: InvoiceFields = SELLER,
) -> int:
    """Store a document holding one approved invoice (or credit note) on PO-1; return its id."""
    document = Document(
        sha256=number.ljust(64, "0"),
        source=f"{number}.xml",
        file_name=f"{number}.xml",
        size_bytes=1,
    )
    session.add(document)
    session.flush()
    assert document.id is not None
    fields = seller.model_copy(
        update={
            "invoice_number": number,
            "invoice_date": date(2026, 11, 20),
            "currency": "EUR",
            "po_number": "PO-1",
            "total_net": Decimal("100.00"),
            "total_tax": Decimal("20.00"),
            "total_gross": Decimal("120.00"),
        }
    )
    extraction = Extraction(
        source=f"{number}.xml",
        sha256=document.sha256,
        fields=fields,
        document_type=kind,
        preceding_invoice=InvoiceReference(number=credits, issue_date=date(2026, 11, 2))
        if credits
        else None,
    )
    return add_invoice(
        session,
        document_id=document.id,
        extraction=extraction,
        status=InvoiceStatus.APPROVED,
        results=[],
    )


def test_a_credit_note_is_stored_with_its_type_and_linked_to_the_invoice_it_credits(
    engine: Engine,
) -> None:
    with Session(engine) as session:
        invoice = stored(session, "F-0042")
        credit_note = stored(session, "AV-7", kind=DocumentType.CREDIT_NOTE, credits="F0042")
        session.commit()

        case = load_case(session, invoice_id=credit_note)
        assert case.document_type is DocumentType.CREDIT_NOTE
        assert case.preceding_invoice == InvoiceReference(
            number="F0042", issue_date=date(2026, 11, 2)
        )
        assert case.credits_invoice is not None
        assert (case.credits_invoice.invoice_id, case.credits_invoice.file_name) == (
            invoice,
            "F-0042.xml",
        )
        plain = load_case(session, invoice_id=invoice)
        assert plain.document_type is DocumentType.INVOICE and plain.credits_invoice is None


def test_no_link_to_another_seller_s_invoice_or_to_a_credit_note(engine: Engine) -> None:
    other = InvoiceFields(seller_name="Other", seller_vat_id="FR50464556810")
    with Session(engine) as session:
        stored(session, "F-1", seller=other)
        stored(session, "AV-1", kind=DocumentType.CREDIT_NOTE)
        unmatched = stored(session, "AV-2", kind=DocumentType.CREDIT_NOTE, credits="F-1")
        to_credit_note = stored(session, "AV-3", kind=DocumentType.CREDIT_NOTE, credits="AV-1")
        session.commit()
        assert load_case(session, invoice_id=unmatched).credits_invoice is None
        assert load_case(session, invoice_id=to_credit_note).credits_invoice is None


def test_the_history_tells_credit_notes_and_takes_them_off_an_order(engine: Engine) -> None:
    with Session(engine) as session:
        stored(session, "F-1")
        stored(session, "F-2")
        stored(session, "AV-1", kind=DocumentType.CREDIT_NOTE, credits="F-1")
        session.commit()
        history = StoreHistory(session)
        invoiced = history.net_invoiced_on_order(
            po_numbers=["PO-1"], exclude_number_key=None, exclude_document_id=None
        )
        assert invoiced == Decimal("100.00")
        key = seller_key(SELLER)
        assert key is not None
        (prior,) = history.same_seller_and_number(
            seller_key=key, invoice_number_key="AV1", exclude_document_id=None
        )
        assert prior.document_type is DocumentType.CREDIT_NOTE


def test_the_books_read_a_credit_note_with_its_type_and_reference(engine: Engine) -> None:
    with Session(engine) as session:
        stored(session, "F-1")
        stored(session, "AV-1", kind=DocumentType.CREDIT_NOTE, credits="F-1")
        session.commit()
        books = {book.invoice_number: book for book in approved_for_books(session)}
        exports = {
            source.invoice.invoice_number: source.invoice
            for source in approved_for_einvoices(session)
        }
    assert books["F-1"].document_type is DocumentType.INVOICE
    assert books["AV-1"].document_type is DocumentType.CREDIT_NOTE
    assert books["AV-1"].preceding_invoice_number == "F-1"
    assert books["AV-1"].total_gross == Decimal("120.00")  # stored as stated
    assert exports["AV-1"].document_type is DocumentType.CREDIT_NOTE
    assert exports["AV-1"].preceding_invoice_date == date(2026, 11, 2)


def test_a_credit_note_stored_before_its_invoice_is_linked_when_the_invoice_comes(
    engine: Engine,
) -> None:
    with Session(engine) as session:
        credit_note = stored(session, "AV-9", kind=DocumentType.CREDIT_NOTE, credits="F-0009")
        session.commit()
        assert load_case(session, invoice_id=credit_note).credits_invoice is None
        invoice = stored(session, "F0009")
        session.commit()
        credited = load_case(session, invoice_id=credit_note).credits_invoice
        assert credited is not None and credited.invoice_id == invoice
