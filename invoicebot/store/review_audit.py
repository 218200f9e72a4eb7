"""The review audit trail and the store's side of an operator's review.

Every decision an operator submits, from the Prefect UI or the terminal, adds one
``ReviewDecision`` row (append-only): who, when, through which channel, what the invoice
looked like before and what changed. The training label goes to ``training_labels.record_label``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, CursorResult, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, func, select

from invoicebot.model import (
    DocumentType,
    ExceptionCategory,
    ExceptionItem,
    InvoiceError,
    InvoiceFields,
    InvoiceReference,
    Line,
    ReadBoxes,
    RuleResult,
    Suggestion,
)
from invoicebot.store.mail import provenance_of
from invoicebot.store.rule_results import add_rule_results
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
# Longest operator or reviewer name the audit tables hold.
PERSON_NAME_MAX = 120


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


class ReviewStart(SQLModel, table=True):
    """An operator taking an exception invoice to review it (the audit record of a start).

    Append-only like ``ReviewDecision``: a start is open until a decision ends the operator's
    handling of the case (a final decision or an escalation), which sets ``decision_id``; a
    refused form or a correction that still fails leaves it open, the same operator goes on.
    Its own table, not columns of ``review_decision``: the store has no migrations, and a
    new table appears in an existing store where a new column would not.
    """

    __tablename__ = "review_start"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    operator: str = Field(max_length=120)
    channel: str = Field(max_length=20)
    flow_run_id: str | None = Field(default=None, max_length=40)
    # The pause key of the take form in the review run, so that a re-run records it once.
    pause_key: str | None = Field(default=None, max_length=60)
    started_at: datetime = Field(default_factory=utcnow, index=True)
    decision_id: int | None = Field(default=None, foreign_key="review_decision.id", index=True)


class ReviewRun(SQLModel, table=True):
    """The Prefect review run started for an exception invoice (one per invoice)."""

    __tablename__ = "review_run"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", unique=True)
    flow_run_id: str = Field(max_length=40)
    flow_run_name: str
    started_at: datetime = Field(default_factory=utcnow)


class MailProvenance(SQLModel):
    """Who sent a document by e-mail, and when the mailbox received it."""

    sender: str
    subject: str
    message_id: str | None
    received_at: datetime | None
    mailbox: str
    file_name: str


class CreditedInvoice(SQLModel):
    """The stored invoice a credit note credits."""

    invoice_id: int
    invoice_number: str | None
    file_name: str


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
    # The open start: who took the case and when, None while nobody has taken it.
    taken: ReviewStart | None = None
    # Decisions applied so far (refused forms left out): the compare-and-set's version.
    applied_decisions: int = 0
    # Every rule ever raised on the invoice, with its category, whatever became of it.
    raised_rules: dict[str, str] = {}
    # Who escalated the case, and who had taken it when it was escalated (four-eyes).
    involved: list[str] = []
    # The values each failed rule compared, in full (for the bank-detail decision form).
    exception_values: dict[str, dict[str, str | None]] = {}
    # The e-mails that brought the document (the mailbox channel), oldest first.
    provenance: list[MailProvenance] = []
    # Pages [first, last] of the file this invoice was read from, when the file holds
    # several invoices (None: the whole file is this invoice).
    page_range: list[int] | None = None
    # How many invoices the file was cut into (1: a file read as one invoice).
    invoices_in_file: int = 1
    # Where each field and line was read (None: stored before boxes were kept).
    boxes: ReadBoxes | None = None
    # What kind of document it is, the earlier invoice it names (BG-3), and the stored
    # invoice a credit note credits (its id and number), when found.
    document_type: DocumentType = DocumentType.INVOICE
    preceding_invoice: InvoiceReference | None = None
    credits_invoice: CreditedInvoice | None = None


class ReviewTakenError(InvoiceError):
    """Another operator has taken the invoice and not decided yet."""

    def __init__(self, invoice_id: int, taken: ReviewStart) -> None:
        super().__init__(
            f"invoice {invoice_id} was taken by {taken.operator} at "
            f"{taken.started_at:%Y-%m-%d %H:%M:%S} UTC ({taken.channel})"
        )
        self.invoice_id = invoice_id
        self.taken = taken


class ReviewConflictError(InvoiceError):
    """Another decision was applied to the invoice since it was read: this one is not."""

    def __init__(
        self,
        invoice_id: int,
        *,
        expected_status: str,
        actual_status: str,
        by: ReviewDecision | None,
    ) -> None:
        meanwhile = (
            f" by {by.reviewer} ({by.channel}, {by.decision}) at "
            f"{by.decided_at:%Y-%m-%d %H:%M:%S} UTC"
            if by is not None
            else ""
        )
        super().__init__(
            f"invoice {invoice_id} was decided meanwhile{meanwhile}: it is {actual_status} "
            f"now, not {expected_status} as when this decision was prepared; nothing changed"
        )
        self.invoice_id = invoice_id
        self.expected_status = expected_status
        self.actual_status = actual_status
        self.by = by


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
    raised = session.exec(
        select(ExceptionRecord).where(ExceptionRecord.invoice_id == invoice_id)
    ).all()
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
        page_range=invoice.page_range,
        boxes=ReadBoxes.model_validate(invoice.boxes) if invoice.boxes else None,
        document_type=DocumentType(invoice.document_type),
        preceding_invoice=InvoiceReference(
            number=invoice.preceding_invoice_number, issue_date=invoice.preceding_invoice_date
        )
        if invoice.preceding_invoice_number
        else None,
        credits_invoice=credited_invoice(session, invoice_id=invoice.credited_invoice_id),
        invoices_in_file=session.exec(
            select(func.count())
            .select_from(Invoice)
            .where(Invoice.document_id == invoice.document_id)
        ).one(),
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
        taken=open_start(session, invoice_id=invoice_id),
        applied_decisions=_applied_decisions(session, invoice_id=invoice_id),
        raised_rules={row.rule: row.category for row in raised},
        involved=_involved(session, invoice_id=invoice_id),
        provenance=[
            MailProvenance.model_validate(row, from_attributes=True)
            for row in provenance_of(session, sha256=document.sha256)
        ],
        exception_values={
            row.rule: dict(row.compared or {})
            for row in session.exec(
                select(RuleResultRow)
                .where(RuleResultRow.invoice_id == invoice_id)
                .where(col(RuleResultRow.passed).is_(False))
            ).all()
        },
    )


def credited_invoice(session: Session, *, invoice_id: int | None) -> CreditedInvoice | None:
    """Return the stored invoice ``invoice_id`` a credit note credits (None: none, or purged)."""
    if invoice_id is None:
        return None
    row = session.exec(
        select(Invoice.invoice_number, Document.file_name)
        .join(Document, col(Document.id) == col(Invoice.document_id))
        .where(Invoice.id == invoice_id)
    ).first()
    if row is None:
        return None
    return CreditedInvoice(invoice_id=invoice_id, invoice_number=row[0], file_name=row[1])


def _applied_decisions(session: Session, *, invoice_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(ReviewDecision)
        .where(ReviewDecision.invoice_id == invoice_id)
        .where(col(ReviewDecision.refused_reason).is_(None))
    ).one()


def _involved(session: Session, *, invoice_id: int) -> list[str]:
    """Return who escalated the invoice and who had taken it then, in order, once each."""
    escalations = session.exec(
        select(ReviewDecision)
        .where(ReviewDecision.invoice_id == invoice_id)
        .where(ReviewDecision.decision == "escalate")
        .where(col(ReviewDecision.refused_reason).is_(None))
        .order_by(col(ReviewDecision.id))
    ).all()
    ids = [decision.id for decision in escalations]
    takers = session.exec(
        select(ReviewStart.operator).where(col(ReviewStart.decision_id).in_(ids))
    ).all()
    return list(dict.fromkeys([*takers, *(decision.reviewer for decision in escalations)]))


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


class ReviewRunConflictError(InvoiceError):
    """Another review run than this one is recorded for the invoice."""

    def __init__(self, invoice_id: int, recorded: str, started: str) -> None:
        super().__init__(f"invoice {invoice_id}: review run {recorded} is recorded, not {started}")
        self.invoice_id = invoice_id
        self.recorded = recorded
        self.started = started


def record_review_run(
    session: Session, *, invoice_id: int, flow_run_id: str, flow_run_name: str
) -> None:
    """Remember the review run of an invoice; commit.

    Two batches finishing at once both start the invoice's review, and the server's
    idempotency key gives both the same run: the second to record it finds it recorded.
    Raise ``ReviewRunConflictError`` when another run is recorded for the invoice.
    """
    session.add(
        ReviewRun(invoice_id=invoice_id, flow_run_id=flow_run_id, flow_run_name=flow_run_name)
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        recorded = session.exec(select(ReviewRun).where(ReviewRun.invoice_id == invoice_id)).one()
        if recorded.flow_run_id != flow_run_id:
            raise ReviewRunConflictError(invoice_id, recorded.flow_run_id, flow_run_id) from None


def open_start(session: Session, *, invoice_id: int) -> ReviewStart | None:
    """Return the invoice's open start (taken, no decision ended it yet), if any."""
    return session.exec(
        select(ReviewStart)
        .where(ReviewStart.invoice_id == invoice_id)
        .where(col(ReviewStart.decision_id).is_(None))
        .order_by(col(ReviewStart.id).desc())
    ).first()


