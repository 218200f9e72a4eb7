"""KPI definitions: each a documented pure function over what a batch or the store measured.

The terms are the AP world's (APQC's Open Standards Benchmarking for accounts payable,
Ardent Partners' *State of ePayables*): documents received, invoices processed, touchless
(straight-through) rate, exception rate, first-pass accuracy, handling time, cycle time,
SLA attainment, cost per invoice. Each function takes rows read from the store (or a
batch's outcomes) and returns a number, or ``None`` when what it needs was not measured
yet, so a report never shows a figure it cannot back with counts.

- ``rows``: the rows the definitions read (documents, reviews, a period's snapshot);
- ``definitions``: the KPIs themselves, pure functions, and the daily series;
- ``period``: the period's report, every figure with its unit and what backs it;
- ``reading``: the SQL that reads a period's rows from the store.
"""

from __future__ import annotations

from invoicebot.kpis.definitions import (
    NOT_MEASURED,
    SECONDS_PER_HOUR,
    DailyVolume,
    OperatorTime,
    SlaBreach,
    SlaCounts,
    batch_kpis,
    cost_per_invoice,
    cycle_hours,
    daily_volumes,
    documents_received,
    exception_rate,
    exceptions_by_category,
    final_decision_at,
    first_pass_accuracy,
    handling_seconds,
    is_exception,
    is_quarantined,
    is_touchless,
    operator_time,
    percentile,
    quarantine_rate,
    share,
    sla_bound,
    sla_breaches,
    sla_counts,
    status_counts,
    throughput_per_hour,
    time_saved_ratio,
    touchless_rate,
)
from invoicebot.kpis.period import Figure, KpiParameters, KpiReport, Unit, compute_kpis
from invoicebot.kpis.reading import as_utc, read_snapshot
from invoicebot.kpis.rows import DocumentRow, KpiSnapshot, ReviewRow, RowKey

__all__ = [
    "NOT_MEASURED",
    "SECONDS_PER_HOUR",
    "DailyVolume",
    "DocumentRow",
    "Figure",
    "KpiParameters",
    "KpiReport",
    "KpiSnapshot",
    "OperatorTime",
    "ReviewRow",
    "RowKey",
    "SlaBreach",
    "SlaCounts",
    "Unit",
    "as_utc",
    "batch_kpis",
    "compute_kpis",
    "cost_per_invoice",
    "cycle_hours",
    "daily_volumes",
    "documents_received",
    "exception_rate",
    "exceptions_by_category",
    "final_decision_at",
    "first_pass_accuracy",
    "handling_seconds",
    "is_exception",
    "is_quarantined",
    "is_touchless",
    "operator_time",
    "percentile",
    "quarantine_rate",
    "read_snapshot",
    "share",
    "sla_bound",
    "sla_breaches",
    "sla_counts",
    "status_counts",
    "throughput_per_hour",
    "time_saved_ratio",
    "touchless_rate",
]
