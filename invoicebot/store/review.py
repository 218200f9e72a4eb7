"""The review audit trail and the store's side of an operator's review.

Every decision an operator submits, from the Prefect UI or the terminal, adds one
``ReviewDecision`` row (append-only): who, when, through which channel, what the invoice
looked like before and what changed. The training label goes to ``labels.record_label``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, delete, update
from sqlmodel import Field, Session, SQLModel, col, func, select

from invoicebot.model import (
    ExceptionCategory,
    ExceptionItem,
    InvoiceError,
    InvoiceFields,
    Line,
    RuleResult,
    Suggestion,
)
from invoicebot.store.tables import (
    Document,
    ExceptionRecord,
    Invoice,
    InvoiceLine,
    RuleResultRow,
    utcnow,
)

CENT = Decimal("0.01")

# Invoice statuses that still wait for an operator.
WAITING_STATUSES = ("exception", "escalated")


class ReviewDecision(SQLModel, table=True):
    """One decision an operator submitted on an exception invoice (the audit record)."""

    __tablename__ = "review_decision"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    decision: str = Field(max_length=40)
    reviewer: str = Field(max_length=120)
    comment: str = ""
    channel: str = Field(max_length=20)
    flow_run_id: str | None = Field(default=None, max_length=40)
    status_before: str = Field(max_length=20)
    status_after: str = Field(max_length=20)
    # Field name -> [value before, value after], as the contract's strings.
    changes: dict[str, list[str | None]] = Field(default_factory=dict, sa_column=Column(JSON))
    # Rules that failed before the decision, and those still failing after a correction.
    rules_before: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    rules_after: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    # Why the submitted form was not applied (nothing changed then), else None.
    refused_reason: str | None = None
    decided_at: datetime = Field(default_factory=utcnow, index=True)


class ReviewRun(SQLModel, table=True):
    """The Prefect review run started for an exception invoice (one per invoice)."""

    __tablename__ = "review_run"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", unique=True)
    flow_run_id: str = Field(max_length=40)
    flow_run_name: str
    started_at: datetime = Field(default_factory=utcnow)


class StoredCase(SQLModel):
    """An exception invoice as the store holds it, for a review form or the terminal."""

    invoice_id: int
    document_id: int
    sha256: str
    file_name: str
    archived_path: str | None
    status: str
    created_at: datetime
    method: str | None
    language: str | None
    pages: int
    confidence: dict[str, float]
    fields: InvoiceFields
    lines: list[Line]
    exceptions: list[ExceptionItem]
    suggestion: Suggestion | None
    decisions: int
    last_decision: ReviewDecision | None


class UnknownInvoiceError(InvoiceError):
    """No invoice has this id in the store."""

    def __init__(self, invoice_id: int) -> None:
        super().__init__(f"no invoice {invoice_id} in the store")
        self.invoice_id = invoice_id


def load_case(session: Session, *, invoice_id: int) -> StoredCase:
    """Return the invoice, its lines, its open exceptions and its review history; raise
    ``UnknownInvoiceError`` when there is no such invoice."""
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise UnknownInvoiceError(invoice_id)
    document = session.get_one(Document, invoice.document_id)
    lines = session.exec(
        select(InvoiceLine)
        .where(InvoiceLine.invoice_id == invoice_id)
        .order_by(col(InvoiceLine.position))
    ).all()
    open_exceptions = _open_exceptions(session, invoice_id=invoice_id)
    last = session.exec(
        select(ReviewDecision)
        .where(ReviewDecision.invoice_id == invoice_id)
        .order_by(col(ReviewDecision.id).desc())
    ).first()
    count = session.exec(
        select(func.count())
        .select_from(ReviewDecision)
        .where(ReviewDecision.invoice_id == invoice_id)
    ).one()
    assert document.id is not None and invoice.id is not None  # stored rows
    return StoredCase(
        invoice_id=invoice.id,
        document_id=document.id,
        sha256=document.sha256,
        file_name=document.file_name,
        archived_path=document.archived_path,
        status=invoice.status,
        created_at=invoice.created_at,
        method=invoice.method,
        language=invoice.language,
        pages=invoice.pages,
        confidence=dict(invoice.confidence or {}),
        fields=InvoiceFields.model_validate(
            {name: _tidy(getattr(invoice, name)) for name in InvoiceFields.model_fields}
        ),
        lines=[
            Line.model_validate({name: _tidy(getattr(line, name)) for name in Line.model_fields})
            for line in lines
        ],
        exceptions=[
            ExceptionItem(
                rule=row.rule, category=ExceptionCategory(row.category), message=row.message
            )
            for row in open_exceptions
        ],
        suggestion=_suggestion(open_exceptions),
        decisions=count,
        last_decision=last,
    )


def _tidy(value: Any) -> Any:
    # The store keeps 4 decimals (24472.7000): show amounts as printed (24472.70).
    if not isinstance(value, Decimal):
        return value
    cents = value.quantize(CENT)
    return cents if cents == value else value.normalize()


def _open_exceptions(session: Session, *, invoice_id: int) -> Sequence[ExceptionRecord]:
    return session.exec(
        select(ExceptionRecord)
        .where(ExceptionRecord.invoice_id == invoice_id)
        .where(col(ExceptionRecord.state).in_(("open", "escalated")))
        .order_by(col(ExceptionRecord.id))
    ).all()


def _suggestion(exceptions: Sequence[ExceptionRecord]) -> Suggestion | None:
    for row in exceptions:
        if row.suggested_resolution and row.suggestion_probability is not None:
            return Suggestion(
                resolution=row.suggested_resolution, probability=row.suggestion_probability
            )
    return None


def waiting_invoice_ids(session: Session) -> list[int]:
    """Return the ids of the invoices waiting for an operator, oldest first."""
    query = (
        select(Invoice.id)
        .where(col(Invoice.status).in_(WAITING_STATUSES))
        .order_by(col(Invoice.id))
    )
    return [invoice_id for invoice_id in session.exec(query).all() if invoice_id is not None]


def invoices_without_review_run(session: Session) -> list[int]:
    """Return the ids of the waiting invoices that no review run was started for."""
    started = select(ReviewRun.invoice_id)
    query = (
        select(Invoice.id)
        .where(col(Invoice.status).in_(WAITING_STATUSES))
        .where(col(Invoice.id).not_in(started))
        .order_by(col(Invoice.id))
    )
    return [invoice_id for invoice_id in session.exec(query).all() if invoice_id is not None]


def record_review_run(
    session: Session, *, invoice_id: int, flow_run_id: str, flow_run_name: str
) -> None:
    """Remember the review run of an invoice; commit."""
    session.add(
        ReviewRun(invoice_id=invoice_id, flow_run_id=flow_run_id, flow_run_name=flow_run_name)
    )
    session.commit()


def review_run_of(session: Session, *, invoice_id: int) -> ReviewRun | None:
    """Return the review run started for an invoice, if any."""
    return session.exec(select(ReviewRun).where(ReviewRun.invoice_id == invoice_id)).first()


def apply_review(
    session: Session,
    *,
    case: StoredCase,
    status_after: str,
    exception_state: str,
    corrected: Mapping[str, Any],
    results: Sequence[RuleResult] | None,
    audit: ReviewDecision,
) -> None:
    """Write a decision without committing: the invoice's status and corrected fields, the
    new rule results and exceptions when it was re-validated, and the audit record.

    ``exception_state`` closes the invoice's open exceptions (``escalated`` keeps them
    waiting); ``results`` replace the stored rule results, and their exceptions open anew.
    """
    invoice = session.get_one(Invoice, case.invoice_id)
    for name, value in corrected.items():
        setattr(invoice, name, value)
    if corrected:
        invoice.confidence = {**(invoice.confidence or {}), **dict.fromkeys(corrected, 1.0)}
    invoice.status = status_after
    session.add(invoice)
    session.execute(
        update(ExceptionRecord)
        .where(col(ExceptionRecord.invoice_id) == case.invoice_id)
        .where(col(ExceptionRecord.state).in_(("open", "escalated")))
        .values(state=exception_state)
    )
    if results is not None:
        _replace_rule_results(session, case=case, results=results)
    session.add(audit)


def _replace_rule_results(
    session: Session, *, case: StoredCase, results: Sequence[RuleResult]
) -> None:
    session.execute(delete(RuleResultRow).where(col(RuleResultRow.invoice_id) == case.invoice_id))
    for result in results:
        session.add(
            RuleResultRow(
                invoice_id=case.invoice_id,
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
                    document_id=case.document_id,
                    invoice_id=case.invoice_id,
                    rule=result.rule,
                    category=result.category.value,
                    message=result.message,
                )
            )


def review_history(session: Session, *, invoice_id: int) -> list[ReviewDecision]:
    """Return every decision submitted on an invoice, oldest first."""
    return list(
        session.exec(
            select(ReviewDecision)
            .where(ReviewDecision.invoice_id == invoice_id)
            .order_by(col(ReviewDecision.id))
        ).all()
    )
