"""The rule registry: ``@rule`` registers a check with its id, category and severity."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from invoicebot.model import ExceptionCategory, RuleResult, Severity
from validation.context import RuleContext

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    """What a check found: pass or fail, in plain words, with the values it compared."""

    passed: bool
    message: str
    values: Mapping[str, str | None] = field(default_factory=dict)


# A check returns None when it does not apply (e.g. no lines were read for BR-CO-10).
Check = Callable[[RuleContext], Verdict | None]

# What a check raises on data it did not foresee (a defect in the check, not in the
# invoice): the invoice goes to an operator instead of stopping the batch. Anything else
# (the store is down) is not the invoice's fault and propagates.
DATA_DEFECTS = (ArithmeticError, ValueError, TypeError, LookupError, AttributeError)


@dataclass(frozen=True)
class RuleSpec:
    """A registered rule; ``explanation`` tells an operator what it checks and what to do."""

    id: str
    category: ExceptionCategory
    severity: Severity
    description: str
    check: Check
    explanation: str = ""
    family: str = ""


class RuleRegistry:
    """Rules by id, in registration order."""

    def __init__(self) -> None:
        self._rules: dict[str, RuleSpec] = {}

    def register(self, spec: RuleSpec) -> None:
        """Add ``spec``; a second rule with the same id is a programming error."""
        if spec.id in self._rules:
            raise ValueError(f"rule {spec.id!r} is registered twice")
        self._rules[spec.id] = spec

    def all(self) -> list[RuleSpec]:
        """Return every rule in registration order."""
        return list(self._rules.values())

    def get(self, rule_id: str) -> RuleSpec:
        """Return the rule with this id (KeyError when unknown)."""
        return self._rules[rule_id]


RULES = RuleRegistry()


def rule(
    *, id: str, category: ExceptionCategory, severity: Severity = Severity.ERROR
) -> Callable[[Check], Check]:
    """Register the decorated check under ``id``.

    The docstring's first line is the rule's one-line description; the paragraphs after it
    explain the rule to operators (both go into ``docs/rules.md``).
    """

    def register(check: Check) -> Check:
        doc = inspect.cleandoc(check.__doc__ or id)
        description, _, explanation = doc.partition("\n")
        family = check.__module__.rsplit(".", 1)[-1]
        RULES.register(
            RuleSpec(
                id,
                category,
                severity,
                description.strip(),
                check,
                " ".join(explanation.split()),
                family,
            )
        )
        return check

    return register


def run_rules(context: RuleContext, registry: RuleRegistry = RULES) -> list[RuleResult]:
    """Return the result of every enabled rule that applies to the invoice in ``context``."""
    results: list[RuleResult] = []
    config = context.config
    for spec in registry.all():
        if not config.is_enabled(spec.id):
            continue
        try:
            verdict = spec.check(context)
        except DATA_DEFECTS as defect:
            logger.exception("rule %s failed on %s", spec.id, context.extraction.source)
            verdict = Verdict(
                False,
                f"This check could not be completed ({type(defect).__name__}): "
                "check this point on the document by hand.",
                {"defect": repr(defect)},
            )
        if verdict is None:
            continue
        results.append(
            RuleResult(
                rule=spec.id,
                category=spec.category,
                severity=config.severity_of(spec.id, spec.severity),
                passed=verdict.passed,
                message=verdict.message,
                values=dict(verdict.values),
            )
        )
    return results
