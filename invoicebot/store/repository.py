"""Repository functions of the store: keyword-only, the session first."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, case, func, or_, text, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from invoicebot.model import (
    DocumentType,
    Extraction,
    InvoiceError,
    InvoiceStatus,
    RuleResult,
    invoice_number_key,
    seller_key,
)
from invoicebot.store import master
from invoicebot.store.claims import hold_claim
from invoicebot.store.limits import check_fits
from invoicebot.store.tables import (
    BatchRun,
    Document,
    ExceptionRecord,
    Invoice,
    InvoiceLine,
    RuleResultRow,
    utcnow,
)
from validation.context import PriorInvoice, PurchaseOrderRecord, VendorRecord
from validation.lookups import GrossLookup, IdentifierLookup, LookupPlan, NumberLookup


class StoreUsageError(InvoiceError):
    """A repository function was called out of the order it needs."""


def start_batch(session: Session, *, inbox: str, flow_run_id: str | None) -> int:
    """Insert a batch run row and return its id."""
    batch = BatchRun(inbox=inbox, flow_run_id=flow_run_id)
    session.add(batch)
    session.commit()
    assert batch.id is not None  # set by the INSERT
    return batch.id


def finish_batch(
    session: Session,
    *,
    batch_id: int,
    counts: dict[InvoiceStatus, int],
    machine_seconds: float,
    documents: int | None = None,
) -> None:
    """Record a batch's end, its counts per status (of invoices: a file holding several
    counts each), its ``documents`` (files; default: the sum of the counts) and its
    wall-clock seconds."""
    batch = session.get_one(BatchRun, batch_id)
    batch.finished_at = utcnow()
    batch.documents = sum(counts.values()) if documents is None else documents
    batch.approved = counts.get(InvoiceStatus.APPROVED, 0)
    batch.exceptions = counts.get(InvoiceStatus.EXCEPTION, 0)
    batch.duplicates = counts.get(InvoiceStatus.DUPLICATE, 0)
    batch.quarantined = counts.get(InvoiceStatus.QUARANTINED, 0)
    batch.machine_seconds = machine_seconds
    session.add(batch)
    session.commit()


def record_invoice(
    session: Session,
    *,
    document_id: int,
    extraction: Extraction,
    status: InvoiceStatus,
    results: list[RuleResult],
    archived_path: str,
    seconds: float,
    owner: str | None = None,
    commit: bool = True,
) -> int:
    """Store an extraction, its rule results and exceptions in one transaction; return its id.

    ``commit=False`` leaves the transaction open, for the caller to add to it and commit.

    With ``owner``, the document is finished only if that claim still holds it: else
    ``LeaseLostError`` and nothing is stored (another run took the claim over).

    Raises ``ColumnLimitError`` for a field its column cannot hold (``fit_to_columns`` sets
    such values aside before validation), rather than a database error.
    """
    invoice_id = add_invoice(
        session, document_id=document_id, extraction=extraction, status=status, results=results
    )
    finish_document(
        session,
        document_id=document_id,
        status=status,
        archived_path=archived_path,
        seconds=seconds,
        owner=owner,
    )
    if commit:
        session.commit()
    else:
        session.flush()
    return invoice_id


def add_invoice(
    session: Session,
    *,
    document_id: int,
    extraction: Extraction,
    status: InvoiceStatus,
    results: list[RuleResult],
    page_range: Sequence[int] | None = None,
) -> int:
    """Add one invoice of a document (its lines, rule results and exceptions) to the
    session's transaction, without committing nor finishing the document; return its id.

    A file holding several invoices adds each with its ``page_range`` (first and last page,
    1-based), then finishes the document once (``finish_document``) in the same
    transaction, so that the file's invoices are stored all together or not at all. Raises
    ``ColumnLimitError`` as ``record_invoice``.
    """
    fields = extraction.fields
    check_fits(fields)
    first_page, last_page = page_range or (None, None)
    preceding = extraction.preceding_invoice
    invoice = Invoice(
        document_id=document_id,
        status=status.value,
        method=extraction.method.value if extraction.method else None,
        language=extraction.language,
        pages=extraction.pages,
        invoice_number_key=invoice_number_key(fields.invoice_number)
        if fields.invoice_number
        else None,
        seller_key=seller_key(fields),
        confidence=extraction.confidence,
        first_page=first_page,
        last_page=last_page,
        boxes=extraction.boxes.model_dump(mode="json") if extraction.boxes else None,
        document_type=extraction.document_type.value,
        preceding_invoice_number=preceding.number if preceding else None,
        preceding_invoice_date=preceding.issue_date if preceding else None,
        credited_invoice_id=credited_invoice_id(
            session, extraction=extraction, document_id=document_id
        ),
        **fields.model_dump(),
    )
    session.add(invoice)
    session.flush()
    assert invoice.id is not None  # set by the flush
    link_waiting_credit_notes(session, invoice=invoice)
    for position, line in enumerate(extraction.lines, start=1):
        session.add(InvoiceLine(invoice_id=invoice.id, position=position, **line.model_dump()))
    for result in results:
        session.add(
            RuleResultRow(
                invoice_id=invoice.id,
                rule=result.rule,
                category=result.category.value,
                severity=result.severity.value,
                passed=result.passed,
                message=result.message,
                compared=result.values,
            )
        )
        if result.is_exception:
            session.add(
                ExceptionRecord(
                    document_id=document_id,
                    invoice_id=invoice.id,
                    rule=result.rule,
                    category=result.category.value,
                    message=result.message,
                )
            )
    session.flush()
    return invoice.id


def credited_invoice_id(
    session: Session, *, extraction: Extraction, document_id: int
) -> int | None:
    """Return the id of the stored invoice a credit note credits: the seller's earliest
    invoice (not a credit note, not of this document) numbered as the one the credit note
    names (BT-25, compared as ``invoice_number_key`` compares); None for any other document
    or when no such invoice is stored."""
    preceding = extraction.preceding_invoice
    seller = seller_key(extraction.fields)
    number = invoice_number_key(preceding.number) if preceding else ""
    if not extraction.document_type.is_credit or seller is None or not number:
        return None
    lookup = NumberLookup(seller, number, document_id)
    rows = session.connection().execute(SAME_SELLER_AND_NUMBER, number_parameters(lookup))
    credited = [prior_from_row(row) for row in rows]
    return next((p.invoice_id for p in credited if not p.document_type.is_credit), None)


def link_waiting_credit_notes(session: Session, *, invoice: Invoice) -> None:
    """Link to ``invoice`` the seller's stored credit notes (of other documents) that name
    its number and are linked to no invoice yet: a credit note may come before its invoice."""
    if DocumentType(invoice.document_type).is_credit:
        return
    if invoice.seller_key is None or not invoice.invoice_number_key:
        return
    waiting = session.exec(
        select(Invoice)
        .where(col(Invoice.seller_key) == invoice.seller_key)
        .where(col(Invoice.document_type).in_(CREDIT_TYPES))
        .where(col(Invoice.credited_invoice_id).is_(None))
        .where(col(Invoice.preceding_invoice_number).is_not(None))
        .where(col(Invoice.document_id) != invoice.document_id)
    )
    for credit_note in waiting:
        named = credit_note.preceding_invoice_number or ""
        if invoice_number_key(named) == invoice.invoice_number_key:
            credit_note.credited_invoice_id = invoice.id
            session.add(credit_note)


def record_quarantine(
    session: Session,
    *,
    document_id: int,
    error_code: str,
    message: str,
    archived_path: str,
    seconds: float,
    owner: str | None = None,
) -> None:
    """Mark a document unreadable, with its ``unreadable`` exception, in one transaction
    (with ``owner``, only if that claim still holds it, as ``record_invoice``)."""
    document = finish_document(
        session,
        document_id=document_id,
        status=InvoiceStatus.QUARANTINED,
        archived_path=archived_path,
        seconds=seconds,
        owner=owner,
    )
    document.error_code = error_code
    document.error_message = message
    session.add(
        ExceptionRecord(
            document_id=document_id, rule="UNREADABLE", category="unreadable", message=message
        )
    )
    session.commit()


def finish_document(
    session: Session,
    *,
    document_id: int,
    status: InvoiceStatus,
    archived_path: str,
    seconds: float,
    owner: str | None,
) -> Document:
    """Mark a document processed, in the session's transaction (not committed): its status
    (a file of several invoices: ``exception`` when one of them is), where its file goes,
    how long it took. With ``owner``, only if that claim still holds it (``LeaseLostError``).
    """
    if owner is not None:
        hold_claim(session, document_id=document_id, owner=owner)
    document = session.get_one(Document, document_id)
    document.status = status.value
    document.processed_at = utcnow()
    document.archived_path = archived_path
    document.processing_seconds = seconds
    session.add(document)
    return document


# The duplicate and purchase-order look-ups run for every invoice: their statements are
# built once (the compiled SQL is then cached) and return plain rows, not ORM objects.
PRIOR_COLUMNS = (
    col(Invoice.document_id),
    col(Document.file_name),
    col(Invoice.invoice_number),
    col(Invoice.invoice_date),
    col(Invoice.total_gross),
    col(Invoice.status),
    col(Invoice.document_type),
    col(Invoice.id),
)
# Stand-ins for "exclude nothing": ids are positive, number keys alphanumeric.
NO_DOCUMENT = -1
NO_NUMBER_KEY = "#"
_other_number = or_(
    col(Invoice.invoice_number_key).is_(None),
    col(Invoice.invoice_number_key) != bindparam("exclude_number_key"),
)
SAME_SELLER_AND_NUMBER = (
    core_select(*PRIOR_COLUMNS)
    .join(Document, col(Document.id) == col(Invoice.document_id))
    .where(col(Invoice.seller_key) == bindparam("seller_key"))
    .where(col(Invoice.invoice_number_key) == bindparam("invoice_number_key"))
    .where(col(Invoice.document_id) != bindparam("exclude_document_id"))
    .order_by(col(Invoice.id))
)
SAME_SELLER_AND_GROSS = (
    core_select(*PRIOR_COLUMNS)
    .join(Document, col(Document.id) == col(Invoice.document_id))
    .where(col(Invoice.seller_key) == bindparam("seller_key"))
    .where(col(Invoice.total_gross) == bindparam("total_gross"))
    .where(col(Invoice.invoice_date).between(bindparam("first_date"), bindparam("last_date")))
    .where(_other_number)
    .where(col(Invoice.document_id) != bindparam("exclude_document_id"))
    .order_by(col(Invoice.id))
    .limit(20)
)
# A credit note's net (stated positive) takes from what was invoiced on the order.
CREDIT_TYPES = [kind.value for kind in DocumentType if kind.is_credit]
SIGNED_NET = case(
    (col(Invoice.document_type).in_(CREDIT_TYPES), -col(Invoice.total_net)),
    else_=col(Invoice.total_net),
)
NET_INVOICED_ON_ORDER = (
    core_select(func.sum(SIGNED_NET))
    .where(col(Invoice.po_number).in_(bindparam("po_numbers", expanding=True)))
    .where(_other_number)
    .where(col(Invoice.document_id) != bindparam("exclude_document_id"))
)
# The same, leaving out one invoice rather than a document's: a file holding several
# invoices on one order counts each of the others.
NET_INVOICED_ON_ORDER_BUT_INVOICE = (
    core_select(func.sum(SIGNED_NET))
    .where(col(Invoice.po_number).in_(bindparam("po_numbers", expanding=True)))
    .where(_other_number)
    .where(col(Invoice.id) != bindparam("exclude_invoice_id"))
)


def prior_from_row(row: Sequence[Any]) -> PriorInvoice:
    """Return the earlier invoice in a row of ``PRIOR_COLUMNS``."""
    return PriorInvoice(
        document_id=row[0],
        source=row[1],
        invoice_number=row[2],
        invoice_date=row[3],
        total_gross=row[4],
        status=row[5],
        document_type=DocumentType(row[6]),
        invoice_id=row[7],
    )


def number_parameters(lookup: NumberLookup) -> dict[str, object]:
    """Return the parameters of ``SAME_SELLER_AND_NUMBER`` for ``lookup``."""
    return {
        "seller_key": lookup.seller_key,
        "invoice_number_key": lookup.invoice_number_key,
        "exclude_document_id": _document_or_none(lookup.exclude_document_id),
    }


def gross_parameters(lookup: GrossLookup) -> dict[str, object]:
    """Return the parameters of ``SAME_SELLER_AND_GROSS`` for ``lookup``."""
    return {
        "seller_key": lookup.seller_key,
        "total_gross": lookup.total_gross,
        "first_date": lookup.first_date,
        "last_date": lookup.last_date,
        "exclude_number_key": lookup.exclude_number_key or NO_NUMBER_KEY,
        "exclude_document_id": _document_or_none(lookup.exclude_document_id),
    }


def _document_or_none(document_id: int | None) -> int:
    return NO_DOCUMENT if document_id is None else document_id


def same_seller_and_number(
    session: Session,
    *,
    seller_key: str,
    invoice_number_key: str,
    exclude_document_id: int | None,
) -> list[PriorInvoice]:
    """Return stored invoices with this seller key and normalised number (indexed look-up)."""
    lookup = NumberLookup(seller_key, invoice_number_key, exclude_document_id)
    rows = session.connection().execute(SAME_SELLER_AND_NUMBER, number_parameters(lookup))
    return [prior_from_row(row) for row in rows]


def same_seller_and_gross(
    session: Session,
    *,
    seller_key: str,
    total_gross: Decimal,
    first_date: date,
    last_date: date,
    exclude_number_key: str | None,
    exclude_document_id: int | None,
) -> list[PriorInvoice]:
    """Return stored invoices of this seller with this gross total dated in the window,
    leaving out those numbered ``exclude_number_key`` (indexed look-up)."""
    lookup = GrossLookup(
        seller_key, total_gross, first_date, last_date, exclude_number_key, exclude_document_id
    )
    rows = session.connection().execute(SAME_SELLER_AND_GROSS, gross_parameters(lookup))
    return [prior_from_row(row) for row in rows]


def net_invoiced_on_order(
    session: Session,
    *,
    po_numbers: Sequence[str],
    exclude_number_key: str | None,
    exclude_document_id: int | None,
    exclude_invoice_id: int | None = None,
    invoice_scoped: bool = False,
) -> Decimal:
    """Return the net total of stored invoices quoting one of ``po_numbers`` (indexed),
    leaving out those numbered ``exclude_number_key`` and those of document
    ``exclude_document_id``; ``invoice_scoped``: only invoice ``exclude_invoice_id`` (None:
    none) instead, so that the other invoices of a file holding several count."""
    parameters: dict[str, object] = {
        "po_numbers": list(po_numbers),
        "exclude_number_key": exclude_number_key or NO_NUMBER_KEY,
    }
    if invoice_scoped:
        statement = NET_INVOICED_ON_ORDER_BUT_INVOICE
        parameters["exclude_invoice_id"] = (
            NO_DOCUMENT if exclude_invoice_id is None else exclude_invoice_id
        )
    else:
        statement = NET_INVOICED_ON_ORDER
        parameters["exclude_document_id"] = _document_or_none(exclude_document_id)
    total = session.connection().execute(statement, parameters).scalar()
    return Decimal(0) if total is None else Decimal(total).quantize(Decimal("0.01"))


def begin_write(session: Session) -> None:
    """Take the database's write lock now, before the duplicate checks of this transaction.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE``: another process's batch (a
    scheduled run and a manual ``invoicebot run``) waits for this one to commit before it
    reads for its own duplicate checks, so neither misses the other's invoice. It must be the
    session's first write; reads before it are allowed (they were outside any transaction).
    PostgreSQL takes its per-seller advisory lock instead (``lock_seller``).
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    connection = session.connection()
    driver_connection = connection.connection.dbapi_connection
    if driver_connection is not None and driver_connection.in_transaction:
        raise StoreUsageError("begin_write must come before the transaction's first write")
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock_seller(session: Session, *, seller_key: str) -> None:
    """Serialise, until this transaction ends, the duplicate checks of one seller's invoices.

    On PostgreSQL a transaction-scoped advisory lock keeps workers in other processes from
    storing the same invoice twice unseen; on SQLite ``begin_write`` took the whole database's
    write lock already.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.blake2b(seller_key.encode(), digest_size=8).digest()
    key = int.from_bytes(digest, "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def set_archived_path(session: Session, *, document_id: int, archived_path: str) -> None:
    """Record where a document's file went, when the archive gave it another name."""
    session.execute(
        update(Document).where(col(Document.id) == document_id).values(archived_path=archived_path)
    )
    session.commit()


