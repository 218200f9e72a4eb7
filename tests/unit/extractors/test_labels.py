"""Rows of positioned words, as every reader sees a page."""

from __future__ import annotations

from extractors.labels import rows_of_page
from tests.unit.extractors.pages import page


def test_an_amount_ocr_split_after_its_decimal_mark_is_one_word_again() -> None:
    pieces = (
        (40, 100, "Ergonomic office chair 3 381.85"),
        (300, 100, "1145."),
        (330, 100, "55"),
        (40, 130, "Docking station 2 158.12"),
        (300, 130, "316:"),
        (325, 130, "24"),
    )
    rows = rows_of_page(page(*pieces, ocr=0.9), 0)
    assert [row.text for row in rows] == [
        "Ergonomic office chair 3 381.85 1145.55",
        "Docking station 2 158.12 316.24",
    ]


def test_printed_text_and_numbers_far_apart_are_left_as_they_are() -> None:
    assert [row.text for row in rows_of_page(page((40, 100, "Total: 20"), ocr=0.9), 0)] == [
        "Total: 20"
    ]
    assert [row.text for row in rows_of_page(page((40, 100, "Item 12."), (200, 100, "25")), 0)] == [
        "Item 12. 25"
    ]
    text = rows_of_page(page((300, 100, "1145."), (330, 100, "55")), 0)
    assert [row.text for row in text] == ["1145. 55"]
