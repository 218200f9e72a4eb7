"""Repairs of misread OCR line amounts from the net total and the line's own arithmetic."""

from __future__ import annotations

from decimal import Decimal

import pytest

from extractors.line_repair import repair_misread_lines
from invoicebot.model import Line


def line(quantity: str | None, unit_price: str | None, net_amount: str | None) -> Line:
    """Return a line of those values (strings, as printed; None: not read)."""
    return Line(
        description="item",
        quantity=None if quantity is None else Decimal(quantity),
        unit_price=None if unit_price is None else Decimal(unit_price),
        net_amount=None if net_amount is None else Decimal(net_amount),
        tax_rate=Decimal(20),
    )


def amounts(lines: list[Line]) -> list[tuple[Decimal | None, Decimal | None, Decimal | None]]:
    return [(item.quantity, item.unit_price, item.net_amount) for item in lines]


def test_lines_that_check_out_are_returned_as_read() -> None:
    lines = [line("2", "10.00", "20.00"), line("1", "5.50", "5.50")]

    assert repair_misread_lines(lines, Decimal("25.50")) == lines


def test_separator_read_as_a_digit_is_repaired_and_then_the_unit_price() -> None:
    # "297,92" read as "297592", and the unit price "297,92" as "291.92".
    lines = [line("1", "291.92", "297592"), line("2", "176.03", "352.06")]

    repaired = repair_misread_lines(lines, Decimal("649.98"))

    assert amounts(repaired) == [
        (Decimal(1), Decimal("297.92"), Decimal("297.92")),
        (Decimal(2), Decimal("176.03"), Decimal("352.06")),
    ]


def test_lost_separator_is_repaired_from_the_total() -> None:
    lines = [line(None, None, "29792"), line("2", "176.03", "352.06")]

    repaired = repair_misread_lines(lines, Decimal("649.98"))

    assert repaired[0].net_amount == Decimal("297.92")


def test_net_amount_is_repaired_when_quantity_times_price_gives_the_difference() -> None:
    lines = [line("3", "12.50", "87.50"), line("1", "10.00", "10.00")]

    repaired = repair_misread_lines(lines, Decimal("47.50"))

    assert repaired[0].net_amount == Decimal("37.50")


def test_unit_price_worth_more_than_the_invoice_is_replaced() -> None:
    # "7,75" read as "7518": 2 x 7518 is more than the whole invoice.
    lines = [line("12", "19.83", "237.96"), line("2", "7518", "15.50")]

    repaired = repair_misread_lines(lines, Decimal("253.46"))

    assert repaired[1].unit_price == Decimal("7.75")
    assert repaired[0] == lines[0]


def test_misread_quantity_is_replaced() -> None:
    lines = [line("170", "2.50", "300.00"), line("1", "5.00", "5.00")]

    repaired = repair_misread_lines(lines, Decimal("305.00"))

    assert repaired[0].quantity == Decimal(120)


def test_a_product_unlike_any_misreading_is_left_alone() -> None:
    # 10.00 less a 25 % discount: 7.50 is not a misreading of 10.00, nor 3 of 4.
    lines = [line("4", "10.00", "30.00"), line("1", "50.00", "50.00")]

    assert repair_misread_lines(lines, Decimal("80.00")) == lines


def test_two_lines_that_could_explain_the_difference_are_left_alone() -> None:
    lines = [line(None, None, "1000"), line(None, None, "1000"), line(None, None, "5.00")]

    assert repair_misread_lines(lines, Decimal("15.00")) == lines


@pytest.mark.parametrize("total_net", [None, Decimal(0)])
def test_nothing_is_repaired_without_a_net_total(total_net: Decimal | None) -> None:
    lines = [line("2", "7518", "15.50")]

    assert repair_misread_lines(lines, total_net) == lines


def test_a_line_without_amount_stops_the_repair() -> None:
    lines = [line("2", "7518", None), line("1", "5.00", "5.00")]

    assert repair_misread_lines(lines, Decimal("20.50")) == lines
