"""Credit notes in the books: the reversed entry from positive amounts, and the CII export
keeping type 381 and the invoice it credits (BT-25, BT-26)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from invoicebot.books.cii import build_cii
from invoicebot.books.entries import build_entry, build_journal
from invoicebot.model import DocumentType
from tests.unit.books.test_cii import assert_passes_en16931, text
from tests.unit.books.test_cii import invoice as export_invoice
from tests.unit.books.test_entries import ACCOUNTS, amounts
from tests.unit.books.test_entries import invoice as book_invoice


def test_a_credit_note_stated_positive_gives_the_reversed_entry() -> None:
    credit_note = book_invoice(
        invoice_number="AV-001",
        document_type=DocumentType.CREDIT_NOTE,
        preceding_invoice_number="F-001",
        lines=({"net_amount": Decimal("100.00"), "tax_rate": Decimal("20")},),
    )
    entry = build_entry(credit_note, ACCOUNTS, number="HA000002")
    # The supplier account debited, the expense and the deductible VAT credited.
    assert amounts(entry) == [
        ("401", "120.00", "0.00"),
        ("607", "0.00", "100.00"),
        ("44566", "0.00", "20.00"),
    ]
    assert entry.debit == entry.credit == Decimal("120.00")
    assert {line.label for line in entry.lines} == {"ACME Fournitures SAS avoir AV-001 sur F-001"}
    assert {line.piece_ref for line in entry.lines} == {"AV-001"}


def test_an_invoice_and_its_whole_credit_note_leave_the_supplier_owed_nothing() -> None:
    journal = build_journal(
        [
            book_invoice(),
            book_invoice(
                invoice_id=2, invoice_number="AV-001", document_type=DocumentType.CREDIT_NOTE
            ),
        ],
        ACCOUNTS,
    )
    supplier = [line for line in journal.lines if line.account == "401"]
    assert sum(line.credit - line.debit for line in supplier) == 0
    assert journal.skipped == ()


def test_a_credit_note_is_exported_as_type_381_with_the_invoice_it_credits() -> None:
    credit_note = export_invoice(
        invoice_number="AV2026-0007",
        document_type=DocumentType.CREDIT_NOTE,
        preceding_invoice_number="F2026-0141",
        preceding_invoice_date=date(2026, 3, 13),
    )
    xml = build_cii(credit_note, buyer_country="FR")
    assert text(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert text(xml, "//ram:GrandTotalAmount") == ["1564.39"]
    assert text(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ["F2026-0141"]
    assert text(xml, "//ram:InvoiceReferencedDocument//qdt:DateTimeString") == ["20260313"]
    assert_passes_en16931(xml)


def test_a_negative_credit_note_is_exported_as_an_invoice() -> None:
    negative = export_invoice(
        document_type=DocumentType.CREDIT_NOTE,
        lines=(),
        total_net=Decimal("-100.00"),
        total_tax=Decimal("-20.00"),
        total_gross=Decimal("-120.00"),
        amount_due=Decimal("-120.00"),
    )
    xml = build_cii(negative, buyer_country="FR")
    assert text(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    assert text(xml, "//ram:GrandTotalAmount") == ["120.00"]


def test_a_corrected_invoice_keeps_its_type() -> None:
    corrected = export_invoice(
        document_type=DocumentType.CORRECTED_INVOICE, preceding_invoice_number="F2026-0140"
    )
    xml = build_cii(corrected, buyer_country="FR")
    assert text(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["384"]
    assert_passes_en16931(xml)
