"""Staffing forecast: next week's invoice and exception volumes and the operator hours they need.

The model is the simplest one that captures what drives an AP inbox: a **weekday profile**
(each weekday's share of a week's volume, averaged over the last weeks) times **next week's
total**, extrapolated by a least-squares line through the last weeks' totals (the trend).
It is judged against the naive forecast a team lead makes by hand, "same as last week", on
held-out weeks: each held-out week is forecast from the days before it only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from invoicebot.kpis import DailyVolume
from invoicebot.model import InvoiceError

DAYS_PER_WEEK = 7
# Eight weeks average the weekday shares over two month ends, yet follow a change of trend.
DEFAULT_WINDOW_WEEKS = 8


class NotEnoughHistoryError(InvoiceError):
    """The history is shorter than the model needs; carries both lengths in days."""

    def __init__(self, days: int, needed: int) -> None:
        super().__init__(f"{days} days of history, the forecast needs at least {needed}")
        self.days = days
        self.needed = needed


def naive_forecast(values: Sequence[float], horizon: int = DAYS_PER_WEEK) -> list[float]:
    """Return the naive seasonal forecast: each day as the same weekday of the last week."""
    if len(values) < DAYS_PER_WEEK:
        raise NotEnoughHistoryError(len(values), DAYS_PER_WEEK)
    last_week = list(values[-DAYS_PER_WEEK:])
    return [last_week[step % DAYS_PER_WEEK] for step in range(horizon)]


def linear_trend(totals: Sequence[float]) -> tuple[float, float]:
    """Return the least-squares line ``(intercept, slope)`` through ``totals`` at x = 0, 1, …"""
    count = len(totals)
    mean_x = (count - 1) / 2
    mean_y = sum(totals) / count
    spread = sum((x - mean_x) ** 2 for x in range(count))
    if spread == 0:
        return mean_y, 0.0
    slope = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(totals)) / spread
    return mean_y - slope * mean_x, slope


def seasonal_forecast(
    values: Sequence[float],
    horizon: int = DAYS_PER_WEEK,
    window_weeks: int = DEFAULT_WINDOW_WEEKS,
) -> list[float]:
    """Return the weekday-profile-plus-trend forecast of the ``horizon`` days after ``values``.

    Uses the last ``window_weeks`` whole weeks (fewer when the history is shorter, at least
    two so that a trend exists). Day ``i`` of the forecast has the weekday of
    ``values[-7 + i % 7]``: the profile follows the calendar, whatever day the history ends on.
    """
    weeks = min(window_weeks, len(values) // DAYS_PER_WEEK)
    if weeks < 2:
        raise NotEnoughHistoryError(len(values), 2 * DAYS_PER_WEEK)
    window = list(values[-weeks * DAYS_PER_WEEK :])
    totals = [sum(window[w * DAYS_PER_WEEK : (w + 1) * DAYS_PER_WEEK]) for w in range(weeks)]
    intercept, slope = linear_trend(totals)
    profile = [sum(window[slot::DAYS_PER_WEEK]) for slot in range(DAYS_PER_WEEK)]
    whole = sum(profile)
    shares = [slot / whole if whole else 1 / DAYS_PER_WEEK for slot in profile]
    forecast = []
    for step in range(horizon):
        week_total = max(0.0, intercept + slope * (weeks + step // DAYS_PER_WEEK))
        forecast.append(week_total * shares[step % DAYS_PER_WEEK])
    return forecast


@dataclass(frozen=True)
class ForecastErrors:
    """Errors of a forecast on held-out days: mean absolute error (invoices a day) and mean
    absolute percentage error over days with a non-zero actual."""

    mae: float
    mape: float


def forecast_errors(actual: Sequence[float], predicted: Sequence[float]) -> ForecastErrors:
    """Return the MAE and MAPE of ``predicted`` against ``actual`` (days with zero actual
    are left out of the MAPE, where a percentage is undefined)."""
    errors = [abs(a - p) for a, p in zip(actual, predicted, strict=True)]
    percentages = [error / a for error, a in zip(errors, actual, strict=True) if a > 0]
    return ForecastErrors(
        mae=sum(errors) / len(errors),
        mape=sum(percentages) / len(percentages) if percentages else 0.0,
    )


@dataclass(frozen=True)
class Backtest:
    """The model and the naive forecast on the same held-out weeks."""

    weeks: int
    model: ForecastErrors
    naive: ForecastErrors

    @property
    def mae_improvement(self) -> float:
        """Return how much lower the model's MAE is than the naive one's, as a share."""
        return 1 - self.model.mae / self.naive.mae if self.naive.mae else 0.0


def backtest(
    values: Sequence[float],
    *,
    holdout_weeks: int,
    window_weeks: int = DEFAULT_WINDOW_WEEKS,
) -> Backtest:
    """Return both forecasts' errors on the last ``holdout_weeks`` weeks of ``values``, each
    week forecast from the days before it (rolling origin: no look-ahead)."""
    needed = (holdout_weeks + 2) * DAYS_PER_WEEK
    if len(values) < needed:
        raise NotEnoughHistoryError(len(values), needed)
    actual: list[float] = []
    model: list[float] = []
    naive: list[float] = []
    for week in range(holdout_weeks, 0, -1):
        cut = len(values) - week * DAYS_PER_WEEK
        train = values[:cut]
        actual += values[cut : cut + DAYS_PER_WEEK]
        model += seasonal_forecast(train, window_weeks=window_weeks)
        naive += naive_forecast(train)
    return Backtest(
        weeks=holdout_weeks,
        model=forecast_errors(actual, model),
        naive=forecast_errors(actual, naive),
    )


@dataclass(frozen=True)
class DayForecast:
    """One forecast day: invoices, operator-bound invoices, and the operator hours they need."""

    day: date
    invoices: float
    exceptions: float
    operator_hours: float


def staffing_forecast(
    history: Sequence[DailyVolume],
    *,
    handling_minutes: float,
    horizon: int = DAYS_PER_WEEK,
) -> list[DayForecast]:
    """Return the ``horizon`` days after ``history`` (consecutive days, oldest first): invoices
    and exceptions by the seasonal model, operator hours = exceptions x ``handling_minutes``."""
    invoices = seasonal_forecast([float(d.invoices) for d in history], horizon)
    exceptions = seasonal_forecast([float(d.exceptions) for d in history], horizon)
    last = history[-1].day
    return [
        DayForecast(
            day=last + timedelta(days=step + 1),
            invoices=invoices[step],
            exceptions=exceptions[step],
            operator_hours=exceptions[step] * handling_minutes / 60,
        )
        for step in range(horizon)
    ]
