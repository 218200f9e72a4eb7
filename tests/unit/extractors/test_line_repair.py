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


def test_amounts_that_lost_their_decimal_mark_are_read_as_hundredths_where_they_add_up() -> None:
    # "514,20" read "51420" and "4.748,20" read "474820", among amounts printed to the cent.
    lines = [
        line("3", "17140", "51420"),
        line("24", "79.23", "1901.52"),
        line("10", "47482", "474820"),
    ]

    repaired = repair_misread_lines(lines, Decimal("7163.92"))

    assert amounts(repaired) == [
        (Decimal(3), Decimal("171.40"), Decimal("514.20")),
        (Decimal(24), Decimal("79.23"), Decimal("1901.52")),
        (Decimal(10), Decimal("474.82"), Decimal("4748.20")),
    ]


def test_amounts_without_a_mark_are_left_alone_where_no_line_prints_cents() -> None:
    lines = [line("3", "100", "300"), line("1", "250", "250")]
    assert repair_misread_lines(lines, Decimal("5.60")) == lines


def test_every_amount_that_lost_its_mark_is_read_as_hundredths_where_they_add_up() -> None:
    # A photo's "612,96" read "61296" and "170,81" read "17081": a hundred times the net.
    lines = [line("12", "5108", "61296"), line("1", "17081", "17081")]

    repaired = repair_misread_lines(lines, Decimal("783.77"))

    assert amounts(repaired) == [
        (Decimal(12), Decimal("51.08"), Decimal("612.96")),
        (Decimal(1), Decimal("170.81"), Decimal("170.81")),
    ]


def with_rates(lines: list[Line], *rates: str) -> list[Line]:
    return [
        item.model_copy(update={"tax_rate": Decimal(rate)})
        for item, rate in zip(lines, rates, strict=True)
    ]


@pytest.mark.parametrize(
    ("read", "printed", "total_tax"),
    [
        (("22", "2"), ("22", "22"), "66.00"),  # "22 %" read "2 %"
        (("20", "55"), ("20", "5.5"), "45.50"),  # "5,5 %" read "55 %"
        (("20", "10"), ("20", "20"), "60.00"),  # another line's rate
    ],
)
def test_a_misread_vat_rate_is_repaired_from_the_total_vat(
    read: tuple[str, ...], printed: tuple[str, ...], total_tax: str
) -> None:
    lines = with_rates([line("2", "100.00", "200.00"), line("1", "100.00", "100.00")], *read)

    repaired = repair_misread_lines(lines, Decimal("300.00"), Decimal(total_tax))

    assert [item.tax_rate for item in repaired] == [Decimal(rate) for rate in printed]


def test_two_misread_vat_rates_are_repaired_together_from_the_total_vat() -> None:
    # 19 % printed on four lines, read "5 %" and "10 %" on two of them.
    lines = with_rates(
        [
            line("1", "100.00", "100.00"),
            line("1", "200.00", "200.00"),
            line("1", "300.00", "300.00"),
            line("1", "50.00", "50.00"),
        ],
        "19",
        "5",
        "10",
        "7",
    )

    repaired = repair_misread_lines(lines, Decimal("650.00"), Decimal("117.50"))

    assert [item.tax_rate for item in repaired] == [Decimal(r) for r in ("19", "19", "19", "7")]


def test_a_line_whose_rate_was_not_read_takes_the_rate_that_adds_up() -> None:
    lines = [
        *with_rates([line("1", "100.00", "100.00"), line("1", "50.00", "50.00")], "20", "10"),
        line("1", "30.00", "30.00"),
    ]

    repaired = repair_misread_lines(lines, Decimal("180.00"), Decimal("31.00"))

    assert [item.tax_rate for item in repaired] == [Decimal(r) for r in ("20", "10", "20")]


def test_vat_rates_that_add_up_or_that_no_single_reading_explains_are_left_alone() -> None:
    lines = with_rates([line("2", "100.00", "200.00"), line("1", "100.00", "100.00")], "20", "10")
    assert repair_misread_lines(lines, Decimal("300.00"), Decimal("50.00")) == lines
    assert repair_misread_lines(lines, Decimal("300.00"), Decimal("12.34")) == lines


def test_of_two_amounts_a_digit_off_the_one_its_price_confirms_is_repaired() -> None:
    # "305,66" read "205,66"; "2781,86" could be "2881,86" as well, but its line says not.
    lines = [line(None, "305.66", "205.66"), line("45", "618.19", "2781.86")]

    repaired = repair_misread_lines(lines, Decimal("3087.52"))

    assert [item.net_amount for item in repaired] == [Decimal("305.66"), Decimal("2781.86")]


def test_an_amount_that_lost_its_cents_is_repaired_from_the_total() -> None:
    lines = [line("50", "70.10", "2628"), line("1", "10.00", "10.00")]  # "2628,75" read "2628"
    assert amounts(repair_misread_lines(lines, Decimal("2638.75")))[0][2] == Decimal("2628.75")


def test_an_amount_that_lost_a_digit_is_repaired_from_the_total() -> None:
    lines = [line(None, None, "32.7"), line("1", "10.00", "10.00")]  # "32,75" read "32,7"
    assert amounts(repair_misread_lines(lines, Decimal("42.75")))[0][2] == Decimal("32.75")
