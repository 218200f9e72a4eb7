"""Lifecycle statuses of stored invoices: recorded in the store, written to the outbox.

The service between the pure mapping (``statuses``), the CDAR writer (``cdar``) and the
store (``store.lifecycle``). A status is recorded in the transaction of what caused it;
``write_messages`` then writes each e-invoice status not yet written as one CDAR file in
``INVOICEBOT_DATA_DIR/outbox/lifecycle/`` for the platform connector. A file is written
under a temporary name, flushed to disk and renamed (the connector never sees half a
file); its name and bytes follow from the stored status alone, so writing it again after a
crash gives the same file, and a status is only ever written once as its own file.
A paper invoice's statuses stay in the store: no message is sent for them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from invoicebot.lifecycle.cdar import (
    APPROVED_AMOUNT,
    PAID_AMOUNT,
    LifecycleMessage,
    PartyId,
    build_cdar,
    message_id,
    party_id,
)
from invoicebot.lifecycle.statuses import (
    FailedRule,
    LifecycleStatus,
    StatusChange,
    payment_sent,
    status_for_decision,
    status_when_stored,
)
from invoicebot.model import InvoiceError, InvoiceStatus, Method
from invoicebot.settings import Settings
from invoicebot.store.lifecycle import LifecycleEvent, add_status, statuses, unwritten_messages
from invoicebot.store.review_audit import StoredCase, UnknownInvoiceError
from invoicebot.store.tables import Invoice, utcnow

logger = logging.getLogger(__name__)

# Statuses after which an invoice may be paid.
PAYABLE_STATUSES = (LifecycleStatus.APPROVED.value, LifecycleStatus.PARTIALLY_APPROVED.value)


class NotPayableError(InvoiceError):
    """Payment sent is recorded only for an approved invoice."""

    def __init__(self, invoice_id: int, status: str) -> None:
        super().__init__(
            f"invoice {invoice_id} is {status}, not approved: no payment can be recorded for it"
        )
        self.invoice_id = invoice_id
        self.status = status


def outbox_dir(settings: Settings) -> Path:
    """Return the folder the platform connector takes the lifecycle messages from."""
    return settings.data_dir / "outbox" / "lifecycle"


def is_einvoice(method: str | None) -> bool:
    """Return True for an invoice read from an e-invoice's XML (statuses are sent)."""
    return method == Method.EINVOICE.value


def record_stored(
    session: Session, *, invoice_id: int, status: InvoiceStatus, method: str | None
) -> LifecycleEvent | None:
    """Add (no commit) the status of an invoice the batch stores: 205 approved straight
    through, 204 taken in charge while it waits for an operator; return it (None when the
    invoice has it already)."""
    change = status_when_stored(waits_for_operator=status is not InvoiceStatus.APPROVED)
    return _add(session, invoice_id=invoice_id, change=change, cause="batch", method=method)


def record_decision(
    session: Session,
    *,
    case: StoredCase,
    decision: str,
    status_after: str,
    corrected: Mapping[str, Any],
    decided_at: datetime,
) -> LifecycleEvent | None:
    """Add (no commit) the status an applied decision issues and return it; None when it
    issues none (a correction still failing) or the invoice has that status already (a
    second escalation)."""
    payable = _lowered_payable(case, corrected)
    change = status_for_decision(
        decision,
        status_after=status_after,
        failed=[FailedRule(item.rule, item.category.value) for item in case.exceptions],
        payable_lowered=payable is not None,
    )
    if change is None:
        return None
    partial = change.status is LifecycleStatus.PARTIALLY_APPROVED
    return _add(
        session,
        invoice_id=case.invoice_id,
        change=change,
        cause=decision,
        method=case.method,
        amount=payable if partial else None,
        amount_type=APPROVED_AMOUNT if partial else None,
        occurred_at=decided_at,
    )


def record_payment(
    session: Session, *, invoice_id: int, paid_at: datetime | None = None
) -> LifecycleEvent | None:
    """Record that the payment of an approved invoice was sent (211) and commit; return the
    status, None when it was recorded before. Raise ``UnknownInvoiceError`` for no such
    invoice, ``NotPayableError`` for an invoice that is not approved."""
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise UnknownInvoiceError(invoice_id)
    if invoice.status != InvoiceStatus.APPROVED.value:
        raise NotPayableError(invoice_id, invoice.status)
    approved = _approved_amount(session, invoice_id)
    paid = approved if approved is not None else _payable(invoice)
    event = _add(
        session,
        invoice_id=invoice_id,
        change=payment_sent(),
        cause="payment",
        method=invoice.method,
        amount=paid,
        amount_type=PAID_AMOUNT if paid is not None else None,
        occurred_at=paid_at,
    )
    session.commit()
    if event is not None:
        session.refresh(event)
    return event


