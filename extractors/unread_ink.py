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
from dataclasses import dataclass

import cv2
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
# Print has strokes across its height: a band with fewer ink pixels than this, on average,
# in each column it inks is a rule (broken into dashes by the scan, so not a long run).
MIN_INK_PER_COLUMN = 2.0
# Pixels around a word read that its ink may reach (antialiasing, an accent).
WORD_MARGIN = 4
# Pixels of paper kept around a band when it is read.
BAND_MARGIN = 8
# Ink on a run this long along a row is a rule (a table's row lines, a box), not print: a
# share of the page's width, and no less than some pixels (a word is broken by its spaces).
MIN_RULE_SHARE = 0.03
MIN_RULE_PIXELS = 30
# Bands read again per page at most: reading each band costs time. A page with more has
# bands stacked in a column (a table's amounts column passed over row by row): bands that
# share this much of their joint width and are at most ``BLOCK_GAP`` band heights apart are
# read as one block...
MAX_BANDS = 12
BLOCK_OVERLAP = 0.5
BLOCK_GAP = 3.0
# ...unless the blocks cover more than this share of the page: then OCR passed over a
# picture or a drawing, not print.
MAX_BLOCK_SHARE = 0.2
# A word read in a band below this confidence is noise taken for letters.
MIN_WORD_CONFIDENCE = 0.5
# Print whose lines are fewer rows high than this is read at twice its size: tesseract
# reads small print best with letters some 20 pixels high (a column of amounts in a photo,
# 11 rows high, lost four decimal marks in ten at its own size, one at twice it).
SMALL_PRINT_ROWS = 20
# ...unless that makes an image of more pixels than this (a quarter of an A4 page at 200
# dpi): reading a large block at twice its size would cost as much as a page.
MAX_ENLARGED_PIXELS = 1_000_000

# ``on_long_run`` opens only the columns that may hold a long run while they are at most this
# share of the page's columns; beyond, it opens them all.
MAX_CHOSEN_COLUMNS = 0.1
# A pixel's neighbours within two pixels left and right (``_print``).
NEIGHBOURS = np.array([[1, 1, 0, 1, 1]], dtype=np.uint8)

# Reads the words on a crop of the page; True: as one uniform block of text, not by layout
# analysis (a band of several lines stacked in a column; a band of one line is read both ways).
ReadWords = Callable[[Image.Image, bool], list[Word]]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Band:
    """A box of the page (pixels, paper around it) where print lies that OCR passed over:
    one line, or a block of lines stacked in a column; ``rows``: the height of its (first)
    line's ink."""

    x0: int
    top: int
    x1: int
    bottom: int
    rows: int
    lines: bool = False


def unread_bands(image: Image.Image, words: Sequence[Word]) -> list[Band]:
    """Return the bands of ``image``, a grayscale page, where ink lies that none of
    ``words`` covers; many bands come joined into blocks where they are stacked in a column
    (``MAX_BANDS``)."""
    # Converting a page already grey would copy it, for 10 ms.
    grey = image if image.mode == "L" else image.convert("L")
    ink = _print(np.asarray(grey) < INK_LEVEL)
    height, width = ink.shape
    ink &= ~on_long_run(ink, max(MIN_RULE_PIXELS, round(width * MIN_RULE_SHARE)), along_rows=True)
    for word in words:
        ink[
            max(0, int(word.top) - WORD_MARGIN) : int(word.bottom) + WORD_MARGIN,
            max(0, int(word.x0) - WORD_MARGIN) : int(word.x1) + WORD_MARGIN,
        ] = False
    printed_rows = np.flatnonzero(np.count_nonzero(ink, axis=1) >= MIN_INK_PIXELS)
    bands: list[Band] = []
    for run in np.split(printed_rows, np.flatnonzero(np.diff(printed_rows) > 1) + 1):
        if not MIN_BAND_ROWS <= len(run) <= MAX_BAND_SHARE * height:
            continue
        top, bottom = int(run[0]), int(run[-1]) + 1
        inked = np.count_nonzero(ink[top:bottom], axis=0)
        columns = np.flatnonzero(inked)
        if inked.sum() < MIN_INK_PER_COLUMN * len(columns):
            continue  # a table's rule a scan broke up: one or two pixels high where inked
        bands.append(
            Band(
                max(0, int(columns[0]) - BAND_MARGIN),
                max(0, top - BAND_MARGIN),
                min(width, int(columns[-1]) + 1 + BAND_MARGIN),
                min(height, bottom + BAND_MARGIN),
                bottom - top,
            )
        )
    if len(bands) <= MAX_BANDS:
        return bands
    blocks = _stacked(bands)
    area = sum((band.x1 - band.x0) * (band.bottom - band.top) for band in blocks)
    return blocks if len(blocks) <= MAX_BANDS and area <= MAX_BLOCK_SHARE * width * height else []


