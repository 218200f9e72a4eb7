"""Recording what a batch did: its run, each document, its invoices, its quarantines."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text, update
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
from invoicebot.store.claims import hold_claim
from invoicebot.store.limits import check_fits
from invoicebot.store.repository.history import (
    CREDIT_TYPES,
    SAME_SELLER_AND_NUMBER,
    number_parameters,
    prior_from_row,
)
from invoicebot.store.rule_results import add_rule_results
from invoicebot.store.tables import (
    BatchRun,
    Document,
    ExceptionRecord,
    Invoice,
    InvoiceLine,
    utcnow,
)
from validation.lookups import NumberLookup


class StoreUsageError(InvoiceError):
    """A repository function was called out of the order it needs."""


def start_batch(session: Session, *, inbox: str, flow_run_id: str | None) -> int:
    """Insert a batch run row and return its id."""
    batch = BatchRun(inbox=inbox, flow_run_id=flow_run_id)
    session.add(batch)
    session.commit()
    assert batch.id is not None  # set by the INSERT
    return batch.id


def other_running_batches(
    session: Session, *, inbox: str, batch_id: int, started_within: timedelta
) -> int:
    """Return how many other batch runs over ``inbox`` started within ``started_within`` and
    have not finished (or died unfinished)."""
    since = utcnow() - started_within
    rows = session.exec(
        select(BatchRun.id)
        .where(BatchRun.inbox == inbox)
        .where(col(BatchRun.id) != batch_id)
        .where(col(BatchRun.finished_at).is_(None))
        .where(col(BatchRun.started_at) >= since)
    ).all()
    return len(rows)


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
    add_rule_results(session, document_id=document_id, invoice_id=invoice.id, results=results)
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
