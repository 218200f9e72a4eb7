"""Prefect events for the lifecycle statuses: one ``invoice.lifecycle.<code>`` per status.

Each status recorded in the store (an e-invoice's or a paper invoice's) is emitted once:
after the event is sent, the row says so; a status recorded where no Prefect API answers
(a decision on the terminal without a server) is emitted by the next batch or review run.
An automation can start a deployment on them (``expect: ["invoice.lifecycle.210"]``).
"""

from __future__ import annotations

import logging

from prefect.events import Event, emit_event
from prefect.settings import PREFECT_API_URL
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from invoicebot.lifecycle.statuses import NAMES, LifecycleStatus
from invoicebot.settings import Settings
from invoicebot.store.engine import shared_engine
from invoicebot.store.lifecycle import LifecycleEvent, unemitted_events
from invoicebot.store.tables import Invoice, utcnow

EVENT_PREFIX = "invoice.lifecycle."

logger = logging.getLogger(__name__)


def lifecycle_event(status: LifecycleEvent, invoice: Invoice) -> dict[str, object]:
    """Return the ``emit_event`` arguments of a status: what it is, of which invoice."""
    code = LifecycleStatus(status.status_code)
    return {
        "event": f"{EVENT_PREFIX}{code.value}",
        "resource": {
            "prefect.resource.id": f"invoicebot.invoice.{invoice.id}",
            "prefect.resource.name": invoice.invoice_number or f"invoice {invoice.id}",
        },
        "payload": {
            "invoice_id": invoice.id,
            "invoice_number": invoice.invoice_number,
            "status_code": code.value,
            "status": NAMES[code],
            "cause": status.cause,
            "reason_code": status.reason_code,
            "einvoice": status.einvoice,
            "message_file": status.message_file,
        },
    }


def emit_lifecycle_events(*, configured_server_only: bool = False) -> list[Event]:
    """Emit an event for each status not emitted yet and mark it; return the events sent
    (none where no Prefect API answers: they are kept for the next call).

    ``configured_server_only`` (the terminal commands): emit only to the server
    ``PREFECT_API_URL`` names, never to a throw-away ephemeral one whose events nobody sees.
    """
    if configured_server_only and not PREFECT_API_URL.value():
        return []
    sent: list[Event] = []
    with Session(shared_engine(Settings().resolved_database_url)) as session:
        try:
            for status, invoice in unemitted_events(session):
                event = emit_event(**lifecycle_event(status, invoice))  # type: ignore[arg-type]
                if event is None:
                    break
                status.event_emitted_at = utcnow()
                session.add(status)
                session.commit()
                sent.append(event)
        except SQLAlchemyError as error:
            # The batch or the decision is done; the events left wait for the next call.
            session.rollback()
            logger.warning("lifecycle events left for the next run: %s", error)
    return sent
