"""The KPIs, each a pure function over a batch's outcomes or the rows of a period, and the
daily series the charts and the forecast read."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from invoicebot.kpis.rows import DocumentRow, ReviewRow, RowKey
from invoicebot.model import (
    BatchKpis,
    ExceptionCategory,
    InvoiceOutcome,
    InvoiceStatus,
)

SECONDS_PER_HOUR = 3600.0
NOT_MEASURED = "not measured yet"


def status_counts(outcomes: Sequence[InvoiceOutcome]) -> Counter[InvoiceStatus]:
    """Return how many invoices ended in each status (a document read as one invoice, an
    unreadable or duplicate file: one)."""
    return Counter(outcome.status for outcome in outcomes)


def batch_kpis(
    outcomes: Sequence[InvoiceOutcome],
    *,
    machine_seconds: float,
    manual_minutes_per_invoice: float,
) -> BatchKpis:
    """Return the batch's headline KPIs.

    - invoices: documents processed, leaving out exact duplicates (not processed again);
    - throughput per hour: invoices / wall-clock hours of the batch;
    - straight-through rate: approved with no human touch / invoices;
    - exception rate: invoices waiting for an operator (exceptions) / invoices;
    - time saved: 1 - (machine time + manual time of every invoice a person must handle)
      / (invoices x manual minutes per invoice). At the end of a batch no operator has
      handled its exceptions yet, so an exception or a quarantined document is counted at
      the full manual keying time and the figure errs low; the period report
      (``compute_kpis``) uses the measured handling times instead where there are some.
    """
    counts = status_counts(outcomes)
    invoices = len(outcomes) - counts[InvoiceStatus.DUPLICATE]
    if invoices == 0:
        return BatchKpis(
            throughput_per_hour=0.0,
            straight_through_rate=0.0,
            exception_rate=0.0,
            time_saved_ratio=0.0,
        )
    touched = counts[InvoiceStatus.EXCEPTION] + counts[InvoiceStatus.QUARANTINED]
    return BatchKpis(
        throughput_per_hour=throughput_per_hour(invoices, machine_seconds) or 0.0,
        straight_through_rate=counts[InvoiceStatus.APPROVED] / invoices,
        exception_rate=counts[InvoiceStatus.EXCEPTION] / invoices,
        time_saved_ratio=time_saved_ratio(
            invoices=invoices,
            machine_seconds=machine_seconds,
            operator_seconds=touched * manual_minutes_per_invoice * 60.0,
            manual_minutes_per_invoice=manual_minutes_per_invoice,
        )
        or 0.0,
    )


# --- Definitions ----------------------------------------------------------------------------


def documents_received(documents: Sequence[DocumentRow], *, exact_duplicates: int) -> int:
    """Return the documents received: every file taken from the inbox, exact duplicates of
    files already processed included (they are received, then skipped); a file holding
    several invoices is one document."""
    return len({document.document_id for document in documents}) + exact_duplicates


def is_touchless(document: DocumentRow) -> bool:
    """Return True when no exception record was ever raised on the document: it was
    approved by the machine alone (an exception approved by an operator is not touchless)."""
    return not document.categories


def is_quarantined(document: DocumentRow) -> bool:
    """Return True when the document could not be read (its exception is ``unreadable``)."""
    return ExceptionCategory.UNREADABLE.value in document.categories


def is_exception(document: DocumentRow) -> bool:
    """Return True when the document was read but failed a rule: it waits for an operator."""
    return bool(document.categories) and not is_quarantined(document)


def share(part: int, whole: int) -> float | None:
    """Return ``part / whole``, None when ``whole`` is zero (nothing to measure)."""
    return part / whole if whole else None


def throughput_per_hour(invoices: int, machine_seconds: float) -> float | None:
    """Return invoices processed per hour of machine (wall-clock batch) time."""
    return invoices * SECONDS_PER_HOUR / machine_seconds if machine_seconds > 0 else None


def touchless_rate(documents: Sequence[DocumentRow]) -> float | None:
    """Return the touchless (straight-through) rate: approved with no human touch / invoices."""
    return share(sum(map(is_touchless, documents)), len(documents))


def exception_rate(documents: Sequence[DocumentRow]) -> float | None:
    """Return the exception rate: invoices read but held for an operator / invoices."""
    return share(sum(map(is_exception, documents)), len(documents))


def quarantine_rate(documents: Sequence[DocumentRow]) -> float | None:
    """Return the quarantine rate: documents that could not be read / invoices."""
    return share(sum(map(is_quarantined, documents)), len(documents))


def exceptions_by_category(documents: Sequence[DocumentRow]) -> dict[str, int]:
    """Return, per exception category, how many invoices have at least one exception of it,
    most frequent first (an invoice with two categories counts in both)."""
    counts = Counter(category for document in documents for category in document.categories)
    return dict(counts.most_common())


def first_pass_accuracy(reviews: Sequence[ReviewRow]) -> float | None:
    """Return first-pass field accuracy: fields not corrected by operators / fields reviewed."""
    reviewed = sum(review.fields_reviewed for review in reviews)
    corrected = sum(review.fields_corrected for review in reviews)
    return share(reviewed - corrected, reviewed)


def handling_seconds(reviews: Sequence[ReviewRow]) -> dict[RowKey, float]:
    """Return each timed review's operator handling time, review start to final decision
    plus the earlier timed handlings of the same invoice, in seconds, by invoice key
    (reviews whose final decision has no recorded start are not timed)."""
    return {
        review.key: (review.decided_at - review.started_at).total_seconds()
        + review.earlier_handling_seconds
        for review in reviews
        if review.started_at is not None
    }


def final_decision_at(document: DocumentRow) -> datetime | None:
    """Return when the document was finally decided: the machine's routing for a touchless
    invoice, the operator's final decision otherwise (None while it still waits)."""
    return document.processed_at if is_touchless(document) else document.decided_at


