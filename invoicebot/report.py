"""The KPI report: one self-contained HTML file (charts inlined as PNG) and its raw table.

Managers open it from a mail or a share without a server, so everything is in the file:
the headline, the period's KPI table with the counts behind each figure, the charts, the
staffing forecast, and one row per invoice (also written as CSV).
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import matplotlib

matplotlib.use("Agg")  # no display on servers and in tests; must precede pyplot
import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.figure import Figure as ChartFigure
from sqlalchemy import func
from sqlmodel import Session, select

from invoicebot.forecast import (
    DAYS_PER_WEEK,
    DEFAULT_WINDOW_WEEKS,
    Backtest,
    DayForecast,
    backtest,
    staffing_forecast,
)
from invoicebot.history_sim import simulate_history
from invoicebot.kpis import (
    SECONDS_PER_HOUR,
    DailyVolume,
    DocumentRow,
    KpiParameters,
    KpiReport,
    compute_kpis,
    daily_volumes,
    final_decision_at,
    is_quarantined,
    is_touchless,
    read_snapshot,
)
from invoicebot.store.tables import Document

# The model's window of weeks, and 4 more held out to show it beats "same as last week".
HOLDOUT_WEEKS = 4
MIN_STORE_HISTORY_DAYS = (DEFAULT_WINDOW_WEEKS + HOLDOUT_WEEKS) * DAYS_PER_WEEK
SIMULATED_DAYS = 26 * DAYS_PER_WEEK
CHART_DPI = 100
TOUCHLESS_COLOUR = "#2e7d32"
OPERATOR_COLOUR = "#f9a825"
LINE_COLOUR = "#1565c0"


@dataclass(frozen=True)
class ForecastSection:
    """The next 7 days' staffing forecast, the history it came from and its backtest."""

    days: list[DayForecast]
    history: list[DailyVolume]
    source: str
    handling_minutes: float
    handling_basis: str
    invoices_backtest: Backtest
    exceptions_backtest: Backtest


@dataclass(frozen=True)
class ReportContent:
    """Everything the report shows."""

    kpis: KpiReport
    daily: list[DailyVolume]
    documents: list[DocumentRow]
    forecast: ForecastSection


def build_report(
    session: Session, *, since: datetime, now: datetime, parameters: KpiParameters
) -> ReportContent:
    """Return the report of ``[since, now)`` read from the store."""
    snapshot = read_snapshot(session, start=since, end=now)
    kpis = compute_kpis(snapshot, parameters, now=now)
    documents = list(snapshot.documents)
    return ReportContent(
        kpis=kpis,
        daily=daily_volumes(documents, start=since.date(), end=now.date()),
        documents=documents,
        forecast=forecast_section(session, kpis=kpis, now=now),
    )


def forecast_section(session: Session, *, kpis: KpiReport, now: datetime) -> ForecastSection:
    """Return the forecast from the store's daily history up to yesterday, or from a
    simulated history (said so) while the store holds too few weeks to fit and test it."""
    yesterday = now.date() - timedelta(days=1)
    first = session.exec(select(func.min(Document.claimed_at))).one()
    # Whole days only: today is not over, a partial day would read as a drop in volume.
    stored_days = max(0, (yesterday - first.date()).days + 1) if first is not None else 0
    if first is not None and stored_days >= MIN_STORE_HISTORY_DAYS:
        start = datetime.combine(first.date(), datetime.min.time(), tzinfo=now.tzinfo)
        snapshot = read_snapshot(session, start=start, end=now)
        history = daily_volumes(list(snapshot.documents), start=first.date(), end=yesterday)
        return forecast_from_history(
            history, source=f"the store's {stored_days} days of history", kpis=kpis
        )
    history = simulate_history(
        start=yesterday - timedelta(days=SIMULATED_DAYS - 1), days=SIMULATED_DAYS
    )
    source = (
        f"a SIMULATED history of {SIMULATED_DAYS} days (invoicebot.history_sim): the store "
        f"holds {stored_days} whole days before today, the model and its test need "
        f"{MIN_STORE_HISTORY_DAYS}"
    )
    return forecast_from_history(history, source=source, kpis=kpis)


