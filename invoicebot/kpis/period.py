"""The period's KPI report: every figure with its unit, or why it is not measured yet."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from invoicebot.kpis.definitions import (
    NOT_MEASURED,
    SECONDS_PER_HOUR,
    cost_per_invoice,
    cycle_hours,
    documents_received,
    exception_rate,
    exceptions_by_category,
    first_pass_accuracy,
    handling_seconds,
    is_exception,
    is_quarantined,
    is_touchless,
    operator_time,
    percentile,
    quarantine_rate,
    sla_counts,
    throughput_per_hour,
    time_saved_ratio,
    touchless_rate,
)
from invoicebot.kpis.rows import KpiSnapshot
from invoicebot.settings import Settings

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
