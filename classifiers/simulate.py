"""A labelled history of realistic exception invoices, to train before operators decide.

Each simulated case starts from a hidden *cause* (what really went wrong), which decides
the rules that fail and the resolution an operator would choose. The cause shows through
several noisy signals - which rules failed, how big the amount gap is, how the fields were
read and how confident the reading was, the supplier's history, the IBAN - so that:

- the same failed-rule set leads to different resolutions (an OCR misreading and a
  supplier's wrong total both fail BR-CO-15): a rules-only baseline cannot be perfect;
- no single signal decides either: confidences overlap between misreadings and good
  readings, small gaps are sometimes refused, operators disagree (``label_noise``).

Rule ids, categories and severities come from ``validation.RULES``; a cause whose rules
are not registered falls back to the registered ones it has, so the simulator follows the
registry as rules are added or renamed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from classifiers.cases import ExceptionCase, LabelledCase, SupplierHistory
from invoicebot.model import Method, Resolution, RuleResult
from validation import RULES

AMOUNT_FIELDS = ("total_net", "total_tax", "total_gross", "amount_due")
IDENTIFIER_FIELDS = ("seller_vat_id", "seller_siret", "seller_iban", "invoice_number")
OTHER_FIELDS = ("invoice_date", "due_date", "po_number", "seller_name", "currency")


@dataclass(frozen=True)
class Supplier:
    """A simulated supplier: its key, country, usual reading method and size."""

    key: str
    language: str
    method: Method
    typical_gross: float
    invoices_seen: int
    exception_rate: float


@dataclass
class Draft:
    """A case being built: the signals a cause sets before it becomes an ExceptionCase."""

    supplier: Supplier
    gross: float
    method: Method
    confidence: dict[str, float]
    failed: list[RuleResult]
    iban_changed: bool = False
    known: bool = True


Cause = Callable[[random.Random, Draft], Resolution]


def simulate_cases(
    count: int, *, seed: int = 0, label_noise: float = 0.06, suppliers: int = 300
) -> list[LabelledCase]:
    """Return ``count`` labelled exception cases, reproducible for a given ``seed``."""
    rng = random.Random(seed)
    pool = [_supplier(rng, index) for index in range(suppliers)]
    causes, weights = zip(*CAUSES, strict=True)
    cases = []
    for _ in range(count):
        draft = _draft(rng, rng.choice(pool))
        cause = rng.choices(causes, weights=weights)[0]
        resolution = cause(rng, draft)
        if rng.random() < label_noise:
            # Operators disagree and make mistakes; noise goes to any resolution.
            resolution = rng.choice(list(Resolution))
        cases.append(LabelledCase(case=_case(draft), resolution=resolution, source="simulator"))
    return cases


def _supplier(rng: random.Random, index: int) -> Supplier:
    language = rng.choices(["fr", "en", "de"], weights=[6, 3, 2])[0]
    method = rng.choices(list(Method), weights=[2, 5, 3])[0]
    return Supplier(
        key=f"vat:SIM{index:05d}",
        language=language,
        method=method,
        typical_gross=10 ** rng.uniform(1.7, 4.7),
        invoices_seen=int(rng.expovariate(1 / 25)),
        exception_rate=min(1.0, rng.betavariate(1.5, 8)),
    )


def _draft(rng: random.Random, supplier: Supplier) -> Draft:
    method = supplier.method if rng.random() < 0.85 else rng.choice(list(Method))
    confidence = {
        name: _good_confidence(rng, method)
        for name in (*AMOUNT_FIELDS, *IDENTIFIER_FIELDS, *OTHER_FIELDS)
    }
    return Draft(
        supplier=supplier,
        gross=supplier.typical_gross * rng.lognormvariate(0, 0.5),
        method=method,
        confidence=confidence,
        failed=[],
        known=supplier.invoices_seen > 0 or rng.random() < 0.5,
    )


def _good_confidence(rng: random.Random, method: Method) -> float:
    if method is Method.EINVOICE:
        return 1.0
    if method is Method.TEXT:
        return rng.uniform(0.88, 0.99)
    return rng.uniform(0.7, 0.97)


def _misread(rng: random.Random, draft: Draft, fields: Sequence[str]) -> None:
    """Make the reading of ``fields`` doubtful: usually OCR and a low confidence."""
    if draft.method is Method.EINVOICE or rng.random() < 0.7:
        draft.method = Method.OCR if rng.random() < 0.8 else Method.TEXT
    for name in fields:
        # Overlaps with good OCR readings on purpose: confidence alone does not decide.
        draft.confidence[name] = rng.uniform(0.35, 0.85)


def _fail(draft: Draft, rule_id: str, message: str, **values: str | None) -> None:
    """Add a failed rule when the registry knows it (category and severity from there)."""
    try:
        spec = RULES.get(rule_id)
    except KeyError:
        return
    draft.failed.append(
        RuleResult(
            rule=spec.id,
            category=spec.category,
            severity=spec.severity,
            passed=False,
            message=message,
            values=dict(values),
        )
    )


def _gap_rule(rng: random.Random, draft: Draft, relative_gap: float) -> None:
    gap = round(draft.gross * relative_gap * rng.choice([1, -1]), 2) or 0.02
    rule_id, message = rng.choice(
        [
            (
                "BR-CO-15",
                "Net {net} + VAT {tax} = {expected}, but the invoice says {gross} "
                "(difference {gap}).",
            ),
            (
                "BR-CO-10",
                "The {lines} lines add up to {expected}, but the net total is {net} "
                "(difference {gap}).",
            ),
            (
                "BR-CO-14",
                "The VAT per rate from the lines adds up to {expected}, but the total "
                "VAT is {tax} (difference {gap}).",
            ),
        ]
    )
    net, tax = draft.gross / 1.2, draft.gross - draft.gross / 1.2
    text = message.format(
        net=f"{net:.2f}",
        tax=f"{tax:.2f}",
        gross=f"{draft.gross:.2f}",
        expected=f"{draft.gross - gap:.2f}",
        gap=f"{gap:.2f}",
        lines=rng.randint(1, 12),
    )
    _fail(draft, rule_id, text, difference=f"{gap:.2f}", total_gross=f"{draft.gross:.2f}")


def _arithmetic_misread(rng: random.Random, draft: Draft) -> Resolution:
    _misread(rng, draft, rng.sample(AMOUNT_FIELDS, k=rng.randint(1, 2)))
    _gap_rule(rng, draft, rng.choice([rng.uniform(0.05, 0.9), rng.uniform(0.001, 0.05)]))
    return Resolution.CORRECT_CAPTURE


def _arithmetic_rounding(rng: random.Random, draft: Draft) -> Resolution:
    _gap_rule(rng, draft, rng.uniform(0.00005, 0.004))
    if rng.random() < 0.25:
        _fail(draft, "BR-DEC", "Amounts with more than two decimals: unit price 1.23456.")
    # Long-standing suppliers get the benefit of the doubt; new ones are asked to fix it.
    tolerated = draft.supplier.invoices_seen > 5 or rng.random() < 0.5
    return Resolution.APPROVE_ANYWAY if tolerated else Resolution.REQUEST_CREDIT_NOTE


def _arithmetic_supplier_error(rng: random.Random, draft: Draft) -> Resolution:
    _gap_rule(rng, draft, rng.uniform(0.003, 0.3))
    if rng.random() < 0.3:
        _fail(
            draft,
            "VAT-RATE",
            "VAT rate 21% is not a French VAT rate (rates in force: "
            "20%, 10%, 5.5%, 2.1%): check the rate on the document.",
        )
    return Resolution.REQUEST_CREDIT_NOTE


def _true_duplicate(rng: random.Random, draft: Draft) -> Resolution:
    if rng.random() < 0.6:
        _fail(
            draft,
            "DUPLICATE-INVOICE-NUMBER",
            "Invoice number already received from this "
            "seller on an earlier invoice: do not pay twice.",
        )
    else:
        _fail(
            draft,
            "DUPLICATE-AMOUNT-DATE",
            "An invoice of this seller with the same gross "
            "total and a close date is already stored.",
            days_apart=str(rng.randint(0, 10)),
        )
    return Resolution.REJECT_DUPLICATE


def _recurring_not_duplicate(rng: random.Random, draft: Draft) -> Resolution:
    # Monthly subscriptions repeat the amount: a different number, dates weeks apart.
    _fail(
        draft,
        "DUPLICATE-AMOUNT-DATE",
        "An invoice of this seller with the same gross total and a close date is already stored.",
        days_apart=str(rng.randint(20, 35)),
    )
    return Resolution.APPROVE_ANYWAY


def _suspicious_duplicate(rng: random.Random, draft: Draft) -> Resolution:
    _true_duplicate(rng, draft)
    draft.iban_changed = True
    if rng.random() < 0.7:
        _fail(
            draft,
            "VENDOR-BANK-DETAILS",
            "The IBAN is not one of the supplier's known bank "
            "accounts: confirm the change with the supplier by phone before paying.",
        )
    return Resolution.FRAUD_REVIEW


def _bank_details_changed(rng: random.Random, draft: Draft) -> Resolution:
    draft.iban_changed = True
    draft.known = rng.random() < 0.8
    _fail(
        draft,
        "VENDOR-BANK-DETAILS",
        "The IBAN is not one of the supplier's known bank "
        "accounts: confirm the change with the supplier by phone before paying.",
    )
    if rng.random() < 0.3:
        _fail(
            draft,
            "VENDOR-UNKNOWN",
            "No supplier of the vendor master has this VAT number or SIREN.",
        )
    return Resolution.FRAUD_REVIEW


def _iban_misread(rng: random.Random, draft: Draft) -> Resolution:
    _misread(rng, draft, ["seller_iban"])
    draft.iban_changed = True
    _fail(draft, "IBAN-CHECK", "The IBAN's check digits are wrong: it was misread or mistyped.")
    if rng.random() < 0.6:
        _fail(
            draft,
            "VENDOR-BANK-DETAILS",
            "The IBAN is not one of the supplier's known bank "
            "accounts: confirm the change with the supplier by phone before paying.",
        )
    return Resolution.CORRECT_CAPTURE


def _identifier_problem(rng: random.Random, draft: Draft) -> Resolution:
    rule_id = rng.choice(["VAT-ID-CHECK", "SIRET-CHECK", "SIREN-CONSISTENCY", "BIC-CHECK"])
    _fail(draft, rule_id, "The identifier is not valid: its check digits are wrong.")
    if rng.random() < 0.55:
        _misread(rng, draft, ["seller_vat_id", "seller_siret"])
        return Resolution.CORRECT_CAPTURE
    return Resolution.REQUEST_CREDIT_NOTE


def _order_problem(rng: random.Random, draft: Draft) -> Resolution:
    rule_id = rng.choice(
        [
            "PO-MISSING",
            "PO-UNKNOWN",
            "PO-AMOUNT",
            "PO-RECEIVED-QUANTITY",
            "PO-UNIT-PRICE",
            "PO-SUPPLIER",
            "PO-LINE-MATCH",
        ]
    )
    over = rng.uniform(0.001, 0.4)
    _fail(
        draft,
        rule_id,
        "The invoice does not match its purchase order: invoiced "
        f"{over:.1%} above what was ordered or received.",
        over_ratio=f"{over:.4f}",
    )
    if rule_id == "PO-UNKNOWN" and rng.random() < 0.5:
        _misread(rng, draft, ["po_number"])
        return Resolution.CORRECT_CAPTURE
    # A price drift under a percent is not worth a buyer's time.
    if rule_id in {"PO-UNIT-PRICE", "PO-AMOUNT"} and over < 0.01:
        return Resolution.APPROVE_ANYWAY
    return Resolution.PURCHASING_REVIEW


def _unknown_vendor(rng: random.Random, draft: Draft) -> Resolution:
    draft.known = False
    _fail(draft, "VENDOR-UNKNOWN", "No supplier of the vendor master has this VAT number or SIREN.")
    # Large first invoices of an unknown supplier with bank details are a classic fraud.
    if draft.gross > 5000 and rng.random() < 0.6:
        return Resolution.FRAUD_REVIEW
    return Resolution.PURCHASING_REVIEW


def _date_problem(rng: random.Random, draft: Draft) -> Resolution:
    if rng.random() < 0.45:
        _misread(rng, draft, ["invoice_date", "due_date"])
        rule_id = rng.choice(["DUE-DATE-ORDER", "INVOICE-DATE-FUTURE"])
        _fail(
            draft,
            rule_id,
            "The dates are inconsistent: check them on the document.",
            days=str(rng.randint(30, 400)),
        )
        return Resolution.CORRECT_CAPTURE
    days = rng.randint(60, 500)
    _fail(
        draft,
        "INVOICE-DATE-AGE",
        f"The invoice is {days} days old: check it was not already paid.",
        age_days=str(days),
        max_age_days="60",
    )
    return Resolution.APPROVE_ANYWAY if days < 180 else Resolution.REJECT_DUPLICATE


def _missing_fields(rng: random.Random, draft: Draft) -> Resolution:
    _fail(draft, "REQUIRED-FIELDS", "Required fields were not found: invoice number, total.")
    if rng.random() < 0.6:
        _misread(rng, draft, rng.sample(OTHER_FIELDS, k=2))
        return Resolution.CORRECT_CAPTURE
    _fail(
        draft,
        "FR-MANDATORY-MENTIONS",
        "French mandatory mentions are missing: late payment penalties, recovery indemnity.",
    )
    return Resolution.REQUEST_CREDIT_NOTE


# Hidden causes and how often each occurs among exceptions.
CAUSES: tuple[tuple[Cause, float], ...] = (
    (_arithmetic_misread, 12),
    (_arithmetic_rounding, 10),
    (_arithmetic_supplier_error, 10),
    (_true_duplicate, 8),
    (_recurring_not_duplicate, 4),
    (_suspicious_duplicate, 3),
    (_bank_details_changed, 5),
    (_iban_misread, 4),
    (_identifier_problem, 6),
    (_order_problem, 14),
    (_unknown_vendor, 5),
    (_date_problem, 6),
    (_missing_fields, 6),
)


def _case(draft: Draft) -> ExceptionCase:
    supplier = draft.supplier
    return ExceptionCase(
        seller_key=supplier.key,
        method=draft.method,
        language=supplier.language,
        currency="EUR",
        total_gross=Decimal(f"{draft.gross:.2f}"),
        confidence=draft.confidence,
        failed=draft.failed,
        supplier=SupplierHistory(
            known=draft.known,
            invoices_seen=supplier.invoices_seen if draft.known else 0,
            exception_rate=supplier.exception_rate if draft.known else 0.0,
            iban_changed=draft.iban_changed,
        ),
    )
