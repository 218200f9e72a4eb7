"""The HTML report: its tables, charts and forecast section, from rows and from a store."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from invoicebot.history_sim import simulate_history
from invoicebot.kpis import KpiSnapshot, compute_kpis, daily_volumes
from invoicebot.report import (
    ReportContent,
    build_report,
    forecast_from_history,
    invoice_table,
    kpi_table,
    render_html,
)
from invoicebot.store import init_store, make_engine
from invoicebot.store.tables import Document
from tests.unit.invoicebot.test_kpis import DOCUMENTS, NOW, PARAMETERS, SNAPSHOT

PNG_IMAGE = re.compile(r'<img alt="[^"]+" src="data:image/png;base64,[A-Za-z0-9+/=]{200,}">')
HISTORY = simulate_history(start=date(2025, 9, 1), days=26 * 7, seed=11)


def content_of(snapshot: KpiSnapshot) -> ReportContent:
    kpis = compute_kpis(snapshot, PARAMETERS, now=NOW)
    return ReportContent(
        kpis=kpis,
        daily=daily_volumes(snapshot.documents, start=date(2026, 3, 1), end=date(2026, 3, 5)),
        documents=list(snapshot.documents),
        forecast=forecast_from_history(HISTORY, source="a test history", kpis=kpis),
    )


def test_invoice_table_has_one_row_per_invoice() -> None:
    table = invoice_table(DOCUMENTS)
    assert list(table["route"]) == [
        "touchless", "touchless", "exception", "exception", "quarantined", "exception",
        "exception",
    ]  # fmt: skip
    assert list(table["categories"])[3] == "arithmetic date"
    assert list(table["cycle_hours"])[2:4] == [5.0, 50.0]
    assert table["cycle_hours"].isna().sum() == 3  # d5, d6 and d7 still wait


def test_kpi_table_shows_every_figure_with_its_counts() -> None:
    table = kpi_table(compute_kpis(SNAPSHOT, PARAMETERS, now=NOW))
    assert list(table.columns) == ["KPI", "value", "counts"]
    row = table[table["KPI"] == "SLA attainment (decided within 48 h)"].iloc[0]
    assert (row["value"], row["counts"]) == ("60.0%", "3 of 5 invoices whose SLA came due")


def test_forecast_uses_measured_handling_time_when_there_is_one() -> None:
    measured = forecast_from_history(
        HISTORY, source="s", kpis=compute_kpis(SNAPSHOT, PARAMETERS, now=NOW)
    )
    assert measured.handling_minutes == pytest.approx(15.0)  # median of 10 and 20 min
    unmeasured_snapshot = KpiSnapshot(start=SNAPSHOT.start, end=NOW, documents=DOCUMENTS)
    unmeasured = forecast_from_history(
        HISTORY, source="s", kpis=compute_kpis(unmeasured_snapshot, PARAMETERS, now=NOW)
    )
    assert unmeasured.handling_minutes == 12.0
    assert "not measured yet" in unmeasured.handling_basis
    assert [d.operator_hours for d in measured.days] == pytest.approx(
        [d.exceptions * 15 / 60 for d in measured.days]
    )
    assert measured.days[0].day == HISTORY[-1].day + timedelta(days=1)
    assert measured.invoices_backtest.model.mae < measured.invoices_backtest.naive.mae


def test_html_is_self_contained_with_five_charts() -> None:
    page = render_html(content_of(SNAPSHOT), generated_at=NOW)
    assert len(PNG_IMAGE.findall(page)) == 5
    assert "Processing time cut by 19% vs manual keying" in page
    assert "Period 2026-03-02 08:00 → 2026-03-05 09:00 UTC" in page
    assert "fitted on a test history" in page
    assert "http" not in page  # nothing to fetch: it opens from a mail or a share


def test_html_of_an_empty_period_still_renders() -> None:
    empty = KpiSnapshot(start=NOW - timedelta(days=1), end=NOW)
    page = render_html(content_of(empty), generated_at=NOW)
    assert len(PNG_IMAGE.findall(page)) == 5
    assert "Time saved: not measured yet" in page


def test_build_report_from_an_empty_store_forecasts_on_a_simulated_history(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    init_store(engine)
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    with Session(engine) as session:
        content = build_report(
            session, since=now - timedelta(days=30), now=now, parameters=PARAMETERS
        )
    assert content.kpis.figure("invoices").value == 0
    assert len(content.daily) == 31
    assert content.forecast.source.startswith("a SIMULATED history of 182 days")
    assert content.forecast.history[-1].day == date(2026, 11, 25)


def test_build_report_forecasts_on_the_store_once_it_holds_twelve_weeks(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    init_store(engine)
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    first_day = now - timedelta(days=90)
    with Session(engine) as session:
        for number in range(1, 91):  # one invoice a day, a second on Mondays
            received = first_day + timedelta(days=number - 1)
            for copy in range(2 if received.weekday() == 0 else 1):
                name = f"{number}-{copy}.pdf"
                session.add(Document(sha256=name, source=name, file_name=name, size_bytes=1,
                                     status="approved", claimed_at=received,
                                     processed_at=received))  # fmt: skip
        session.commit()
        content = build_report(
            session, since=now - timedelta(days=30), now=now, parameters=PARAMETERS
        )
    assert content.forecast.source == "the store's 90 days of history"
    assert content.forecast.history[-1].day == date(2026, 11, 25)
    mondays = [d for d in content.forecast.days if d.day.weekday() == 0]
    tuesdays = [d for d in content.forecast.days if d.day.weekday() == 1]
    assert mondays[0].invoices == pytest.approx(2.0)
    assert tuesdays[0].invoices == pytest.approx(1.0)
