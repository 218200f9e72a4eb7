"""Date arithmetic that never overflows: a misread year 9999 is data, not a crash."""

from __future__ import annotations

from datetime import date, timedelta


def add_days(day: date, days: int) -> date:
    """Return ``day`` moved by ``days``, held within ``date.min`` and ``date.max``."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min
