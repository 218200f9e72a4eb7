"""Held-out quality, calibration and speed of the exception resolution classifier.

    OMP_NUM_THREADS=1 uv run python benchmarks/classifier.py [--cases 12500] [--seed 0]

Simulates ``--cases`` labelled exceptions (12,500: about 10,000 to train on, 2,500 held out
by the stable hash split), trains the classifier on one core, and measures on the held-out
cases its macro-F1, the rules-only baseline's macro-F1 ("most frequent resolution of the
failed-rule set", fitted on the same training cases) and the expected calibration error.
Prediction is timed one exception at a time, as the batch flow calls it (the median of
single calls); the time per exception of one call over the whole held-out set is printed
too.

Times are CPU seconds of this process (``time.process_time``) with one thread: on a shared
machine the wall clock also counts other processes' work, the CPU time is what one core
spends. Wall-clock figures are printed on the lines before. The last line is the summary, e.g.
``classifier macro_f1=0.87 baseline_macro_f1=0.61 ece=0.031 train_s=4.2 predict_ms=0.4``.
"""

from __future__ import annotations

import os

# One core, as the target says: set before numpy and scipy load their thread pools.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

from classifiers.cases import LabelledCase  # noqa: E402
from classifiers.resolution_model import ResolutionModel  # noqa: E402
from classifiers.simulate import simulate_cases  # noqa: E402
from classifiers.train import LABELS, train  # noqa: E402


def single_call_ms(
    model: ResolutionModel, held_out: list[LabelledCase], calls: int
) -> tuple[float, float]:
    """Return the median CPU and wall milliseconds of one ``suggest`` call, after a warm-up."""
    model.suggest(held_out[0].case)
    cpu, wall = [], []
    for labelled in held_out[:calls]:
        cpu_started, wall_started = time.process_time(), time.perf_counter()
        model.suggest(labelled.case)
        cpu.append((time.process_time() - cpu_started) * 1000)
        wall.append((time.perf_counter() - wall_started) * 1000)
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    """Train, evaluate and print the figures; the last line is the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=12_500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--calls", type=int, default=500, help="single predictions timed")
    arguments = parser.parse_args()

    cases = simulate_cases(arguments.cases, seed=arguments.seed)
    # CPU time of the whole of train(): fitting, plus the held-out evaluation (conservative).
    cpu_started = time.process_time()
    result = train(cases, seed=arguments.seed)
    train_cpu_s = time.process_time() - cpu_started
    metrics = result.model.metadata.metrics
    assert metrics is not None  # train() records them
    assert metrics.baseline_macro_f1 is not None
    single_cpu_ms, single_wall_ms = single_call_ms(result.model, result.held_out, arguments.calls)

    print(
        f"trained on {result.model.metadata.trained_cases} cases, held out {metrics.held_out_cases}"
    )
    print(f"{'resolution':<22}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}")
    for label in LABELS:
        row = metrics.per_class[label]
        print(
            f"{label:<22}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['f1']:>8.3f}"
            f"{int(row['support']):>9}"
        )
    print(f"training: {train_cpu_s:.1f} s CPU, {metrics.train_seconds:.1f} s wall (fit only)")
    print(
        f"prediction: {single_cpu_ms:.2f} ms CPU, {single_wall_ms:.2f} ms wall per single "
        f"call (median of {arguments.calls}); {metrics.predict_ms:.3f} ms wall per exception "
        "over the held-out set in one call"
    )
    print(
        f"classifier macro_f1={metrics.macro_f1:.2f} "
        f"baseline_macro_f1={metrics.baseline_macro_f1:.2f} ece={metrics.ece:.3f} "
        f"train_s={train_cpu_s:.1f} predict_ms={single_cpu_ms:.1f}"
    )


if __name__ == "__main__":
    main()
