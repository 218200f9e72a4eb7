"""Features of the reader's candidates that need the whole document."""

from __future__ import annotations

import numpy as np

from extractors.base import PageWords
from extractors.fields import find_fields
from extractors.reader.candidates import CandidateKind, find_candidates
from extractors.reader.features import (
    _VECTORIZER,
    DocumentView,
    hashed_texts,
    stacked_label_sides,
)
from tests.unit.extractors.pages import page


def sides(pages: PageWords) -> dict[CandidateKind, tuple[int, int]]:
    found = find_fields([pages])
    document = found.document
    candidates = find_candidates(document.rows, document.languages, day_first=True)
    view = DocumentView(
        document.pages, document.rows, candidates, found.values, found.confidence, document.hits
    )
    return stacked_label_sides(view)


def test_dates_printed_over_their_labels_are_told_by_the_end_of_the_stack() -> None:
    # Each inner date has a date label over and under it: only the last label, with a date
    # over it and none under it, tells that the labels stand under their values.
    under_values = page(
        (40, 100, "12/03/2026"),
        (40, 115, "Invoice date"),
        (40, 130, "11/04/2026"),
        (40, 145, "Due date"),
        (40, 200, "Thank you for your business"),
    )
    assert sides(under_values)[CandidateKind.DATE] == (1, 0)


def test_dates_printed_under_their_labels_are_told_by_the_top_of_the_stack() -> None:
    over_values = page(
        (40, 100, "Invoice date"),
        (40, 115, "12/03/2026"),
        (40, 130, "Due date"),
        (40, 145, "11/04/2026"),
        (40, 200, "Thank you for your business"),
    )
    assert sides(over_values)[CandidateKind.DATE] == (0, 1)


def test_labels_beside_their_values_tell_nothing() -> None:
    beside = page((40, 100, "Invoice date 12/03/2026"), (40, 115, "Due date 11/04/2026"))
    assert CandidateKind.DATE not in sides(beside)


def test_texts_hashed_word_by_word_are_the_vectorizer_s_rows_exactly() -> None:
    texts = [
        " n0 de facture ",
        "",
        " total ttc total ",
        " montant\u00a0du  000,00 eur ",
        " x ",
        " n0 de facture ",
    ]
    expected = _VECTORIZER.transform(texts)
    got = hashed_texts(texts)
    assert got.shape == expected.shape
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)


def test_texts_without_words_hash_to_empty_rows() -> None:
    assert hashed_texts(["", ""]).shape == (2, _VECTORIZER.n_features)
    assert hashed_texts(["", ""]).nnz == 0
