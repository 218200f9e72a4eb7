"""The simulator: reproducible, every resolution, rules from the registry, not one rule."""

from __future__ import annotations

from collections import defaultdict

import validation
from classifiers.cases import LabelledCase
from classifiers.simulate import simulate_cases
from invoicebot.model import Resolution


def test_the_same_seed_gives_the_same_history() -> None:
    assert simulate_cases(50, seed=3) == simulate_cases(50, seed=3)
    assert simulate_cases(50, seed=3) != simulate_cases(50, seed=4)


def test_every_resolution_occurs_and_rules_come_from_the_registry(
    simulated: list[LabelledCase],
) -> None:
    assert {labelled.resolution for labelled in simulated} == set(Resolution)
    registered = {spec.id: spec for spec in validation.RULES.all()}
    for labelled in simulated:
        assert labelled.case.failed, "an exception has at least one failed rule"
        for result in labelled.case.failed:
            assert result.category == registered[result.rule].category


def test_the_failed_rule_set_does_not_decide_the_resolution(
    simulated: list[LabelledCase],
) -> None:
    by_rules: dict[frozenset[str], set[Resolution]] = defaultdict(set)
    for labelled in simulated:
        by_rules[frozenset(r.rule for r in labelled.case.failed)].add(labelled.resolution)
    assert max(len(resolutions) for resolutions in by_rules.values()) >= 3
    assert by_rules[frozenset({"BR-CO-15"})] >= {
        Resolution.CORRECT_CAPTURE,
        Resolution.APPROVE_ANYWAY,
        Resolution.REQUEST_CREDIT_NOTE,
    }
