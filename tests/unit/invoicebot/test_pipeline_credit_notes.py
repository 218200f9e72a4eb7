"""An invoice and its credit note through the pipeline (real official rules, real store):
both approved, the credit note linked to its invoice, and the books left owing nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlmodel import Session, select

from invoicebot.books.entries import BookAccounts, build_journal
from invoicebot.model import DocumentType, InvoiceOutcome, InvoiceStatus
from invoicebot.pipeline import PipelineContext
from invoicebot.review import review_markdown
from invoicebot.store.books import approved_for_books
from invoicebot.store.review_audit import load_case
from invoicebot.store.tables import Invoice
from tests.einvoices import french_credit_note
from tests.processing import process_path


def test_an_invoice_and_its_credit_note_are_approved_linked_and_balance_out(
    context: PipelineContext, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    invoice_file = inbox / "F2026-0141.xml"
    invoice_file.write_bytes(
        french_credit_note(number="F2026-0141", document_type=DocumentType.INVOICE)
    )
    credit_file = inbox / "AV2026-0007.xml"
    credit_file.write_bytes(french_credit_note())

    invoice = process_path(invoice_file, context)
    credit = process_path(credit_file, context)

    assert isinstance(invoice, InvoiceOutcome) and isinstance(credit, InvoiceOutcome)
    # Same supplier, same amount, a week apart: no duplicate, both straight through.
    assert (invoice.status, credit.status) == (InvoiceStatus.APPROVED, InvoiceStatus.APPROVED), (
        invoice.exceptions,
        credit.exceptions,
    )
    assert credit.exceptions == [] and invoice.exceptions == []
    summary = credit.model_dump(mode="json")
    assert summary["document_type"] == "credit_note"
    assert summary["preceding_invoice"] == {"number": "F2026-0141", "issue_date": "2026-03-13"}
    assert "document_type" not in invoice.model_dump(mode="json")
    with Session(context.engine) as session:
        rows = {row.invoice_number: row for row in session.exec(select(Invoice))}
        stored_credit = rows["AV2026-0007"]
        assert stored_credit.id is not None
        case = load_case(session, invoice_id=stored_credit.id)
        assert case.credits_invoice is not None
        assert case.credits_invoice.invoice_id == rows["F2026-0141"].id
        shown = review_markdown(case)
        assert "This is a credit note" in shown
        assert "It refers to invoice F2026-0141: on file as invoice" in shown
        journal = build_journal(approved_for_books(session), BookAccounts())
    assert journal.skipped == ()
    supplier = [line for line in journal.lines if line.account == "401"]
    assert sum((line.credit - line.debit for line in supplier), Decimal(0)) == 0
