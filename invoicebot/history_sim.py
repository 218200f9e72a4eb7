"""Months of realistic daily AP volumes, for the demo's forecast and the tests.

What shapes an AP inbox, from the field: most invoices arrive on Monday (the weekend's
mail and e-mail) and fewer as the week goes on; weekends bring only what portals and
e-invoicing networks deliver; suppliers bill at month end, so the last two and first two
working days of a month carry more; volume grows slowly with the business; days vary more
than a Poisson draw would (a large supplier's monthly batch), so the noise is over-dispersed.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from invoicebot.kpis import DailyVolume

# Relative volume by weekday, Monday first.
WEEKDAY_PROFILE: tuple[float, ...] = (1.35, 1.15, 1.0, 0.95, 0.85, 0.08, 0.02)
MONTH_END_UPLIFT = 1.25
# Gamma shape of the day-to-day multiplier: coefficient of variation 1/sqrt(20) ≈ 22 %.
DISPERSION_SHAPE = 20.0


def is_month_edge(day: date) -> bool:
    """Return True on the last two or first two working days (Mon-Fri) of a month."""
    if day.weekday() >= 5:
        return False
    return _working_days_to_month_end(day) < 2 or _working_days_since_month_start(day) < 2


def _working_days_to_month_end(day: date) -> int:
    following = day + timedelta(days=1)
    count = 0
    while following.month == day.month:
        count += following.weekday() < 5
        following += timedelta(days=1)
    return count


def _working_days_since_month_start(day: date) -> int:
    return sum(date(day.year, day.month, d).weekday() < 5 for d in range(1, day.day))


def simulate_history(
    *,
    start: date,
    days: int,
    seed: int = 2026,
    weekday_mean: float = 120.0,
    weekly_growth: float = 0.01,
    exception_rate: float = 0.22,
) -> list[DailyVolume]:
    """Return ``days`` days of simulated volumes from ``start``: ``weekday_mean`` invoices on
    an average weekday at the start, growing by ``weekly_growth`` a week, each invoice an
    exception with probability ``exception_rate`` (varying a little from day to day)."""
    rng = np.random.default_rng(seed)
    history = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        mean = weekday_mean * WEEKDAY_PROFILE[day.weekday()] * (1 + weekly_growth) ** (offset / 7)
        if is_month_edge(day):
            mean *= MONTH_END_UPLIFT
        mean *= rng.gamma(DISPERSION_SHAPE, 1 / DISPERSION_SHAPE)
        invoices = int(rng.poisson(mean))
        rate = float(np.clip(rng.normal(exception_rate, 0.03), 0.0, 1.0))
        exceptions = int(rng.binomial(invoices, rate))
        history.append(
            DailyVolume(
                day=day, invoices=invoices, touchless=invoices - exceptions, exceptions=exceptions
            )
        )
    return history
