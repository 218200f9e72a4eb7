"""The kpi-report flow under a real (test) Prefect server: its artifact and its SLA events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.events import Event, emit_event
from sqlmodel import Session

import flows.kpi_report
from flows.kpi_report import SLA_BREACH_EVENT, kpi_report
from invoicebot.settings import Settings
from invoicebot.store.engine import shared_engine
from invoicebot.store.tables import BatchRun, Document, ExceptionRecord

HOUR = timedelta(hours=1)


def store_invoices(now: datetime) -> None:
    """Store three invoices: touchless and an exception from today, and an exception that has
    waited 60 h (past the 48 h SLA); one 20-second batch."""
    with Session(shared_engine(Settings().resolved_database_url)) as session:
        session.add(BatchRun(inbox="inbox", started_at=now - HOUR, machine_seconds=20.0))
        for number, age in ((1, HOUR), (2, HOUR), (3, 60 * HOUR)):
            received = now - age
            session.add(Document(id=number, sha256=f"{number:064d}", source=f"{number}.pdf",
                                 file_name=f"{number}.pdf", size_bytes=1, status="exception",
                                 claimed_at=received, processed_at=received))  # fmt: skip
        session.commit()
        for number in (2, 3):
            session.add(ExceptionRecord(document_id=number, rule="BR-CO-15", category="arithmetic",
                                        message="totals differ"))  # fmt: skip
        session.commit()


def test_kpi_report_publishes_the_table_and_raises_sla_breaches(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_invoices(datetime.now(UTC))
    emitted: list[Event | None] = []

    def spy(**kwargs: Any) -> Event | None:
        event = emit_event(**kwargs)
        emitted.append(event)
        return event

    monkeypatch.setattr(flows.kpi_report, "emit_event", spy)

    report = kpi_report(days=1)

    # The period is the last 24 h: the two invoices of today, not the one waiting 60 h.
    assert report.figure("invoices").value == 2
    assert report.figure("touchless_rate").basis == "1 of 2 invoices approved with no human touch"
    assert [event.event for event in emitted if event] == [SLA_BREACH_EVENT]
    breach = emitted[0]
    assert breach is not None
    assert breach.resource.id == "invoicebot.document.3"
    assert breach.payload["categories"] == ["arithmetic"]
    assert breach.payload["hours_waiting"] == pytest.approx(60.0, abs=0.1)
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["kpi-report"]))
        )
    assert artifacts
    assert "| Touchless (straight-through) rate | 50.0% |" in str(artifacts[-1].data)
