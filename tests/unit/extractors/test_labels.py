"""Rows of positioned words, as every reader sees a page."""

from __future__ import annotations

import pytest

from extractors.labels import rows_of_page
from extractors.labels.matching import (
    _TOKEN,
    COLUMN_LABEL_SET,
    FIELD_LABEL_SET,
    LabelSet,
    _label_pattern,
    _longest_literal,
)
from extractors.normalize import fold_text
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


@pytest.mark.parametrize("labels", [FIELD_LABEL_SET, COLUMN_LABEL_SET], ids=["fields", "columns"])
def test_every_way_a_label_may_be_printed_holds_the_text_tested_before_its_search(
    labels: LabelSet,
) -> None:
    # ``LabelSet.find`` searches a row for a label only where its longest literal is in it.
    for label in labels.weights:
        tokens = _TOKEN.findall(fold_text(label.lstrip("*")))
        printed = [" ".join(tokens), "".join(tokens), ". ".join(tokens)]
        if len(tokens[0]) > 2 and tokens[0][0].isalpha():
            printed.append(tokens[0][0] + " " + " ".join(tokens)[1:])
        for text in printed:
            match = _label_pattern(label).search(text)
            assert match is not None, (label, text)
            assert _longest_literal(label) in match.group(0), (label, text)
