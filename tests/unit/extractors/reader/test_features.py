"""Features of the reader's candidates that need the whole document."""

from __future__ import annotations

from extractors.base import PageWords
from extractors.fields import find_fields
from extractors.reader.candidates import CandidateKind, find_candidates
from extractors.reader.features import DocumentView, stacked_label_sides
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
