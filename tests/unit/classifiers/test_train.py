"""Training: beats the rules-only baseline on held-out cases, calibrated, stable split."""

from __future__ import annotations

import random
from pathlib import Path

from classifiers.cases import LabelledCase
from classifiers.model import METADATA_FILE
from classifiers.report import retrain_markdown
from classifiers.train import RuleSetBaseline, TrainingResult, retrain, split_cases


def test_model_beats_the_rules_only_baseline_and_is_calibrated(trained: TrainingResult) -> None:
    metrics = trained.model.metadata.metrics
    assert metrics is not None
    assert metrics.baseline_macro_f1 is not None
    assert metrics.macro_f1 >= metrics.baseline_macro_f1 + 0.1
    assert metrics.ece <= 0.08  # small test data; the benchmark checks 0.05 on 10,000 cases
    assert sum(map(sum, metrics.confusion)) == metrics.held_out_cases


def test_split_is_stable_and_disjoint(simulated: list[LabelledCase]) -> None:
    first, again = split_cases(simulated), split_cases(list(reversed(simulated)))
    assert {c.case.model_dump_json() for c in first.held_out} == {
        c.case.model_dump_json() for c in again.held_out
    }
    assert 0.15 < len(first.held_out) / len(simulated) < 0.25
    assert not {id(c) for c in first.train} & {id(c) for c in first.held_out}


def test_baseline_predicts_the_most_frequent_resolution_of_the_rule_set(
    simulated: list[LabelledCase],
) -> None:
    baseline = RuleSetBaseline(simulated)
    duplicates = [
        c for c in simulated if {r.rule for r in c.case.failed} == {"DUPLICATE-INVOICE-NUMBER"}
    ]
    assert baseline.predict([duplicates[0].case]) == ["reject_duplicate"]


def test_retrain_keeps_a_model_only_if_at_least_as_good(
    simulated: list[LabelledCase], tmp_path: Path
) -> None:
    first = retrain(simulated, tmp_path, seed=7)
    saved = (tmp_path / METADATA_FILE).read_text()
    # Labels shuffled among cases: a model of nothing, worse than the saved one.
    shuffled = random.Random(1).sample([c.resolution for c in simulated], len(simulated))
    noise = [
        c.model_copy(update={"resolution": r}) for c, r in zip(simulated, shuffled, strict=True)
    ]

    worse = retrain(noise, tmp_path, seed=7)

    assert first.kept and first.current is None
    assert not worse.kept and worse.current is not None
    assert worse.new.macro_f1 < worse.current.macro_f1
    assert (tmp_path / METADATA_FILE).read_text() == saved, "the current model stays"
    report = retrain_markdown(worse)
    assert "**Discarded**" in report
    assert "| fraud_review |" in report and "Confusion matrix" in report
