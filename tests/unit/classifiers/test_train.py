"""Training: beats the rules-only baseline on held-out cases, calibrated, stable split."""

from __future__ import annotations

from pathlib import Path

from classifiers.cases import LabelledCase
from classifiers.resolution_model import METADATA_FILE
from classifiers.retraining_report import retrain_markdown
from classifiers.train import TIE_MARGIN, RuleSetBaseline, TrainingResult, retrain, split_cases
from invoicebot.model import Resolution


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
    # Operators who mixed up every resolution in the training cases (the held-out cases,
    # the same ones by the stable split, keep the truth): a model of that is worse.
    split = split_cases(simulated)
    resolutions = list(Resolution)
    shifted = {r: resolutions[(i + 1) % len(resolutions)] for i, r in enumerate(resolutions)}
    mixed_up = [c.model_copy(update={"resolution": shifted[c.resolution]}) for c in split.train]
    worse = retrain([*mixed_up, *split.held_out], tmp_path, seed=7)

    assert first.kept and first.current is None
    assert not worse.kept and worse.current is not None
    assert worse.new.macro_f1 < worse.current.macro_f1 - TIE_MARGIN
    assert (tmp_path / METADATA_FILE).read_text() == saved, "the current model stays"
    report = retrain_markdown(worse)
    assert "**Discarded**" in report
    assert "| fraud_review |" in report and "Confusion matrix" in report