def forecast_from_history(
    history: Sequence[DailyVolume], *, source: str, kpis: KpiReport
) -> ForecastSection:
    """Return the next 7 days' forecast from ``history`` and its backtest; operator hours use
    the measured median handling time, or the manual keying time until one is measured."""
    measured = kpis.figure("handling_minutes")
    manual = kpis.parameters.manual_minutes_per_invoice
    handling = measured.value if measured.value is not None else manual
    basis = (
        f"median measured handling time ({measured.basis})"
        if measured.value is not None
        else f"manual keying time ({manual:g} min): handling time not measured yet"
    )
    return ForecastSection(
        days=staffing_forecast(history, handling_minutes=handling),
        history=list(history),
        source=source,
        handling_minutes=handling,
        handling_basis=basis,
        invoices_backtest=backtest(
            [float(d.invoices) for d in history], holdout_weeks=HOLDOUT_WEEKS
        ),
        exceptions_backtest=backtest(
            [float(d.exceptions) for d in history], holdout_weeks=HOLDOUT_WEEKS
        ),
    )


# --- Tables ------------------------------------------------------------------------------------


def route(document: DocumentRow) -> str:
    """Return where the document went: touchless, exception or quarantined."""
    if is_touchless(document):
        return "touchless"
    return "quarantined" if is_quarantined(document) else "exception"


def invoice_table(documents: Sequence[DocumentRow]) -> pd.DataFrame:
    """Return one row per invoice: received, decided, route, categories, cycle hours."""
    rows = []
    for document in documents:
        decided = final_decision_at(document)
        rows.append(
            {
                "document_id": document.document_id,
                "file": document.file_name,
                "received_at": document.received_at.isoformat(timespec="seconds"),
                "route": route(document),
                "categories": " ".join(sorted(document.categories)),
                "decided_at": decided.isoformat(timespec="seconds") if decided else "",
                "cycle_hours": round(
                    (decided - document.received_at).total_seconds() / SECONDS_PER_HOUR, 3
                )
                if decided
                else None,
                "invoice_id": document.invoice_id,
                # A file holding several invoices has one row per invoice, with its pages.
                "pages": "{}-{}".format(*document.page_range) if document.page_range else "",
            }
        )
    columns = ["document_id", "file", "received_at", "route", "categories"]
    return pd.DataFrame(
        rows, columns=[*columns, "decided_at", "cycle_hours", "invoice_id", "pages"]
    )


def kpi_table(kpis: KpiReport) -> pd.DataFrame:
    """Return the period's KPI table: one row per figure, with its counts."""
    return pd.DataFrame(
        [
            {"KPI": figure.label, "value": figure.formatted(), "counts": figure.basis}
            for figure in kpis.figures
        ]
    )


# --- Charts ------------------------------------------------------------------------------------


def png_data_uri(chart: ChartFigure) -> str:
    """Return the chart as a base64 PNG data URI, and free it."""
    buffer = io.BytesIO()
    chart.savefig(buffer, format="png", dpi=CHART_DPI, bbox_inches="tight")
    plt.close(chart)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _dates(days: Sequence[date]) -> npt.NDArray[np.datetime64]:
    """Return days as an array matplotlib draws on a date axis (its stubs refuse ``date``)."""
    return np.array(days, dtype="datetime64[D]")


def _empty(title: str, message: str) -> ChartFigure:
    chart, axes = plt.subplots(figsize=(6, 3))
    axes.set_title(title)
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes)
    axes.set_axis_off()
    return chart


