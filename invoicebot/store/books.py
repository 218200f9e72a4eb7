"""The store's side of the books: approved invoices, corrections applied, for the FEC export
and the CII / Factur-X export.

An operator's corrections are written on the invoice row itself when the decision is applied
(``review.apply_review``), so the row holds the values to post; the decision's time is the
entry's validation date, the document's processing time for a straight-through invoice.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from invoicebot.books.cii import ExportInvoice, ExportLine, ExportSource
from invoicebot.books.entries import BookLine, PurchaseInvoice
from invoicebot.model import DocumentType, InvoiceStatus
from invoicebot.store import master
from invoicebot.store.master import Vendor
from invoicebot.store.review_audit import ReviewDecision
from invoicebot.store.tables import Document, Invoice, InvoiceLine
from validation.identity import fold_company_name


def approved_for_books(
    session: Session, *, since: date | None = None, until: date | None = None
) -> list[PurchaseInvoice]:
    """Return the approved invoices dated from ``since`` to ``until`` (inclusive), in id
    order, with their lines and the vendor-master supplier each matches. Invoices without a
    date are always returned, for the export to list them as not exportable."""
    rows = _approved_rows(session, since=since, until=until)
    ids = [invoice.id for invoice, _ in rows if invoice.id is not None]
    lines = _lines_by_invoice(session, ids)
    approvals = _approval_times(session, ids)
    names = _vendor_ids_by_name(session)
    vendors = {vendor.vendor_id: vendor for vendor in session.exec(select(Vendor))}
    books = []
    for invoice, processed_at in rows:
        assert invoice.id is not None  # a stored row
        vendor = vendors.get(_vendor_id_of(session, invoice, names) or "")
        approved_at = approvals.get(invoice.id, processed_at)
        books.append(
            PurchaseInvoice(
                invoice_id=invoice.id,
                invoice_number=invoice.invoice_number,
                invoice_date=invoice.invoice_date,
                currency=invoice.currency,
                seller_name=invoice.seller_name,
                seller_vat_id=invoice.seller_vat_id,
                seller_siret=invoice.seller_siret,
                total_net=invoice.total_net,
                total_tax=invoice.total_tax,
                total_gross=invoice.total_gross,
                lines=tuple(lines.get(invoice.id, ())),
                vendor_id=vendor.vendor_id if vendor else None,
                vendor_name=vendor.name if vendor else None,
                expense_account=vendor.expense_account if vendor else None,
                approved_on=approved_at.date() if approved_at else None,
                document_type=DocumentType(invoice.document_type),
                preceding_invoice_number=invoice.preceding_invoice_number,
            )
        )
    return books


def approved_for_einvoices(
    session: Session, *, since: date | None = None, until: date | None = None
) -> list[ExportSource]:
    """Return the approved invoices dated from ``since`` to ``until`` (inclusive), in id
    order, selected as ``approved_for_books`` selects them, with their lines and the
    archived file each was read from (for the CII and Factur-X export)."""
    rows = _approved_rows(session, since=since, until=until)
    ids = [invoice.id for invoice, _ in rows if invoice.id is not None]
    lines: dict[int, list[ExportLine]] = {}
    for line in _invoice_lines(session, ids):
        lines.setdefault(line.invoice_id, []).append(
            ExportLine(
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                net_amount=line.net_amount,
                tax_rate=line.tax_rate,
            )
        )
    archived = _archived_paths(session, [invoice.document_id for invoice, _ in rows])
    sources = []
    for invoice, _processed_at in rows:
        assert invoice.id is not None  # a stored row
        sources.append(
            ExportSource(
                invoice=ExportInvoice(
                    invoice_id=invoice.id,
                    invoice_number=invoice.invoice_number,
                    invoice_date=invoice.invoice_date,
                    due_date=invoice.due_date,
                    currency=invoice.currency,
                    seller_name=invoice.seller_name,
                    seller_vat_id=invoice.seller_vat_id,
                    seller_siret=invoice.seller_siret,
                    seller_iban=invoice.seller_iban,
                    buyer_name=invoice.buyer_name,
                    buyer_vat_id=invoice.buyer_vat_id,
                    po_number=invoice.po_number,
                    total_net=invoice.total_net,
                    total_tax=invoice.total_tax,
                    total_gross=invoice.total_gross,
                    amount_due=invoice.amount_due,
                    lines=tuple(lines.get(invoice.id, ())),
                    document_type=DocumentType(invoice.document_type),
                    preceding_invoice_number=invoice.preceding_invoice_number,
                    preceding_invoice_date=invoice.preceding_invoice_date,
                ),
                archived_path=archived.get(invoice.document_id),
                first_page=invoice.first_page,
                last_page=invoice.last_page,
            )
        )
    return sources


def _approved_rows(
    session: Session, *, since: date | None, until: date | None
) -> list[tuple[Invoice, datetime | None]]:
    """Return the approved invoices (with their document's processing time) dated from
    ``since`` to ``until``, undated ones always, in id order."""
    statement = (
        select(Invoice, Document.processed_at)
        .join(Document, col(Document.id) == col(Invoice.document_id))
        .where(col(Invoice.status) == InvoiceStatus.APPROVED.value)
        .order_by(col(Invoice.id))
    )
    if since is not None:
        statement = statement.where(
            or_(col(Invoice.invoice_date).is_(None), col(Invoice.invoice_date) >= since)
        )
    if until is not None:
        statement = statement.where(
            or_(col(Invoice.invoice_date).is_(None), col(Invoice.invoice_date) <= until)
        )
    return list(session.exec(statement).all())


def _archived_paths(session: Session, document_ids: list[int]) -> dict[int, str]:
    """Return where each of these documents' file is archived, by document id."""
    if not document_ids:
        return {}
    statement = select(Document.id, Document.archived_path).where(
        col(Document.id).in_(document_ids)
    )
    return {
        document_id: path
        for document_id, path in session.exec(statement)
        if document_id is not None and path is not None
    }


def _lines_by_invoice(session: Session, ids: list[int]) -> dict[int, list[BookLine]]:
    """Return the lines of these invoices in printed order, by invoice id."""
    lines: dict[int, list[BookLine]] = {}
    for line in _invoice_lines(session, ids):
        lines.setdefault(line.invoice_id, []).append(
            BookLine(net_amount=line.net_amount, tax_rate=line.tax_rate)
        )
    return lines


def _invoice_lines(session: Session, ids: list[int]) -> list[InvoiceLine]:
    """Return the stored lines of these invoices, invoice by invoice in printed order."""
    if not ids:
        return []
    statement = (
        select(InvoiceLine)
        .where(col(InvoiceLine.invoice_id).in_(ids))
        .order_by(col(InvoiceLine.invoice_id), col(InvoiceLine.position))
    )
    return list(session.exec(statement))


def _approval_times(session: Session, ids: list[int]) -> dict[int, datetime]:
    """Return when an operator last approved each of these invoices (those reviewed)."""
    if not ids:
        return {}
    statement: Any = (
        select(ReviewDecision.invoice_id, func.max(ReviewDecision.decided_at))
        .where(col(ReviewDecision.invoice_id).in_(ids))
        .where(col(ReviewDecision.status_after) == InvoiceStatus.APPROVED.value)
        .where(col(ReviewDecision.refused_reason).is_(None))
        .group_by(col(ReviewDecision.invoice_id))
    )
    return dict(session.exec(statement).all())


def _vendor_id_of(session: Session, invoice: Invoice, names: dict[str, str | None]) -> str | None:
    """Return the vendor-master id of an invoice's supplier: by VAT number or SIREN, else by
    its folded name; None when the master holds none (or several that fit)."""
    siren = invoice.seller_siret[:9] if invoice.seller_siret else None
    found = master.vendors_by_identifier(session, vat_id=invoice.seller_vat_id, siren=siren)
    if len(found) > 1:
        return None
    if found:
        return found[0].vendor_id
    return names.get(fold_company_name(invoice.seller_name or ""))


def _vendor_ids_by_name(session: Session) -> dict[str, str | None]:
    """Return the vendor id of each folded supplier name, None for a name several share."""
    by_name: dict[str, str | None] = {}
    for vendor_id, name_key in sorted(master.vendor_names(session).items()):
        by_name[name_key] = None if name_key in by_name else vendor_id
    return by_name
