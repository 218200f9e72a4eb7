"""The lifecycle statuses' Prefect events, sent to a real (test) Prefect server: one per
status, once, with what an automation needs to act on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prefect.events import Event, emit_event
from sqlmodel import Session

import flows.lifecycle_events
from flows.lifecycle_events import emit_lifecycle_events
from invoicebot.settings import Settings
from invoicebot.store.engine import shared_engine
from invoicebot.store.lifecycle import add_status, statuses
from tests.unit.store.test_books import store_invoice


def test_each_status_is_emitted_once_as_an_event(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = shared_engine(Settings().resolved_database_url)
    with Session(engine) as session:
        einvoice = store_invoice(session, "F2026-0911", "rejected", method="einvoice")
        paper = store_invoice(session, "P-7", "approved", method="ocr")
        add_status(session, invoice_id=einvoice, status_code="204", cause="batch", einvoice=True)
        add_status(session, invoice_id=einvoice, status_code="210", cause="reject", einvoice=True,
                   reason_code="DOUBLON")  # fmt: skip
        add_status(session, invoice_id=paper, status_code="205", cause="batch", einvoice=False)
        session.commit()
    sent: list[Event | None] = []

    def spy(**kwargs: Any) -> Event | None:
        event = emit_event(**kwargs)
        sent.append(event)
        return event

    monkeypatch.setattr(flows.lifecycle_events, "emit_event", spy)

    events = emit_lifecycle_events()

    assert [event.event for event in events] == [
        "invoice.lifecycle.204",
        "invoice.lifecycle.210",
        "invoice.lifecycle.205",
    ]
    refused = events[1]
    assert refused.resource.id == f"invoicebot.invoice.{einvoice}"
    assert refused.payload["reason_code"] == "DOUBLON"
    assert refused.payload["status"] == "refused"
    assert events[2].payload["einvoice"] is False
    with Session(engine) as session:
        assert all(event.event_emitted_at is not None for event in statuses(session))
    assert emit_lifecycle_events() == []
    assert len(sent) == 3
