"""The store's lifecycle statuses: one per invoice and code, written and emitted once."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from invoicebot.store.lifecycle import (
    LifecycleEvent,
    add_status,
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
