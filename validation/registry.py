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
class Finding:
    """One fault a check reports under a rule id of its own: an official rule (``BR-CO-15``,
    ``BR-FR-12``) that the e-invoice's own rule set checked."""

    rule: str
    severity: Severity
    message: str
    values: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """What a check found: pass or fail, in plain words, with the values it compared.

    A check that runs a whole official rule set gives each fault as a ``Finding``: each is
    then a result of its own under the official rule id, and the check's own result stands
    only when it passed (a failed one is its findings).
    """

    passed: bool
    message: str
    values: Mapping[str, str | None] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()


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
    # The official rules (``BR-FR-11_BT-47``) that report the same fault on an e-invoice:
    # where one of them fails, this rule's failure is kept as information (``without_repeats``).
    official: tuple[str, ...] = ()


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
    official: tuple[str, ...] = (),
) -> Callable[[Check], Check]:
    """Register the decorated check under ``id``.

    The docstring's first line is the rule's one-line description; the paragraphs after it
    explain the rule to operators (both go into ``docs/rules.md``). ``fields`` are the
    fields the check reads (default: those of its category). ``official`` names the
    official e-invoice rules that check the same fault under another id: an assertion
    (``BR-FR-11_BT-47``), or a rule whose every assertion does (``BR-FR-11``).
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
                official,
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
        if verdict.findings:
            results += [
                RuleResult(
                    rule=finding.rule,
                    category=spec.category,
                    # The configuration's severity of the check applies to its faults; what
                    # the rule set itself flags a warning stays information.
                    severity=finding.severity
                    if finding.severity is Severity.INFO
                    else config.severity_of(spec.id, finding.severity),
                    passed=False,
                    message=finding.message,
                    values=dict(finding.values),
                )
                for finding in verdict.findings
            ]
            if not verdict.passed:
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
    return without_repeats(results, registry)


def without_repeats(results: list[RuleResult], registry: RuleRegistry = RULES) -> list[RuleResult]:
    """Return ``results`` where a failed rule of ours whose fault an official rule of the
    e-invoice's rule set reports too (same id: ``BR-CO-10``; or the family: our ``BR-DEC``
    and the official ``BR-DEC-09``; or an official rule ours names: our ``FR-BUYER-SIREN``
    and the official ``BR-FR-11_BT-47``) is kept as information, not as a second exception.

    The official result stands: it carries the norm's id, text and the XML location, and
    an e-invoice's amounts are read exactly, so ours adds nothing there. Ours still fails
    where the official rules pass (it also checks what they tolerate) and on every paper
    invoice.
    """
    official_category = ExceptionCategory.EINVOICE_RULES
    official = [r.rule for r in results if r.is_exception and r.category is official_category]
    if not official:
        return results
    registered = {spec.id: spec for spec in registry.all()}
    kept: list[RuleResult] = []
    for result in results:
        spec = registered.get(result.rule)
        ours = spec is not None and result.category is not official_category
        named = spec.official if spec is not None else ()
        covering = next((o for o in official if _same_fault(result.rule, o, named)), None)
        if covering is None or not ours or not result.is_exception:
            kept.append(result)
            continue
        kept.append(
            result.model_copy(
                update={
                    "severity": Severity.INFO,
                    "message": f"Reported by the official rule {covering}: {result.message}",
                    "values": {**result.values, "reported_by": covering},
                }
            )
        )
    return kept


def _same_fault(ours: str, official: str, named: tuple[str, ...] = ()) -> bool:
    if official == ours or official.startswith(f"{ours}-"):
        return True
    # The French rules name each assertion after its rule and business term: BR-FR-11_BT-47.
    return any(official == rule or official.startswith((f"{rule}_", f"{rule}-")) for rule in named)


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
