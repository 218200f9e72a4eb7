"""KPI definitions: each a documented pure function over what a batch or the store measured.

The terms are the AP world's (APQC's Open Standards Benchmarking for accounts payable,
Ardent Partners' *State of ePayables*): documents received, invoices processed, touchless
(straight-through) rate, exception rate, first-pass accuracy, handling time, cycle time,
SLA attainment, cost per invoice. Each function takes rows read from the store (or a
batch's outcomes) and returns a number, or ``None`` when what it needs was not measured
yet, so a report never shows a figure it cannot back with counts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel
from sqlmodel import Session, col, select

from invoicebot.model import (
    FIELD_NAMES,
    BatchKpis,
    ExceptionCategory,
    InvoiceOutcome,
    InvoiceStatus,
)
from invoicebot.settings import Settings
from invoicebot.store.review import WAITING_STATUSES, ReviewDecision, ReviewStart
from invoicebot.store.tables import BatchRun, Document, ExceptionRecord, Invoice

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


# --- Rows read from the store -------------------------------------------------------------


# An invoice's key in the KPIs: its document and its invoice (None: a quarantined document,
# which has no invoice). A file holding several invoices counts each.
RowKey = tuple[int, int | None]


@dataclass(frozen=True)
class DocumentRow:
    """One processed invoice as the KPIs see it (timestamps timezone-aware, UTC): a
    document read as one invoice, one invoice of a file holding several, or a quarantined
    document (``invoice_id`` None).

    ``categories`` holds the categories of its exception records (empty: touchless);
    ``decided_at`` is the operator's latest decision, None while none was made.
    """

    document_id: int
    received_at: datetime
    processed_at: datetime
    categories: frozenset[str] = frozenset()
    decided_at: datetime | None = None
    file_name: str = ""
    invoice_id: int | None = None
    # Pages [first, last] of its file, when the file holds several invoices.
    page_range: tuple[int, int] | None = None

    @property
    def key(self) -> RowKey:
        """Return the invoice's key: its document and its invoice."""
        return (self.document_id, self.invoice_id)


@dataclass(frozen=True)
class ReviewRow:
    """One operator review of a document: when it was decided, when the operator started it
    (None where no start was recorded), how many captured fields were checked and corrected.

    ``earlier_handling_seconds`` holds the timed handling that ended before the final one
    (an operator escalated it, then a senior reviewer took it and decided).
    """

    document_id: int
    started_at: datetime | None
    decided_at: datetime
    fields_reviewed: int = 0
    fields_corrected: int = 0
    earlier_handling_seconds: float = 0.0
    invoice_id: int | None = None

    @property
    def key(self) -> RowKey:
        """Return the reviewed invoice's key (``DocumentRow.key``)."""
        return (self.document_id, self.invoice_id)


@dataclass(frozen=True)
class KpiSnapshot:
    """What the store holds for one period: documents received in it, their reviews, and the
    batches that ran in it (their wall-clock seconds and the exact duplicates they skipped)."""

    start: datetime
    end: datetime
    documents: tuple[DocumentRow, ...] = ()
    reviews: tuple[ReviewRow, ...] = ()
    machine_seconds: float = 0.0
    exact_duplicates: int = 0
    batches: int = 0


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


# --- The period's report ---------------------------------------------------------------------


class Unit(StrEnum):
    """How a figure's value reads."""

    COUNT = "count"
    RATIO = "ratio"
    PER_HOUR = "per_hour"
    HOURS = "hours"
    MINUTES = "minutes"
    COST = "cost"


class Figure(BaseModel):
    """One KPI of a period: its value (None: not measured yet) and the counts behind it."""

    key: str
    label: str
    value: float | None
    unit: Unit
    basis: str

    def formatted(self) -> str:
        """Return the value as a person reads it."""
        if self.value is None:
            return NOT_MEASURED
        formats = {
            Unit.COUNT: f"{self.value:,.0f}",
            Unit.RATIO: f"{self.value:.1%}",
            Unit.PER_HOUR: f"{self.value:,.0f} / h",
            Unit.HOURS: f"{self.value:,.2f} h",
            Unit.MINUTES: f"{self.value:,.1f} min",
            Unit.COST: f"{self.value:,.2f}",
        }
        return formats[self.unit]


class KpiParameters(BaseModel):
    """The assumptions a report states: manual keying time, SLA, operator hourly cost."""

    manual_minutes_per_invoice: float = 12.0
    sla_hours: float = 48.0
    hourly_cost: float = 35.0

    @classmethod
    def from_settings(cls, settings: Settings) -> KpiParameters:
        """Return the parameters configured in ``settings``."""
        return cls(
            manual_minutes_per_invoice=settings.manual_minutes_per_invoice,
            sla_hours=settings.sla_hours,
            hourly_cost=settings.operator_hourly_cost,
        )