def sla_bound(documents: Iterable[DocumentRow]) -> list[DocumentRow]:
    """Return the documents that cycle time and the SLA apply to: the invoices that were
    read. A quarantined file has no invoice for an operator to decide in the store (it is
    re-scanned or asked again from the supplier), so it is counted by the quarantine rate."""
    return [document for document in documents if not is_quarantined(document)]


def cycle_hours(documents: Sequence[DocumentRow]) -> list[float]:
    """Return each decided invoice's cycle time, received to final decision, in hours."""
    hours = []
    for document in sla_bound(documents):
        decided = final_decision_at(document)
        if decided is not None:
            hours.append((decided - document.received_at).total_seconds() / SECONDS_PER_HOUR)
    return hours


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Return the ``fraction`` quantile of ``values`` by linear interpolation between closest
    ranks (numpy's default; ``0.5`` is the median), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class SlaBreach:
    """A document still waiting for an operator after the SLA."""

    document_id: int
    received_at: datetime
    hours_waiting: float
    categories: tuple[str, ...]


def sla_breaches(
    documents: Iterable[DocumentRow], *, now: datetime, sla_hours: float
) -> list[SlaBreach]:
    """Return the undecided invoices received more than ``sla_hours`` before ``now``,
    longest waiting first."""
    breaches = [
        SlaBreach(
            document_id=document.document_id,
            received_at=document.received_at,
            hours_waiting=(now - document.received_at).total_seconds() / SECONDS_PER_HOUR,
            categories=tuple(sorted(document.categories)),
        )
        for document in sla_bound(documents)
        if final_decision_at(document) is None
        and now - document.received_at > timedelta(hours=sla_hours)
    ]
    return sorted(breaches, key=lambda breach: -breach.hours_waiting)


@dataclass(frozen=True)
class SlaCounts:
    """SLA attainment's counts: decided within the SLA, and invoices whose SLA has come
    due (decided, or waiting longer than the SLA); those still within it are left out."""

    within: int
    due: int

    @property
    def attainment(self) -> float | None:
        """Return the share of due invoices decided within the SLA."""
        return share(self.within, self.due)


def sla_counts(documents: Sequence[DocumentRow], *, now: datetime, sla_hours: float) -> SlaCounts:
    """Return how many invoices were decided within ``sla_hours`` of receipt, out of those
    whose SLA has come due by ``now``."""
    limit = timedelta(hours=sla_hours)
    within = due = 0
    for document in sla_bound(documents):
        decided = final_decision_at(document)
        if decided is not None:
            due += 1
            within += decided - document.received_at <= limit
        elif now - document.received_at > limit:
            due += 1
    return SlaCounts(within=within, due=due)


@dataclass(frozen=True)
class OperatorTime:
    """Operator time on the invoices a person must handle: measured where a review recorded
    it, estimated at the manual keying time where it did not (so time saved errs low)."""

    seconds: float
    measured: int
    estimated: int


def operator_time(
    documents: Sequence[DocumentRow],
    reviews: Sequence[ReviewRow],
    *,
    manual_minutes_per_invoice: float,
) -> OperatorTime:
    """Return the operator time spent on the period's touched invoices (exceptions and
    quarantined documents): the sum of their reviews' handling times, or the manual keying
    time for a touched invoice without a measured review."""
    measured = handling_seconds(reviews)
    touched = [d.key for d in documents if not is_touchless(d)]
    unmeasured = sum(key not in measured for key in touched)
    seconds = sum(measured.get(key, 0.0) for key in touched)
    return OperatorTime(
        seconds=seconds + unmeasured * manual_minutes_per_invoice * 60.0,
        measured=len(touched) - unmeasured,
        estimated=unmeasured,
    )


def time_saved_ratio(
    *,
    invoices: int,
    machine_seconds: float,
    operator_seconds: float,
    manual_minutes_per_invoice: float,
) -> float | None:
    """Return time saved = 1 - (machine time + operator time) / (invoices x manual minutes
    per invoice): the share of a fully manual team's keying time that automation removed."""
    manual_seconds = invoices * manual_minutes_per_invoice * 60.0
    if manual_seconds <= 0:
        return None
    return 1.0 - (machine_seconds + operator_seconds) / manual_seconds


def cost_per_invoice(*, invoices: int, operator_seconds: float, hourly_cost: float) -> float | None:
    """Return the labour cost per invoice: operator hours x hourly cost / invoices (machine
    time is left out: a server hour costs cents against an operator's hour)."""
    if invoices == 0:
        return None
    return operator_seconds / SECONDS_PER_HOUR * hourly_cost / invoices


# --- Daily series (charts, forecast) ---------------------------------------------------------


@dataclass(frozen=True)
class DailyVolume:
    """One day's received invoices, how many went through touchless, how many needed an
    operator (exceptions and quarantined documents)."""

    day: date
    invoices: int
    touchless: int = 0
    exceptions: int = 0

    @property
    def touchless_rate(self) -> float | None:
        """Return the day's touchless rate."""
        return share(self.touchless, self.invoices)


def daily_volumes(documents: Sequence[DocumentRow], *, start: date, end: date) -> list[DailyVolume]:
    """Return one ``DailyVolume`` per UTC day from ``start`` to ``end`` inclusive, days
    without documents included (a forecast needs the zeros)."""
    invoices: Counter[date] = Counter()
    touchless: Counter[date] = Counter()
    for document in documents:
        day = document.received_at.date()
        invoices[day] += 1
        touchless[day] += is_touchless(document)
    days = [start + timedelta(days=offset) for offset in range((end - start).days + 1)]
    return [
        DailyVolume(
            day=day,
            invoices=invoices[day],
            touchless=touchless[day],
            exceptions=invoices[day] - touchless[day],
        )
        for day in days
    ]
