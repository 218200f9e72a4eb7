"""Which lifecycle status each event of an invoice gives, and with which reason code."""

from __future__ import annotations

import pytest

from invoicebot.lifecycle.statuses import (
    ALLOWED_REASONS,
    FALLBACK_REASON,
    FailedRule,
    LifecycleStatus,
    payment_sent,
    reason_for,
    status_for_decision,
    status_when_stored,
)
from invoicebot.review import Decision

ARITHMETIC = FailedRule("BR-CO-15", "arithmetic")
DUPLICATE = FailedRule("DUPLICATE-INVOICE-NUMBER", "duplicate")
BANK = FailedRule("VENDOR-BANK-DETAILS", "vendor")


def test_the_batch_takes_in_charge_a_waiting_invoice_and_approves_a_clean_one() -> None:
    assert status_when_stored(waits_for_operator=True).status is LifecycleStatus.TAKEN_IN_CHARGE
    approved = status_when_stored(waits_for_operator=False)
    assert (approved.status, approved.reason_code) == (LifecycleStatus.APPROVED, None)


@pytest.mark.parametrize(
    ("decision", "status_after", "code", "reason"),
    [
        ("approve", "approved", "205", None),
        ("approve_with_corrections", "approved", "205", None),
        ("reject", "rejected", "210", "MONTANTTOTAL_ERR"),
        ("send_back_to_supplier", "sent_back", "207", "MONTANTTOTAL_ERR"),
        ("escalate", "escalated", "208", "JUSTIF_ABS"),
    ],
)
def test_each_operator_decision_gives_its_status(
    decision: str, status_after: str, code: str, reason: str | None
) -> None:
    change = status_for_decision(decision, status_after=status_after, failed=[ARITHMETIC])
    assert change is not None
    assert (change.status.value, change.reason_code) == (code, reason)


def test_every_decision_of_the_review_has_a_status() -> None:
    for decision in Decision:
        assert status_for_decision(decision.value, status_after="x", failed=[]) is not None


def test_a_correction_that_still_fails_issues_no_status() -> None:
    change = status_for_decision(
        "approve_with_corrections", status_after="exception", failed=[ARITHMETIC]
    )
    assert change is None


def test_a_correction_lowering_the_amount_payable_is_a_partial_approval() -> None:
    change = status_for_decision(
        "approve_with_corrections",
        status_after="approved",
        failed=[FailedRule("PO-UNIT-PRICE", "purchase_order")],
        payable_lowered=True,
    )
    assert change is not None
    assert (change.status, change.reason_code) == (LifecycleStatus.PARTIALLY_APPROVED, "PU_ERR")
    assert change.label == "Approuvée partiellement"


def test_an_unknown_decision_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown decision"):
        status_for_decision("pay", status_after="approved", failed=[])


def test_a_refusal_names_the_duplicate_and_the_dispute_the_bank_details() -> None:
    assert reason_for(LifecycleStatus.REFUSED, [DUPLICATE, ARITHMETIC]) == "DOUBLON"
    assert reason_for(LifecycleStatus.DISPUTED, [BANK]) == "COORD_BANC_ERR"
    assert reason_for(LifecycleStatus.SUSPENDED, [BANK]) == "COORD_BANC_ERR"
    # Bank details are no reason a refusal may give (BR-FR-CDV-CL-09): the fallback.
    assert reason_for(LifecycleStatus.REFUSED, [BANK]) == "NON_CONFORME"
    assert reason_for(LifecycleStatus.REFUSED, [FailedRule("VENDOR-UNKNOWN", "vendor")]) == (
        "EMMET_INC"
    )
    assert reason_for(LifecycleStatus.REFUSED, [FailedRule("VAT-RATE", "arithmetic")]) == (
        "TX_TVA_ERR"
    )


def test_statuses_without_reason_take_none_and_the_others_always_one() -> None:
    assert reason_for(LifecycleStatus.APPROVED, [DUPLICATE]) is None
    assert payment_sent().reason_code is None
    for status, fallback in FALLBACK_REASON.items():
        assert reason_for(status, []) == fallback
        assert fallback in ALLOWED_REASONS[status]


@pytest.mark.parametrize("status", sorted(ALLOWED_REASONS))
@pytest.mark.parametrize(
    "rule",
    [
        FailedRule("BR-CO-15", "arithmetic"),
        FailedRule("VAT-RATE", "arithmetic"),
        FailedRule("IBAN-CHECK", "invalid_identifier"),
        FailedRule("SIRET-CHECK", "invalid_identifier"),
        FailedRule("VENDOR-UNKNOWN", "vendor"),
        FailedRule("PO-MISSING", "purchase_order"),
        FailedRule("PO-RECEIVED-QUANTITY", "purchase_order"),
        FailedRule("REQUIRED-FIELDS", "missing_field"),
        FailedRule("INVOICE-DATE-FUTURE", "date"),
        FailedRule("PAGE-XML-MISMATCH", "low_confidence"),
        FailedRule("BR-FR-12", "einvoice_rules"),
        DUPLICATE,
    ],
)
def test_a_reason_is_always_one_the_french_rules_allow_for_its_status(
    status: LifecycleStatus, rule: FailedRule
) -> None:
    assert reason_for(status, [rule]) in ALLOWED_REASONS[status]
