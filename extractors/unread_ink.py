"""Print the page OCR passed over: bands of ink that no word read covers, read on their own.

Tesseract's page layout analysis drops faint or small print on a noisy page: the footer of
a scan, in light grey 7-point type, with the seller's VAT number, IBAN and SIRET, comes out
as no word at all, though tesseract reads the same band word for word when given it alone
(and the rules then lack the identifiers they check). So, after a page is read, the rows of
the page whose ink no word covers are grouped into bands, and each band is read again as an
image of its own; the words found there that no word of the page already covers join it.
Bands are cheap to read (a few hundredths of a second each, against seconds for the page).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
from PIL import Image

from extractors.base import Word

# A pixel darker than this is ink (grey print included; the page's paper is lighter).
INK_LEVEL = 190
# A row of the page holds unread print when this many ink pixels no word covers lie on it...
MIN_INK_PIXELS = 6
# ...and a band is at least this many such rows high (a 6-7 point line at 150-200 dpi is
# about 10), and at most this share of the page (two lines of it; taller: a logo, a picture).
MIN_BAND_ROWS = 6
MAX_BAND_SHARE = 0.025
# Pixels around a word read that its ink may reach (antialiasing, an accent).
WORD_MARGIN = 4
# Pixels of paper kept around a band when it is read.
BAND_MARGIN = 8
# Ink on a run this long along a row is a rule (a table's row lines, a box), not print: a
# share of the page's width, and no less than some pixels (a word is broken by its spaces).
MIN_RULE_SHARE = 0.03
MIN_RULE_PIXELS = 30
# Bands read again per page at most: a page where OCR passed over more is not a page of
# text (a photograph, a drawing), and reading each band costs time.
MAX_BANDS = 12
# A word read in a band below this confidence is noise taken for letters.
MIN_WORD_CONFIDENCE = 0.5

ReadWords = Callable[[Image.Image], list[Word]]
BoolArray = npt.NDArray[np.bool_]


def unread_bands(image: Image.Image, words: Sequence[Word]) -> list[tuple[int, int, int, int]]:
    """Return the boxes (x0, top, x1, bottom, in pixels) of the bands of ``image``, a
    grayscale page, where ink lies that none of ``words`` covers."""
    ink = _print(np.asarray(image.convert("L")) < INK_LEVEL)
    height, width = ink.shape
    ink &= ~_on_long_row_run(ink, max(MIN_RULE_PIXELS, round(width * MIN_RULE_SHARE)))
    for word in words:
        ink[
            max(0, int(word.top) - WORD_MARGIN) : int(word.bottom) + WORD_MARGIN,
            max(0, int(word.x0) - WORD_MARGIN) : int(word.x1) + WORD_MARGIN,
        ] = False
    printed_rows = np.flatnonzero(ink.sum(axis=1) >= MIN_INK_PIXELS)
    bands: list[tuple[int, int, int, int]] = []
    for run in np.split(printed_rows, np.flatnonzero(np.diff(printed_rows) > 1) + 1):
        if not MIN_BAND_ROWS <= len(run) <= MAX_BAND_SHARE * height:
            continue
        top, bottom = int(run[0]), int(run[-1]) + 1
        columns = np.flatnonzero(ink[top:bottom].any(axis=0))
        bands.append(
            (
                max(0, int(columns[0]) - BAND_MARGIN),
                max(0, top - BAND_MARGIN),
                min(width, int(columns[-1]) + 1 + BAND_MARGIN),
                min(height, bottom + BAND_MARGIN),
            )
        )
    return bands if len(bands) <= MAX_BANDS else []


def words_in_unread_bands(image: Image.Image, words: Sequence[Word], read: ReadWords) -> list[Word]:
    """Return the words ``read`` finds in the unread bands of ``image`` that none of
    ``words`` already covers, in the page's pixels."""
    found: list[Word] = []
    for x0, top, x1, bottom in unread_bands(image, words):
        for word in read(image.crop((x0, top, x1, bottom))):
            placed = word.model_copy(
                update={
                    "x0": word.x0 + x0,
                    "x1": word.x1 + x0,
                    "top": word.top + top,
                    "bottom": word.bottom + top,
                }
            )
            if (
                placed.confidence >= MIN_WORD_CONFIDENCE
                and any(character.isalnum() for character in placed.text)
                and not any(_covers(other, placed) for other in words)
            ):
                found.append(placed)
    return found


def _print(ink: BoolArray) -> BoolArray:
    """Return ``ink`` without isolated specks (a scan's noise): a pixel of print has ink
    beside it, at most two pixels left or right."""
    beside = np.zeros_like(ink)
    for shift in (1, 2):
        beside[:, shift:] |= ink[:, :-shift]
        beside[:, :-shift] |= ink[:, shift:]
    return ink & beside


def _on_long_row_run(ink: BoolArray, length: int) -> BoolArray:
    """Return where ``ink`` lies on a run of at least ``length`` pixels along its row."""
    edges = np.diff(np.pad(ink, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    starts, ends = np.argwhere(edges == 1), np.argwhere(edges == -1)
    # Starts and ends come row by row, left to right: the n-th end closes the n-th start.
    long = ends[:, 1] - starts[:, 1] >= length
    runs = np.zeros_like(ink)
    for (row, start), (_, end) in zip(starts[long], ends[long], strict=True):
        runs[row, start:end] = True
    return runs


def _covers(word: Word, other: Word) -> bool:
    """Return True when ``other``'s centre lies on ``word`` (with its margin)."""
    middle_x, middle_y = (other.x0 + other.x1) / 2, (other.top + other.bottom) / 2
    return (
        word.x0 - WORD_MARGIN <= middle_x <= word.x1 + WORD_MARGIN
        and word.top - WORD_MARGIN <= middle_y <= word.bottom + WORD_MARGIN
    )
