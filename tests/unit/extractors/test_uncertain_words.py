"""Numbers OCR read unsurely are read again with their phrase, as one line."""

from __future__ import annotations

from PIL import Image

from extractors.base import Word
from extractors.uncertain_words import (
    ACCEPT_FROM,
    MARGIN,
    MAX_REREADS,
    REREAD_BELOW,
    with_uncertain_words_reread,
)

PAGE = Image.new("L", (1000, 600), 255)
LABEL = Word(text="Due", x0=100, top=200, x1=150, bottom=220, confidence=0.95)
DATE = Word(text="2026/00/02", x0=160, top=200, x1=300, bottom=220, confidence=0.45)
FAR = Word(text="Total", x0=700, top=201, x1=780, bottom=221, confidence=0.96)
ABOVE = Word(text="Invoice", x0=100, top=160, x1=200, bottom=180, confidence=0.97)


class FakeLine:
    """Reads every crop as the words given, in the crop's pixels, and keeps the crops."""

    def __init__(self, *words: Word) -> None:
        self.words = list(words)
        self.crops: list[tuple[int, int]] = []

    def __call__(self, line: Image.Image) -> list[Word]:
        self.crops.append(line.size)
        return self.words


def on_crop(text: str, x0: float, x1: float, confidence: float) -> Word:
    """A word as read on a crop of the phrase: x from the crop's left edge, y anywhere."""
    return Word(text=text, x0=x0, top=2, x1=x1, bottom=30, confidence=confidence)


def test_an_unsure_number_is_replaced_by_its_sure_rereading_on_its_own_row() -> None:
    left = int(LABEL.x0 - MARGIN * (DATE.bottom - DATE.top))
    read = FakeLine(
        on_crop("Due", LABEL.x0 - left, LABEL.x1 - left, 0.96),
        on_crop("2026/06/03", DATE.x0 - left + 1, DATE.x1 - left - 1, 0.96),
    )

    words = with_uncertain_words_reread(PAGE, [ABOVE, LABEL, DATE, FAR], read)

    assert [word.text for word in words] == ["Invoice", "Due", "2026/06/03", "Total"]
    reread = words[2]
    assert (reread.x0, reread.x1) == (DATE.x0 + 1, DATE.x1 - 1)
    assert (reread.top, reread.bottom) == (DATE.top, DATE.bottom)
    assert reread.confidence == 0.96
    # The label and the date are one phrase; the total, far right, and the row above are not.
    (crop,) = read.crops
    assert crop[0] < FAR.x0 - LABEL.x0
    assert crop[0] > DATE.x1 - LABEL.x0
    assert crop[1] < DATE.bottom - ABOVE.top


def test_a_rereading_not_sure_enough_changes_nothing() -> None:
    left = int(LABEL.x0 - MARGIN * (DATE.bottom - DATE.top))
    unsure = ACCEPT_FROM - 0.01
    read = FakeLine(on_crop("2026/06/03", DATE.x0 - left, DATE.x1 - left, unsure))

    assert with_uncertain_words_reread(PAGE, [LABEL, DATE], read) == [LABEL, DATE]


def test_sure_words_and_words_without_digits_are_not_read_again() -> None:
    sure = DATE.model_copy(update={"confidence": REREAD_BELOW})
    unsure_label = LABEL.model_copy(update={"confidence": 0.2})
    read = FakeLine()

    assert with_uncertain_words_reread(PAGE, [unsure_label, sure], read) == [unsure_label, sure]
    assert read.crops == []


def test_a_rereading_merging_the_word_with_its_neighbour_is_refused() -> None:
    first = Word(text="1992", x0=580, top=300, x1=604, bottom=320, confidence=0.3)
    second = Word(text="0865", x0=610, top=300, x1=634, bottom=320, confidence=0.9)
    left = int(first.x0 - MARGIN * 20)
    read = FakeLine(on_crop("19920865", first.x0 - left, second.x1 - left - 10, 0.95))

    assert with_uncertain_words_reread(PAGE, [first, second], read) == [first, second]


def test_a_letter_split_off_the_word_over_it_goes_with_its_rereading() -> None:
    # Tesseract took the line's first letter for a drop capital: "F" over "2026-22728,".
    capital = Word(text="F", x0=512, top=240, x1=530, bottom=275, confidence=0.0)
    number = Word(text="2026-22728,", x0=516, top=244, x1=681, bottom=269, confidence=0.0)
    after = Word(text="en", x0=688, top=251, x1=717, bottom=265, confidence=0.97)
    left = int(capital.x0 - MARGIN * (number.bottom - number.top))
    read = FakeLine(
        on_crop("F2026-22728,", capital.x0 - left + 4, number.x1 - left, 0.92),
        on_crop("en", after.x0 - left, after.x1 - left, 0.96),
    )

    words = with_uncertain_words_reread(PAGE, [capital, number, after], read)

    assert [word.text for word in words] == ["F2026-22728,", "en"]


def test_no_more_than_the_cap_of_words_is_read_again_on_a_page() -> None:
    words = [
        Word(text=f"{index}", x0=20, top=10 * index, x1=40, bottom=10 * index + 8, confidence=0.1)
        for index in range(MAX_REREADS + 5)
    ]
    read = FakeLine()

    assert with_uncertain_words_reread(Image.new("L", (100, 800), 255), words, read) == words
    assert len(read.crops) == MAX_REREADS
