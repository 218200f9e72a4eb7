"""Numbers OCR was unsure of, read again on their own line.

Reading a whole page, tesseract misreads digits it reads right when given the same print as
one line: a scan's "2026/06/03" came out "2026/00/02" at 0.45 confidence (and the French
invoice's due date was lost), and "2026/06/03" at 0.96 from a crop of its phrase. So after a
page is read, each word holding a digit that tesseract read below ``REREAD_BELOW`` is read
again, with the words of its phrase around it, as a single line; the words read there that
fall on it replace it when they are read surely (``ACCEPT_FROM``) and surer than it was.
A re-read less sure than that changes nothing, so a reading can only gain confidence.
Labels are not read again: the reader matches them by character n-grams, which tolerate a
letter misread, and a value is where a misread costs a field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from PIL import Image

from extractors.base import Word

# A word with a digit read below this confidence is read again...
REREAD_BELOW = 0.6
# ...and its re-reading replaces it when every word of it is read at least this surely.
ACCEPT_FROM = 0.8
# Words of one phrase are this many of the unsure word's heights apart at most (not
# ``extractors.labels.PHRASE_GAP``, in row heights, as rows are not made yet); the phrase is
# read together, since tesseract reads a line best with its neighbours' print to size it by.
WORD_GAP = 1.0
# Paper kept around the phrase, in text heights.
MARGIN = 0.5
# Words read again per page at most: each costs a tesseract call (about 10 ms).
MAX_REREADS = 40
# Words overlapping by this share of their height are on one row.
ROW_OVERLAP = 0.5
# A word of the row standing over an unsure word by more than this share of its width is a
# piece of it that tesseract split off.
SPLIT_OFF_SHARE = 0.5

_DIGIT = re.compile(r"\d")

# Reads the words of a crop of the page holding one line of print.
ReadLine = Callable[[Image.Image], list[Word]]


def with_uncertain_words_reread(
    image: Image.Image, words: Sequence[Word], read_line: ReadLine
) -> list[Word]:
    """Return ``words`` with each unsure number replaced by its surer re-reading, if any."""
    unsure = [word for word in words if word.confidence < REREAD_BELOW and _DIGIT.search(word.text)]
    unsure.sort(key=lambda word: word.confidence)
    replaced: dict[int, list[Word]] = {}
    for word in unsure[:MAX_REREADS]:
        if id(word) in replaced:  # split off a word already read again
            continue
        phrase = _phrase(word, words)
        box = _box(phrase, word.bottom - word.top, image.width, image.height)
        found = [_placed(read, box[0], word) for read in read_line(image.crop(box))]
        mine = [read for read in found if word.x0 <= (read.x0 + read.x1) / 2 <= word.x1]
        # A letter tesseract split off the word, its box over the word's (a line's first
        # letter taken for a drop capital: "F" over "2026-22728,"), is the word's own print.
        split_off = [other for other in phrase if other is not word and _inside(other, word)]
        # A word read across a neighbour's middle merged the two: its text is not this word's.
        merged = any(
            read.x0 < (other.x0 + other.x1) / 2 < read.x1
            for read in mine
            for other in phrase
            if other is not word and other not in split_off
        )
        surest = min((read.confidence for read in mine), default=0.0)
        if mine and not merged and surest >= ACCEPT_FROM and surest > word.confidence:
            replaced[id(word)] = mine
            replaced.update((id(other), []) for other in split_off)
    return [new for word in words for new in replaced.get(id(word), [word])]


def _inside(other: Word, word: Word) -> bool:
    """Whether ``other`` stands mostly over ``word``: more than half its width within it."""
    overlap = min(other.x1, word.x1) - max(other.x0, word.x0)
    return overlap > SPLIT_OFF_SHARE * (other.x1 - other.x0)


def _phrase(word: Word, words: Sequence[Word]) -> list[Word]:
    """Return ``word`` and the words of its phrase on its row, left to right."""
    text_height = word.bottom - word.top
    row = sorted(
        (
            other
            for other in words
            if min(other.bottom, word.bottom) - max(other.top, word.top) > ROW_OVERLAP * text_height
        ),
        key=lambda other: other.x0,
    )
    first = last = next(index for index, other in enumerate(row) if other is word)
    while first > 0 and row[first].x0 - row[first - 1].x1 < WORD_GAP * text_height:
        first -= 1
    while last + 1 < len(row) and row[last + 1].x0 - row[last].x1 < WORD_GAP * text_height:
        last += 1
    return row[first : last + 1]


def _box(
    phrase: Sequence[Word], text_height: float, width: int, height: int
) -> tuple[int, int, int, int]:
    """Return the box of ``phrase`` on the page, in pixels, with paper around it."""
    margin = MARGIN * text_height
    return (
        max(0, int(min(other.x0 for other in phrase) - margin)),
        max(0, int(min(other.top for other in phrase) - margin)),
        min(width, int(max(other.x1 for other in phrase) + margin) + 1),
        min(height, int(max(other.bottom for other in phrase) + margin) + 1),
    )


def _placed(read: Word, left: int, replaced: Word) -> Word:
    """Return ``read``, read on a crop starting ``left`` pixels in, placed on the page on the
    row of the word it replaces: tesseract's box of a line's word may take in the crop's
    margin, and a word set higher than its row would join the row above."""
    return read.model_copy(
        update={
            "x0": read.x0 + left,
            "x1": read.x1 + left,
            "top": replaced.top,
            "bottom": replaced.bottom,
        }
    )