def write_messages(session: Session, settings: Settings) -> list[Path]:
    """Write the CDAR message of every e-invoice status not written yet, each committed as
    written; return the files written. A file that cannot be written, or a store that fails
    meanwhile, is logged and left for the next call (the statuses stay recorded)."""
    folder = outbox_dir(settings)
    buyer = _buyer(settings)
    written: list[Path] = []
    try:
        for event, invoice in unwritten_messages(session):
            message = message_of(event, invoice, buyer=buyer)
            name = message_file_name(event, invoice)
            try:
                path = _write_atomically(folder / name, build_cdar(message))
            except OSError as error:
                logger.error("lifecycle message %s not written, kept for later: %s", name, error)
                continue
            event.message_id = message.message_id
            event.message_file = name
            session.add(event)
            session.commit()
            written.append(path)
    except SQLAlchemyError as error:
        # What caused the statuses is committed: a store failure here must not undo it in
        # the caller's eyes. The next publication writes what is left (the same files).
        session.rollback()
        logger.error("lifecycle messages left for the next publication: %s", error)
    return written


def message_of(
    event: LifecycleEvent, invoice: Invoice, *, buyer: PartyId | None
) -> LifecycleMessage:
    """Return the message of a stored status: the invoice's number, date and parties."""
    status = LifecycleStatus(event.status_code)
    number = invoice.invoice_number or f"invoice-{invoice.id}"
    gross = invoice.total_gross
    return LifecycleMessage(
        message_id=message_id(number, status, event.occurred_at),
        status=status,
        reason_code=event.reason_code,
        occurred_at=event.occurred_at,
        invoice_number=number,
        invoice_date=invoice.invoice_date,
        invoice_type_code="381" if gross is not None and gross < 0 else "380",
        seller=party_id(siret=invoice.seller_siret, vat_id=invoice.seller_vat_id),
        buyer=buyer or party_id(vat_id=invoice.buyer_vat_id),
        amount=event.amount,
        amount_type=event.amount_type,
        currency=invoice.currency,
    )


def message_file_name(event: LifecycleEvent, invoice: Invoice) -> str:
    """Return the file name of a status's message: when (UTC), its number in the store
    (statuses of one second sort in the order they were issued), the invoice, the status."""
    moment = message_id("x", LifecycleStatus(event.status_code), event.occurred_at)
    stamp = moment.rsplit("_", 1)[1]
    return f"{stamp}-{event.id or 0:08d}-invoice-{invoice.id}-{event.status_code}.xml"


def _add(
    session: Session,
    *,
    invoice_id: int,
    change: StatusChange,
    cause: str,
    method: str | None,
    amount: Decimal | None = None,
    amount_type: str | None = None,
    occurred_at: datetime | None = None,
) -> LifecycleEvent | None:
    return add_status(
        session,
        invoice_id=invoice_id,
        status_code=change.status.value,
        cause=cause,
        einvoice=is_einvoice(method),
        reason_code=change.reason_code,
        amount=amount,
        amount_type=amount_type,
        occurred_at=occurred_at or utcnow(),
    )


def _buyer(settings: Settings) -> PartyId | None:
    # The buying company's own SIREN, when configured, identifies it on every message.
    return party_id(siret=settings.company_siren) if settings.company_siren else None


def _payable(invoice: Invoice | StoredCase) -> Decimal | None:
    fields = invoice.fields if isinstance(invoice, StoredCase) else invoice
    return fields.amount_due if fields.amount_due is not None else fields.total_gross


def _lowered_payable(case: StoredCase, corrected: Mapping[str, Any]) -> Decimal | None:
    """Return the amount payable once corrected when a correction lowered it (amount due,
    else gross); None when it is unchanged or higher."""
    name = "amount_due" if case.fields.amount_due is not None else "total_gross"
    before = getattr(case.fields, name)
    after = corrected.get(name)
    if before is None or after is None:
        return None
    after = Decimal(str(after))
    return after if after < before else None


def _approved_amount(session: Session, invoice_id: int) -> Decimal | None:
    for event in statuses(session, invoice_id=invoice_id):
        if event.status_code == LifecycleStatus.PARTIALLY_APPROVED.value:
            return event.amount
    return None


def _write_atomically(target: Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` through a temporary file renamed into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # One temporary name per writer: two writers of one message (two documents of a batch
    # publishing at once) each rename a whole file, the same bytes, into place.
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.part")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(target)
    return target
