"""Markdown reports of a retraining: the figures operators and engineers read."""

from __future__ import annotations

from classifiers.resolution_model import Metrics
from classifiers.train import LABELS, TIE_MARGIN, RetrainOutcome


def retrain_markdown(outcome: RetrainOutcome) -> str:
    """Return the markdown report of a retraining: decision, headline figures, per-class
    metrics and the confusion matrix on the held-out cases."""
    new = outcome.new
    if outcome.current is None:
        decision = "**Kept**: no usable model was in place."
    elif outcome.kept:
        decision = (
            f"**Kept**: held-out macro-F1 {new.macro_f1:.3f}, current "
            f"{outcome.current.macro_f1:.3f} (a tie within {TIE_MARGIN} counts as as good)."
        )
    else:
        decision = (
            f"**Discarded**: held-out macro-F1 {new.macro_f1:.3f} < current "
            f"{outcome.current.macro_f1:.3f} - {TIE_MARGIN}; the current model stays."
        )
    baseline = f"{new.baseline_macro_f1:.3f}" if new.baseline_macro_f1 is not None else "n/a"
    return "\n".join(
        [
            "# Resolution classifier retraining",
            "",
            decision,
            "",
            f"{outcome.cases} cases, {outcome.operator_cases} of them operators' decisions; "
            f"{new.held_out_cases} held out.",
            "",
            "| figure | value |",
            "|---|---|",
            f"| macro-F1 | {new.macro_f1:.3f} |",
            f"| rules-only baseline macro-F1 | {baseline} |",
            f"| expected calibration error | {new.ece:.3f} |",
            f"| training seconds | {new.train_seconds:.1f} |",
            f"| prediction ms per exception | {new.predict_ms:.2f} |",
            "",
            "## Per resolution",
            "",
            *per_class_table(new),
            "",
            "## Confusion matrix (rows: operators' resolution, columns: suggested)",
            "",
            *confusion_table(new),
        ]
    )


def per_class_table(metrics: Metrics) -> list[str]:
    """Return the markdown lines of precision, recall, F1 and support per resolution."""
    lines = ["| resolution | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for label in LABELS:
        row = metrics.per_class.get(label, {})
        lines.append(
            f"| {label} | {row.get('precision', 0):.3f} | {row.get('recall', 0):.3f} "
            f"| {row.get('f1', 0):.3f} | {int(row.get('support', 0))} |"
        )
    return lines


def confusion_table(metrics: Metrics) -> list[str]:
    """Return the markdown lines of the confusion matrix, labels in ``LABELS`` order."""
    lines = [
        "| | " + " | ".join(LABELS) + " |",
        "|---|" + "---|" * len(LABELS),
    ]
    for label, counts in zip(LABELS, metrics.confusion, strict=True):
        lines.append(f"| **{label}** | " + " | ".join(str(count) for count in counts) + " |")
    return lines
