"""Invoice lines found from quantity x unit price = net amount, with no header word."""

from __future__ import annotations

from decimal import Decimal

from extractors.labels import rows_of_page
from extractors.line_arithmetic import read_lines_by_arithmetic, read_lines_by_sum
from tests.unit.extractors.pages import page


def lines_of(
    *pieces: tuple[float, float, str], ocr: float | None = None
) -> list[tuple[str | None, Decimal | None]]:
    rows = rows_of_page(page(*pieces, ocr=ocr), 0)
    return [(line.description, line.net_amount) for line in read_lines_by_arithmetic(rows)]


def test_reads_rows_whose_numbers_multiply_out_in_any_column_order() -> None:
    assert lines_of(
        (40, 100, "Zorblat widget"),
        (250, 100, "12,50 €"),
        (330, 100, "4"),
        (400, 100, "50,00 €"),
        (40, 120, "Quuxing (hours)"),
        (250, 120, "3"),
        (330, 120, "1 200,00"),
        (400, 120, "3 600,00"),
    ) == [("Zorblat widget", Decimal("50.00")), ("Quuxing (hours)", Decimal("3600.00"))]


def test_a_discount_rate_and_a_vat_rate_are_told_apart_by_the_arithmetic() -> None:
    rows = rows_of_page(page((40, 100, "Frobnication"), (250, 100, "2 100,00 10 % 20 % 180,00")), 0)
    (line,) = read_lines_by_arithmetic(rows)
    assert (line.quantity, line.unit_price, line.net_amount) == (2, Decimal(100), Decimal(180))
    assert line.tax_rate == Decimal(20)


def test_a_number_of_the_description_is_not_taken_for_the_discount() -> None:
    # 5 x 27,21 less "80" % also makes 27,21: the 80 is the paper's weight, left of the line.
    rows = rows_of_page(
        page((40, 100, "Papel A4 80 g (caja de 5 paquetes)"), (300, 100, "1 27,21 - 21 % 27,21")), 0
    )
    (line,) = read_lines_by_arithmetic(rows)
    assert (line.description, line.quantity) == ("Papel A4 80 g (caja de 5 paquetes)", 1)


def test_a_discount_rate_equal_to_the_quantity_is_still_the_discount() -> None:
    rows = rows_of_page(page((40, 100, "Toner negro"), (250, 100, "10 75,92 10 % 21 % 683,28")), 0)
    (line,) = read_lines_by_arithmetic(rows)
    assert (line.quantity, line.unit_price, line.net_amount) == (
        10,
        Decimal("75.92"),
        Decimal("683.28"),
    )
    assert line.tax_rate == Decimal(21)


def test_a_leading_quantity_and_an_item_code_stay_out_of_the_description() -> None:
    found = lines_of((40, 100, "6"), (80, 100, "Blarg folders A4"), (300, 100, "BF-4 25,96 155,76"))
    assert found == [("Blarg folders A4", Decimal("155.76"))]


def test_text_rows_right_under_a_line_continue_its_description() -> None:
    found = lines_of(
        (40, 100, "Snorkel repair"),
        (300, 100, "2 10,00 20,00"),
        (40, 112, "Serial 4471"),
        (40, 200, "Thank you for your order"),
    )
    assert found == [("Snorkel repair Serial 4471", Decimal("20.00"))]


def test_a_unit_price_ocr_read_without_its_decimal_mark_still_multiplies_out() -> None:
    # "474,35" read "47435": in hundredths it makes the line; a text layer prints what it says.
    row = ((40, 100, "Documentation technique"), (250, 100, "3"), (300, 100, "47435"))
    amount = (400, 100, "1423,05")

    assert lines_of(*row, amount, ocr=0.9) == [("Documentation technique", Decimal("1423.05"))]
    assert lines_of(*row, amount) == []


def test_a_quantity_ocr_read_without_its_decimal_mark_still_multiplies_out() -> None:
    # "7,5" read "75": in tenths it makes the line; a text layer prints what it says.
    row = ((40, 100, "Consulenza tecnica (giornata)"), (250, 100, "75"), (300, 100, "850,60"))
    amount = (400, 100, "6.379,50")

    assert lines_of(*row, amount, ocr=0.9) == [
        ("Consulenza tecnica (giornata)", Decimal("6379.50"))
    ]
    assert lines_of(*row, amount) == []


