"""Reading a period's rows from the store (the SQL behind the KPI definitions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from invoicebot.kpis.rows import DocumentRow, KpiSnapshot, ReviewRow, RowKey
from invoicebot.model import (
    FIELD_NAMES,
)
from invoicebot.store.review_audit import WAITING_STATUSES, ReviewDecision, ReviewStart
from invoicebot.store.tables import BatchRun, Document, ExceptionRecord, Invoice

# --- Reading the store -----------------------------------------------------------------------


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` timezone-aware in UTC (SQLite gives back naive UTC datetimes)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass
class _DocumentFacts:
    file_name: str
    received_at: datetime
    processed_at: datetime
    categories: set[str] = field(default_factory=set)
    decided_at: datetime | None = None
    corrected: set[str] = field(default_factory=set)
    started_at: datetime | None = None
    earlier_handling_seconds: float = 0.0
    page_range: tuple[int, int] | None = None


def _fact_order(item: tuple[RowKey, _DocumentFacts]) -> tuple[int, int]:
    (document_id, invoice_id), _fact = item
    return (document_id, -1 if invoice_id is None else invoice_id)


def read_snapshot(session: Session, *, start: datetime, end: datetime) -> KpiSnapshot:
    """Return the documents received in ``[start, end)`` with their exception categories,
    their operators' reviews decided before ``end``, and the batches started in the period.

    The review audit trail (``ReviewDecision``) gives each invoice's final decision (the
    latest applied one that leaves it no longer waiting) and the fields corrected; every
    header field is shown on the review form, so each decided invoice counts as all of them
    reviewed. ``ReviewStart`` gives when the operator took it (``invoicebot review start``,
    the take form of a review run): handling time runs from a start to the decision that
    ended it; a decision taken without a start leaves the invoice's review untimed.
    """
    facts = _read_documents(session, start=start, end=end)
    by_document: dict[int, list[tuple[int | None, _DocumentFacts]]] = {}
    for (document_id, invoice_id), fact in facts.items():
        by_document.setdefault(document_id, []).append((invoice_id, fact))
    documents = sorted(by_document)
    for document_id, invoice_id, category in session.exec(
        select(
            ExceptionRecord.document_id, ExceptionRecord.invoice_id, ExceptionRecord.category
        ).where(col(ExceptionRecord.document_id).in_(documents))
    ).all():
        # A row naming only its document (an unreadable one, or rows from before a document
        # could hold several invoices) counts on each of the document's facts.
        for fact_invoice, fact in by_document.get(document_id, []):
            if invoice_id in (None, fact_invoice):
                fact.categories.add(category)
    _read_decisions(session, facts, end=end)
    batches = session.exec(
        select(BatchRun)
        .where(col(BatchRun.started_at) >= start)
        .where(col(BatchRun.started_at) < end)
    ).all()
    return KpiSnapshot(
        start=start,
        end=end,
        documents=tuple(
            DocumentRow(
                document_id=document_id,
                invoice_id=invoice_id,
                received_at=fact.received_at,
                processed_at=fact.processed_at,
                categories=frozenset(fact.categories),
                decided_at=fact.decided_at,
                file_name=fact.file_name,
                page_range=fact.page_range,
            )
            for (document_id, invoice_id), fact in sorted(facts.items(), key=_fact_order)
        ),
        reviews=tuple(
            ReviewRow(
                document_id=document_id,
                invoice_id=invoice_id,
                started_at=fact.started_at,
                decided_at=fact.decided_at,
                fields_reviewed=len(FIELD_NAMES),
                fields_corrected=len(fact.corrected),
                earlier_handling_seconds=fact.earlier_handling_seconds,
            )
            for (document_id, invoice_id), fact in sorted(facts.items(), key=_fact_order)
            if fact.decided_at is not None
        ),
        machine_seconds=sum(batch.machine_seconds for batch in batches),
        exact_duplicates=sum(batch.duplicates for batch in batches),
        batches=len(batches),
    )


def _read_documents(
    session: Session, *, start: datetime, end: datetime
) -> dict[RowKey, _DocumentFacts]:
    """Return one fact per invoice of the documents processed in the period (a document
    without an invoice, a quarantined one, is one fact keyed by its invoice None)."""
    facts: dict[RowKey, _DocumentFacts] = {}
    documents = session.exec(
        select(Document)
        .where(col(Document.claimed_at) >= start)
        .where(col(Document.claimed_at) < end)
        .where(col(Document.processed_at).is_not(None))
    ).all()
    invoices: dict[int, list[tuple[int | None, tuple[int, int] | None]]] = {}
    rows = session.exec(
        select(Invoice.document_id, Invoice.id, Invoice.first_page, Invoice.last_page).where(
            col(Invoice.document_id).in_([document.id for document in documents])
        )
    ).all()
    for document_id, invoice_id, first_page, last_page in rows:
        assert invoice_id is not None  # stored rows
        pages = (
            (first_page, last_page) if first_page is not None and last_page is not None else None
        )
        invoices.setdefault(document_id, []).append((invoice_id, pages))
    for document in documents:
        assert document.id is not None and document.processed_at is not None  # queried rows
        for invoice_id, pages in invoices.get(document.id) or [(None, None)]:
            facts[(document.id, invoice_id)] = _DocumentFacts(
                file_name=document.file_name,
                received_at=as_utc(document.claimed_at),
                processed_at=as_utc(document.processed_at),
                page_range=pages,
            )
    return facts


def _read_decisions(
    session: Session, facts: dict[RowKey, _DocumentFacts], *, end: datetime
) -> None:
    decisions = session.exec(
        select(Invoice.document_id, Invoice.id, ReviewDecision)
        .join(Invoice, col(Invoice.id) == col(ReviewDecision.invoice_id))
        .where(col(Invoice.document_id).in_(sorted({key[0] for key in facts})))
        .where(col(ReviewDecision.decided_at) < end)
        .where(col(ReviewDecision.refused_reason).is_(None))
        .order_by(col(ReviewDecision.decided_at))
    ).all()
    started = {
        start.decision_id: as_utc(start.started_at)
        for start in session.exec(
            select(ReviewStart).where(
                col(ReviewStart.decision_id).in_([decision.id for _, _, decision in decisions])
            )
        ).all()
    }
    for document_id, invoice_id, decision in decisions:
        fact = facts[(document_id, invoice_id)]
        fact.corrected |= set(decision.changes or {}) & set(FIELD_NAMES)
        decided_at = as_utc(decision.decided_at)
        start = started.get(decision.id)
        # Oldest first: a later decision that leaves the invoice waiting (escalated, still
        # failing after a correction) undoes an earlier final one.
        if decision.status_after not in WAITING_STATUSES:
            fact.decided_at, fact.started_at = decided_at, start
        else:
            fact.decided_at = fact.started_at = None
            if start is not None:  # an escalation ended this operator's handling
                fact.earlier_handling_seconds += (decided_at - start).total_seconds()
