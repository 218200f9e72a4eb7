"""Rows of positioned words (``rows_of_page``: words grouped by baseline, with their text,
folded text and geometry), shared by the field finder, the line reader and the learned reader."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from extractors.base import PageWords, Word
from extractors.normalize import fold_text


@dataclass(frozen=True)
class TextRow:
    """Words of one page sharing a baseline, left to right, with their joined text.

    ``folded`` is ``text`` folded character by character, so offsets in one are offsets
    in the other; ``spans`` holds each word's (start, end) offsets in ``text``.
    """

    page: int
    words: tuple[Word, ...]
    text: str
    folded: str
    spans: tuple[tuple[int, int], ...]
    top: float
    bottom: float
    ocr: bool = False

    @cached_property
    def height(self) -> float:
        """Return the row's typical word height (its font size, roughly)."""
        heights = sorted(word.bottom - word.top for word in self.words)
        return max(heights[len(heights) // 2], 1.0)

    @property
    def x0(self) -> float:
        """Return the left edge of the row's first word."""
        return self.words[0].x0

    @property
    def x1(self) -> float:
        """Return the right edge of the row's last word."""
        return self.words[-1].x1

    @cached_property
    def _starts(self) -> list[int]:
        return [start for start, _ in self.spans]

    def word_index(self, offset: int) -> int:
        """Return the index of the word holding character ``offset`` (or the one before)."""
        return max(bisect_right(self._starts, offset) - 1, 0)

    def x_at(self, offset: int) -> float:
        """Return the x position of character ``offset``, interpolated inside its word."""
        index = self.word_index(offset)
        start, end = self.spans[index]
        word = self.words[index]
        if offset >= end:
            return word.x1
        share = (offset - start) / max(end - start, 1)
        return word.x0 + share * (word.x1 - word.x0)

    def segments(self, gap: float = 2.0) -> list[tuple[int, int]]:
        """Return the (start, end) offsets of the row's parts split where words are more
        than ``gap`` row heights apart: the columns the row crosses."""
        parts: list[tuple[int, int]] = []
        limit = gap * self.height
        for index, (start, end) in enumerate(self.spans):
            if index and self.words[index].x0 - self.words[index - 1].x1 <= limit:
                parts[-1] = (parts[-1][0], end)
            else:
                parts.append((start, end))
        return parts

    def has_gap(self, start: int, end: int) -> bool:
        """Return True when the words over offsets ``start`` to ``end`` are split by a gap
        wider than ``PHRASE_GAP`` row heights (they belong to different columns)."""
        first, last = self.word_index(start), self.word_index(max(end - 1, start))
        limit = PHRASE_GAP * self.height
        return any(
            self.words[index + 1].x0 - self.words[index].x1 > limit for index in range(first, last)
        )

    def starts_phrase(self, offset: int) -> bool:
        """Return True when ``offset`` starts a word that opens the row or follows a gap."""
        index = self.word_index(offset)
        if self.spans[index][0] != offset:
            return False
        if index == 0:
            return True
        return self.words[index].x0 - self.words[index - 1].x1 > PHRASE_GAP * self.height

    def confidence(self, start: int, end: int) -> float:
        """Return the lowest word confidence over characters ``start`` to ``end``."""
        first, last = self.word_index(start), self.word_index(max(end - 1, start))
        return min(word.confidence for word in self.words[first : last + 1])


def rows_of_page(page: PageWords, page_index: int) -> list[TextRow]:
    """Return the page's words grouped into rows by vertical overlap, top to bottom.

    A word joins a row when it overlaps, by half its height, the row's word nearest to
    it on the left or right: comparing neighbours rather than whole rows keeps the rows
    of a slightly skewed scan apart. Words much taller than the page's usual ones
    (rotated text in a margin) stay rows of their own rather than bridge several rows,
    and specks (OCR reads dust as "." or ":") are never a row's anchor.
    """
    words = [word for word in page.words if word.text.strip()]
    if not words:
        return []
    heights = sorted(word.bottom - word.top for word in words)
    median = heights[len(heights) // 2]
    usual = (SPECK_FACTOR * median, TALL_WORD_FACTOR * median)
    groups: list[_RowGroup] = []
    for word in sorted(words, key=lambda item: (item.top + item.bottom) / 2):
        group = None if word.bottom - word.top > usual[1] else _group_for(word, groups)
        if group is None:
            group = _RowGroup()
            groups.append(group)
        group.add(word, anchor=usual[0] <= word.bottom - word.top <= usual[1])
    ocr = page.method == "ocr"
    rows = [
        make_row(page_index, _decimals_joined(group.words) if ocr else group.words, ocr=ocr)
        for group in groups
    ]
    return sorted(rows, key=lambda row: row.top)


_SPLIT_UNITS = re.compile(r"^\d[\d.,]*[.,:]$")
_SPLIT_CENTS = re.compile(r"^(\d{2})[^\w\s]?$")
# A split amount's two parts are closer than this many word heights.
SPLIT_AMOUNT_GAP = 0.8


def _decimals_joined(words: Sequence[Word]) -> list[Word]:
    """Return the words with the amounts OCR split after their decimal mark joined again:
    "1145." and "55" (or "316:" and "24", a dot read as a colon) are "1145.55"."""
    joined: list[Word] = []
    for word in sorted(words, key=lambda item: item.x0):
        previous = joined[-1] if joined else None
        cents = _SPLIT_CENTS.match(word.text)
        if (
            previous is not None
            and cents is not None
            and _SPLIT_UNITS.match(previous.text)
            and 0 <= word.x0 - previous.x1 < SPLIT_AMOUNT_GAP * (word.bottom - word.top)
        ):
            mark = previous.text[-1] if previous.text[-1] in ".," else "."
            joined[-1] = Word(
                text=f"{previous.text[:-1]}{mark}{cents.group(1)}",
                x0=previous.x0,
                top=min(previous.top, word.top),
                x1=word.x1,
                bottom=max(previous.bottom, word.bottom),
                confidence=min(previous.confidence, word.confidence),
            )
        else:
            joined.append(word)
    return joined


# Words further apart than this many row heights belong to different phrases.
PHRASE_GAP = 1.2
# A word taller than this many times the page's median word height is rotated text; one
# smaller than this share of it is a speck.
TALL_WORD_FACTOR = 3.0
SPECK_FACTOR = 0.35
# How many of the latest rows a word may join.
RECENT_ROWS = 6


class _RowGroup:
    """The words of a row being built, with its anchors (usual-sized words) sorted by x."""

    def __init__(self) -> None:
        self.words: list[Word] = []
        self._anchors: list[Word] = []
        self._anchor_x0: list[float] = []

    def add(self, word: Word, *, anchor: bool) -> None:
        self.words.append(word)
        if anchor:
            position = bisect_right(self._anchor_x0, word.x0)
            self._anchor_x0.insert(position, word.x0)
            self._anchors.insert(position, word)

    def nearest_anchor(self, word: Word) -> Word | None:
        """Return the anchor horizontally nearest to ``word``, if the row has any."""
        position = bisect_right(self._anchor_x0, word.x0)
        around = self._anchors[max(position - 2, 0) : position + 1]
        return min(around, key=lambda anchor: _horizontal_distance(anchor, word), default=None)


def _group_for(word: Word, groups: Sequence[_RowGroup]) -> _RowGroup | None:
    """Return a recent row whose nearest anchor the word overlaps by half its height."""
    height = max(word.bottom - word.top, 0.1)
    for group in reversed(groups[-RECENT_ROWS:]):
        nearest = group.nearest_anchor(word)
        if nearest is None:
            continue
        overlap = min(nearest.bottom, word.bottom) - max(nearest.top, word.top)
        if overlap >= 0.5 * min(height, nearest.bottom - nearest.top):
            return group
    return None


def _horizontal_distance(first: Word, second: Word) -> float:
    return max(first.x0 - second.x1, second.x0 - first.x1, 0.0)


def make_row(
    page_index: int, words: Sequence[Word], *, ocr: bool, reading_order: bool = False
) -> TextRow:
    """Return the row of ``words`` on page ``page_index``, ordered left to right, or
    kept in the given order with ``reading_order`` (a header stacked on two lines)."""
    ordered = tuple(words) if reading_order else tuple(sorted(words, key=lambda item: item.x0))
    spans: list[tuple[int, int]] = []
    offset = 0
    for word in ordered:
        spans.append((offset, offset + len(word.text)))
        offset += len(word.text) + 1
    text = " ".join(word.text for word in ordered)
    return TextRow(
        page=page_index,
        words=ordered,
        text=text,
        folded=fold_text(text),
        spans=tuple(spans),
        top=min(word.top for word in ordered),
        bottom=max(word.bottom for word in ordered),
        ocr=ocr,
    )
