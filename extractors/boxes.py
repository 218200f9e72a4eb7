"""Where a value was read: the box of its words on the page, for the review form's outline.

Boxes are fractions of the page's width and height (``invoicebot.model.Box``), so a box
measured on the text layer (points) or on an OCR'd image (pixels) lands on the same place
of any rendering of the page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from extractors.base import PageWords, Word
from extractors.labels import TextRow
from extractors.normalize import parse_amount
from invoicebot.model import Box, Line

_HAS_DIGIT = re.compile(r"\d")


def box_of_words(page: PageWords, words: Sequence[Word]) -> Box | None:
    """Return the box around ``words`` of ``page``, None when there are none."""
    if not words or page.width <= 0 or page.height <= 0:
        return None
    return Box(
        page=page.number,
        x0=_fraction(min(word.x0 for word in words), page.width),
        top=_fraction(min(word.top for word in words), page.height),
        x1=_fraction(max(word.x1 for word in words), page.width),
        bottom=_fraction(max(word.bottom for word in words), page.height),
    )


def box_of_span(pages: Sequence[PageWords], row: TextRow, first: int, last: int) -> Box | None:
    """Return the box of the words ``first`` to ``last`` (indexes, inclusive) of ``row``."""
    return box_of_words(pages[row.page], row.words[first : last + 1])


def box_of_characters(pages: Sequence[PageWords], row: TextRow, start: int, end: int) -> Box | None:
    """Return the box of the words holding characters ``start`` to ``end`` of ``row``."""
    first, last = row.word_index(start), row.word_index(max(end - 1, start))
    return box_of_span(pages, row, first, last)


def line_boxes(
    lines: Sequence[Line], rows: Sequence[TextRow], pages: Sequence[PageWords]
) -> list[Box | None]:
    """Return, for each line, the box of the row its net amount is printed on: the first
    row after the previous line's holding a word that reads as that amount (None where no
    row does, or the line has no net amount)."""
    # Rows are parsed as the search reaches them: the table's, not the whole document's.
    amounts: dict[int, list[Decimal | None]] = {}
    boxes: list[Box | None] = []
    start = 0
    for line in lines:
        found = _row_with(rows, amounts, line.net_amount, start)
        if found is None:
            boxes.append(None)
            continue
        boxes.append(box_of_words(pages[rows[found].page], rows[found].words))
        start = found + 1
    return boxes


def _row_with(
    rows: Sequence[TextRow],
    amounts: dict[int, list[Decimal | None]],
    net: Decimal | None,
    start: int,
) -> int | None:
    if net is None:
        return None
    for index in range(start, len(rows)):
        if index not in amounts:
            amounts[index] = [
                parse_amount(word.text) if _HAS_DIGIT.search(word.text) else None
                for word in rows[index].words
            ]
        if net in amounts[index]:
            return index
    return None


def _fraction(value: float, extent: float) -> float:
    return round(min(max(value / extent, 0.0), 1.0), 5)
