"""A party's name voted letter by letter between two OCR engines' words."""

from __future__ import annotations

from extractors.base import PageWords, Word
from extractors.ocr_vote import voted_name


def _page(*words: tuple[str, float]) -> list[PageWords]:
    placed = [
        Word(text=text, x0=index * 50, top=0, x1=index * 50 + 40, bottom=10, confidence=sure)
        for index, (text, sure) in enumerate(words)
    ]
    return [PageWords(number=1, width=600, height=800, method="ocr", words=placed)]


def test_a_letter_the_second_engine_read_more_surely_replaces_the_first_ones() -> None:
    tesseract = _page(("ROME", 0.89), ("MASTER", 0.96), ("HARDWARE", 0.93), ("&", 0.91))
    rapid = _page(("HOME", 0.93), ("MASTER", 0.93), ("HARDWARE&", 0.93))
    assert voted_name("ROME MASTER HARDWARE &", tesseract, rapid) == "HOME MASTER HARDWARE &"


def test_the_surer_first_reading_is_kept() -> None:
    tesseract = _page(("TEO", 0.95), ("HENG", 0.93), ("STATIONERY", 0.93))
    rapid = _page(("TED", 0.80), ("HENG", 0.91), ("STATIONERY", 0.91))
    assert voted_name("TEO HENG STATIONERY", tesseract, rapid) == "TEO HENG STATIONERY"


def test_a_digit_for_a_letter_is_not_taken() -> None:
    tesseract = _page(("LOT", 0.60), ("INDUSTRIES", 0.90), ("BERHAD", 0.90))
    rapid = _page(("L0T", 0.99), ("INDUSTRIES", 0.99), ("BERHAD", 0.99))
    assert voted_name("LOT INDUSTRIES BERHAD", tesseract, rapid) == "LOT INDUSTRIES BERHAD"


def test_a_name_read_otherwise_in_more_places_is_left_alone() -> None:
    tesseract = _page(("Dupont", 0.50), ("Freres", 0.50))
    rapid = _page(("Dumont", 0.99), ("Frares", 0.99))
    assert voted_name("Dupont Freres", tesseract, rapid) == "Dupont Freres"


def test_a_name_the_second_engine_reads_alike_or_not_at_all_is_unchanged() -> None:
    tesseract = _page(("ACME", 0.70), ("TRADING", 0.70))
    assert voted_name("ACME TRADING", tesseract, _page(("ACMETRADING", 0.99))) == "ACME TRADING"
    assert voted_name("ACME TRADING", tesseract, _page(("Total", 0.99))) == "ACME TRADING"


def test_an_accent_the_second_engine_drops_is_kept() -> None:
    tesseract = _page(("Bricorbri", 0.80), ("Gebäudeservice", 0.80))
    rapid = _page(("Bricorbri", 0.99), ("Gebaudeservice", 0.99))
    assert voted_name("Bricorbri Gebäudeservice", tesseract, rapid) == "Bricorbri Gebäudeservice"