def volume_chart(daily: Sequence[DailyVolume]) -> ChartFigure:
    """Return daily invoices (touchless and operator-bound, stacked) and the touchless rate."""
    title = "Invoices per day and touchless rate"
    if not any(d.invoices for d in daily):
        return _empty(title, "no invoice in the period")
    chart, axes = plt.subplots(figsize=(8, 3.5))
    days = _dates([d.day for d in daily])
    axes.bar(days, [d.touchless for d in daily], color=TOUCHLESS_COLOUR, label="touchless")
    axes.bar(
        days,
        [d.exceptions for d in daily],
        bottom=[d.touchless for d in daily],
        color=OPERATOR_COLOUR,
        label="needed an operator",
    )
    axes.set_ylabel("invoices")
    rate_axes = axes.twinx()
    rated = [(d.day, d.touchless_rate) for d in daily if d.touchless_rate is not None]
    rate_axes.plot(
        _dates([day for day, _ in rated]),
        [rate * 100 for _, rate in rated],
        color=LINE_COLOUR,
        marker="o",
        label="touchless rate",
    )
    rate_axes.set_ylim(0, 100)
    rate_axes.set_ylabel("touchless rate (%)")
    axes.set_title(title)
    axes.legend(loc="upper left", fontsize="small")
    chart.autofmt_xdate()
    return chart


def categories_chart(categories: dict[str, int]) -> ChartFigure:
    """Return invoices per exception category, largest on top."""
    title = "Invoices by exception category"
    if not categories:
        return _empty(title, "no exception in the period")
    chart, axes = plt.subplots(figsize=(6, 0.4 * len(categories) + 1.2))
    names = list(categories)[::-1]
    axes.barh(names, [categories[name] for name in names], color=OPERATOR_COLOUR)
    axes.set_xlabel("invoices")
    axes.set_title(title)
    return chart


def cycle_chart(cycle_hours: Sequence[float], sla_hours: float) -> ChartFigure:
    """Return the distribution of cycle times, with the SLA marked."""
    title = "Cycle time, received → decision"
    if not cycle_hours:
        return _empty(title, "no invoice decided in the period")
    chart, axes = plt.subplots(figsize=(6, 3))
    # Fixed bins up to past the SLA: touchless invoices take seconds, and automatic bins
    # would shrink to a sliver that the SLA line's scale hides.
    top = max(max(cycle_hours), sla_hours) * 1.1
    axes.hist(cycle_hours, bins=[top * step / 24 for step in range(25)], color=LINE_COLOUR)
    axes.axvline(sla_hours, color="red", linestyle="--", label=f"SLA {sla_hours:g} h")
    axes.set_xlabel("hours")
    axes.set_ylabel("invoices")
    axes.set_title(title)
    axes.legend(fontsize="small")
    return chart


def time_saved_chart(kpis: KpiReport) -> ChartFigure:
    """Return the hours a manual team would have spent against the hours actually spent."""
    title = "Time: manual keying vs invoicebot"
    invoices = kpis.figure("invoices").value or 0
    saved = kpis.figure("time_saved").value
    if not invoices or saved is None:
        return _empty(title, "no invoice in the period")
    manual_hours = invoices * kpis.parameters.manual_minutes_per_invoice / 60
    spent_hours = manual_hours * (1 - saved)
    chart, axes = plt.subplots(figsize=(6, 2.2))
    axes.barh(
        ["invoicebot\n(machine + operators)", "manual keying"],
        [spent_hours, manual_hours],
        color=[TOUCHLESS_COLOUR, "#9e9e9e"],
    )
    axes.set_xlabel("hours")
    axes.set_title(f"{title}: {saved:.0%} saved")
    return chart


def forecast_chart(section: ForecastSection) -> ChartFigure:
    """Return the last eight weeks of daily volumes and next week's forecast."""
    history = section.history[-8 * DAYS_PER_WEEK :]
    chart, axes = plt.subplots(figsize=(8, 3.5))
    past = _dates([d.day for d in history])
    axes.plot(past, [d.invoices for d in history], color="#616161", label="invoices")
    axes.plot(past, [d.exceptions for d in history], color=OPERATOR_COLOUR, label="exceptions")
    days = _dates([f.day for f in section.days])
    axes.plot(days, [f.invoices for f in section.days], "--", color=LINE_COLOUR, label="forecast")
    axes.plot(days, [f.exceptions for f in section.days], "--", color="#e65100")
    axes.set_ylabel("per day")
    axes.set_title("Daily volumes and the next 7 days' forecast")
    axes.legend(fontsize="small")
    chart.autofmt_xdate()
    return chart


