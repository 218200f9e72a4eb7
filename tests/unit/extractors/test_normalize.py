"""The normalisers: every printed form of amounts, dates, rates, currencies, identifiers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from extractors import normalize
from extractors.normalize import (
    amounts_remembered,
    compact_identifier,
    fold_text,
    looks_like_date,
    month_first_dates,
    parse_amount,
    parse_cell_amount,
    parse_currency,
    parse_date,
    parse_percent,
)

NBSP = "\u00a0"
NARROW_NBSP = "\u202f"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.529,70", "1529.70"),  # as parse_amount
        ("955,00.", "955.00"),  # a speck after the cents read as a full stop
        ("1 358,52;", "1358.52"),
        ("5.098.86", "5098.86"),  # the decimal comma read as a full stop
        ("1,234,567,89", "1234567.89"),
        ("§57,19", "557.19"),  # a digit read as a glyph like it
        ("1.S29,70", "1529.70"),
        ("(4323.52 EUR", "4323.52"),  # one bracket alone: a rule or glyph, not a negative
        ("|1.234,56 €", "1234.56"),
        ("(4323.52)", "-4323.52"),  # both brackets: a negative amount
        ("__646, 29", "646.29"),  # a rule read as underscores, the cents boxed apart
    ],
)
def test_parse_cell_amount_reads_ocr_s_misprinted_marks(text: str, expected: str) -> None:
    assert parse_cell_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        "1.234.567",
        "12,5.",
        "2026.10.01",
        "1.000.00.",
        "abc.",
        "Stk.",
        "S1",
        "2O26",
        "SO,50",
        "(12",
        "12, 5",
        "__",
    ],
)
def test_parse_cell_amount_reads_no_other_shape_as_cents(text: str) -> None:
    assert parse_cell_amount(text) in (None, parse_amount(text))
    if text == "1.234.567":
        assert parse_cell_amount(text) == Decimal(1234567)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 234,56", "1234.56"),
        (f"1{NBSP}234,56", "1234.56"),
        (f"1{NARROW_NBSP}234,56 €", "1234.56"),
        ("12 345 678,90", "12345678.90"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1,234,567.89", "1234567.89"),
        ("1234.56", "1234.56"),
        ("1234,5", "1234.5"),
        ("-12,00", "-12.00"),
        ("(12.00)", "-12.00"),
        ("12,00-", "-12.00"),
        ("\u22125,00", "-5.00"),
        ("€12.00", "12.00"),
        ("12,00 €", "12.00"),
        ("12,00€", "12.00"),
        ("EUR 1.234,56", "1234.56"),
        ("1.234,56 EUR", "1234.56"),
        ("$4.11", "4.11"),
        ("-$4.11", "-4.11"),
        ("£3.50", "3.50"),
        ("CHF 1'234.50", "1234.50"),
        ("Rs 1939", "1939"),
        ("0,750", "0.750"),
        ("9,9000", "9.9000"),
        ("1.000", "1000"),
        ("2.321,00", "2321.00"),
        ("42", "42"),
    ],
)
def test_parse_amount_reads_every_common_form(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "Total",
        "12/11/2026",
        "14.11.2026",
        "20%",
        "FR76",
        "1 23",
        "12,",
        "1.23.4,5,6",
        "€",
    ],
)
def test_parse_amount_refuses_what_is_not_an_amount(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14/11/2026", date(2026, 11, 14)),
        ("14.11.2026", date(2026, 11, 14)),
        ("14-11-2026", date(2026, 11, 14)),
        ("2026-11-14", date(2026, 11, 14)),
        ("03/04/2026", date(2026, 4, 3)),
        ("21.05.14", date(2014, 5, 21)),
        ("14 novembre 2026", date(2026, 11, 14)),
        ("14 nov. 2026", date(2026, 11, 14)),
        ("1er mars 2026", date(2026, 3, 1)),
        ("14 févr. 2026", date(2026, 2, 14)),
        ("Nov 14, 2026", date(2026, 11, 14)),
        ("November 14, 2026", date(2026, 11, 14)),
        ("14 November 2026", date(2026, 11, 14)),
        ("14. November 2026", date(2026, 11, 14)),
        ("7. Mai 2014", date(2014, 5, 7)),
        ("13. Februar 2014", date(2014, 2, 13)),
        ("14/11/2026:", date(2026, 11, 14)),
        ("14-Nov-2026", date(2026, 11, 14)),
        ("14th November 2026", date(2026, 11, 14)),
        ("2026/11/14", date(2026, 11, 14)),
        ("lundi 14 novembre 2026", date(2026, 11, 14)),
    ],
)
def test_parse_date_reads_french_english_and_german_forms(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mardi ler septembre 2026", date(2026, 9, 1)),
        ("Ier octobre 2026", date(2026, 10, 1)),
        ("September lst, 2026", date(2026, 9, 1)),
        ("l. Mai 2026", date(2026, 5, 1)),
    ],
)
def test_parse_date_reads_the_first_of_the_month_ocr_read_with_a_letter(
    text: str, expected: date
) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["Rue de l'Eglise 12 2026", "ler 2026"])
def test_parse_date_reads_no_first_of_the_month_without_a_month_beside_it(text: str) -> None:
    assert parse_date(text) is None


def test_parse_date_reads_numeric_dates_month_first_when_told() -> None:
    assert parse_date("03/04/2026", day_first=False) == date(2026, 3, 4)
    assert parse_date("11/17/2017", day_first=False) == date(2017, 11, 17)
    # Dots are the day-first custom, whatever the document's other dates.
    assert parse_date("06.08.26", day_first=False) == date(2026, 8, 6)
    assert parse_date("06.08.2026", day_first=False) == date(2026, 8, 6)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "12",
        "Total",
        "471102",
        "1.000,00",
        "08.30",
        "mars 2026",
        "01.05.14-31.05.14",
        "INV-2024-0001",
    ],
)
def test_parse_date_refuses_what_is_not_a_whole_date(text: str) -> None:
    assert parse_date(text) is None


def test_looks_like_date_filters_before_dateparser_is_asked() -> None:
    assert looks_like_date("14/11/2026")
    assert looks_like_date("14 novembre 2026")
    assert not looks_like_date("Total")
    assert not looks_like_date("1234,56")


def test_only_a_text_naming_a_month_in_the_languages_asks_dateparser() -> None:
    languages = ("fr", "en", "de", "es", "it", "nl")
    assert parse_date("28 de agosto de 2026", languages) == date(2026, 8, 28)
    assert parse_date("3 giugno 2026", languages) == date(2026, 6, 3)
    assert parse_date("15 mei 2026", languages) == date(2026, 5, 15)
    asked = normalize._parse_date_cached.cache_info().misses
    assert looks_like_date("Calle Mayor 2016") and parse_date("Calle Mayor 2016", languages) is None
    # A day, a month's name and a year are read without dateparser too; other forms ask it.
    assert parse_date("Monday, 17th November 2031", languages) == date(2031, 11, 17)
    assert parse_date("31 février 2031", languages) is None
    assert normalize._parse_date_cached.cache_info().misses == asked
    assert parse_date("17 nov. 31", languages) == date(2031, 11, 17)
    assert normalize._parse_date_cached.cache_info().misses == asked + 1


def test_month_first_dates_needs_proof_and_no_contrary_proof() -> None:
    assert month_first_dates(["Invoice date 11/03/2017", "Paid 11/17/2017"])
    assert not month_first_dates(["11/03/2017"])
    assert not month_first_dates(["11/17/2017", "17/11/2017"])
    assert not month_first_dates(["14.11.2026"])


def test_with_no_proof_a_us_address_says_month_first() -> None:
    assert month_first_dates(["Chicago, IL 60601", "Issued on 04/11/2026"])
    assert not month_first_dates(["75008 Paris", "Issued on 04/11/2026"])
    assert not month_first_dates(["New York, NY 10013", "Issued on 13/11/2026"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20%", "20"),
        ("20 %", "20"),
        ("5,5%", "5.5"),
        ("5.5 %", "5.5"),
        ("19.00%", "19"),
        ("7,0 %", "7"),
    ],
)
def test_parse_percent(text: str, expected: str) -> None:
    assert parse_percent(text) == Decimal(expected)
    assert str(parse_percent(text)) == expected


@pytest.mark.parametrize("text", ["20", "x%", "150%", "", "%"])
def test_parse_percent_refuses_non_rates(text: str) -> None:
    assert parse_percent(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("€", "EUR"),
        ("EUR", "EUR"),
        ("eur", "EUR"),
        ("euros", "EUR"),
        ("$4.11", "USD"),
        ("US$", "USD"),
        ("£", "GBP"),
        ("CHF", "CHF"),
        ("Rs", "INR"),
        ("(EUR)", "EUR"),
        ("12,00 €", "EUR"),
    ],
)
def test_parse_currency(text: str, expected: str) -> None:
    assert parse_currency(text) == expected


@pytest.mark.parametrize("text", ["", "Europa", "Frankfurt", "Mo.-Fr.", "Total"])
def test_parse_currency_refuses_words_holding_a_code(text: str) -> None:
    assert parse_currency(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FR76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189"),
        ("fr 44-732.829.320", "FR44732829320"),
        (f"732{NBSP}829{NARROW_NBSP}320 00074", "73282932000074"),
        ("DE123456789", "DE123456789"),
    ],
)
def test_compact_identifier(text: str, expected: str) -> None:
    assert compact_identifier(text) == expected


def test_fold_text_keeps_one_character_per_character() -> None:
    text = "N° Échéance Straße \u2013 TVA\u00a0"
    folded = fold_text(text)
    assert len(folded) == len(text)
    assert folded == "no echeance straße - tva "


def test_amounts_remembered_in_a_block_read_as_outside_it_and_are_forgotten_after() -> None:
    texts = ["1 234,56 €", "(12.00)", "abc", "1 234,56 €", "-1.234,5", "abc"]
    outside = [parse_amount(text) for text in texts]
    with amounts_remembered():
        inside = [parse_amount(text) for text in texts]
        assert normalize._AMOUNTS_READ.get() == {text: parse_amount(text) for text in texts}
    assert (
        inside
        == outside
        == [
            Decimal("1234.56"),
            Decimal("-12.00"),
            None,
            Decimal("1234.56"),
            Decimal("-1234.5"),
            None,
        ]
    )
    assert normalize._AMOUNTS_READ.get() is None
