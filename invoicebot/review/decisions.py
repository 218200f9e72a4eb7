"""An operator's decisions, what each leaves behind, and the checks of what the operator
entered (corrections, names, the four-eyes rule)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, Literal

from pydantic import ValidationError

from invoicebot.model import (
    FIELD_NAMES,
    ExceptionCategory,
    InvoiceError,
    InvoiceFields,
    Resolution,
)
from invoicebot.settings import Settings
from invoicebot.store.limits import field_problems
from invoicebot.store.review_audit import (
    PERSON_NAME_MAX,
    StoredCase,
)
from validation import load_rule_config
from validation.identity import compact
from validation.registry import FIELDS_OF_CATEGORY

DecisionName = Literal[
    "approve", "approve_with_corrections", "reject", "send_back_to_supplier", "escalate"
]


class Decision(StrEnum):
    """What an operator decides for an exception invoice."""

    APPROVE = "approve"
    APPROVE_WITH_CORRECTIONS = "approve_with_corrections"
    REJECT = "reject"
    SEND_BACK_TO_SUPPLIER = "send_back_to_supplier"
    ESCALATE = "escalate"


DECISION_HELP: dict[Decision, str] = {
    Decision.APPROVE: "approve the invoice as it was read; it is released for payment",
    Decision.APPROVE_WITH_CORRECTIONS: (
        "replace the fields you fill in below, then check the invoice again: approved when "
        "every rule passes, otherwise it comes back to you with what still fails"
    ),
    Decision.REJECT: "reject the invoice (a duplicate, not ours); it will not be paid",
    Decision.SEND_BACK_TO_SUPPLIER: (
        "the supplier's invoice is wrong: ask for a credit note or a corrected invoice"
    ),
    Decision.ESCALATE: (
        "hand it to a senior reviewer (purchasing, or fraud checks when bank details or "
        "identity are in doubt); it keeps waiting for a decision"
    ),
}

# Invoice status and exception state each decision leaves behind.
STATUS_AFTER: dict[Decision, str] = {
    Decision.APPROVE: "approved",
    Decision.APPROVE_WITH_CORRECTIONS: "approved",
    Decision.REJECT: "rejected",
    Decision.SEND_BACK_TO_SUPPLIER: "sent_back",
    Decision.ESCALATE: "escalated",
}
EXCEPTION_STATE_AFTER: dict[Decision, str] = {
    Decision.APPROVE: "approved",
    Decision.APPROVE_WITH_CORRECTIONS: "corrected",
    Decision.REJECT: "rejected",
    Decision.SEND_BACK_TO_SUPPLIER: "sent_back",
    Decision.ESCALATE: "escalated",
}

# The classifier learns resolutions (``Resolution``); a decision names the action taken.
LABEL_OF: dict[Decision, Resolution] = {
    Decision.APPROVE: Resolution.APPROVE_ANYWAY,
    Decision.APPROVE_WITH_CORRECTIONS: Resolution.CORRECT_CAPTURE,
    Decision.REJECT: Resolution.REJECT_DUPLICATE,
    Decision.SEND_BACK_TO_SUPPLIER: Resolution.REQUEST_CREDIT_NOTE,
    Decision.ESCALATE: Resolution.FRAUD_REVIEW,
}
DECISION_FOR_SUGGESTION: dict[Resolution, Decision] = {
    Resolution.CORRECT_CAPTURE: Decision.APPROVE_WITH_CORRECTIONS,
    Resolution.APPROVE_ANYWAY: Decision.APPROVE,
    Resolution.REQUEST_CREDIT_NOTE: Decision.SEND_BACK_TO_SUPPLIER,
    Resolution.PURCHASING_REVIEW: Decision.ESCALATE,
    Resolution.FRAUD_REVIEW: Decision.ESCALATE,
    Resolution.REJECT_DUPLICATE: Decision.REJECT,
}

CATEGORY_WORDS: dict[ExceptionCategory, str] = {
    ExceptionCategory.MISSING_FIELD: "a required field is missing",
    ExceptionCategory.ARITHMETIC: "the amounts do not add up",
    ExceptionCategory.INVALID_IDENTIFIER: "an identifier (VAT, SIRET, IBAN) is not valid",
    ExceptionCategory.DUPLICATE: "it may repeat an invoice already received",
    ExceptionCategory.DATE: "a date is wrong or implausible",
    ExceptionCategory.VENDOR: "it does not match the vendor master",
    ExceptionCategory.PURCHASE_ORDER: "it does not match the purchase order",
    ExceptionCategory.LOW_CONFIDENCE: "a field was read with low confidence",
    ExceptionCategory.UNREADABLE: "the document could not be read",
    ExceptionCategory.EINVOICE_RULES: "the e-invoice breaks an official EN 16931 / French rule",
}

IDENTIFIER_FIELDS = frozenset(FIELDS_OF_CATEGORY[ExceptionCategory.INVALID_IDENTIFIER])
# Longest decision name the audit trail holds.
DECISION_MAX = 40


# Decisions that release the invoice for payment: the four-eyes rule applies to them.
APPROVALS = frozenset({Decision.APPROVE, Decision.APPROVE_WITH_CORRECTIONS})
# Rules about bank details: their decision form shows the IBANs in full, to be confirmed.
BANK_DETAIL_RULES = frozenset({"VENDOR-BANK-DETAILS", "IBAN-CHECK", "BIC-CHECK"})


class ReviewInputError(InvoiceError):
    """A submitted decision cannot be applied; nothing was changed."""


class PersonNameError(ReviewInputError):
    """An operator or reviewer name is empty or longer than the audit trail holds."""

    def __init__(self, role: str, name: str) -> None:
        length = len(name.strip())
        problem = "is empty" if not length else f"is {length} characters long"
        super().__init__(f"the {role} name {problem}: give 1 to {PERSON_NAME_MAX} characters")
        self.role = role
        self.length = length


class FourEyesError(ReviewInputError):
    """An approval the four-eyes rule refuses: nobody else has handled the case yet, or the
    approver is one of those who took or escalated it."""

    def __init__(
        self, invoice_id: int, *, approver: str, involved: list[str], rules: list[str]
    ) -> None:
        concerned = ", ".join(rules)
        if not involved:
            why = (
                "needs a second person: escalate it, and a reviewer who has not handled it "
                "approves it"
            )
        else:
            why = (
                f"must be approved by someone other than {', '.join(involved)} (who took or "
                f"escalated it), not by {approver}"
            )
        super().__init__(f"four-eyes rule: invoice {invoice_id} ({concerned}) {why}")
        self.invoice_id = invoice_id
        self.approver = approver
        self.involved = involved
        self.rules = rules


class ReviewNotPendingError(InvoiceError):
    """The invoice has no pending exception: it was decided already, or never was one."""

    def __init__(self, invoice_id: int, status: str) -> None:
        super().__init__(f"invoice {invoice_id} is {status}, not waiting for a review")
        self.invoice_id = invoice_id
        self.status = status


def parse_decision(value: str) -> Decision:
    """Return the decision named ``value``; raise ``ReviewInputError`` for another name."""
    try:
        return Decision(value)
    except ValueError:
        allowed = ", ".join(decision.value for decision in Decision)
        raise ReviewInputError(f"unknown decision {value!r}; expected one of {allowed}") from None


def parse_corrections(raw: Mapping[str, str], current: InvoiceFields) -> dict[str, Any]:
    """Return the corrected fields that differ from ``current``, typed as the store keeps
    them; blank values mean unchanged. Raise ``ReviewInputError`` naming every bad value."""
    unknown = sorted(set(raw) - set(FIELD_NAMES))
    if unknown:
        raise ReviewInputError(f"no such field: {', '.join(unknown)}")
    typed = {name: _normalise(name, value.strip()) for name, value in raw.items() if value.strip()}
    try:
        merged = InvoiceFields.model_validate(current.model_dump() | typed)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        )
        raise ReviewInputError(f"corrected values are not valid: {problems}") from None
    # A corrected value must fit its column like a read one: refused here, not by the database.
    too_long = [problem for problem in field_problems(merged) if problem.field in typed]
    if too_long:
        reasons = "; ".join(f"{problem.field}: {problem.reason}" for problem in too_long)
        raise ReviewInputError(f"corrected values do not fit: {reasons}")
    return {
        name: getattr(merged, name)
        for name in typed
        if getattr(merged, name) != getattr(current, name)
    }


def _normalise(name: str, value: str) -> str:
    if name in IDENTIFIER_FIELDS:
        return compact(value)
    if name == "currency":
        return value.upper()
    return value


def fields_to_correct(case: StoredCase, *, review_confidence: float | None = None) -> list[str]:
    """Return the fields the review form offers to correct, in the contract's order: those
    the failed rules concern, the missing ones, and those read with a confidence under
    ``review_confidence`` (the rules' setting by default) on a low-confidence exception (a
    form with every field is too long for the Prefect UI's Resume dialog)."""
    if review_confidence is None:
        review_confidence = load_rule_config(Settings().rules_config).review_confidence
    wanted: set[str] = set()
    for item in case.exceptions:
        wanted.update(FIELDS_OF_CATEGORY.get(item.category, ()))
        if item.category is ExceptionCategory.MISSING_FIELD:
            wanted.update(name for name in FIELD_NAMES if getattr(case.fields, name) is None)
        if item.category is ExceptionCategory.LOW_CONFIDENCE:
            wanted.update(
                name
                for name, score in case.confidence.items()
                if score < review_confidence and name in FIELD_NAMES
            )
    return [name for name in FIELD_NAMES if name in wanted]


def check_consistency(decision: Decision, corrected: Mapping[str, Any]) -> None:
    """Raise ``ReviewInputError`` when corrections come without the decision that uses them."""
    if decision is Decision.APPROVE_WITH_CORRECTIONS and not corrected:
        raise ReviewInputError(
            "approve_with_corrections needs at least one corrected field that differs "
            "from what was read"
        )
    if decision is not Decision.APPROVE_WITH_CORRECTIONS and corrected:
        raise ReviewInputError(
            f"corrected fields are only applied with approve_with_corrections, not {decision}"
        )


def check_person_name(name: str, *, role: str) -> str:
    """Return ``name`` stripped; raise ``PersonNameError`` when it is empty or longer than
    the audit trail holds (the form refuses it before; the terminal gets the same answer)."""
    stripped = name.strip()
    if not stripped or len(stripped) > PERSON_NAME_MAX:
        raise PersonNameError(role, name)
    return stripped


def _person_key(name: str) -> str:
    return " ".join(name.casefold().split())


def four_eyes_rules(case: StoredCase, scope: Iterable[str]) -> list[str]:
    """Return the rules raised on the invoice that the four-eyes rule covers, by their id or
    their category, whatever became of their exceptions since."""
    wanted = set(scope)
    raised = case.raised_rules | {item.rule: item.category.value for item in case.exceptions}
    return sorted(rule for rule, category in raised.items() if {rule, category} & wanted)


def check_four_eyes(
    case: StoredCase, decision: Decision, *, reviewer: str, scope: Iterable[str]
) -> None:
    """Raise ``FourEyesError`` when ``reviewer`` may not approve the invoice alone.

    For an invoice with an exception the rule covers (by default vendor and bank-detail
    exceptions), an approval needs a second person: someone must have escalated it before,
    and neither the approver nor the operator holding the case now may be one of those who
    escalated it or had taken it when it was escalated. Other decisions (reject, send back,
    escalate) stop a payment and are anyone's.
    """
    if decision not in APPROVALS:
        return
    rules = four_eyes_rules(case, scope)
    if not rules:
        return
    earlier = {_person_key(person) for person in case.involved}
    deciding = [reviewer] + ([case.taken.operator] if case.taken is not None else [])
    if not earlier or any(_person_key(person) in earlier for person in deciding):
        raise FourEyesError(
            case.invoice_id, approver=reviewer.strip(), involved=case.involved, rules=rules
        )


def label_for(decision: Decision, case: StoredCase) -> Resolution:
    """Return the training label of a decision on this case."""
    if decision is Decision.ESCALATE and any(
        item.category is ExceptionCategory.PURCHASE_ORDER for item in case.exceptions
    ):
        return Resolution.PURCHASING_REVIEW
    return LABEL_OF[decision]
