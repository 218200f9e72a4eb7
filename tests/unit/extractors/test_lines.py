"""Invoice lines from the item table: columns by header, wrapped rows, pages, gaps."""

from __future__ import annotations

from decimal import Decimal

from extractors.fields import read_invoice
from extractors.labels import rows_of_page
from extractors.lines import find_item_headers, read_lines, read_lines_from_rows
from invoicebot.model import Line
from tests.unit.extractors.pages import page

HEADER = (
    (40, 300, "Désignation"),
    (300, 300, "Qté"),
    (350, 300, "P.U. HT"),
    (420, 300, "TVA"),
    (480, 300, "Montant HT"),
)


def item(
    y: float, description: str, quantity: str, price: str, rate: str, amount: str
) -> tuple[tuple[float, float, str], ...]:
    """Return the pieces of one table row at height ``y``."""
    return (
        (40, y, description),
        (305, y, quantity),
        (355, y, price),
        (420, y, rate),
        (490, y, amount),
    )


def line(description: str, quantity: str, price: str, rate: str, amount: str) -> Line:
    return Line(
        description=description,
        quantity=Decimal(quantity),
        unit_price=Decimal(price),
        tax_rate=Decimal(rate),
        net_amount=Decimal(amount),
    )


def test_reads_each_row_by_its_header_columns() -> None:
    lines = read_lines(
        [
            page(
                *HEADER,
                *item(320, "Ramette papier A4", "3", "92,18", "20 %", "276,54"),
                *item(340, "Livre de compta", "2", "50,72", "5,5 %", "101,44"),
                (300, 400, "Total HT 377,98 €"),
                (300, 415, "TVA 59,46 €"),
            )
        ],
        "fr",
    )
    assert lines == [
        line("Ramette papier A4", "3", "92.18", "20", "276.54"),
        line("Livre de compta", "2", "50.72", "5.5", "101.44"),
    ]


def test_joins_wrapped_descriptions_and_keeps_missing_values_null() -> None:
    lines = read_lines(
        [
            page(
                *HEADER,
                *item(320, "Formation inter-entreprises", "2", "880,46", "20 %", "1 760,92"),
                (40, 332, "(deux jours, Lyon)"),
                (40, 355, "Frais de port"),
                (490, 355, "15,00"),
                (300, 420, "Total TTC 2 131,10 €"),
            )
        ],
        "fr",
    )
    assert lines == [
        line("Formation inter-entreprises (deux jours, Lyon)", "2", "880.46", "20", "1760.92"),
        Line(description="Frais de port", net_amount=Decimal("15.00")),
    ]


def test_reads_headers_stacked_on_two_rows() -> None:
    lines = read_lines(
        [
            page(
                (360, 292, "Prix"),
                (40, 300, "Description"),
                (300, 300, "Quantité"),
                (460, 300, "Total HT"),
                (355, 308, "unitaire"),
                (40, 325, "Nougat 250g"),
                (310, 325, "50"),
                (365, 325, "4,55 €"),
                (465, 325, "227,50 €"),
            )
        ],
        "fr",
    )
    assert lines == [
        Line(
            description="Nougat 250g",
            quantity=Decimal("50"),
            unit_price=Decimal("4.55"),
            net_amount=Decimal("227.50"),
        )
    ]


def test_a_header_in_two_languages_names_one_column() -> None:
    lines = read_lines(
        [
            page(
                (40, 300, "Description / Désignation"),
                (300, 300, "Qty / Qté"),
                (380, 300, "Net / Total"),
                (40, 320, "Height-adjustable desk"),
                (310, 320, "3"),
                (390, 320, "1 164,81"),
            )
        ]
    )
    assert lines == [
        Line(
            description="Height-adjustable desk",
            quantity=Decimal(3),
            net_amount=Decimal("1164.81"),
        )
    ]


def test_of_two_columns_named_for_the_description_the_one_holding_text_is_it() -> None:
    # "Code article" reads as an ignored column and a description; the codes under it are
    # short and the descriptions under "Description" long.
    lines = read_lines(
        [
            page(
                (40, 300, "Code article"),
                (140, 300, "Description"),
                (330, 300, "Quantité"),
                (420, 300, "Montant HT"),
                (40, 320, "STY-BL50"),
                (140, 320, "Stylos bille bleus"),
                (340, 320, "2"),
                (430, 320, "29,86"),
            )
        ]
    )
    assert lines == [
        Line(description="Stylos bille bleus", quantity=Decimal(2), net_amount=Decimal("29.86"))
    ]


def test_skips_subtotals_and_stops_at_the_totals() -> None:
    lines = read_lines(
        [
            page(
                (40, 300, "Description"),
                (300, 300, "Quantity"),
                (380, 300, "Unit price"),
                (480, 300, "Amount"),
                (40, 320, "Beeswax"),
                (305, 320, "1.00"),
                (385, 320, "42.00"),
                (485, 320, "42.00"),
                (380, 340, "Subtotal"),
                (485, 340, "42.00"),
                (40, 360, "Olive oil"),
                (305, 360, "2.00"),
                (385, 360, "1.00"),
                (485, 360, "2.00"),
                (380, 400, "Tax 15%"),
                (485, 400, "6.60"),
                (380, 420, "Total"),
                (485, 420, "50.60"),
            )
        ],
        "en",
    )
    assert [entry.description for entry in lines] == ["Beeswax", "Olive oil"]
    assert [entry.net_amount for entry in lines] == [Decimal("42.00"), Decimal("2.00")]


