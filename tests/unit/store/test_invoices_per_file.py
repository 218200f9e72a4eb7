"""A document holding several invoices: what one of them sees of the others in the store."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.engine import Engine
from sqlmodel import Session

from invoicebot.model import Extraction, InvoiceFields, InvoiceStatus, seller_key
from invoicebot.store.repository import StoreHistory, add_invoice
from invoicebot.store.tables import Document


def invoice_on_order(number: str, net: str) -> Extraction:
    fields = InvoiceFields(
        invoice_number=number, seller_name="ACME", po_number="PO-1", total_net=Decimal(net)
    )
    return Extraction(source="stack.pdf", sha256="ab", fields=fields)


def test_the_other_invoices_of_a_file_count_on_a_purchase_order(engine: Engine) -> None:
    with Session(engine) as session:
        document = Document(sha256="ab", source="stack.pdf", file_name="stack.pdf", size_bytes=1)
        session.add(document)
        session.flush()
        assert document.id is not None
        first, second = (
            add_invoice(
                session,
                document_id=document.id,
                extraction=invoice_on_order(number, net),
                status=InvoiceStatus.APPROVED,
                results=[],
                page_range=pages,
            )
            for number, net, pages in (("F1", "100.00", [1, 1]), ("F2", "40.00", [2, 3]))
        )
        session.commit()

        def invoiced(store: StoreHistory) -> Decimal:
            return store.net_invoiced_on_order(
                po_numbers=["PO-1"], exclude_number_key=None, exclude_document_id=document.id
            )

        # The batch, storing a third invoice of the file: both others count.
        assert invoiced(StoreHistory(session, invoice_scoped=True)) == Decimal("140.00")
        # A review re-checking the second: only the first counts.
        scoped = StoreHistory(session, invoice_scoped=True, invoice_id=second)
        assert invoiced(scoped) == Decimal("100.00")
        # Duplicate look-ups leave the document's invoices out: siblings are not duplicates;
        # from another file, the same invoice is found.
        key = seller_key(invoice_on_order("F1", "100.00").fields)
        assert key is not None

        def same_number(exclude: int | None) -> list[int]:
            return [
                prior.document_id
                for prior in StoreHistory(session).same_seller_and_number(
                    seller_key=key, invoice_number_key="F1", exclude_document_id=exclude
                )
            ]

        assert same_number(document.id) == []
        assert same_number(None) == [document.id]
        assert first != second
