"""Prefect events for the lifecycle statuses: one ``invoice.lifecycle.<code>`` per status.

Each status recorded in the store (an e-invoice's or a paper invoice's) is emitted once:
its row is marked in a transaction that commits after the event is sent, and the mark is a
compare-and-set, so of several runs publishing at once one sends it (a crash before the commit
leaves it to send again); a status recorded where no Prefect API answers
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
from invoicebot.store.lifecycle import LifecycleEvent, claim_event, unemitted_events
from invoicebot.store.tables import Invoice

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
                arguments = lifecycle_event(status, invoice)
                if status.id is None or not claim_event(session, status.id):
                    session.rollback()
                    continue
                event = emit_event(**arguments)  # type: ignore[arg-type]
                if event is None:
                    session.rollback()
                    break
                session.commit()
                sent.append(event)
        except SQLAlchemyError as error:
            # The batch or the decision is done; the events left wait for the next call.
            session.rollback()
            logger.warning("lifecycle events left for the next run: %s", error)
    return sent