def test_reads_tables_over_several_pages() -> None:
    first = page(*HEADER, *item(320, "Article un", "1", "10,00", "20 %", "10,00"), number=1)
    second = page(
        *HEADER,
        *item(320, "Article deux", "2", "5,00", "20 %", "10,00"),
        (300, 400, "Total TTC 24,00 €"),
        number=2,
    )
    lines = read_lines([first, second], "fr")
    assert [entry.description for entry in lines] == ["Article un", "Article deux"]


def test_a_table_goes_on_at_the_top_of_a_page_without_header() -> None:
    first = page(
        (40, 40, "ACME Fournitures SAS"),
        *HEADER,
        *item(320, "Article un", "1", "10,00", "20 %", "10,00"),
        (40, 800, "Page 1/2"),
        number=1,
    )
    second = page(
        (40, 40, "ACME Fournitures SAS - Tél. 01 23 45 67 89"),
        (40, 100, "Report"),
        (490, 100, "10,00"),
        *item(120, "Article deux", "2", "5,00", "20 %", "10,00"),
        (40, 132, "(suite)"),
        (300, 400, "Total TTC 24,00 €"),
        number=2,
    )
    lines = read_lines([first, second], "fr")
    assert lines == [
        line("Article un", "1", "10.00", "20", "10.00"),
        line("Article deux (suite)", "2", "5.00", "20", "10.00"),
    ]


def test_a_page_without_an_item_table_has_no_lines() -> None:
    assert read_lines([page((40, 100, "Merci pour votre confiance"))], None) == []
    assert read_lines([], None) == []


def test_read_invoice_returns_the_lines_too() -> None:
    reading = read_invoice(
        [page(*HEADER, *item(320, "Ramette papier A4", "3", "92,18", "20 %", "276,54"))]
    )
    assert reading.lines == [line("Ramette papier A4", "3", "92.18", "20", "276.54")]


def test_a_column_no_header_word_names_is_filled_from_the_lines_own_arithmetic() -> None:
    # "Nbre" names no column: the header reading has no quantity; the arithmetic of the
    # row (10 x 98,56 = 985,60) gives it, since both readings add up to the net total.
    reading = read_invoice(
        [
            page(
                (40, 300, "Désignation"),
                (300, 300, "Nbre"),
                (350, 300, "P.U. HT"),
                (480, 300, "Montant HT"),
                *item(320, "Toner laser noir", "10", "98,56", "", "985,60"),
                (300, 400, "Total HT 985,60 €"),
                (300, 415, "TVA 20 % 197,12 €"),
                (300, 430, "Total TTC 1 182,72 €"),
            )
        ]
    )
    assert reading.fields.total_net == Decimal("985.60")
    assert reading.lines == [
        Line(
            description="Toner laser noir",
            quantity=Decimal(10),
            unit_price=Decimal("98.56"),
            net_amount=Decimal("985.60"),
        )
    ]


def test_a_bare_amount_that_sums_the_lines_above_is_a_subtotal_not_a_line() -> None:
    # OCR garbled the subtotal's label ("Surnme netto"): its amount, the sum of the lines
    # above it, is still not a line. A line with a description is kept whatever its amount.
    lines = read_lines(
        [
            page(
                *HEADER,
                *item(320, "Article un", "1", "10,00", "20 %", "10,00"),
                *item(340, "Article deux", "2", "5,00", "20 %", "10,00"),
                *item(360, "Article trois", "4", "5,00", "20 %", "20,00"),
                (300, 380, "Surnme netto"),
                (490, 380, "40,00"),
            )
        ],
        "fr",
    )
    assert [entry.description for entry in lines] == ["Article un", "Article deux", "Article trois"]


# "Stückzahl" names no column: its 6,00 falls in the rate cell beside "19 %".
GERMAN_TABLE = (
    (40, 300, "Beschreibung"),
    (250, 300, "E-Preis"),
    (330, 300, "Stückzahl"),
    (400, 300, "Steuersatz"),
    (490, 300, "Gesamt"),
    (40, 320, "Cloud-Backup (Monat)"),
    (255, 320, "40,66"),
    (360, 320, "6,00"),
    (410, 320, "19 %"),
    (490, 320, "243,96"),
)


def test_a_number_run_into_the_rate_cell_is_not_glued_onto_the_rate() -> None:
    # The rate is the number the percent sign ends, not "6,0019 %".
    lines = read_lines(
        [
            page(
                *GERMAN_TABLE,
            )
        ],
        "de",
    )
    assert [(entry.unit_price, entry.tax_rate) for entry in lines] == [
        (Decimal("40.66"), Decimal(19))
    ]


