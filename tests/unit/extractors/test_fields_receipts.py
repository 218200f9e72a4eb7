"""The field finder on till receipts: shop names on top, rounded totals, dates at the foot."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from extractors.fields import read_invoice
from tests.unit.extractors.pages import CHAR_WIDTH, SPACE, page


def test_the_rounded_total_is_the_gross_not_the_total_before_rounding() -> None:
    reading = read_invoice(
        [
            page(
                (40, 300, "Total Amount: 6.02"),
                (40, 315, "Rounding Adjustment -0.02"),
                (40, 330, "Nett Total: 6.00"),
                (40, 345, "Cash Received: 10.00"),
                (40, 360, "Change 4.00"),
            )
        ]
    )
    assert reading.fields.total_gross == Decimal("6.00")


def test_savings_and_cash_received_are_not_the_total() -> None:
    reading = read_invoice(
        [page((40, 300, "Total Saving 0.00 Total 77.20"), (40, 315, "Cash Tendered 100.00"))]
    )
    assert reading.fields.total_gross == Decimal("77.20")


def test_a_total_inclusive_of_gst_is_the_gross() -> None:
    reading = read_invoice([page((40, 300, "Total Incl.GST@6% RM9.90"))])
    assert reading.fields.total_gross == Decimal("9.90")
    assert reading.fields.total_tax is None


def test_a_date_glued_to_its_time_is_read() -> None:
    for printed, expected in (
        ("22/12/201714:03", date(2017, 12, 22)),
        ("07/01/1814:41", date(2018, 1, 7)),
    ):
        reading = read_invoice([page((40, 100, f"Date: {printed}"))])
        assert reading.fields.invoice_date == expected, printed


def test_numbers_with_mixed_separators_are_not_a_date() -> None:
    reading = read_invoice([page((40, 100, "0202-12/48"), (40, 700, "29-12-2017 Time 20:17"))])
    assert reading.fields.invoice_date == date(2017, 12, 29)


def test_an_unlabelled_date_at_the_foot_of_a_receipt_is_the_invoice_date() -> None:
    reading = read_invoice(
        [page((40, 40, "SAM TRADING CO"), (40, 500, "TOTAL RM 14.10"), (40, 700, "29-12-2017"))]
    )
    assert reading.fields.invoice_date == date(2017, 12, 29)


def test_an_unlabelled_date_may_share_its_row_with_references() -> None:
    reading = read_invoice([page((40, 600, "ORD #07 -REG #19- 10/03/2018 17:24:07"))])
    assert reading.fields.invoice_date == date(2018, 3, 10)


def test_a_malaysian_legal_form_ends_a_company_name() -> None:
    reading = read_invoice([page((40, 40, "BOOK TA .K (TAMAN DAYA) SDN BHD"))])
    assert reading.fields.seller_name == "BOOK TA .K (TAMAN DAYA) SDN BHD"


def test_the_shop_name_is_the_first_of_the_largest_rows_on_top() -> None:
    shop = page((40, 40, "RESTORAN WAN SHENG"), (40, 60, "No.2, Jalan Temenggung 19/9"), ocr=0.9)
    # The address is printed a little taller than the name, as OCR boxes vary.
    for word in shop.words[3:]:
        word.bottom += 1
    assert read_invoice([shop]).fields.seller_name == "RESTORAN WAN SHENG"


def test_a_poorly_read_row_on_top_is_not_the_shop_name() -> None:
    scribble = page((40, 20, "3 Porolr"), ocr=0.4)
    name = page((40, 60, "SYARIKAT PERNIAGAAN GIN KEE"), ocr=0.9)
    scribble.words.extend(name.words)
    assert read_invoice([scribble]).fields.seller_name == "SYARIKAT PERNIAGAAN GIN KEE"


def centred(y: float, text: str) -> tuple[float, float, str]:
    """Return the piece of ``text`` centred on x = 300, as a receipt prints its letterhead."""
    width = CHAR_WIDTH * len(text.replace(" ", "")) + SPACE * text.count(" ")
    return (300 - width / 2, y, text)


def test_a_centred_letterhead_is_the_seller_not_the_recipient_window() -> None:
    # The name, the GST line and the postcode line start within half a row height of each
    # other by chance; the lines between them do not: a centred block, not an address window.
    reading = read_invoice(
        [
            page(
                centred(100, "Timeless Kitchenette Sdn Bhd"),
                centred(112, "Company no : 1174703-K"),
                centred(124, "GST Reg no : 0000 6771 0976"),
                centred(136, "Lot 50, Floor 12, Sky Avenue Resort"),
                centred(148, "63000 Genting Highlands."),
                centred(180, "Invoice no: 000039121"),
                (40, 400, "Total Amount: 42.40"),
                ocr=0.95,
            )
        ]
    )
    assert reading.fields.seller_name == "Timeless Kitchenette Sdn Bhd"
    assert reading.fields.buyer_name is None