def test_a_number_read_as_printed_is_preferred_to_one_rescaled() -> None:
    # "80" in tenths is 8, the quantity the row prints: the description keeps its "80 g".
    rows = rows_of_page(
        page(
            (40, 100, "Papel A4 80 g (caja)"),
            (250, 100, "8"),
            (300, 100, "29,70"),
            (400, 100, "237,60"),
            ocr=0.9,
        ),
        0,
    )

    (line,) = read_lines_by_arithmetic(rows)
    assert (line.description, line.quantity) == ("Papel A4 80 g (caja)", Decimal(8))


def test_rows_whose_numbers_do_not_multiply_out_are_not_lines() -> None:
    assert lines_of((40, 100, "Total HT 1 234,56"), (40, 120, "TVA 20 % 246,91")) == []


def by_sum(total: str, *pieces: tuple[float, float, str]) -> list[tuple[str | None, Decimal]]:
    rows = rows_of_page(page(*pieces), 0)
    found = read_lines_by_sum(rows, Decimal(total))
    return [(line.description, line.net_amount or Decimal(0)) for line in found]


def test_a_table_of_descriptions_and_amounts_reads_by_its_sum_to_the_net() -> None:
    assert by_sum(
        "1200.50",
        (40, 80, "Zzyx Qwom"),  # header words no dictionary knows
        (40, 100, "Frobnication service"),
        (400, 100, "1 000,00"),
        (470, 100, "20,00"),  # a rate column without "%": not the amount column
        (40, 112, "Lot 4521"),
        (40, 130, "Blarg folders"),
        (400, 130, "200,50"),
        (470, 130, "10,00"),
        (40, 160, "Qwom Zzyx"),
        (400, 160, "1 200,50"),
    ) == [
        ("Frobnication service Lot 4521", Decimal("1000.00")),
        ("Blarg folders", Decimal("200.50")),
    ]


def test_a_row_labelled_as_a_total_is_no_line_though_its_amount_is_the_net() -> None:
    assert (
        by_sum(
            "1200.50",
            (40, 100, "Frobnication service"),
            (400, 100, "1 000,00,"),  # an amount OCR misprinted is still read
            (40, 130, "Total HT"),
            (400, 130, "1 200,50"),
        )
        == []
    )


def test_a_subtotal_carried_over_is_passed_and_no_run_gives_no_lines() -> None:
    pieces = (
        (40, 100, "Frobnication"),
        (400, 100, "300,00"),
        (40, 120, "Carried forward"),
        (400, 120, "300,00"),
        (40, 140, "Blarg folders"),
        (400, 140, "45,00"),
    )
    assert by_sum("345.00", *pieces) == [
        ("Frobnication", Decimal("300.00")),
        ("Blarg folders", Decimal("45.00")),
    ]
    assert by_sum("999.00", *pieces) == []


def test_a_table_read_by_its_sum_goes_on_in_another_column_on_the_next_page() -> None:
    first = page(
        (40, 100, "Frobnication service"),
        (400, 100, "300,00"),
        (40, 120, "Blarg folders"),
        (400, 120, "45,00"),
        number=1,
    )
    second = page(
        (40, 100, "Zorblat widget"),
        (300, 100, "55,00"),
        (40, 140, "Qwom Zzyx"),
        (450, 140, "400,00"),
        number=2,
    )
    rows = rows_of_page(first, 0) + rows_of_page(second, 1)
    found = read_lines_by_sum(rows, Decimal("400.00"))
    assert [(line.description, line.net_amount) for line in found] == [
        ("Frobnication service", Decimal("300.00")),
        ("Blarg folders", Decimal("45.00")),
        ("Zorblat widget", Decimal("55.00")),
    ]


def test_a_row_of_identifiers_too_long_to_be_amounts_is_no_line_and_no_error() -> None:
    # Two 14-digit registration numbers multiply past Decimal's 28 digits at cents.
    row = ((40, 100, "SIRET"), (100, 100, "12345678900012"), (250, 100, "98765432100019"))

    assert lines_of(*row, (400, 100, "1 000,00")) == []
    assert lines_of(*row, (400, 100, "1 000,00"), ocr=0.9) == []