def record_unclaimable(
    session: Session,
    *,
    sha256: str,
    size_bytes: int,
    reasons: Sequence[str],
    archived_path: str,
    batch_id: int | None,
) -> int:
    """Store a quarantined document whose claim the store refused, with storable values
    only (its name is in ``archived_path``'s file); return its id."""
    message = "the store refused to claim this file: " + " | ".join(reasons)
    document = Document(
        sha256=sha256,
        source=archived_path,
        file_name=Path(archived_path).name,
        size_bytes=size_bytes,
        batch_id=batch_id,
        status=InvoiceStatus.QUARANTINED.value,
        processed_at=utcnow(),
        archived_path=archived_path,
        error_code="unclaimable",
        error_message=message,
        processing_seconds=0.0,
    )
    session.add(document)
    session.flush()
    assert document.id is not None  # set by the flush
    session.add(
        ExceptionRecord(
            document_id=document.id, rule="UNREADABLE", category="unreadable", message=message
        )
    )
    session.commit()
    return document.id


class StoreHistory:
    """The store seen through validation's ``InvoiceHistory`` and ``MasterData`` protocols.

    Made per invoice: which master data is on file is read once per instance.

    ``invoice_scoped``: what was already invoiced on a purchase order leaves out only
    invoice ``invoice_id`` (the one re-checked in a review; None: an invoice not stored
    yet), not every invoice of its document, so that the other invoices of a file holding
    several count. The duplicate look-ups leave a document's invoices out either way: the
    invoices of one file are not duplicates of each other.
    """

    def __init__(
        self, session: Session, *, invoice_scoped: bool = False, invoice_id: int | None = None
    ) -> None:
        self._session = session
        self._invoice_scoped = invoice_scoped
        self._invoice_id = invoice_id
        self._revisions: dict[str, str] | None = None
        self._prefetched: dict[object, Any] = {}

    def prefetch(self, plan: LookupPlan) -> None:
        """Answer the plan's look-ups now, in one round trip on PostgreSQL; the look-ups
        below then answer from memory. Nothing is done on SQLite, which runs in process."""
        requests: list[tuple[object, Any, dict[str, object]]] = []
        if self._revisions is None:
            requests.append(("revisions", master.REVISIONS, {}))
        if plan.same_seller_and_number is not None:
            lookup = plan.same_seller_and_number
            requests.append((lookup, SAME_SELLER_AND_NUMBER, number_parameters(lookup)))
        if plan.same_seller_and_gross is not None:
            gross = plan.same_seller_and_gross
            requests.append((gross, SAME_SELLER_AND_GROSS, gross_parameters(gross)))
        if plan.vendors_by_identifier is not None:
            ids = plan.vendors_by_identifier
            by_ids: dict[str, object] = {"vat_id": ids.vat_id, "siren": ids.siren}
            requests.append((ids, master.VENDORS_BY_IDENTIFIER, by_ids))
        if plan.purchase_order is not None:
            requests.append(
                (
                    ("purchase_order", plan.purchase_order),
                    master.ORDER_WITH_LINES,
                    {"po_key": plan.purchase_order},
                )
            )
        answers = master.run_pipelined(
            self._session, [(statement, parameters) for _, statement, parameters in requests]
        )
        if answers is None:
            return
        for (key, statement, _parameters), rows in zip(requests, answers, strict=True):
            if key == "revisions":
                self._revisions = master.revisions_from_rows(rows)
            elif statement is master.VENDORS_BY_IDENTIFIER:
                self._prefetched[key] = [master.vendor_record(row) for row in rows]
            elif statement is master.ORDER_WITH_LINES:
                self._prefetched[key] = master.order_from_rows(rows)
            else:
                self._prefetched[key] = [prior_from_row(row) for row in rows]

    def _master_revisions(self) -> dict[str, str]:
        if self._revisions is None:
            self._revisions = master.master_revisions(self._session)
        return self._revisions

    def same_seller_and_number(
        self, *, seller_key: str, invoice_number_key: str, exclude_document_id: int | None
    ) -> list[PriorInvoice]:
        """Return stored invoices of this seller with this normalised number."""
        lookup = NumberLookup(seller_key, invoice_number_key, exclude_document_id)
        if lookup in self._prefetched:
            return list(self._prefetched[lookup])
        return same_seller_and_number(
            self._session,
            seller_key=seller_key,
            invoice_number_key=invoice_number_key,
            exclude_document_id=exclude_document_id,
        )

    def same_seller_and_gross(
        self,
        *,
        seller_key: str,
        total_gross: Decimal,
        first_date: date,
        last_date: date,
        exclude_number_key: str | None,
        exclude_document_id: int | None,
    ) -> list[PriorInvoice]:
        """Return stored invoices of this seller with this gross total dated in the window."""
        lookup = GrossLookup(
            seller_key, total_gross, first_date, last_date, exclude_number_key, exclude_document_id
        )
        if lookup in self._prefetched:
            return list(self._prefetched[lookup])
        return same_seller_and_gross(
            self._session,
            seller_key=seller_key,
            total_gross=total_gross,
            first_date=first_date,
            last_date=last_date,
            exclude_number_key=exclude_number_key,
            exclude_document_id=exclude_document_id,
        )

    def net_invoiced_on_order(
        self,
        *,
        po_numbers: Sequence[str],
        exclude_number_key: str | None,
        exclude_document_id: int | None,
    ) -> Decimal:
        """Return the net total of stored invoices quoting one of ``po_numbers``."""
        return net_invoiced_on_order(
            self._session,
            po_numbers=po_numbers,
            exclude_number_key=exclude_number_key,
            exclude_document_id=exclude_document_id,
            exclude_invoice_id=self._invoice_id,
            invoice_scoped=self._invoice_scoped,
        )

    def has_vendors(self) -> bool:
        """Return True when a vendor master has been imported."""
        return "vendors" in self._master_revisions()

    def vendors_by_identifier(self, *, vat_id: str | None, siren: str | None) -> list[VendorRecord]:
        """Return the suppliers with this VAT number or this SIREN."""
        lookup = IdentifierLookup(vat_id, siren)
        if lookup in self._prefetched:
            return list(self._prefetched[lookup])
        return master.vendors_by_identifier(self._session, vat_id=vat_id, siren=siren)

    def vendor_names(self) -> Mapping[str, str]:
        """Return every supplier's folded name by vendor id."""
        return master.vendor_names(
            self._session, revision=self._master_revisions().get("vendors", "")
        )

    def vendor(self, vendor_id: str) -> VendorRecord | None:
        """Return the supplier with this vendor id."""
        return master.vendor_by_id(self._session, vendor_id=vendor_id)

    def has_orders(self) -> bool:
        """Return True when purchase orders have been imported."""
        return "orders" in self._master_revisions()

    def purchase_order(self, po_key: str) -> PurchaseOrderRecord | None:
        """Return the purchase order with this folded number."""
        key = ("purchase_order", po_key)
        if key in self._prefetched:
            order: PurchaseOrderRecord | None = self._prefetched[key]
            return order
        return master.purchase_order(self._session, po_key=po_key)
