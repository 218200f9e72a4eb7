"""Credit notes in the rules: the credited invoice is looked up, and neither the credit note
nor its invoice is taken for a duplicate of the other."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from invoicebot.model import DocumentType, Severity
from tests.unit.validation.support import (
    FakeStore,
    credit_note_of_clean_invoice,
    extraction,
    master_store,
    run,
)
from validation import PriorInvoice

SELLER = "vat:FR44732829320"
INVOICE = PriorInvoice(
    7, "F2026-0042.pdf", "F2026-0042", date(2026, 11, 14), Decimal("360.00"), "approved"
)
CREDIT_NOTE = replace(
    INVOICE,
    document_id=8,
    source="AV2026-0007.xml",
    invoice_number="AV2026-0007",
    document_type=DocumentType.CREDIT_NOTE,
)


def test_a_credit_note_whose_invoice_is_on_file_names_it() -> None:
    result = run(
        credit_note_of_clean_invoice(), store=FakeStore(invoices=[(INVOICE, SELLER, None)])
    )
    credited = result["CREDIT-NOTE-INVOICE"]
    assert credited.passed
    assert credited.values == {"preceding_invoice": "F2026-0042", "credits": "F2026-0042.pdf"}


def test_a_credit_note_whose_invoice_is_unknown_is_information_only() -> None:
    result = run(credit_note_of_clean_invoice(), store=FakeStore())["CREDIT-NOTE-INVOICE"]
    assert not result.passed and result.severity is Severity.INFO and not result.is_exception
    assert "F2026-0042" in result.message and "not on file" in result.message


def test_a_credit_note_naming_no_invoice_says_so() -> None:
    credit_note = credit_note_of_clean_invoice().model_copy(update={"preceding_invoice": None})
    result = run(credit_note, store=FakeStore())["CREDIT-NOTE-INVOICE"]
    assert not result.passed and "BT-25" in result.message


def test_another_credit_note_numbered_as_the_invoice_is_not_the_credited_invoice() -> None:
    same_number = replace(CREDIT_NOTE, invoice_number="F2026-0042")
    store = FakeStore(invoices=[(same_number, SELLER, None)])
    assert not run(credit_note_of_clean_invoice(), store=store)["CREDIT-NOTE-INVOICE"].passed


def test_the_rule_does_not_apply_to_an_invoice() -> None:
    assert "CREDIT-NOTE-INVOICE" not in run(store=FakeStore())


def test_a_credit_note_of_the_whole_amount_is_no_duplicate_of_its_invoice() -> None:
    # Same supplier, same gross, dated the same day: DUPLICATE-AMOUNT-DATE without the type.
    results = run(
        credit_note_of_clean_invoice(), store=FakeStore(invoices=[(INVOICE, SELLER, None)])
    )
    assert results["DUPLICATE-AMOUNT-DATE"].passed
    assert results["DUPLICATE-INVOICE-NUMBER"].passed


def test_an_invoice_is_no_duplicate_of_the_credit_note_that_came_first() -> None:
    numbered_alike = replace(CREDIT_NOTE, invoice_number="F2026-0042")
    results = run(store=FakeStore(invoices=[(numbered_alike, SELLER, None)]))
    assert results["DUPLICATE-INVOICE-NUMBER"].passed
    assert results["DUPLICATE-AMOUNT-DATE"].passed


def test_a_credit_note_sent_twice_is_a_duplicate() -> None:
    results = run(
        credit_note_of_clean_invoice(), store=FakeStore(invoices=[(CREDIT_NOTE, SELLER, None)])
    )
    assert not results["DUPLICATE-INVOICE-NUMBER"].passed


def test_a_credit_note_never_over_invoices_its_purchase_order() -> None:
    over = {"PO-88123": Decimal("300.00")}
    assert not run(extraction(), store=master_store(invoiced_net=over))["PO-AMOUNT"].passed
    credit = run(credit_note_of_clean_invoice(), store=master_store(invoiced_net=over))
    assert "PO-AMOUNT" not in credit


def test_a_credit_note_s_page_may_print_its_amounts_negative() -> None:
    credit_note = credit_note_of_clean_invoice()
    printed = credit_note.fields.model_copy(
        update={"total_gross": Decimal("-360.00"), "total_net": Decimal("-300.00")}
    )
    assert run(credit_note, page_fields=printed)["PAGE-XML-MISMATCH"].passed
    # An invoice printing the opposite of its XML is still a mismatch.
    assert not run(extraction(), page_fields=printed)["PAGE-XML-MISMATCH"].passed
