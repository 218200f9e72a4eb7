"""Print the page OCR passed over is found as bands of ink no word covers, read again."""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image, ImageDraw

from extractors import unread_ink
from extractors.base import Word
from extractors.unread_ink import (
    MAX_BANDS,
    SMALL_PRINT_ROWS,
    _print,
    unread_bands,
    with_unread_bands_read,
)

FOOTER = (100, 400, 500, 412)


def page_with_faint_footer() -> Image.Image:
    """A white page with scan specks and a light grey line of small print at its foot."""
    image = Image.new("L", (600, 1000), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((100, 100, 400, 112), fill=40)  # a line of text OCR did read
    draw.rectangle((50, 600, 550, 607), fill=120)  # a table's row rule: no print
    for x in range(FOOTER[0], FOOTER[2], 7):  # faint glyphs, 5 px wide, 2 px apart
        draw.rectangle((x, FOOTER[1], x + 4, FOOTER[3]), fill=170)
    specks = random.Random(7)
    for _ in range(800):
        image.putpixel((specks.randrange(600), specks.randrange(1000)), 90)
    return image


READ = Word(text="Total", x0=100, top=100, x1=400, bottom=112, confidence=0.95)


def test_ink_no_word_covers_is_a_band_and_specks_and_rules_are_not() -> None:
    (band,) = unread_bands(page_with_faint_footer(), [READ])
    x0, top, x1, bottom = band.x0, band.top, band.x1, band.bottom
    assert not band.lines
    assert x0 <= FOOTER[0] and x1 >= FOOTER[2] - 3
    assert top <= FOOTER[1] and bottom >= FOOTER[3]
    assert bottom - top < 40


def test_a_rule_the_scan_broke_into_dashes_on_a_slant_is_no_band() -> None:
    image = page_with_faint_footer()
    draw = ImageDraw.Draw(image)
    # Dashes 20 px long, 1 px high, climbing a pixel every 250 px: no run is long enough
    # to be a rule, and the rows they lie on make a band six rows high.
    for x in range(50, 550, 25):
        draw.line((x, 700 - x // 100, x + 19, 700 - x // 100), fill=60)

    (band,) = unread_bands(image, [READ])

    assert band.top <= FOOTER[1] <= FOOTER[3] <= band.bottom


def test_ink_a_word_covers_is_no_band() -> None:
    footer = Word(text="IBAN", x0=100, top=400, x1=500, bottom=412, confidence=0.9)
    assert unread_bands(page_with_faint_footer(), [READ, footer]) == []


def test_words_read_in_a_band_are_placed_on_the_page_and_noise_and_repeats_dropped() -> None:
    bands: list[tuple[int, int]] = []

    def read(band: Image.Image, lines: bool) -> list[Word]:
        bands.append(band.size)
        return [
            Word(text="IBAN", x0=20, top=16, x1=120, bottom=40, confidence=0.92),
            Word(text="~", x0=140, top=16, x1=150, bottom=40, confidence=0.9),
            Word(text="FR76", x0=160, top=16, x1=240, bottom=40, confidence=0.3),
        ]

    image = page_with_faint_footer()
    (band,) = unread_bands(image, [READ])
    found = with_unread_bands_read(image, [READ], read)

    # The footer's print is small: it is read at twice its size, and placed back.
    assert band.rows < SMALL_PRINT_ROWS
    enlarged = (2 * (band.x1 - band.x0), 2 * (band.bottom - band.top))
    assert bands == [enlarged, enlarged]  # by layout analysis and as a block
    assert [(w.text, w.x0, w.top) for w in found] == [
        ("Total", 100, 100),
        ("IBAN", 10 + band.x0, 8 + band.top),
    ]


@pytest.mark.parametrize("surer_as_block", [True, False])
def test_a_line_band_keeps_the_reading_that_reads_more_print_surely(surer_as_block: bool) -> None:
    # Layout analysis may find no text in a short line that reads surely as a block, and a
    # block reading of a wide band of sparse print may lose a word layout analysis reads.
    amount = Word(text="5.996,84", x0=20, top=16, x1=120, bottom=40, confidence=0.96)
    unsure = amount.model_copy(update={"text": "5996", "confidence": 0.3})
    modes: list[bool] = []

    def read(crop: Image.Image, block: bool) -> list[Word]:
        modes.append(block)
        return [amount] if block == surer_as_block else [unsure, unsure]

    image = page_with_faint_footer()
    assert not unread_bands(image, [READ])[0].lines
    found = with_unread_bands_read(image, [READ], read)

    assert sorted(modes) == [False, True]
    assert [w.text for w in found] == ["Total", "5.996,84"]


def band_reading(
    image: Image.Image, read_on_page: list[Word], *found: Word
) -> Callable[[Image.Image, bool], list[Word]]:
    """Return a reader of the one band of ``image`` that ``read_on_page`` leaves unread,
    finding ``found`` (positions on the page) in it as OCR gives them: positions in the band's
    image, which may be the band enlarged."""
    (band,) = unread_bands(image, read_on_page)

    def read(crop: Image.Image, lines: bool) -> list[Word]:
        scale = crop.width / (band.x1 - band.x0)
        shift = {"x0": band.x0, "x1": band.x0, "top": band.top, "bottom": band.top}
        return [
            word.model_copy(
                update={edge: (getattr(word, edge) - by) * scale for edge, by in shift.items()}
            )
            for word in found
        ]

    return read


def test_a_word_the_page_s_reading_has_is_not_added_twice() -> None:
    image = page_with_faint_footer()
    # The page's reading has the footer's last glyphs; the band holds the others.
    known = Word(text="8219", x0=464, top=400, x1=500, bottom=412, confidence=0.9)
    iban = Word(text="IBAN", x0=110, top=400, x1=160, bottom=412, confidence=0.92)
    read = band_reading(image, [READ, known], iban, known)

    found = with_unread_bands_read(image, [READ, known], read)
    assert [w.text for w in found] == ["Total", "8219", "IBAN"]


@pytest.mark.parametrize(
    ("known", "band_word", "word"),
    [
        # Tesseract read "2004" at the footer's start but gave it a box five pixels wide.
        (("2004", 100, 105), ("2004", 100, 140), ("2004", 100, 140)),
        # It boxed "0210" short of its end: the band after it reads that end, "10".
        (("0210", 100, 118), ("10", 117, 140), ("0210", 100, 140)),
        # It boxed only the end of "2004": the band before it reads its start, "20".
        (("2004", 122, 140), ("20", 100, 125), ("2004", 100, 140)),
    ],
)
def test_a_word_read_with_a_box_narrower_than_its_ink_takes_the_band_s_box(
    known: tuple[str, int, int], band_word: tuple[str, int, int], word: tuple[str, int, int]
) -> None:
    image = page_with_faint_footer()
    text, x0, x1 = known
    narrow = Word(text=text, x0=x0, top=401, x1=x1, bottom=411, confidence=0.9)
    text, x0, x1 = band_word
    read = band_reading(
        image,
        [READ, narrow],
        Word(text=text, x0=x0, top=398, x1=x1, bottom=412, confidence=0.9),
        Word(text="1826", x0=150, top=398, x1=190, bottom=412, confidence=0.9),
    )

    found = with_unread_bands_read(image, [READ, narrow], read)
    assert [(w.text, w.x0, w.x1) for w in found] == [("Total", 100, 400), word, ("1826", 150, 190)]


def test_print_is_ink_with_ink_at_most_two_pixels_beside_it() -> None:
    ink = np.random.default_rng(3).random((30, 50)) < 0.2
    expected = np.zeros_like(ink)
    for row, column in zip(*np.nonzero(ink), strict=True):
        beside = [column + shift for shift in (-2, -1, 1, 2) if 0 <= column + shift < 50]
        expected[row, column] = ink[row, beside].any()

    assert np.array_equal(_print(ink), expected)


def page_with_unread_column(rows: int) -> Image.Image:
    """A white page with a table's amounts column of ``rows`` rows OCR passed over, one
    amount a row (the row's description was read)."""
    image = Image.new("L", (1000, 1400), 255)
    draw = ImageDraw.Draw(image)
    for row in range(rows):
        top = 100 + 40 * row
        for x in range(850, 900, 7):
            draw.rectangle((x, top, x + 4, top + 12), fill=60)
    return image


def test_many_bands_stacked_in_a_column_are_read_as_one_block_of_lines() -> None:
    image = page_with_unread_column(MAX_BANDS + 8)
    crops: list[tuple[int, int, bool]] = []

    def read(crop: Image.Image, lines: bool) -> list[Word]:
        crops.append((*crop.size, lines))
        return [Word(text="1.529,70", x0=20, top=16, x1=100, bottom=40, confidence=0.9)]

    (block,) = unread_bands(image, [])
    found = with_unread_bands_read(image, [], read)

    assert block.lines
    assert block.top < 100 and block.bottom > 100 + 40 * (MAX_BANDS + 7) + 12
    assert block.x0 < 850 and 900 < block.x1 < 920
    assert crops == [(2 * (block.x1 - block.x0), 2 * (block.bottom - block.top), True)]
    assert [(w.text, w.x0) for w in found] == [("1.529,70", block.x0 + 10)]


def test_a_few_bands_are_read_one_by_one() -> None:
    bands = unread_bands(page_with_unread_column(MAX_BANDS), [])

    assert len(bands) == MAX_BANDS
    assert not any(band.lines for band in bands)


def test_ink_over_much_of_the_page_is_a_picture_not_print_and_is_not_read() -> None:
    image = Image.new("L", (1000, 1400), 255)
    draw = ImageDraw.Draw(image)
    for row in range(MAX_BANDS + 8):  # a photograph's texture: wide bands, row after row
        draw.rectangle((100, 100 + 40 * row, 900, 112 + 40 * row), fill=80)
        for x in range(100, 900, 9):
            draw.rectangle((x, 113 + 40 * row, x + 3, 118 + 40 * row), fill=80)

    assert unread_bands(image, []) == []


def test_a_band_too_large_to_enlarge_is_read_at_its_own_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    image = page_with_faint_footer()
    (band,) = unread_bands(image, [READ])
    sizes: list[tuple[int, int]] = []

    def read(crop: Image.Image, lines: bool) -> list[Word]:
        sizes.append(crop.size)
        return []

    pixels = (band.x1 - band.x0) * (band.bottom - band.top)
    monkeypatch.setattr(unread_ink, "MAX_ENLARGED_PIXELS", 4 * pixels - 1)
    with_unread_bands_read(image, [READ], read)

    assert sizes == [(band.x1 - band.x0, band.bottom - band.top)] * 2