def _stacked(bands: Sequence[Band]) -> list[Band]:
    """Return ``bands`` (top to bottom) joined into blocks: a band joins the last block it
    lies under (``BLOCK_OVERLAP``, ``BLOCK_GAP``)."""
    blocks: list[Band] = []
    for band in bands:
        for index in range(len(blocks) - 1, -1, -1):
            block = blocks[index]
            across = min(band.x1, block.x1) - max(band.x0, block.x0)
            joint = max(band.x1, block.x1) - min(band.x0, block.x0)
            gap = band.top - block.bottom
            if across >= BLOCK_OVERLAP * joint and gap <= BLOCK_GAP * (band.bottom - band.top):
                blocks[index] = Band(
                    min(band.x0, block.x0),
                    block.top,
                    max(band.x1, block.x1),
                    max(band.bottom, block.bottom),
                    block.rows,
                    lines=True,
                )
                break
        else:
            blocks.append(band)
    return blocks


def with_unread_bands_read(
    image: Image.Image, words: Sequence[Word], read: ReadWords
) -> list[Word]:
    """Return ``words`` with the words ``read`` finds in the unread bands of ``image``, in the
    page's pixels: those none of ``words`` covers added, and those that are a word of
    ``words`` read again in its stead (its box is the band's, wider: tesseract may give a word
    a box narrower than its ink, "2004" five pixels wide, which then splits the phrase it is
    in and leaves its ink unread); the start or end of such a word read again widens its box."""
    page = list(words)
    for band in unread_bands(image, words):
        crop = image.crop((band.x0, band.top, band.x1, band.bottom))
        small = band.rows < SMALL_PRINT_ROWS
        scale = 2 if small and 4 * crop.width * crop.height <= MAX_ENLARGED_PIXELS else 1
        if scale > 1:
            crop = crop.resize((crop.width * scale, crop.height * scale), Image.Resampling.LANCZOS)
        found = read(crop, True) if band.lines else _surer(read(crop, False), read(crop, True))
        for word in found:
            placed = word.model_copy(
                update={
                    "x0": word.x0 / scale + band.x0,
                    "x1": word.x1 / scale + band.x0,
                    "top": word.top / scale + band.top,
                    "bottom": word.bottom / scale + band.top,
                }
            )
            if placed.confidence < MIN_WORD_CONFIDENCE or not any(
                character.isalnum() for character in placed.text
            ):
                continue
            again = next((i for i, known in enumerate(page) if _same_word(known, placed)), None)
            if again is not None:
                if placed.x1 > page[again].x1:
                    page[again] = placed
                continue
            part = next((i for i, known in enumerate(page) if _part_of(known, placed)), None)
            if part is not None:
                known = page[part]
                page[part] = known.model_copy(
                    update={"x0": min(known.x0, placed.x0), "x1": max(known.x1, placed.x1)}
                )
            elif not any(_covers(other, placed) for other in words):
                page.append(placed)
    return page


def _surer(*readings: list[Word]) -> list[Word]:
    """Return the reading of a band that reads the most print surely (a band of one line is
    read both by layout analysis and as a block): layout analysis finds no text in some crops
    of one line (a bold amount right of its label, 96 px wide) that tesseract reads surely as
    a block, and a block reading of a wide band of sparse print loses words layout analysis
    reads. Reading it as a block only where layout analysis read a word unsurely, or none,
    kept half the fields reading both gained on 323-399's photos."""
    return max(
        readings,
        key=lambda words: sum(
            len(word.text) for word in words if word.confidence >= MIN_WORD_CONFIDENCE
        ),
    )


