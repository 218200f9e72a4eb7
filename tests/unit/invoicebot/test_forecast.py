"""The staffing forecast and the history simulator on hand-computed examples."""

from __future__ import annotations

from datetime import date

import pytest

from invoicebot.forecast import (
    NotEnoughHistoryError,
    backtest,
    forecast_errors,
    linear_trend,
    naive_forecast,
    seasonal_forecast,
    staffing_forecast,
)
from invoicebot.history_sim import is_month_edge, simulate_history
from invoicebot.kpis import DailyVolume

# Two weeks, Monday first: 50 then 60 invoices, all on weekdays.
TWO_WEEKS = [10.0] * 5 + [0.0] * 2 + [12.0] * 5 + [0.0] * 2


def test_naive_forecast_repeats_last_week() -> None:
    values = [float(v) for v in range(1, 15)]
    assert naive_forecast(values) == [8, 9, 10, 11, 12, 13, 14]
    assert naive_forecast(values, horizon=9)[7:] == [8, 9]


def test_linear_trend_is_least_squares() -> None:
    assert linear_trend([1.0, 2.0, 3.0]) == pytest.approx((1.0, 1.0))
    # x = 0, 1, 2, 3; y = 2, 4, 4, 6: slope 1.2, intercept 2.2
    assert linear_trend([2.0, 4.0, 4.0, 6.0]) == pytest.approx((2.2, 1.2))
    assert linear_trend([5.0]) == (5.0, 0.0)


def test_seasonal_forecast_is_weekday_share_times_trended_week() -> None:
    # Weekly totals 50, 60: next week 70, the week after 80; each weekday holds 1/5 of a week.
    assert seasonal_forecast(TWO_WEEKS) == pytest.approx([14] * 5 + [0] * 2)
    assert seasonal_forecast(TWO_WEEKS, horizon=14)[7:] == pytest.approx([16] * 5 + [0] * 2)


def test_seasonal_forecast_follows_the_calendar_when_history_ends_midweek() -> None:
    # Thursday of week 1 to Wednesday of week 3: the forecast starts on a Thursday, so its
    # third and fourth days are the weekend.
    ends_on_wednesday = [*TWO_WEEKS[3:], 14.0, 14.0, 14.0]
    forecast = seasonal_forecast(ends_on_wednesday)
    assert forecast[2:4] == pytest.approx([0.0, 0.0])
    assert all(value > 0 for value in forecast[:2] + forecast[4:])


def test_forecasts_refuse_short_histories() -> None:
    with pytest.raises(NotEnoughHistoryError, match="13 days of history"):
        seasonal_forecast([1.0] * 13)
    with pytest.raises(NotEnoughHistoryError):
        naive_forecast([1.0] * 6)
    with pytest.raises(NotEnoughHistoryError):
        backtest([1.0] * 30, holdout_weeks=4)


def test_forecast_errors_leave_zero_days_out_of_the_mape() -> None:
    errors = forecast_errors([10.0, 0.0, 20.0], [12.0, 1.0, 15.0])
    assert errors.mae == pytest.approx(8 / 3)
    assert errors.mape == pytest.approx((2 / 10 + 5 / 20) / 2)


def test_the_model_beats_last_week_on_held_out_weeks() -> None:
    history = simulate_history(start=date(2026, 1, 5), days=26 * 7, seed=2026)
    for series in ([d.invoices for d in history], [d.exceptions for d in history]):
        result = backtest([float(v) for v in series], holdout_weeks=12)
        assert result.model.mae < 0.9 * result.naive.mae
        assert result.model.mape < result.naive.mape


def test_staffing_forecast_turns_exceptions_into_operator_hours() -> None:
    start = date(2026, 3, 2)  # a Monday
    history = [
        DailyVolume(
            day=date.fromordinal(start.toordinal() + i), invoices=int(v), exceptions=int(v) // 2
        )
        for i, v in enumerate(TWO_WEEKS)
    ]
    days = staffing_forecast(history, handling_minutes=12.0)
    assert days[0].day == date(2026, 3, 16)
    assert len(days) == 7
    # exceptions: weekly totals 25, 30 -> 35, 7 a weekday; 7 x 12 min = 1.4 h
    assert days[0].invoices == pytest.approx(14.0)
    assert days[0].exceptions == pytest.approx(7.0)
    assert days[0].operator_hours == pytest.approx(1.4)
    assert days[6].operator_hours == pytest.approx(0.0)


def test_month_edges_are_the_first_and_last_two_working_days() -> None:
    # March 2026: Monday 2 and Tuesday 3 open it, Monday 30 and Tuesday 31 close it.
    edges = [day for day in range(1, 32) if is_month_edge(date(2026, 3, day))]
    assert edges == [2, 3, 30, 31]


def test_simulated_history_is_reproducible_and_shaped_like_an_inbox() -> None:
    history = simulate_history(start=date(2026, 1, 5), days=12 * 7, seed=7)
    assert history == simulate_history(start=date(2026, 1, 5), days=12 * 7, seed=7)
    assert [d.day for d in history[:2]] == [date(2026, 1, 5), date(2026, 1, 6)]
    assert all(0 <= d.exceptions <= d.invoices and d.touchless == d.invoices - d.exceptions
               for d in history)  # fmt: skip
    mondays = sum(d.invoices for d in history if d.day.weekday() == 0)
    saturdays = sum(d.invoices for d in history if d.day.weekday() == 5)
    assert mondays > 5 * saturdays
    exception_share = sum(d.exceptions for d in history) / sum(d.invoices for d in history)
    assert exception_share == pytest.approx(0.22, abs=0.02)