class KpiReport(BaseModel):
    """The KPIs of one period, with the distributions the charts draw."""

    start: datetime
    end: datetime
    parameters: KpiParameters
    figures: list[Figure]
    categories: dict[str, int]
    cycle_hours: list[float]

    def figure(self, key: str) -> Figure:
        """Return the figure named ``key``."""
        return next(figure for figure in self.figures if figure.key == key)

    @property
    def period(self) -> str:
        """Return the period as ``YYYY-MM-DD HH:MM → YYYY-MM-DD HH:MM UTC``."""
        return f"{self.start:%Y-%m-%d %H:%M} → {self.end:%Y-%m-%d %H:%M} UTC"

    def markdown(self) -> str:
        """Return the period's KPI table in markdown, headed by the headline and the period."""
        lines = [
            f"**{self.headline()}**",
            "",
            f"Period: {self.period}",
            "",
            "| KPI | value | counts |",
            "|---|---|---|",
        ]
        lines += [f"| {f.label} | {f.formatted()} | {f.basis} |" for f in self.figures]
        if self.categories:
            lines += ["", "| exception category | invoices |", "|---|---|"]
            lines += [f"| {name} | {count} |" for name, count in self.categories.items()]
        return "\n".join(lines) + "\n"

    def headline(self) -> str:
        """Return the time-saved headline sentence with the inputs it rests on."""
        saved = self.figure("time_saved")
        if saved.value is None:
            return f"Time saved: {NOT_MEASURED} (no invoice processed in {self.period})."
        return f"Processing time cut by {saved.value:.0%} vs manual keying — {saved.basis}."


def compute_kpis(snapshot: KpiSnapshot, parameters: KpiParameters, *, now: datetime) -> KpiReport:
    """Return every KPI of the snapshot's period."""
    documents, reviews = snapshot.documents, snapshot.reviews
    invoices = len(documents)
    touchless = sum(map(is_touchless, documents))
    exceptions = sum(map(is_exception, documents))
    quarantined = sum(map(is_quarantined, documents))
    handled = list(handling_seconds(reviews).values())
    cycles = cycle_hours(documents)
    sla = sla_counts(documents, now=now, sla_hours=parameters.sla_hours)
    operator = operator_time(
        documents, reviews, manual_minutes_per_invoice=parameters.manual_minutes_per_invoice
    )
    reviewed = sum(review.fields_reviewed for review in reviews)
    corrected = sum(review.fields_corrected for review in reviews)
    median_handling = percentile(handled, 0.5)
    p90_handling = percentile(handled, 0.9)
    handling_basis = (
        f"{len(handled)} of {len(reviews)} decided reviews timed, review start to decision"
        f" ({len(reviews) - len(handled)} decided with no recorded start)"
    )
    manual = parameters.manual_minutes_per_invoice
    figures = [
        Figure(
            key="time_saved",
            label="Time saved vs manual keying",
            value=time_saved_ratio(
                invoices=invoices,
                machine_seconds=snapshot.machine_seconds,
                operator_seconds=operator.seconds,
                manual_minutes_per_invoice=manual,
            ),
            unit=Unit.RATIO,
            basis=(
                f"{snapshot.machine_seconds:,.0f} s machine + "
                f"{operator.seconds / 60:,.0f} min operator ({operator.measured} measured, "
                f"{operator.estimated} at {manual:g} min) vs {invoices} invoices x {manual:g} min"
            ),
        ),
        Figure(
            key="documents_received",
            label="Documents received",
            value=documents_received(documents, exact_duplicates=snapshot.exact_duplicates),
            unit=Unit.COUNT,
            basis=(
                f"{len({d.document_id for d in documents})} processed (holding {invoices} "
                f"invoices) + {snapshot.exact_duplicates} exact duplicates skipped"
            ),
        ),
        Figure(
            key="invoices",
            label="Invoices processed",
            value=invoices,
            unit=Unit.COUNT,
            basis=f"in {snapshot.batches} batch run{'' if snapshot.batches == 1 else 's'}",
        ),
        Figure(
            key="throughput_per_hour",
            label="Invoices per hour of machine time",
            value=throughput_per_hour(invoices, snapshot.machine_seconds),
            unit=Unit.PER_HOUR,
            basis=f"{invoices} invoices in {snapshot.machine_seconds:,.0f} s of batch time",
        ),
        Figure(
            key="touchless_rate",
            label="Touchless (straight-through) rate",
            value=touchless_rate(documents),
            unit=Unit.RATIO,
            basis=f"{touchless} of {invoices} invoices approved with no human touch",
        ),
        Figure(
            key="exception_rate",
            label="Exception rate",
            value=exception_rate(documents),
            unit=Unit.RATIO,
            basis=f"{exceptions} of {invoices} invoices held for an operator",
        ),
        Figure(
            key="quarantine_rate",
            label="Quarantine rate",
            value=quarantine_rate(documents),
            unit=Unit.RATIO,
            basis=f"{quarantined} of {invoices} documents unreadable",
        ),
        Figure(
            key="first_pass_accuracy",
            label="First-pass field accuracy",
            value=first_pass_accuracy(reviews),
            unit=Unit.RATIO,
            basis=f"{reviewed - corrected} of {reviewed} reviewed fields not corrected",
        ),
        Figure(
            key="handling_minutes",
            label="Operator handling time per exception (median)",
            value=median_handling / 60 if median_handling is not None else None,
            unit=Unit.MINUTES,
            basis=handling_basis,
        ),
        Figure(
            key="handling_p90_minutes",
            label="Operator handling time per exception (p90)",
            value=p90_handling / 60 if p90_handling is not None else None,
            unit=Unit.MINUTES,
            basis=handling_basis,
        ),
        Figure(
            key="cycle_median_hours",
            label="Cycle time, received → decision (median)",
            value=percentile(cycles, 0.5),
            unit=Unit.HOURS,
            basis=f"{len(cycles)} of {invoices} invoices decided",
        ),
        Figure(
            key="cycle_p90_hours",
            label="Cycle time, received → decision (p90)",
            value=percentile(cycles, 0.9),
            unit=Unit.HOURS,
            basis=f"{len(cycles)} of {invoices} invoices decided",
        ),
        Figure(
            key="sla_attainment",
            label=f"SLA attainment (decided within {parameters.sla_hours:g} h)",
            value=sla.attainment,
            unit=Unit.RATIO,
            basis=f"{sla.within} of {sla.due} invoices whose SLA came due",
        ),
        Figure(
            key="cost_per_invoice",
            label="Labour cost per invoice",
            value=cost_per_invoice(
                invoices=invoices,
                operator_seconds=operator.seconds,
                hourly_cost=parameters.hourly_cost,
            ),
            unit=Unit.COST,
            basis=(
                f"{operator.seconds / SECONDS_PER_HOUR:,.1f} operator h x "
                f"{parameters.hourly_cost:g}/h over {invoices} invoices; manual keying: "
                f"{manual / 60 * parameters.hourly_cost:,.2f}"
            ),
        ),
    ]
    return KpiReport(
        start=snapshot.start,
        end=snapshot.end,
        parameters=parameters,
        figures=figures,
        categories=exceptions_by_category(documents),
        cycle_hours=cycles,
    )


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