def test_the_header_column_tells_the_price_from_the_quantity_of_the_arithmetic() -> None:
    # 6,00 x 40,66 = 243,96 does not say which is the price; the header's "E-Preis" does.
    reading = read_invoice(
        [
            page(
                *GERMAN_TABLE,
                (330, 400, "Nettobetrag: 243,96 €"),
                (330, 415, "MwSt. 19 %: 46,35 €"),
                (330, 430, "Gesamtbetrag: 290,31 €"),
            )
        ]
    )
    assert reading.fields.total_net == Decimal("243.96")
    assert [(entry.quantity, entry.unit_price) for entry in reading.lines] == [
        (Decimal("6.00"), Decimal("40.66"))
    ]


def test_the_table_ends_at_the_row_that_prints_the_net_total() -> None:
    # The VAT per rate under the net total carries a label no dictionary takes for a
    # total ("Taux TVA 21"): once the net is known, its row ends the table.
    reading = read_invoice(
        [
            page(
                (40, 300, "Libellé"),
                (380, 300, "Taux TVA"),
                (480, 300, "Montant HT"),
                (40, 320, "Ramette papier A4"),
                (390, 320, "20"),
                (490, 320, "276,54"),
                (40, 340, "Livre de compta"),
                (390, 340, "5,5"),
                (490, 340, "101,44"),
                (300, 380, "Montant net HT:"),
                (490, 380, "377,98 €"),
                (300, 395, "Taux TVA 20"),
                (490, 395, "55,31 €"),
                (300, 410, "Taux TVA 5,5"),
                (490, 410, "5,58 €"),
                (300, 425, "Total TVA:"),
                (490, 425, "60,89 €"),
                (300, 440, "Total T.T.C.:"),
                (490, 440, "438,87 €"),
            )
        ]
    )
    assert reading.fields.total_net == Decimal("377.98")
    assert [(entry.description, entry.net_amount) for entry in reading.lines] == [
        ("Ramette papier A4", Decimal("276.54")),
        ("Livre de compta", Decimal("101.44")),
    ]


def test_a_row_printing_the_net_total_with_nothing_under_the_description_ends_the_table() -> None:
    rows = rows_of_page(
        page(
            (40, 80, "Description"),
            (300, 80, "Qty"),
            (380, 80, "Price"),
            (520, 80, "Amount"),
            (40, 100, "Frobnication service"),
            (300, 100, "2"),
            (380, 100, "150,00"),
            (520, 100, "300,00"),
            (380, 130, "Zzyx qwom:"),  # the net total's label, in no dictionary
            (520, 130, "300,00"),
            (380, 150, "Blarg 20 %"),  # the VAT by rate, its label unknown too
            (520, 150, "60,00"),
        ),
        0,
    )
    lines = read_lines_from_rows(rows, find_item_headers(rows), total_net=Decimal("300.00"))
    assert [(line.description, line.net_amount) for line in lines] == [
        ("Frobnication service", Decimal("300.00"))
    ]


def test_reads_spanish_and_italian_headers_and_passes_over_discount_columns() -> None:
    for description, quantity, price, discount, rate, amount in (
        ("Descripción", "Cant.", "Precio unitario", "Dto.", "% IVA", "Importe"),
        ("Descrizione", "Qtà", "Prezzo unitario", "Sc. %", "Aliquota", "Importo"),
    ):
        header = (
            (40, 300, description),
            (260, 300, quantity),
            (300, 300, price),
            (380, 300, discount),
            (430, 300, rate),
            (490, 300, amount),
        )
        row = (
            (40, 320, "Toner"),
            (265, 320, "2"),
            (310, 320, "50,00"),
            (385, 320, "10 %"),
            (430, 320, "21 %"),
            (495, 320, "90,00"),
        )

        lines = read_lines([page(*header, *row)], None)

        assert lines == [line("Toner", "2", "50.00", "21", "90.00")]


def test_a_percent_column_no_label_names_keeps_its_numbers_out_of_the_amounts() -> None:
    # OCR read "Btw %" as "Bin %" (or "Discount %" as "ount %"): rates or discounts, which
    # is not known, but not the amounts of the column beside them.
    header = ((40, 300, "Artikel"), (300, 300, "Aant."), (350, 300, "Bedrag"), (430, 300, "Bin %"))
    rows = [
        *((40, 320, "Training"), (305, 320, "2"), (355, 320, "200,00"), (435, 320, "21")),
        *((40, 340, "Lunch"), (305, 340, "1"), (355, 340, "12,09"), (435, 340, "6")),
    ]

    lines = read_lines([page(*header, *rows)], None)

    assert [(item.net_amount, item.tax_rate) for item in lines] == [
        (Decimal("200.00"), None),
        (Decimal("12.09"), None),
    ]


def test_a_lone_number_under_the_amounts_with_no_description_is_no_line() -> None:
    # "Fortsetzung auf Seite 2" printed across the numeric columns under the last line.
    lines = read_lines(
        [
            page(
                *HEADER,
                *item(320, "Ramette papier A4", "3", "92,18", "20 %", "276,54"),
                (350, 345, "Fortsetzung auf Seite"),
                (495, 345, "2"),
            )
        ],
        "de",
    )
    assert lines == [line("Ramette papier A4", "3", "92.18", "20", "276.54")]
