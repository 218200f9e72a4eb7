"""The store's lifecycle statuses: one per invoice and code, written and emitted once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from invoicebot.store import init_store, make_engine
from invoicebot.store.lifecycle import (
    LifecycleEvent,
    add_status,
    claim_event,
    issued_codes,
    statuses,
    unemitted_events,
    unwritten_messages,
)
from tests.unit.store.test_books import store_invoice

AT = datetime(2026, 12, 6, 21, 0, tzinfo=UTC)


def test_a_status_is_issued_once_per_invoice(engine: Engine) -> None:
    with Session(engine) as session:
        first = store_invoice(session, "F-1", "exception", method="einvoice")
        second = store_invoice(session, "F-2", "approved", method="text")
        assert add_status(session, invoice_id=first, status_code="204", cause="batch",
                          einvoice=True, occurred_at=AT) is not None  # fmt: skip
        assert add_status(session, invoice_id=first, status_code="208", cause="escalate",
                          einvoice=True, reason_code="JUSTIF_ABS") is not None  # fmt: skip
        session.commit()
        # A second escalation of the same invoice: no second 208.
        again = add_status(session, invoice_id=first, status_code="208", cause="escalate",
                           einvoice=True)  # fmt: skip
        assert again is None
        add_status(session, invoice_id=second, status_code="205", cause="batch", einvoice=False,
                   amount=Decimal("120.5"), amount_type="MPA")  # fmt: skip
        session.commit()
        assert issued_codes(session, invoice_id=first) == {"204", "208"}
        assert [e.status_code for e in statuses(session)] == ["204", "208", "205"]
        assert [e.status_code for e in statuses(session, invoice_id=second)] == ["205"]
        assert statuses(session, invoice_id=second)[0].amount == Decimal("120.5")
        # Only the e-invoice's statuses wait for a message; every status for an event.
        assert [(e.status_code, i.invoice_number) for e, i in unwritten_messages(session)] == [
            ("204", "F-1"),
            ("208", "F-1"),
        ]
        assert len(unemitted_events(session)) == 3
        written = statuses(session, invoice_id=first)[0]
        written.message_file = "x.xml"
        written.event_emitted_at = AT
        session.add(written)
        session.commit()
        assert [e.status_code for e, _ in unwritten_messages(session)] == ["208"]
        assert [e.status_code for e, _ in unemitted_events(session)] == ["208", "205"]


def test_the_database_refuses_a_second_row_of_one_status(engine: Engine) -> None:
    with Session(engine) as session:
        invoice = store_invoice(session, "F-3", "approved")
        session.add(LifecycleEvent(invoice_id=invoice, status_code="205", cause="batch",
                                   einvoice=True))  # fmt: skip
        session.commit()
        session.add(LifecycleEvent(invoice_id=invoice, status_code="205", cause="approve",
                                   einvoice=True))  # fmt: skip
        with pytest.raises(IntegrityError):
            session.commit()


def approved_status(engine: Engine, number: str) -> int:
    """Store an approved e-invoice with its 205 status; return the status's id."""
    with Session(engine) as session:
        invoice = store_invoice(session, number, "approved", method="einvoice")
        status = add_status(session, invoice_id=invoice, status_code="205", cause="batch",
                            einvoice=True)  # fmt: skip
        session.commit()
        assert status is not None and status.id is not None
        return status.id


def test_of_two_runs_claiming_one_event_one_emits_it(engine: Engine) -> None:
    status_id = approved_status(engine, "F-3")
    with Session(engine) as first, Session(engine) as second:
        # A run that claimed it and could not send the event gives it back.
        assert claim_event(first, status_id)
        first.rollback()
        assert claim_event(second, status_id)
        second.commit()
        assert not claim_event(first, status_id)
        first.rollback()
    with Session(engine) as session:
        assert unemitted_events(session) == []


@pytest.mark.postgres
def test_a_run_claiming_an_event_another_holds_waits_and_leaves_it(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    init_store(engine)
    status_id = approved_status(engine, "F-4")
    with Session(engine) as holder, ThreadPoolExecutor(max_workers=1) as other_run:
        assert claim_event(holder, status_id)

        def claim_elsewhere() -> bool:
            with Session(engine) as session:
                claimed = claim_event(session, status_id)
                session.commit()
                return claimed

        waiting = other_run.submit(claim_elsewhere)
        # The row is locked: the other run waits for the holder's transaction to end.
        assert not waiting.done()
        holder.commit()
        assert waiting.result(timeout=30) is False
    engine.dispose()
