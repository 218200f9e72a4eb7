"""The staffing forecast against the naive "same as last week" on held-out weeks.

    uv run python benchmarks/forecast.py [--weeks 26] [--holdout 12] [--seeds 2026 1 2 3 4]

For each seed it simulates ``--weeks`` weeks of daily invoice volumes
(``invoicebot.history_sim``), then forecasts each of the last ``--holdout`` weeks from the
days before it only (rolling origin) with the weekday-profile-plus-trend model and with the
naive forecast, and prints both errors (MAE in invoices a day, MAPE over days with invoices)
for invoices and for exceptions, and the mean over seeds.
"""

from __future__ import annotations

import argparse
import statistics
from datetime import date

from invoicebot.forecast import Backtest, backtest
from invoicebot.history_sim import simulate_history

START = date(2026, 1, 5)  # a Monday


def run(seed: int, weeks: int, holdout: int) -> dict[str, Backtest]:
    """Return the backtest of invoices and of exceptions on one simulated history."""
    history = simulate_history(start=START, days=weeks * 7, seed=seed)
    return {
        "invoices": backtest([float(d.invoices) for d in history], holdout_weeks=holdout),
        "exceptions": backtest([float(d.exceptions) for d in history], holdout_weeks=holdout),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=26, help="weeks of simulated history")
    parser.add_argument("--holdout", type=int, default=12, help="held-out weeks at the end")
    parser.add_argument("--seeds", type=int, nargs="+", default=[2026, 1, 2, 3, 4])
    args = parser.parse_args()
    print(f"{args.holdout} held-out weeks of {args.weeks} simulated, rolling origin")
    print(f"{'seed':>6} {'series':<10} {'model MAE':>9} {'naive MAE':>9} {'better':>7} "
          f"{'model MAPE':>10} {'naive MAPE':>10}")  # fmt: skip
    gains: dict[str, list[float]] = {"invoices": [], "exceptions": []}
    mapes: dict[str, list[tuple[float, float]]] = {"invoices": [], "exceptions": []}
    for seed in args.seeds:
        for series, result in run(seed, args.weeks, args.holdout).items():
            gains[series].append(result.mae_improvement)
            mapes[series].append((result.model.mape, result.naive.mape))
            print(f"{seed:>6} {series:<10} {result.model.mae:>9.1f} {result.naive.mae:>9.1f} "
                  f"{result.mae_improvement:>7.0%} {result.model.mape:>10.0%} "
                  f"{result.naive.mape:>10.0%}")  # fmt: skip
    for series, values in gains.items():
        model_mape = statistics.mean(m for m, _ in mapes[series])
        naive_mape = statistics.mean(n for _, n in mapes[series])
        print(f"mean over {len(values)} seeds, {series}: MAE {statistics.mean(values):.0%} lower "
              f"than naive; MAPE {model_mape:.0%} vs {naive_mape:.0%}")  # fmt: skip


if __name__ == "__main__":
    main()
