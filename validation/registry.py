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


# The fields a rule of each category reads, unless it names its own (``@rule(fields=...)``).
FIELDS_OF_CATEGORY: dict[ExceptionCategory, tuple[str, ...]] = {
    ExceptionCategory.ARITHMETIC: ("total_net", "total_tax", "total_gross", "amount_due"),
    ExceptionCategory.INVALID_IDENTIFIER: (
        "buyer_vat_id",
        "seller_iban",
        "seller_siret",
        "seller_vat_id",
    ),
    ExceptionCategory.DUPLICATE: ("invoice_number", "invoice_date", "total_gross"),
    ExceptionCategory.DATE: ("invoice_date", "due_date"),
    ExceptionCategory.VENDOR: ("seller_name", "seller_vat_id", "seller_siret", "seller_iban"),
    ExceptionCategory.PURCHASE_ORDER: ("po_number", "total_net"),
}


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
    fields: tuple[str, ...] = ()


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
    *,
    id: str,
    category: ExceptionCategory,
    severity: Severity = Severity.ERROR,
    fields: tuple[str, ...] | None = None,
) -> Callable[[Check], Check]:
    """Register the decorated check under ``id``.

    The docstring's first line is the rule's one-line description; the paragraphs after it
    explain the rule to operators (both go into ``docs/rules.md``). ``fields`` are the
    fields the check reads (default: those of its category).
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
                FIELDS_OF_CATEGORY.get(category, ()) if fields is None else fields,
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
        message, values = verdict.message, dict(verdict.values)
        doubtful = [] if verdict.passed else doubtful_fields(context, spec.fields)
        if doubtful:
            # The fault may be a misreading: the operator checks the reading first. The
            # category stays the rule's, so the form still offers the fields it compared.
            read = ", ".join(f"{name} ({score:.2f})" for name, score in doubtful)
            message = f"Read with low confidence: {read}; check the reading first. {message}"
            values["low_confidence"] = ",".join(name for name, _ in doubtful)
        results.append(
            RuleResult(
                rule=spec.id,
                category=spec.category,
                severity=config.severity_of(spec.id, spec.severity),
                passed=verdict.passed,
                message=message,
                values=values,
            )
        )
    return results


def doubtful_fields(context: RuleContext, names: tuple[str, ...]) -> list[tuple[str, float]]:
    """Return the fields among ``names`` that were read with a confidence under the
    configured ``review_confidence``, with their confidence."""
    extraction, threshold = context.extraction, context.config.review_confidence
    return [
        (name, extraction.confidence[name])
        for name in names
        if name in extraction.confidence
        and extraction.confidence[name] < threshold
        and getattr(extraction.fields, name, None) is not None
    ]
