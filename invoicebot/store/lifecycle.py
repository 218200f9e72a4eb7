"""The lifecycle statuses issued for each invoice, and the outbox's bookkeeping.

One row per status an invoice reached (unique on invoice and status code: a re-run of the
batch or a decision submitted twice never issues the same status twice). The row is
written in the same transaction as what caused it (the invoice stored, the decision
applied, the payment recorded); the message file and the Prefect event follow after the
commit, and ``message_file`` / ``event_emitted_at`` say they did, so whatever a crash
interrupted is done by the next publication, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, Numeric, UniqueConstraint, update
from sqlmodel import Field, Session, SQLModel, col, select

from invoicebot.store.tables import Invoice, utcnow


class LifecycleEvent(SQLModel, table=True):
    """A lifecycle status issued for an invoice (a paper one too: it has no message)."""

    __tablename__ = "lifecycle_status"
    __table_args__ = (UniqueConstraint("invoice_id", "status_code"),)

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    status_code: str = Field(max_length=3)
    # What caused it: "batch", an operator decision's name, or "payment".
    cause: str = Field(max_length=40)
    reason_code: str | None = Field(default=None, max_length=30)
    # The amount approved (206) or paid (211), and its characteristic type code.
    amount: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 4), nullable=True))
    amount_type: str | None = Field(default=None, max_length=10)
    # An e-invoice's statuses are sent as CDAR messages; a paper invoice's are not.
    einvoice: bool
    occurred_at: datetime = Field(default_factory=utcnow, index=True)
    message_id: str | None = Field(default=None, max_length=250)
    # The message's file name in the outbox, once written.
    message_file: str | None = Field(default=None, max_length=300)
    event_emitted_at: datetime | None = None


def issued_codes(session: Session, *, invoice_id: int) -> set[str]:
    """Return the status codes already issued for an invoice."""
    rows = session.exec(
        select(LifecycleEvent.status_code).where(LifecycleEvent.invoice_id == invoice_id)
    ).all()
    return set(rows)


def add_status(
    session: Session,
    *,
    invoice_id: int,
    status_code: str,
    cause: str,
    einvoice: bool,
    reason_code: str | None = None,
    amount: Decimal | None = None,
    amount_type: str | None = None,
    occurred_at: datetime | None = None,
) -> LifecycleEvent | None:
    """Add a status to the session (no commit) and return it; None when the invoice already
    has this status, which is then not issued again."""
    if status_code in issued_codes(session, invoice_id=invoice_id):
        return None
    event = LifecycleEvent(
        invoice_id=invoice_id,
        status_code=status_code,
        cause=cause,
        einvoice=einvoice,
        reason_code=reason_code,
        amount=amount,
        amount_type=amount_type,
        occurred_at=occurred_at or utcnow(),
    )
    session.add(event)
    return event


def statuses(session: Session, *, invoice_id: int | None = None) -> list[LifecycleEvent]:
    """Return the statuses issued (of one invoice), oldest first."""
    statement = select(LifecycleEvent).order_by(col(LifecycleEvent.id))
    if invoice_id is not None:
        statement = statement.where(LifecycleEvent.invoice_id == invoice_id)
    return list(session.exec(statement).all())


def unwritten_messages(session: Session) -> Sequence[tuple[LifecycleEvent, Invoice]]:
    """Return the e-invoices' statuses whose message is not in the outbox yet, with their
    invoice, oldest first."""
    statement = (
        select(LifecycleEvent, Invoice)
        .join(Invoice, col(Invoice.id) == col(LifecycleEvent.invoice_id))
        .where(col(LifecycleEvent.einvoice).is_(True))
        .where(col(LifecycleEvent.message_file).is_(None))
        .order_by(col(LifecycleEvent.id))
    )
    return session.exec(statement).all()


def claim_event(session: Session, status_id: int) -> bool:
    """Mark a status's event emitted, in the session's transaction, if no one has: a
    compare-and-set whose row stays locked until the transaction ends. True when this session
    marked it: emit the event, then commit (or roll back, and it stays to emit). False when
    another run emitted it, or is emitting it and commits first."""
    result = session.execute(
        update(LifecycleEvent)
        .where(col(LifecycleEvent.id) == status_id)
        .where(col(LifecycleEvent.event_emitted_at).is_(None))
        .values(event_emitted_at=utcnow())
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def unemitted_events(session: Session) -> Sequence[tuple[LifecycleEvent, Invoice]]:
    """Return the statuses no Prefect event was emitted for yet, with their invoice."""
    statement = (
        select(LifecycleEvent, Invoice)
        .join(Invoice, col(Invoice.id) == col(LifecycleEvent.invoice_id))
        .where(col(LifecycleEvent.event_emitted_at).is_(None))
        .order_by(col(LifecycleEvent.id))
    )
    return session.exec(statement).all()
