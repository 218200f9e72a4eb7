"""KPI definitions on hand-computed examples: a batch's, and a period's from the store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from invoicebot.kpis import (
    DocumentRow,
    KpiParameters,
    KpiSnapshot,
    ReviewRow,
    batch_kpis,
    compute_kpis,
    cost_per_invoice,
    cycle_hours,
    daily_volumes,
    documents_received,
    exception_rate,
    exceptions_by_category,
    first_pass_accuracy,
    handling_seconds,
    operator_time,
    percentile,
    quarantine_rate,
    read_snapshot,
    sla_breaches,
    sla_counts,
    throughput_per_hour,
    time_saved_ratio,
    touchless_rate,
)
from invoicebot.model import InvoiceOutcome, InvoiceStatus
from invoicebot.store import init_store, make_engine
from invoicebot.store.review_audit import ReviewDecision, ReviewStart
from invoicebot.store.tables import BatchRun, Document, ExceptionRecord, Invoice


def outcomes(**counts: int) -> list[InvoiceOutcome]:
    return [
        InvoiceOutcome(source=f"{status}-{i}.pdf", status=InvoiceStatus(status))
        for status, count in counts.items()
        for i in range(count)
    ]


def test_batch_kpis_hand_computed() -> None:
    # 10 documents: 6 approved, 2 exceptions, 1 quarantined, 1 exact duplicate (left out).
    kpis = batch_kpis(
        outcomes(approved=6, exception=2, quarantined=1, duplicate=1),
        machine_seconds=90.0,
        manual_minutes_per_invoice=12.0,
    )
    assert kpis.throughput_per_hour == pytest.approx(9 * 3600 / 90)
    assert kpis.straight_through_rate == pytest.approx(6 / 9)
    assert kpis.exception_rate == pytest.approx(2 / 9)
    # manual: 9 x 720 s = 6480 s; spent: 90 s + 3 touched x 720 s = 2250 s.
    assert kpis.time_saved_ratio == pytest.approx(1 - 2250 / 6480)


def test_batch_kpis_of_an_empty_batch_are_zero() -> None:
    kpis = batch_kpis(outcomes(duplicate=2), machine_seconds=1.0, manual_minutes_per_invoice=12)
    assert kpis.model_dump() == {
        "throughput_per_hour": 0.0,
        "straight_through_rate": 0.0,
        "exception_rate": 0.0,
        "time_saved_ratio": 0.0,
    }


# --- Store-level definitions on one hand-computed period -------------------------------------
#
# Seven invoices received on Monday 2 March 2026 at 09:00 UTC (T0), looked at 72 h later:
#   d1, d2  touchless, routed 1 and 2 minutes after receipt;
#   d3      arithmetic exception, decided after 5 h (review: 10 min, 2 of 15 fields corrected);
#   d4      arithmetic + date exception, decided after 50 h (review: 20 min, 0 of 15);
#   d5      quarantined (unreadable): no invoice to decide, outside cycle time and SLA;
#   d6      vendor exception received at T0 + 60 h, waiting 12 h: within the 48 h SLA;
#   d7      vendor exception still waiting after 72 h: an SLA breach.
# Two batches took 120 s of machine time and skipped one exact duplicate.

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=72)
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def doc(
    number: int, *categories: str, received: datetime = T0, decided: timedelta | None = None
) -> DocumentRow:
    return DocumentRow(
        document_id=number,
        received_at=received,
        processed_at=received + number * MIN,
        categories=frozenset(categories),
        decided_at=received + decided if decided is not None else None,
    )


DOCUMENTS = (
    doc(1),
    doc(2),
    doc(3, "arithmetic", decided=5 * HOUR),
    doc(4, "arithmetic", "date", decided=50 * HOUR),
    doc(5, "unreadable"),
    doc(6, "vendor", received=T0 + 60 * HOUR),
    doc(7, "vendor"),
)
REVIEWS = (
    ReviewRow(document_id=3, started_at=T0 + 5 * HOUR - 10 * MIN, decided_at=T0 + 5 * HOUR,
              fields_reviewed=15, fields_corrected=2),
    ReviewRow(document_id=4, started_at=T0 + 50 * HOUR - 20 * MIN, decided_at=T0 + 50 * HOUR,
              fields_reviewed=15, fields_corrected=0),
)  # fmt: skip
SNAPSHOT = KpiSnapshot(
    start=T0 - HOUR,
    end=NOW,
    documents=DOCUMENTS,
    reviews=REVIEWS,
    machine_seconds=120.0,
    exact_duplicates=1,
    batches=2,
)
PARAMETERS = KpiParameters(manual_minutes_per_invoice=12.0, sla_hours=48.0, hourly_cost=36.0)


def test_volume_and_routing_rates() -> None:
    assert documents_received(DOCUMENTS, exact_duplicates=1) == 8
    assert throughput_per_hour(7, 120.0) == pytest.approx(210.0)
    assert throughput_per_hour(7, 0.0) is None
    assert touchless_rate(DOCUMENTS) == pytest.approx(2 / 7)
    assert exception_rate(DOCUMENTS) == pytest.approx(4 / 7)
    assert quarantine_rate(DOCUMENTS) == pytest.approx(1 / 7)
    assert exceptions_by_category(DOCUMENTS) == {
        "arithmetic": 2, "vendor": 2, "date": 1, "unreadable": 1,
    }  # fmt: skip


def test_rates_of_no_invoice_are_not_measured() -> None:
    assert touchless_rate([]) is None
    assert first_pass_accuracy([]) is None
    assert percentile([], 0.5) is None
    assert percentile([3.0], 0.9) == 3.0


def test_first_pass_accuracy_and_handling_time() -> None:
    assert first_pass_accuracy(REVIEWS) == pytest.approx(28 / 30)
    assert handling_seconds(REVIEWS) == {(3, None): 600.0, (4, None): 1200.0}
    untimed = ReviewRow(document_id=9, started_at=None, decided_at=T0, fields_reviewed=15)
    assert handling_seconds([untimed]) == {}
    # Escalated after 4 min by one operator, decided 6 min after a senior took it.
    escalated = ReviewRow(document_id=8, started_at=T0, decided_at=T0 + 6 * MIN,
                          earlier_handling_seconds=240.0)  # fmt: skip
    assert handling_seconds([escalated]) == {(8, None): 600.0}


def test_handling_figures_count_the_decisions_without_a_start() -> None:
    untimed = ReviewRow(document_id=7, started_at=None, decided_at=T0 + HOUR)
    snapshot = KpiSnapshot(start=SNAPSHOT.start, end=NOW, documents=DOCUMENTS,
                           reviews=(*REVIEWS, untimed), machine_seconds=120.0)  # fmt: skip
    report = compute_kpis(snapshot, PARAMETERS, now=NOW)
    median, p90 = report.figure("handling_minutes"), report.figure("handling_p90_minutes")
    assert (median.formatted(), p90.formatted()) == ("15.0 min", "19.0 min")
    assert median.basis == (
        "2 of 3 decided reviews timed, review start to decision (1 decided with no recorded start)"
    )
    # Documents 3 and 4 measured (10 + 20 min), 5, 6 and 7 at 12 min (7's decision untimed):
    # 1 - (120 + 600 + 1200 + 3 x 720) / (7 x 720).
    assert report.figure("time_saved").value == pytest.approx(1 - 4080 / 5040)


def test_cycle_time_median_and_p90() -> None:
    hours = sorted(cycle_hours(DOCUMENTS))
    assert hours == pytest.approx([1 / 60, 2 / 60, 5.0, 50.0])
    assert percentile(hours, 0.5) == pytest.approx((2 / 60 + 5.0) / 2)
    # p90: rank 0.9 x 3 = 2.7, between 5 h and 50 h: 5 + 0.7 x 45.
    assert percentile(hours, 0.9) == pytest.approx(36.5)


def test_sla_attainment_leaves_out_invoices_still_within_the_sla() -> None:
    # Due: d1, d2, d3 (within), d4 (decided late), d7 (waiting 72 h); d6 is not due yet.
    counts = sla_counts(DOCUMENTS, now=NOW, sla_hours=48.0)
    assert (counts.within, counts.due) == (3, 5)
    assert counts.attainment == pytest.approx(0.6)


def test_sla_breaches_are_the_undecided_invoices_past_the_sla() -> None:
    breaches = sla_breaches(DOCUMENTS, now=NOW, sla_hours=48.0)
    assert [(b.document_id, b.hours_waiting, b.categories) for b in breaches] == [
        (7, 72.0, ("vendor",))
    ]
    assert [b.document_id for b in sla_breaches(DOCUMENTS, now=NOW, sla_hours=10.0)] == [7, 6]


def test_operator_time_measures_reviews_and_estimates_the_rest() -> None:
    # d3 600 s + d4 1200 s measured; d5, d6 and d7 at 12 min: 2160 s.
    time = operator_time(DOCUMENTS, REVIEWS, manual_minutes_per_invoice=12.0)
    assert (time.seconds, time.measured, time.estimated) == (3960.0, 2, 3)


def test_time_saved_and_cost_per_invoice() -> None:
    # 1 - (120 s + 3960 s) / (7 x 720 s)
    saved = time_saved_ratio(
        invoices=7, machine_seconds=120.0, operator_seconds=3960.0, manual_minutes_per_invoice=12
    )
    assert saved == pytest.approx(1 - 4080 / 5040)
    none = time_saved_ratio(
        invoices=0, machine_seconds=1, operator_seconds=0, manual_minutes_per_invoice=12
    )
    assert none is None
    # 1.1 operator hours x 36 / 7 invoices
    cost = cost_per_invoice(invoices=7, operator_seconds=3960.0, hourly_cost=36.0)
    assert cost == pytest.approx(1.1 * 36 / 7)


def test_compute_kpis_states_values_and_counts() -> None:
    report = compute_kpis(SNAPSHOT, PARAMETERS, now=NOW)
    values = {figure.key: figure.value for figure in report.figures}
    assert values == pytest.approx({
        "time_saved": 1 - 4080 / 5040,
        "documents_received": 8,
        "invoices": 7,
        "throughput_per_hour": 210.0,
        "touchless_rate": 2 / 7,
        "exception_rate": 4 / 7,
        "quarantine_rate": 1 / 7,
        "first_pass_accuracy": 28 / 30,
        "handling_minutes": 15.0,
        "handling_p90_minutes": 19.0,  # 10 + 0.9 x (20 - 10)
        "cycle_median_hours": (2 / 60 + 5.0) / 2,
        "cycle_p90_hours": 36.5,
        "sla_attainment": 0.6,
        "cost_per_invoice": 1.1 * 36 / 7,
    })  # fmt: skip
    assert report.figure("touchless_rate").basis == "2 of 7 invoices approved with no human touch"
    assert report.figure("sla_attainment").basis == "3 of 5 invoices whose SLA came due"
    assert report.headline() == (
        "Processing time cut by 19% vs manual keying — 120 s machine + 66 min operator "
        "(2 measured, 3 at 12 min) vs 7 invoices x 12 min."
    )
    markdown = report.markdown()
    assert "Period: 2026-03-02 08:00 → 2026-03-05 09:00 UTC" in markdown
    assert "| Touchless (straight-through) rate | 28.6% | 2 of 7 invoices" in markdown
    assert "| vendor | 2 |" in markdown


def test_figures_without_reviews_say_not_measured_yet() -> None:
    snapshot = KpiSnapshot(start=SNAPSHOT.start, end=NOW, documents=DOCUMENTS, machine_seconds=120)
    report = compute_kpis(snapshot, PARAMETERS, now=NOW)
    assert report.figure("first_pass_accuracy").formatted() == "not measured yet"
    assert report.figure("handling_minutes").formatted() == "not measured yet"
    # Every touched invoice at the manual 12 min: 1 - (120 + 5 x 720) / 5040.
    assert report.figure("time_saved").value == pytest.approx(1 - 3720 / 5040)


def test_empty_period_headline() -> None:
    report = compute_kpis(KpiSnapshot(start=T0, end=NOW), PARAMETERS, now=NOW)
    assert report.headline().startswith("Time saved: not measured yet")


def test_daily_volumes_keep_days_without_invoices() -> None:
    days = daily_volumes(DOCUMENTS, start=date(2026, 3, 1), end=date(2026, 3, 5))
    assert [(d.day.day, d.invoices, d.touchless, d.exceptions) for d in days] == [
        (1, 0, 0, 0), (2, 6, 2, 4), (3, 0, 0, 0), (4, 1, 0, 1), (5, 0, 0, 0),
    ]  # fmt: skip
    assert days[1].touchless_rate == pytest.approx(2 / 6)
    assert days[0].touchless_rate is None


def decision(invoice_id: int, hours: int, status_after: str, **extra: Any) -> ReviewDecision:
    return ReviewDecision(invoice_id=invoice_id, decision="approve", reviewer="ana",
                          channel="ui", status_before="exception", status_after=status_after,
                          decided_at=T0 + hours * HOUR, **extra)  # fmt: skip


def test_read_snapshot_from_the_store(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    init_store(engine)
    with Session(engine) as session:
        session.add(BatchRun(inbox="in", started_at=T0, machine_seconds=60.0, duplicates=1))
        session.add(BatchRun(inbox="in", started_at=T0 - 48 * HOUR, machine_seconds=99.0))
        for number, received in ((1, T0), (2, T0), (3, T0), (4, T0 - 48 * HOUR)):
            session.add(Document(id=number, sha256=str(number), source=f"{number}.pdf",
                                 file_name=f"{number}.pdf", size_bytes=1, status="exception",
                                 claimed_at=received, processed_at=received + MIN))  # fmt: skip
            session.add(Invoice(id=number, document_id=number, status="exception"))
        session.commit()  # the documents first: the rows below refer to them
        for number, category in ((2, "arithmetic"), (2, "date"), (3, "vendor")):
            session.add(ExceptionRecord(document_id=number, rule="R", category=category,
                                        message=""))  # fmt: skip
        changed = {"total_gross": ["10", "12"], "due_date": [None, "2026-04-01"]}
        session.add_all([
            decision(2, 1, "exception", changes={"total_gross": ["1", "10"]}),  # still failing
            decision(2, 2, "exception", refused_reason="bad date"),  # refused: ignored
            decision(2, 5, "approved", changes=changed),  # the final decision
            decision(2, 100, "rejected"),  # after the period's end: not seen
            decision(3, 3, "sent_back"),
            decision(3, 4, "escalated"),  # escalated after: waiting again
        ])  # fmt: skip
        session.commit()
        snapshot = read_snapshot(session, start=T0 - HOUR, end=T0 + 24 * HOUR)
    assert [d.document_id for d in snapshot.documents] == [1, 2, 3]
    touchless, exception, escalated = snapshot.documents
    assert touchless.categories == frozenset() and touchless.decided_at is None
    assert touchless.received_at == T0 and touchless.file_name == "1.pdf"
    assert exception.categories == {"arithmetic", "date"}
    assert exception.decided_at == T0 + 5 * HOUR
    assert escalated.decided_at is None
    assert snapshot.reviews == (
        ReviewRow(document_id=2, started_at=None, decided_at=T0 + 5 * HOUR,
                  fields_reviewed=15, fields_corrected=2, invoice_id=2),
    )  # fmt: skip
    assert (snapshot.machine_seconds, snapshot.exact_duplicates, snapshot.batches) == (60.0, 1, 1)


def test_batch_kpi_markdown_leads_with_the_headline_and_its_inputs() -> None:
    from flows.process_inbox import kpi_markdown
    from invoicebot.settings import Settings

    batch = outcomes(approved=6, exception=2, quarantined=1, duplicate=1)
    kpis = batch_kpis(batch, machine_seconds=90.0, manual_minutes_per_invoice=12.0)
    markdown = kpi_markdown(batch, kpis, 90.0, Settings(manual_minutes_per_invoice=12.0))
    assert markdown.splitlines()[2] == (
        "**Processing time cut by 65% vs manual keying** — 90 s machine + 3 touched invoices "
        "x 12 min, against 9 invoices x 12 min of manual keying."
    )


def timed(invoice_id: int, minutes: int, status_after: str, **extra: Any) -> ReviewDecision:
    return ReviewDecision(invoice_id=invoice_id, decision="approve", reviewer="ana",
                          channel="ui", status_before="exception", status_after=status_after,
                          decided_at=T0 + minutes * MIN, **extra)  # fmt: skip


def test_read_snapshot_times_reviews_from_their_starts(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    init_store(engine)
    with Session(engine) as session:
        for number in (1, 2, 3):
            session.add(Document(id=number, sha256=str(number), source=f"{number}.pdf",
                                 file_name=f"{number}.pdf", size_bytes=1, status="exception",
                                 claimed_at=T0, processed_at=T0 + MIN))  # fmt: skip
            session.add(Invoice(id=number, document_id=number, status="exception"))
        session.commit()
        # 1: taken at 1 h, escalated at 1 h 04; a senior takes it at 3 h, approves at 3 h 06.
        # 2: taken at 2 h; a correction still fails at 2 h 05 (same hands); rejected 2 h 12.
        # 3: decided with no start.
        session.add_all([
            timed(1, 64, "escalated", id=1),
            timed(1, 186, "approved", id=2),
            timed(2, 125, "exception", id=3),
            timed(2, 132, "rejected", id=4),
            timed(3, 240, "approved", id=5),
        ])  # fmt: skip
        session.commit()
        session.add_all([
            ReviewStart(invoice_id=1, operator="ana", channel="terminal",
                        started_at=T0 + HOUR, decision_id=1),
            ReviewStart(invoice_id=1, operator="lead", channel="terminal",
                        started_at=T0 + 3 * HOUR, decision_id=2),
            ReviewStart(invoice_id=2, operator="ben", channel="prefect-ui",
                        started_at=T0 + 2 * HOUR, decision_id=4),
        ])  # fmt: skip
        session.commit()
        snapshot = read_snapshot(session, start=T0 - HOUR, end=T0 + 24 * HOUR)
    assert handling_seconds(snapshot.reviews) == {(1, 1): 600.0, (2, 2): 720.0}
    report = compute_kpis(snapshot, PARAMETERS, now=T0 + 24 * HOUR)
    assert report.figure("handling_minutes").value == pytest.approx(11.0)
    assert report.figure("handling_p90_minutes").value == pytest.approx(11.8)
    assert "(1 decided with no recorded start)" in report.figure("handling_minutes").basis
