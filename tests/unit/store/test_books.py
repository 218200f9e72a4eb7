"""The approved invoices the books read: corrections applied, dates filtered, vendors matched."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from invoicebot.store import master
from invoicebot.store.books import approved_for_books, approved_for_einvoices
from invoicebot.store.review_audit import ReviewDecision
from invoicebot.store.tables import Document, Invoice, InvoiceLine

PROCESSED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def store_invoice(session: Session, number: str, status: str, **fields: object) -> int:
    document = Document(
        sha256=number.ljust(64, "0"),
        source=f"{number}.pdf",
        file_name=f"{number}.pdf",
        size_bytes=1,
        status=status,
        processed_at=PROCESSED,
    )
    session.add(document)
    session.flush()
    assert document.id is not None
    invoice = Invoice(
        document_id=document.id,
        status=status,
        invoice_number=number,
        seller_name="ACME Fournitures SAS",
        total_net=Decimal("100"),
        total_tax=Decimal("20"),
        total_gross=Decimal("120"),
        **fields,
    )
    session.add(invoice)
    session.flush()
    assert invoice.id is not None
    return invoice.id


def test_approved_invoices_come_with_lines_corrections_and_approval_date(
    engine: Engine, tmp_path: Path
) -> None:
    vendors = tmp_path / "vendors.csv"
    vendors.write_text(
        "vendor_id,name,vat_id,expense_account\n"
        "SUP-001,ACME Fournitures SAS,FR44732829320,6061\n"
        "SUP-002,Northgate Systems Ltd,GB159972802,\n"
    )
    with Session(engine) as session:
        master.import_vendors(session, path=vendors)
        straight = store_invoice(
            session, "F-1", "approved", invoice_date=date(2026, 11, 2), seller_vat_id=None
        )
        session.add(
            InvoiceLine(
                invoice_id=straight, position=1, net_amount=Decimal("100"), tax_rate=Decimal("20")
            )
        )
        # An operator corrected the gross and approved: the row holds the corrected value.
        reviewed = store_invoice(
            session,
            "F-2",
            "approved",
            invoice_date=date(2026, 11, 3),
            seller_vat_id="FR44732829320",
        )
        session.add(
            ReviewDecision(
                invoice_id=reviewed,
                decision="approve_with_corrections",
                reviewer="ana",
                channel="cli",
                status_before="exception",
                status_after="approved",
                decided_at=datetime(2026, 11, 25, 16, 0, tzinfo=UTC),
            )
        )
        store_invoice(session, "F-3", "exception", invoice_date=date(2026, 11, 4))
        store_invoice(session, "F-4", "approved", invoice_date=date(2026, 10, 30))
        undated = store_invoice(session, "F-5", "approved")
        session.commit()

        books = approved_for_books(session, since=date(2026, 11, 1), until=date(2026, 11, 30))

    assert [book.invoice_number for book in books] == ["F-1", "F-2", "F-5"]
    first, second, third = books
    assert [(line.net_amount, line.tax_rate) for line in first.lines] == [
        (Decimal("100"), Decimal("20"))
    ]
    assert first.approved_on == date(2026, 11, 20)
    assert second.approved_on == date(2026, 11, 25)
    # Matched by VAT number, and by folded name when the invoice gives none.
    assert (first.vendor_id, second.vendor_id) == ("SUP-001", "SUP-001")
    assert first.expense_account == "6061"
    assert third.invoice_id == undated and third.invoice_date is None


def test_a_wrong_expense_account_in_the_vendor_master_is_refused(
    engine: Engine, tmp_path: Path
) -> None:
    vendors = tmp_path / "vendors.csv"
    vendors.write_text("name,expense_account\nACME,achats\n")
    with Session(engine) as session, pytest.raises(master.MasterDataError) as raised:
        master.import_vendors(session, path=vendors)
    assert "not an account number" in raised.value.problems[0]


def test_approved_invoices_for_einvoices_come_with_lines_and_archived_file(
    engine: Engine,
) -> None:
    with Session(engine) as session:
        first = store_invoice(
            session,
            "F-1",
            "approved",
            invoice_date=date(2026, 11, 2),
            buyer_name="Aurora Tech SAS",
            seller_iban="FR7630004730664096567606071",
            first_page=3,
            last_page=4,
        )
        session.add(
            InvoiceLine(
                invoice_id=first,
                position=1,
                description="Ramette papier A4",
                quantity=Decimal("3"),
                unit_price=Decimal("33.3333"),
                net_amount=Decimal("100"),
                tax_rate=Decimal("20"),
            )
        )
        stored = session.get(Invoice, first)
        assert stored is not None
        document = session.get(Document, stored.document_id)
        assert document is not None
        document.archived_path = "/archive/approved/F-1.pdf"
        session.add(document)
        store_invoice(session, "F-2", "exception", invoice_date=date(2026, 11, 4))
        store_invoice(session, "F-3", "approved", invoice_date=date(2026, 10, 30))
        session.commit()

        sources = approved_for_einvoices(session, since=date(2026, 11, 1))

    (source,) = sources
    invoice = source.invoice
    assert (invoice.invoice_id, invoice.invoice_number, invoice.buyer_name) == (
        first,
        "F-1",
        "Aurora Tech SAS",
    )
    assert invoice.seller_iban == "FR7630004730664096567606071"
    assert (source.archived_path, source.first_page, source.last_page) == (
        "/archive/approved/F-1.pdf",
        3,
        4,
    )
    ((description, quantity, price, net, rate),) = [
        (line.description, line.quantity, line.unit_price, line.net_amount, line.tax_rate)
        for line in invoice.lines
    ]
    assert (description, quantity, price, net, rate) == (
        "Ramette papier A4",
        Decimal("3"),
        Decimal("33.3333"),
        Decimal("100"),
        Decimal("20"),
    )