def _print(ink: BoolArray) -> BoolArray:
    """Return ``ink`` without isolated specks (a scan's noise): a pixel of print has ink
    beside it, at most two pixels left or right."""
    beside = cv2.dilate(
        ink.view(np.uint8), NEIGHBOURS, borderType=cv2.BORDER_CONSTANT, borderValue=0
    )
    return ink & beside.view(np.bool_)


def on_long_run(ink: BoolArray, length: int, *, along_rows: bool) -> BoolArray:
    """Return where ``ink`` lies on a run of at least ``length`` pixels along its rows, or
    down its columns.

    A morphological opening by a segment ``length`` long (``_opened``), of the lines that can
    hold such a run only: a run covers ``length // step`` consecutive multiples of ``step``,
    so a line without that many inked samples in a row has none (most lines of a page of
    text).
    """
    axis = 1 if along_rows else 0
    step = max(1, length // 4)
    samples = ink[:, ::step] if along_rows else ink[::step]
    needed = length // step
    count = samples.shape[axis] - needed + 1
    if count <= 0:  # lines shorter than ``length``
        return np.zeros_like(ink)
    inked = np.ones((ink.shape[0], count) if along_rows else (count, ink.shape[1]), np.bool_)
    for offset in range(needed):
        inked &= samples[:, offset:][:, :count] if along_rows else samples[offset:][:count]
    lines = np.flatnonzero(inked.any(axis=axis))
    if not along_rows and lines.size > MAX_CHOSEN_COLUMNS * ink.shape[1]:
        # Gathering many columns (a page with large dark areas) costs more than opening all;
        # rows, contiguous in memory, cost little to gather.
        return _opened(ink, length, along_rows=along_rows)
    runs = np.zeros_like(ink)
    if not lines.size:
        return runs
    if along_rows:
        runs[lines] = _opened(ink[lines], length, along_rows=True)
    else:
        runs[:, lines] = _opened(ink[:, lines], length, along_rows=False)
    return runs


def _opened(ink: BoolArray, length: int, *, along_rows: bool) -> BoolArray:
    """Return where ``ink`` lies on a run of at least ``length`` along its rows or columns:
    the erosion by a segment that long (anchored at its first pixel, outside the image taken
    as paper) marks where a run starts, the dilation (anchored at its last pixel) spreads each
    start over the ``length`` pixels after it."""
    segment = np.ones((1, length) if along_rows else (length, 1), dtype=np.uint8)
    last = (length - 1, 0) if along_rows else (0, length - 1)
    starts = cv2.erode(
        ink.view(np.uint8), segment, anchor=(0, 0), borderType=cv2.BORDER_CONSTANT, borderValue=0
    )
    runs = cv2.dilate(starts, segment, anchor=last, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return np.asarray(runs, dtype=np.bool_)


def _same_word(word: Word, other: Word) -> bool:
    """Return True when ``other`` is ``word`` read again: the same text starting where it
    starts, on its line."""
    return (
        word.text == other.text
        and abs(word.x0 - other.x0) <= WORD_MARGIN
        and other.top < word.bottom + WORD_MARGIN
        and word.top < other.bottom + WORD_MARGIN
    )


def _part_of(word: Word, other: Word) -> bool:
    """Return True when ``other`` is the start or the end of ``word`` read again, on its line
    and touching it: "10" just after "0210", "20" just before "2004", both boxed short of
    their ink."""
    if len(other.text) >= len(word.text) or not (
        other.top < word.bottom and word.top < other.bottom
    ):
        return False
    end = word.text.endswith(other.text) and word.x0 < other.x0 <= word.x1 + WORD_MARGIN
    start = word.text.startswith(other.text) and word.x1 > other.x1 >= word.x0 - WORD_MARGIN
    return end or start


def _covers(word: Word, other: Word) -> bool:
    """Return True when ``other``'s centre lies on ``word`` (with its margin)."""
    middle_x, middle_y = (other.x0 + other.x1) / 2, (other.top + other.bottom) / 2
    return (
        word.x0 - WORD_MARGIN <= middle_x <= word.x1 + WORD_MARGIN
        and word.top - WORD_MARGIN <= middle_y <= word.bottom + WORD_MARGIN
    )