# --- Reading the store -----------------------------------------------------------------------


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` timezone-aware in UTC (SQLite gives back naive UTC datetimes)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass
class _DocumentFacts:
    file_name: str
    received_at: datetime
    processed_at: datetime
    categories: set[str] = field(default_factory=set)
    decided_at: datetime | None = None
    corrected: set[str] = field(default_factory=set)
    started_at: datetime | None = None
    earlier_handling_seconds: float = 0.0
    page_range: tuple[int, int] | None = None


def _fact_order(item: tuple[RowKey, _DocumentFacts]) -> tuple[int, int]:
    (document_id, invoice_id), _fact = item
    return (document_id, -1 if invoice_id is None else invoice_id)


def read_snapshot(session: Session, *, start: datetime, end: datetime) -> KpiSnapshot:
    """Return the documents received in ``[start, end)`` with their exception categories,
    their operators' reviews decided before ``end``, and the batches started in the period.

    The review audit trail (``ReviewDecision``) gives each invoice's final decision (the
    latest applied one that leaves it no longer waiting) and the fields corrected; every
    header field is shown on the review form, so each decided invoice counts as all of them
    reviewed. ``ReviewStart`` gives when the operator took it (``invoicebot review start``,
    the take form of a review run): handling time runs from a start to the decision that
    ended it; a decision taken without a start leaves the invoice's review untimed.
    """
    facts = _read_documents(session, start=start, end=end)
    by_document: dict[int, list[tuple[int | None, _DocumentFacts]]] = {}
    for (document_id, invoice_id), fact in facts.items():
        by_document.setdefault(document_id, []).append((invoice_id, fact))
    documents = sorted(by_document)
    for document_id, invoice_id, category in session.exec(
        select(
            ExceptionRecord.document_id, ExceptionRecord.invoice_id, ExceptionRecord.category
        ).where(col(ExceptionRecord.document_id).in_(documents))
    ).all():
        # A row naming only its document (an unreadable one, or rows from before a document
        # could hold several invoices) counts on each of the document's facts.
        for fact_invoice, fact in by_document.get(document_id, []):
            if invoice_id in (None, fact_invoice):
                fact.categories.add(category)
    _read_decisions(session, facts, end=end)
    batches = session.exec(
        select(BatchRun)
        .where(col(BatchRun.started_at) >= start)
        .where(col(BatchRun.started_at) < end)
    ).all()
    return KpiSnapshot(
        start=start,
        end=end,
        documents=tuple(
            DocumentRow(
                document_id=document_id,
                invoice_id=invoice_id,
                received_at=fact.received_at,
                processed_at=fact.processed_at,
                categories=frozenset(fact.categories),
                decided_at=fact.decided_at,
                file_name=fact.file_name,
                page_range=fact.page_range,
            )
            for (document_id, invoice_id), fact in sorted(facts.items(), key=_fact_order)
        ),
        reviews=tuple(
            ReviewRow(
                document_id=document_id,
                invoice_id=invoice_id,
                started_at=fact.started_at,
                decided_at=fact.decided_at,
                fields_reviewed=len(FIELD_NAMES),
                fields_corrected=len(fact.corrected),
                earlier_handling_seconds=fact.earlier_handling_seconds,
            )
            for (document_id, invoice_id), fact in sorted(facts.items(), key=_fact_order)
            if fact.decided_at is not None
        ),
        machine_seconds=sum(batch.machine_seconds for batch in batches),
        exact_duplicates=sum(batch.duplicates for batch in batches),
        batches=len(batches),
    )


def _read_documents(
    session: Session, *, start: datetime, end: datetime
) -> dict[RowKey, _DocumentFacts]:
    """Return one fact per invoice of the documents processed in the period (a document
    without an invoice, a quarantined one, is one fact keyed by its invoice None)."""
    facts: dict[RowKey, _DocumentFacts] = {}
    documents = session.exec(
        select(Document)
        .where(col(Document.claimed_at) >= start)
        .where(col(Document.claimed_at) < end)
        .where(col(Document.processed_at).is_not(None))
    ).all()
    invoices: dict[int, list[tuple[int | None, tuple[int, int] | None]]] = {}
    rows = session.exec(
        select(Invoice.document_id, Invoice.id, Invoice.first_page, Invoice.last_page).where(
            col(Invoice.document_id).in_([document.id for document in documents])
        )
    ).all()
    for document_id, invoice_id, first_page, last_page in rows:
        assert invoice_id is not None  # stored rows
        pages = (
            (first_page, last_page) if first_page is not None and last_page is not None else None
        )
        invoices.setdefault(document_id, []).append((invoice_id, pages))
    for document in documents:
        assert document.id is not None and document.processed_at is not None  # queried rows
        for invoice_id, pages in invoices.get(document.id) or [(None, None)]:
            facts[(document.id, invoice_id)] = _DocumentFacts(
                file_name=document.file_name,
                received_at=as_utc(document.claimed_at),
                processed_at=as_utc(document.processed_at),
                page_range=pages,
            )
    return facts


def _read_decisions(
    session: Session, facts: dict[RowKey, _DocumentFacts], *, end: datetime
) -> None:
    decisions = session.exec(
        select(Invoice.document_id, Invoice.id, ReviewDecision)
        .join(Invoice, col(Invoice.id) == col(ReviewDecision.invoice_id))
        .where(col(Invoice.document_id).in_(sorted({key[0] for key in facts})))
        .where(col(ReviewDecision.decided_at) < end)
        .where(col(ReviewDecision.refused_reason).is_(None))
        .order_by(col(ReviewDecision.decided_at))
    ).all()
    started = {
        start.decision_id: as_utc(start.started_at)
        for start in session.exec(
            select(ReviewStart).where(
                col(ReviewStart.decision_id).in_([decision.id for _, _, decision in decisions])
            )
        ).all()
    }
    for document_id, invoice_id, decision in decisions:
        fact = facts[(document_id, invoice_id)]
        fact.corrected |= set(decision.changes or {}) & set(FIELD_NAMES)
        decided_at = as_utc(decision.decided_at)
        start = started.get(decision.id)
        # Oldest first: a later decision that leaves the invoice waiting (escalated, still
        # failing after a correction) undoes an earlier final one.
        if decision.status_after not in WAITING_STATUSES:
            fact.decided_at, fact.started_at = decided_at, start
        else:
            fact.decided_at = fact.started_at = None
            if start is not None:  # an escalation ended this operator's handling
                fact.earlier_handling_seconds += (decided_at - start).total_seconds()
