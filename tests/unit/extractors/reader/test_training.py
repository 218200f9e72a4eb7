"""Training helpers: layouts held out together, labels rewritten into unseen words."""

from __future__ import annotations

from extractors.reader.training import with_unseen_labels
from tests.unit.extractors.pages import page


def texts(*pieces: tuple[float, float, str], truth: dict[str, object], salt: str) -> list[str]:
    return [word.text for word in with_unseen_labels([page(*pieces)], truth, salt)[0].words]


def test_labels_become_unseen_words_and_values_stay_as_printed() -> None:
    truth: dict[str, object] = {"seller_name": "Quux GmbH", "currency": "EUR"}
    words = texts(
        (40, 40, "Invoice date: 14 novembre 2026"),
        (40, 60, "Seller: Quux GmbH"),
        (40, 80, "Invoice total 12,00 EUR"),
        truth=truth,
        salt="doc-1",
    )
    assert words[2:5] == ["14", "novembre", "2026"]  # a month name is part of a date
    assert words[6:8] == ["Quux", "GmbH"] and words[-2:] == ["12,00", "EUR"]
    assert words[0] != "Invoice" and len(words[0]) == len("Invoice") and words[0][0].isupper()
    assert words[1].endswith(":") and words[5].endswith(":")
    # The same label word is rewritten alike throughout a document, otherwise elsewhere.
    assert words[0] == words[8]
    other = texts((40, 40, "Invoice date: 14 novembre 2026"), truth=truth, salt="doc-2")
    assert other[0] != words[0]
