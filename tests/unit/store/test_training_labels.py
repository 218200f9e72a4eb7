"""What the exception classifier learns from: failed rules that make an exception."""

from __future__ import annotations

from invoicebot.model import ExceptionCategory, RuleResult, Severity
from invoicebot.store.training_labels import classified_failures


def result(rule: str, severity: Severity, *, passed: bool = False) -> RuleResult:
    return RuleResult(
        rule=rule,
        category=ExceptionCategory.MISSING_FIELD,
        severity=severity,
        passed=passed,
        message=f"{rule} says so.",
    )


def test_information_and_passed_rules_are_not_what_the_classifier_learns_from() -> None:
    mentions = result("FR-REFORM-MENTIONS", Severity.INFO)
    missing = result("REQUIRED-FIELDS", Severity.ERROR)
    warned = result("FR-REFORM-MENTIONS", Severity.WARNING)
    passed = result("BR-CO-15", Severity.ERROR, passed=True)
    assert classified_failures([mentions, missing, passed, warned]) == [missing, warned]
