"""The rules that read what an e-invoice states beyond the contract (``InvoiceExtras``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.unit.validation.support import CLEAN_LINES, extraction, run
from validation import InvoiceExtras, VatSubtotal

D = Decimal
# The clean invoice's lines add up to 300.00; a 10.00 allowance and a 5.00 charge make 295.00.
DISCOUNTED: dict[str, Any] = {
    "total_net": D("295.00"),
    "total_tax": D("59.00"),
    "total_gross": D("354.00"),
    "amount_due": D("354.00"),
}
ALLOWANCES = InvoiceExtras(line_total=D("300.00"), allowance_total=D(10), charge_total=D(5))


def test_br_co_10_checks_the_lines_against_the_stated_sum_even_with_allowances() -> None:
    results = run(extraction(**DISCOUNTED), extras=ALLOWANCES)
    assert results["BR-CO-10"].passed and results["BR-CO-13"].passed
    wrong_sum = InvoiceExtras(line_total=D("310.00"), allowance_total=D(10), charge_total=D(5))
    result = run(extraction(**DISCOUNTED), extras=wrong_sum)["BR-CO-10"]
    assert not result.passed
    assert "the stated sum of the lines is 310.00 (difference 10.00)" in result.message


def test_br_co_13_uses_the_stated_sum_of_the_lines() -> None:
    # 310 - 10 + 5 = 305: the totals disagree with the stated sum, whatever the lines say.
    wrong_sum = InvoiceExtras(line_total=D("310.00"), allowance_total=D(10), charge_total=D(5))
    result = run(extraction(**DISCOUNTED), extras=wrong_sum)["BR-CO-13"]
    assert not result.passed and "= 305.00, but the net total is 295.00" in result.message
    # Without lines (a BASIC WL invoice) the stated sum is all there is.
    results = run(extraction(lines=[], **DISCOUNTED), extras=ALLOWANCES)
    assert results["BR-CO-13"].passed and "BR-CO-10" not in results


def test_br_co_13_with_the_lines_read_when_no_sum_is_stated() -> None:
    extras = InvoiceExtras(allowance_total=D(10), charge_total=D(5))
    assert run(extraction(**DISCOUNTED), extras=extras)["BR-CO-13"].passed
    unread = [*CLEAN_LINES[:1], CLEAN_LINES[1].model_copy(update={"net_amount": None})]
    assert "BR-CO-13" not in run(extraction(lines=unread, **DISCOUNTED), extras=extras)


def test_br_co_16_adds_the_rounding_amount() -> None:
    stated = InvoiceExtras(prepaid_amount=D(100), rounding_amount=D("0.40"))
    assert run(extraction(amount_due=D("260.40")), extras=stated)["BR-CO-16"].passed
    result = run(extraction(amount_due=D("260.00")), extras=stated)["BR-CO-16"]
    assert not result.passed
    assert "Gross 360.00 - prepaid 100.00 + rounding 0.40 = 260.40" in result.message
    assert result.values["rounding"] == "0.40"


def test_br_co_16_accepts_a_credit_that_asks_for_no_payment() -> None:
    credit: dict[str, Any] = {
        "lines": [],
        "total_net": D("-7.67"),
        "total_tax": D("-1.12"),
        "total_gross": D("-8.79"),
    }
    nothing_paid = InvoiceExtras(prepaid_amount=D(0))
    assert run(extraction(**credit, amount_due=D("-8.79")), extras=nothing_paid)["BR-CO-16"].passed
    settled = run(extraction(**credit, amount_due=D(0)), extras=nothing_paid)["BR-CO-16"]
    assert settled.passed and "credit" in settled.message
    wrong = run(extraction(**credit, amount_due=D("8.79")), extras=nothing_paid)["BR-CO-16"]
    assert not wrong.passed
    # An invoice (not a credit) stating nothing due while nothing was prepaid is wrong.
    assert not run(extraction(amount_due=D(0)), extras=nothing_paid)["BR-CO-16"].passed


def test_br_co_14_checks_the_stated_breakdown() -> None:
    breakdown = (
        VatSubtotal(D(20), D("200.00"), D("40.00")),
        VatSubtotal(D(10), D("100.00"), D("10.00")),
    )
    extras = InvoiceExtras(vat_breakdown=breakdown)
    assert run(extraction(total_tax=D(50), total_gross=D(350), amount_due=D(350)), extras=extras)[
        "BR-CO-14"
    ].passed
    result = run(extraction(), extras=extras)["BR-CO-14"]
    assert not result.passed
    assert "from the VAT breakdown (20 %: 40.00, 10 %: 10.00) adds up to 50.00" in result.message


def test_br_co_17_checks_each_stated_rate() -> None:
    right = InvoiceExtras(vat_breakdown=(VatSubtotal(D(20), D("300.00"), D("60.00")),))
    assert run(extraction(), extras=right)["BR-CO-17"].passed
    wrong = InvoiceExtras(
        vat_breakdown=(
            VatSubtotal(D(20), D("250.00"), D("50.00")),
            VatSubtotal(D("5.5"), D("50.00"), D("10.00")),
        )
    )
    result = run(extraction(), extras=wrong)["BR-CO-17"]
    assert not result.passed
    assert "VAT at 5.5 % on 50.00 should be 2.75, but the invoice shows 10.00" in result.message
    assert "20 %" not in result.message


def test_bic_check_passes_a_matching_bic_and_fails_a_malformed_one() -> None:
    assert run(extras=InvoiceExtras(seller_bic="BNPAFRPP"))["BIC-CHECK"].passed
    result = run(extras=InvoiceExtras(seller_bic="COBADEFXXX"))["BIC-CHECK"]
    assert not result.passed and "not valid" in result.message