# --- HTML --------------------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1000px; color: #212121; }
h1 { margin-bottom: 0.2em; } .headline { font-size: 1.4em; font-weight: 600; color: #2e7d32; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
.charts img { max-width: 100%; margin: 0.5em 0; display: block; }
.note { color: #616161; font-size: 0.9em; }
"""


def render_html(content: ReportContent, *, generated_at: datetime) -> str:
    """Return the report as one self-contained HTML page."""
    kpis, forecast = content.kpis, content.forecast
    charts = {
        "Volume and touchless rate": volume_chart(content.daily),
        "Exceptions by category": categories_chart(kpis.categories),
        "Cycle-time distribution": cycle_chart(kpis.cycle_hours, kpis.parameters.sla_hours),
        "Time saved": time_saved_chart(kpis),
        "Staffing forecast": forecast_chart(forecast),
    }
    images = "\n".join(
        f'<img alt="{html.escape(name)}" src="{png_data_uri(chart)}">'
        for name, chart in charts.items()
    )
    e = html.escape
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>invoicebot KPI report</title>
<style>{STYLE}</style></head><body>
<h1>invoicebot KPI report</h1>
<p class="note">Period {e(kpis.period)} · generated {generated_at:%Y-%m-%d %H:%M} UTC</p>
<p class="headline">{e(kpis.headline())}</p>
{kpi_table(kpis).to_html(index=False, escape=True)}
<p class="note">{e(_assumptions(kpis))}</p>
<div class="charts">{images}</div>
<h2>Staffing forecast, next 7 days</h2>
{forecast_table(forecast.days).to_html(index=False)}
<p class="note">{e(_forecast_note(forecast))}</p>
<h2>Invoices</h2>
{invoice_table(content.documents).to_html(index=False, escape=True, na_rep="")}
</body></html>
"""


def forecast_table(days: Sequence[DayForecast]) -> pd.DataFrame:
    """Return next week's forecast, a row per day and a total row."""
    rows = [
        {
            "day": f"{d.day:%a %Y-%m-%d}",
            "invoices": round(d.invoices),
            "exceptions": round(d.exceptions),
            "operator hours": round(d.operator_hours, 1),
        }
        for d in days
    ]
    rows.append(
        {
            "day": "week",
            "invoices": round(sum(d.invoices for d in days)),
            "exceptions": round(sum(d.exceptions for d in days)),
            "operator hours": round(sum(d.operator_hours for d in days), 1),
        }
    )
    return pd.DataFrame(rows)


def _assumptions(kpis: KpiReport) -> str:
    p = kpis.parameters
    return (
        f"Assumptions: manual keying {p.manual_minutes_per_invoice:g} min per invoice (APQC "
        f"range 5-17 min); SLA {p.sla_hours:g} h; operator cost {p.hourly_cost:g} per hour. "
        "Touched invoices without a timed review count at the full manual time, so time "
        "saved errs low."
    )


def _forecast_note(section: ForecastSection) -> str:
    inv, exc = section.invoices_backtest, section.exceptions_backtest
    return (
        f"Weekday profile + trend, fitted on {section.source}. Operator hours = forecast "
        f"exceptions x {section.handling_minutes:.1f} min ({section.handling_basis}). On "
        f"{inv.weeks} held-out weeks its MAE is {inv.model.mae:.1f} invoices/day against "
        f"{inv.naive.mae:.1f} for 'same as last week' ({inv.mae_improvement:.0%} lower; MAPE "
        f"{inv.model.mape:.0%} vs {inv.naive.mape:.0%}); exceptions: MAE {exc.model.mae:.1f} "
        f"vs {exc.naive.mae:.1f} ({exc.mae_improvement:.0%} lower)."
    )