def take_case(
    session: Session,
    *,
    invoice_id: int,
    operator: str,
    channel: str,
    started_at: datetime | None = None,
    flow_run_id: str | None = None,
    pause_key: str | None = None,
) -> ReviewStart:
    """Record that ``operator`` starts reviewing the invoice and return the start; commit.

    Taking a case again is harmless: the same operator (or the same take form of a review
    run, seen again when the run re-runs) gets the open start back. Raise
    ``ReviewTakenError`` when another operator holds it.
    """
    operator = operator.strip() or "operator"
    held = open_start(session, invoice_id=invoice_id)
    if held is not None:
        same_form = pause_key is not None and (held.flow_run_id, held.pause_key) == (
            flow_run_id,
            pause_key,
        )
        if same_form or held.operator == operator:
            return held
        raise ReviewTakenError(invoice_id, held)
    if pause_key is not None:
        # The run re-runs from the top after every resume: a take form already ended by a
        # decision must not open a new start.
        seen = session.exec(
            select(ReviewStart)
            .where(ReviewStart.flow_run_id == flow_run_id)
            .where(ReviewStart.pause_key == pause_key)
        ).first()
        if seen is not None:
            return seen
    start = ReviewStart(
        invoice_id=invoice_id,
        operator=operator,
        channel=channel,
        flow_run_id=flow_run_id,
        pause_key=pause_key,
        started_at=started_at or utcnow(),
    )
    session.add(start)
    session.commit()
    session.refresh(start)
    return start


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
    The case's open start, if any, is ended by the decision unless it still waits as an
    exception.

    The status is written with a compare-and-set: only if the invoice still has the status
    and the number of applied decisions it had when ``case`` was read. Otherwise another
    channel decided meanwhile (the UI and the terminal race) and ``ReviewConflictError`` is
    raised, nothing written: the caller rolls back. The update takes the row's write lock
    first (PostgreSQL) or the database's (SQLite), so the second writer waits for the first
    to commit and then sees its decision.
    """
    swapped: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Invoice)
        .where(col(Invoice.id) == case.invoice_id)
        .where(col(Invoice.status) == case.status)
        .values(status=status_after)
    )
    if swapped.rowcount != 1 or (
        _applied_decisions(session, invoice_id=case.invoice_id) != case.applied_decisions
    ):
        raise _conflict(session, case)
    invoice = session.get_one(Invoice, case.invoice_id)
    session.refresh(invoice)
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
    if case.taken is not None and status_after != "exception":
        # A final decision or an escalation ends this operator's handling of the case; a
        # correction that still fails keeps the case in the same hands.
        session.flush()
        start = session.get_one(ReviewStart, case.taken.id)
        start.decision_id = audit.id
        session.add(start)


def _conflict(session: Session, case: StoredCase) -> ReviewConflictError:
    current = session.exec(select(Invoice.status).where(col(Invoice.id) == case.invoice_id)).one()
    last = session.exec(
        select(ReviewDecision)
        .where(ReviewDecision.invoice_id == case.invoice_id)
        .where(col(ReviewDecision.refused_reason).is_(None))
        .order_by(col(ReviewDecision.id).desc())
    ).first()
    return ReviewConflictError(
        case.invoice_id, expected_status=case.status, actual_status=current, by=last
    )


def _replace_rule_results(
    session: Session, *, case: StoredCase, results: Sequence[RuleResult]
) -> None:
    session.execute(delete(RuleResultRow).where(col(RuleResultRow.invoice_id) == case.invoice_id))
    add_rule_results(
        session, document_id=case.document_id, invoice_id=case.invoice_id, results=results
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
