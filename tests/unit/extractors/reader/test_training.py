"""Training helpers: layouts held out together, labels rewritten into unseen words."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from extractors.reader_training import printed_values, with_unseen_labels
from tests.unit.extractors.pages import page


def texts(
    *pieces: tuple[float, float, str],
    truth: dict[str, Any],
    salt: str,
    values: Callable[[dict[str, Any]], Iterable[object]] = dict.values,
) -> list[str]:
    rewritten = with_unseen_labels([page(*pieces)], values(truth), salt)
    return [word.text for word in rewritten[0].words]


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


def test_the_words_of_a_value_as_printed_stay() -> None:
    truth: dict[str, object] = {
        "fields": {"invoice_date": "2026-08-28"},
        "printed": {"invoice_date": "28 de agosto de 2026"},
        "lines": [{"description": "Instalación eléctrica"}],
    }
    words = texts(
        (40, 40, "Fecha: 28 de agosto de 2026"),
        (40, 60, "Instalación eléctrica 420,33"),
        truth=truth,
        salt="doc-1",
        values=printed_values,
    )
    assert words[1:6] == ["28", "de", "agosto", "de", "2026"] and words[0] != "Fecha:"
    assert words[6:] == ["Instalación", "eléctrica", "420,33"]
