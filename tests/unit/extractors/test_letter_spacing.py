"""Letter-spaced words are put back together; other one-letter words are left alone."""

from __future__ import annotations

import pytest

from extractors.base import Word
from extractors.letter_spacing import join_letter_spaced
from tests.unit.extractors.pages import HEIGHT, words_at


def spaced(
    x: float, y: float, *words: str, letter_gap: float = 3.0, word_gap: float = 9.0
) -> list[Word]:
    """Return ``words`` set letter-spaced from ``x``: one 5 pt word per character."""
    letters = []
    for word in words:
        for character in word:
            letters.append(Word(text=character, x0=x, top=y, x1=x + 5, bottom=y + HEIGHT))
            x += 5 + letter_gap
        x += word_gap - letter_gap
    return letters


def texts(words: list[Word]) -> list[str]:
    return [word.text for word in words]


def test_a_letter_spaced_word_reads_as_one() -> None:
    words = [*words_at(10, 100, "Total"), *spaced(80, 100, "RECHNUNG"), *words_at(200, 100, "42")]

    joined = join_letter_spaced(words)

    assert texts(joined) == ["Total", "RECHNUNG", "42"]
    assert (joined[1].x0, joined[1].x1) == (80, 80 + 8 * 5 + 7 * 3)


def test_the_wider_gaps_of_a_spaced_label_part_its_words() -> None:
    words = spaced(10, 100, "Invoice", "no.:")

    assert texts(join_letter_spaced(words)) == ["Invoice", "no.:"]


def test_a_colon_set_against_the_last_letter_stays_with_the_label() -> None:
    words = [*spaced(10, 100, "CLIEN"), Word(text="T:", x0=50, top=100, x1=60, bottom=110)]

    assert texts(join_letter_spaced(words)) == ["CLIENT:"]


@pytest.mark.parametrize("colon", [":", ""])
def test_a_spaced_label_does_not_swallow_the_one_digit_value_after_it(colon: str) -> None:
    label = [*spaced(10, 100, "Datum")]
    label[-1] = label[-1].model_copy(update={"text": "m" + colon})
    value = words_at(label[-1].x1 + 3, 100, "4 Okt. 2026")

    assert texts(join_letter_spaced([*label, *value])) == [f"Datum{colon}", "4", "Okt.", "2026"]


def test_a_spread_title_is_joined_and_a_two_letter_word_beside_it_too() -> None:
    words = spaced(10, 100, "Fecha", "de", "factura", letter_gap=5.0, word_gap=15.0)

    assert texts(join_letter_spaced(words)) == ["Fecha", "de", "factura"]


@pytest.mark.parametrize(
    "text",
    [
        "Seite 1 / 1",  # a page count: no letters
        "Art. A § 2",  # one letter among the three
        "J. P. Morgan",  # two initials are not a spaced word
        "Net 30 days",
    ],
)
def test_ordinary_words_are_left_alone(text: str) -> None:
    words = words_at(10, 100, text)

    assert join_letter_spaced(words) == words


def test_one_letter_cells_of_a_table_stay_apart() -> None:
    # Columns of one-letter cells (a unit, a VAT code) stand more than two em apart.
    words = [
        Word(text=t, x0=x, top=100, x1=x + 5, bottom=110)
        for t, x in (("A", 10), ("h", 40), ("B", 70))
    ]

    assert join_letter_spaced(words) == words


def test_letters_on_different_lines_stay_apart() -> None:
    words = [*spaced(10, 100, "AB"), *spaced(26, 130, "CD")]

    assert texts(join_letter_spaced(words)) == ["A", "B", "C", "D"]
