"""Features of a candidate that carry across layouts: what is written around it, where it
stands, how it looks, and whether the invoice's other readings agree with it.

The text around a candidate is given to the model as hashed character n-grams of folded
text with digits masked, one namespace per direction (left on the row, above in its column,
below, right after it, the whole row): "N° de facture", "Facture no" and "Invoice No." share
n-grams a dictionary would need three entries for, and a label never seen in training still
shares some with the ones seen. The geometry is relative to the page and to the row height,
so that points (text layer) and pixels (OCR) read the same.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import chain

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize

from extractors.base import PageWords
from extractors.identifiers import IdentifierType
from extractors.labels import LEGAL_FORMS, LabelHit, TextRow
from extractors.normalize import fold_text
from extractors.reader.candidates import FIELDS_OF_KIND, Candidate, CandidateKind, value_key

CONTEXT_NAMESPACES = ("left", "above", "column", "below", "right", "row")
HASH_FEATURES = 2**14
LEFT_WORDS = 4
# How far (row heights) a label above or below its value may stand.
ABOVE_REACH = 4.0
BELOW_REACH = 3.0
# How many rows up a column's header is looked for (the head of an item table).
COLUMN_REACH = 40
_DIGITS = re.compile(r"\d")

_VECTORIZER = HashingVectorizer(
    analyzer="char_wb",
    ngram_range=(2, 4),
    n_features=HASH_FEATURES,
    alternate_sign=False,
    norm="l2",
    lowercase=False,
)
# The same n-grams counted, not normalised: a text's counts are the sum of its words'.
_WORD_COUNTS = HashingVectorizer(
    analyzer="char_wb",
    ngram_range=(2, 4),
    n_features=HASH_FEATURES,
    alternate_sign=False,
    norm=None,
    lowercase=False,
)
_LEGAL_FORMS = frozenset(fold_text(form) for form in LEGAL_FORMS)


def hashed_texts(texts: Sequence[str]) -> sparse.csr_matrix:
    """Return ``_VECTORIZER.transform(texts)``, each distinct word's n-grams hashed once.

    A ``char_wb`` analyser takes n-grams within words only, so a text's counts are the sum
    of its words' counts; a document's contexts repeat the same few hundred words, which
    were hashed once per text they stand in. The counts are whole numbers, so their sums
    and the l2 norms are exactly the ones of hashing each text.
    """
    words: dict[str, int] = {}
    rows: list[int] = []
    columns: list[int] = []
    for row, text in enumerate(texts):
        for word in text.split():
            rows.append(row)
            columns.append(words.setdefault(word, len(words)))
    if not words:
        return sparse.csr_matrix((len(texts), HASH_FEATURES))
    occurrences = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, columns)), shape=(len(texts), len(words))
    )
    counts = sparse.csr_matrix(occurrences @ _WORD_COUNTS.transform(list(words)))
    counts.sort_indices()
    return normalize(counts, norm="l2", copy=False)


def mask_text(text: str) -> str:
    """Return ``text`` folded with its digits masked: labels, not values, are compared."""
    return _DIGITS.sub("0", fold_text(text))


@dataclass(frozen=True)
class DocumentView:
    """The rows of a document with what features need of the whole: page sizes, the
    median row height, and the candidates of each kind."""

    pages: Sequence[PageWords]
    rows: Sequence[TextRow]
    candidates: Sequence[Candidate]
    finder: Mapping[str, object]
    finder_confidence: Mapping[str, float]
    # The labels the finder's dictionaries know on each row (by ``id`` of the row).
    label_hits: Mapping[int, Sequence[LabelHit]] = field(default_factory=dict)

    def page_size(self, row: TextRow) -> tuple[float, float]:
        page = self.pages[row.page]
        return max(page.width, 1.0), max(page.height, 1.0)


def contexts(
    view: DocumentView, candidate: Candidate, masked: dict[str, str] | None = None
) -> dict[str, str]:
    """Return the masked text around ``candidate`` in each direction; ``masked`` keeps the
    texts masked so far (a document repeats its rows' texts across candidates)."""
    memo = {} if masked is None else masked

    def mask(text: str) -> str:
        found = memo.get(text)
        if found is None:
            found = memo[text] = mask_text(text)
        return found

    row = candidate.row
    words = row.words
    left = " ".join(
        word.text for word in words[max(candidate.first - LEFT_WORDS, 0) : candidate.first]
    )
    right = " ".join(word.text for word in words[candidate.last + 1 : candidate.last + 3])
    above = _neighbour_text(view, candidate, step=-1, reach=ABOVE_REACH)
    below = _neighbour_text(view, candidate, step=1, reach=BELOW_REACH)
    return {
        "left": mask(left),
        "above": mask(above),
        "column": mask(_column_head(view, candidate)),
        "below": mask(below),
        "right": mask(right),
        "row": mask(row.text),
    }


def _overlapping(row: TextRow, x0: float, x1: float, slack: float) -> str:
    return " ".join(
        word.text for word in row.words if word.x1 >= x0 - slack and word.x0 <= x1 + slack
    )


def _neighbour_text(view: DocumentView, candidate: Candidate, *, step: int, reach: float) -> str:
    """Return the words over (``step`` -1) or under (1) the candidate, in the nearest row
    within ``reach`` row heights that has words there."""
    row = candidate.row
    height = row.height
    index = candidate.row_index + step
    while 0 <= index < len(view.rows):
        other = view.rows[index]
        if other.page != row.page:
            break
        distance = (row.top - other.bottom) if step < 0 else (other.top - row.bottom)
        if distance > reach * height:
            break
        text = _overlapping(other, candidate.x0, candidate.x1, height)
        if text:
            return text
        index += step
    return ""


def _column_head(view: DocumentView, candidate: Candidate) -> str:
    """Return the nearest words above the candidate, in its column, without a digit: the
    header of an item table's column, or a label above a box of values."""
    row = candidate.row
    for index in range(candidate.row_index - 1, max(candidate.row_index - COLUMN_REACH, -1), -1):
        other = view.rows[index]
        if other.page != row.page:
            break
        text = _overlapping(other, candidate.x0, candidate.x1, 0.5 * row.height)
        if text and not _DIGITS.search(text):
            return text
    return ""


DENSE_NAMES = (
    "page",
    "last_page",
    "x0",
    "x1",
    "y",
    "height",
    "gap_left",
    "gap_right",
    "first_in_row",
    "last_in_row",
    "row_words",
    "row_amounts",
    "ocr_confidence",
    "value_log",
    "value_decimals",
    "value_negative",
    "amount_rank",
    "amount_is_max",
    "value_repeats",
    "amount_in_column_below",
    "date_rank",
    "date_is_min",
    "date_is_max",
    "date_days_from_min",
    "distinct_dates",
    "ref_length",
    "ref_digit_share",
    "ref_has_letter",
    "ref_has_separator",
    "name_words",
    "name_has_legal_form",
    "name_upper_share",
    "name_row_rank",
    "name_has_digit",
    "id_iban",
    "id_vat",
    "id_siret",
    "id_siren",
    "id_valid",
    "finder_0",
    "finder_1",
    "finder_2",
    "finder_3",
    "finder_other",
    "known_left_0",
    "known_left_1",
    "known_left_2",
    "known_left_3",
    "known_above_0",
    "known_above_1",
    "known_above_2",
    "known_above_3",
    "known_below_0",
    "known_below_1",
    "known_below_2",
    "known_below_3",
    "labels_under_values",
    "stacked_labels",
)


def dense_features(
    view: DocumentView, candidate: Candidate, stats: _Stats, span: SpanFeatures | None = None
) -> list[float]:
    """Return the candidate's geometric, shape and agreement features (``DENSE_NAMES``);
    ``span``: ``span_features`` of its words, where already found for another candidate."""
    geometry, labels = span if span is not None else span_features(view, candidate, stats)
    fields = FIELDS_OF_KIND[candidate.kind]
    key = value_key(candidate.kind, candidate.value)
    own, other = stats.finder_keys(view, candidate)
    # The finder's confidence in this value for each field of its kind: a label it knows
    # well makes it sure, a fallback reading does not.
    agreement = [
        view.finder_confidence.get(name, 0.0) if key is not None and own.get(name) == key else 0.0
        for name in fields
    ]
    agreement += [0.0] * (4 - len(agreement))
    slots = _FIELD_SLOTS[candidate.kind]
    known = [
        weights.get(name, 0.0) if weights is not None else 0.0
        for weights in labels
        for name in slots
    ]
    # The share of the stacked labels of its kind printed under their values (a half where
    # none tell), and how many tell.
    values_over, values_under = stats.label_sides.get(candidate.kind, (0, 0))
    stacking = [
        (values_over + 0.5) / (values_over + values_under + 1.0),
        float(min(values_over + values_under, 6)),
    ]
    return [
        *geometry,
        *_value_features(candidate, stats),
        *agreement,
        float(key is not None and key in other),
        *known,
        *stacking,
    ]


# A kind's fields, padded to four: the columns of the label and agreement features.
_FIELD_SLOTS = {kind: (*names, *[""] * (4 - len(names))) for kind, names in FIELDS_OF_KIND.items()}


def span_features(view: DocumentView, candidate: Candidate, stats: _Stats) -> SpanFeatures:
    """Return the features the candidate's words give whatever is read from them: where
    they stand on the page and in their row, and the dictionary labels around them
    (``known_labels``); candidates on the same words share them."""
    row = candidate.row
    width, height = view.page_size(row)
    words = row.words
    line_height = row.height
    gap_left = (
        (candidate.x0 - words[candidate.first - 1].x1) / line_height if candidate.first else 50.0
    )
    gap_right = (
        (words[candidate.last + 1].x0 - candidate.x1) / line_height
        if candidate.last + 1 < len(words)
        else 50.0
    )
    geometry = [
        float(min(row.page, 3)),
        float(row.page == len(view.pages) - 1),
        candidate.x0 / width,
        candidate.x1 / width,
        (candidate.top + candidate.bottom) / 2 / height,
        line_height / stats.median_height,
        min(gap_left, 50.0),
        min(gap_right, 50.0),
        float(candidate.first == 0),
        float(candidate.last == len(words) - 1),
        float(min(len(words), 30)),
        float(stats.amounts_per_row[candidate.row_index]),
        candidate.ocr_confidence,
    ]
    return geometry, known_labels(view, candidate)


Weights = Mapping[str, float]
# A span's geometry and the weights of the labels left of, above and below it.
SpanFeatures = tuple[list[float], tuple[Weights | None, Weights | None, Weights | None]]


def known_labels(
    view: DocumentView, candidate: Candidate
) -> tuple[Weights | None, Weights | None, Weights | None]:
    """Return the field weights of the dictionary label nearest left of ``candidate`` on
    its row, of the one nearest above it in its column and of the one nearest below it:
    what the finder's hand-written multilingual vocabulary says of the words the model may
    not have seen in training."""
    row = candidate.row
    slack = row.height
    left = [hit for hit in view.label_hits.get(id(row), ()) if hit.x1 <= candidate.x0 + slack / 2]
    left_weights = max(left, key=lambda hit: hit.x1).weights if left else None
    return (
        left_weights,
        _label_in_column(view, candidate, step=-1, reach=ABOVE_REACH),
        _label_in_column(view, candidate, step=1, reach=BELOW_REACH),
    )


def _label_in_column(
    view: DocumentView, candidate: Candidate, *, step: int, reach: float
) -> Weights | None:
    """Return the weights of the nearest dictionary label over (``step`` -1) or under (1)
    ``candidate`` in its column, within ``reach`` row heights."""
    row = candidate.row
    slack = row.height
    index = candidate.row_index + step
    while 0 <= index < len(view.rows):
        other = view.rows[index]
        distance = (row.top - other.bottom) if step < 0 else (other.top - row.bottom)
        if other.page != row.page or distance > reach * row.height:
            break
        over = [
            hit
            for hit in view.label_hits.get(id(other), ())
            if hit.x1 >= candidate.x0 - slack and hit.x0 <= candidate.x1 + slack
        ]
        if over:
            return over[0].weights
        index += step
    return None


_KIND_OF_FIELD = {name: kind for kind, names in FIELDS_OF_KIND.items() for name in names}


def stacked_label_sides(view: DocumentView) -> dict[CandidateKind, tuple[int, int]]:
    """Return, for each kind of value, how many of the document's labels of that kind that
    stand alone in their column have a value of the kind right over them and none under
    them, and how many the reverse.

    Whether a layout prints its labels over or under their values is a property of the
    whole document that no candidate shows alone: in a stack of dates and labels, each
    inner date has a date label on both sides, and only the stack's ends tell the reading
    direction (an "Invoice date" label with a date under it and none over it).
    """
    by_row: dict[tuple[int, CandidateKind], list[Candidate]] = {}
    for candidate in view.candidates:
        by_row.setdefault((candidate.row_index, candidate.kind), []).append(candidate)
    sides: dict[CandidateKind, tuple[int, int]] = {}
    for index, row in enumerate(view.rows):
        for hit in view.label_hits.get(id(row), ()):
            named = [name for name in hit.weights if name in _KIND_OF_FIELD]
            if not named:
                continue
            kind = _KIND_OF_FIELD[max(named, key=lambda name: hit.weights[name])]
            if any(c.x0 >= hit.x0 for c in by_row.get((index, kind), ())):
                continue
            above = _value_in_column(view, by_row, index, hit, kind, step=-1)
            below = _value_in_column(view, by_row, index, hit, kind, step=1)
            over, under = sides.get(kind, (0, 0))
            sides[kind] = (over + (above and not below), under + (below and not above))
    return sides


def _value_in_column(
    view: DocumentView,
    by_row: Mapping[tuple[int, CandidateKind], Sequence[Candidate]],
    index: int,
    hit: LabelHit,
    kind: CandidateKind,
    *,
    step: int,
) -> bool:
    """Return True when the nearest row over or under ``hit`` with words in its column
    holds a candidate of ``kind`` there."""
    row = hit.row
    x0, x1, slack = hit.x0, hit.x1, row.height
    other_index = index + step
    while 0 <= other_index < len(view.rows):
        other = view.rows[other_index]
        distance = (row.top - other.bottom) if step < 0 else (other.top - row.bottom)
        if other.page != row.page or distance > BELOW_REACH * row.height:
            return False
        if _overlapping(other, x0, x1, slack):
            return any(
                c.x1 >= x0 - slack and c.x0 <= x1 + slack
                for c in by_row.get((other_index, kind), ())
            )
        other_index += step
    return False


def _value_features(candidate: Candidate, stats: _Stats) -> list[float]:
    value = candidate.value
    amount = [0.0] * 7
    dates = [0.0] * 5
    reference = [0.0] * 4
    name = [0.0] * 5
    identifier = [0.0] * 5
    if isinstance(value, Decimal):
        magnitude = abs(value)
        amount = [
            math.log10(float(magnitude) + 1.0),
            float(value.as_tuple().exponent == -2),
            float(value < 0),
            stats.amount_rank.get(value, 1.0),
            float(value == stats.max_amount),
            float(min(stats.value_counts[str(value)], 6)),
            float(stats.amounts_below(candidate)),
        ]
    elif isinstance(value, date):
        first, last = stats.min_date or value, stats.max_date or value
        span = max((last - first).days, 1)
        days = (value - first).days
        dates = [
            stats.date_rank.get(value, 0.0),
            float(value == stats.min_date),
            float(value == stats.max_date),
            days / span,
            float(min(len(stats.date_rank), 6)),
        ]
    if candidate.kind is CandidateKind.REFERENCE:
        text = str(value)
        reference = [
            float(min(len(text), 30)),
            sum(char.isdigit() for char in text) / len(text),
            float(any(char.isalpha() for char in text)),
            float(any(char in "-/_." for char in text)),
        ]
        amount[5] = float(min(stats.value_counts[text], 6))
    elif candidate.kind is CandidateKind.NAME:
        text = str(value)
        tokens = fold_text(text).replace(".", "").split()
        letters = [char for char in text if char.isalpha()]
        name = [
            float(min(len(tokens), 10)),
            float(any(token in _LEGAL_FORMS for token in tokens)),
            sum(char.isupper() for char in letters) / max(len(letters), 1),
            float(min(stats.row_rank[candidate.row_index], 40)),
            float(any(char.isdigit() for char in text)),
        ]
        amount[5] = float(min(stats.value_counts[fold_text(text)], 6))
    elif candidate.identifier is not None:
        shape = candidate.identifier
        identifier = [float(shape.type is kind) for kind in IdentifierType]
        identifier.append(float(shape.valid))
        amount[5] = float(min(stats.value_counts[str(value)], 6))
    return [*amount, *dates, *reference, *name, *identifier]


class _Stats:
    """What features compare a candidate with: the document's amounts, dates and rows."""

    def __init__(self, view: DocumentView) -> None:
        rows = view.rows
        heights = sorted(row.height for row in rows) or [1.0]
        self.median_height = max(heights[len(heights) // 2], 1.0)
        self.amounts_per_row = Counter(
            candidate.row_index
            for candidate in view.candidates
            if candidate.kind is CandidateKind.AMOUNT
        )
        amounts = sorted(
            {abs(c.value) for c in view.candidates if isinstance(c.value, Decimal)}, reverse=True
        )
        self.max_amount = amounts[0] if amounts else None
        self.amount_rank = {
            value: index / max(len(amounts) - 1, 1) for index, value in enumerate(amounts)
        }
        self.amount_rank.update({-value: rank for value, rank in self.amount_rank.items()})
        dates = sorted({c.value for c in view.candidates if isinstance(c.value, date)})
        self.min_date = dates[0] if dates else None
        self.max_date = dates[-1] if dates else None
        self.date_rank = {
            value: index / max(len(dates) - 1, 1) for index, value in enumerate(dates)
        }
        self.value_counts: Counter[str] = Counter(
            fold_text(str(c.value)) if c.kind is CandidateKind.NAME else str(c.value)
            for c in view.candidates
        )
        self.row_rank: dict[int, int] = {}
        rank_on_page: Counter[int] = Counter()
        for index, row in enumerate(rows):
            self.row_rank[index] = rank_on_page[row.page]
            rank_on_page[row.page] += 1
        self.label_sides = stacked_label_sides(view)
        self._finder_keys: dict[
            tuple[CandidateKind, type], tuple[Mapping[str, object], frozenset[object]]
        ] = {}
        # Each page's amounts as (row index, x0, x1), top to bottom, with their row indexes
        # apart: the amounts under a candidate are found by bisection.
        self._amount_columns: dict[int, tuple[list[int], list[tuple[float, float]]]] = {}
        amounts_in_rows = sorted(
            (c for c in view.candidates if c.kind is CandidateKind.AMOUNT),
            key=lambda c: c.row_index,
        )
        for candidate in amounts_in_rows:
            indexes, spans = self._amount_columns.setdefault(candidate.row.page, ([], []))
            indexes.append(candidate.row_index)
            spans.append((candidate.x0, candidate.x1))

    def finder_keys(
        self, view: DocumentView, candidate: Candidate
    ) -> tuple[Mapping[str, object], frozenset[object]]:
        """Return the keys (``value_key``) of what the finder read for each field of the
        candidate's kind, and those of its other fields' values of the candidate's type."""
        kind, value_type = candidate.kind, type(candidate.value)
        found = self._finder_keys.get((kind, value_type))
        if found is None:
            own = {
                name: value_key(kind, view.finder[name])
                for name in FIELDS_OF_KIND[kind]
                if view.finder.get(name) is not None
            }
            other = frozenset(
                value_key(kind, value)
                for other_kind, names in FIELDS_OF_KIND.items()
                if other_kind is not kind
                for name in names
                if isinstance(value := view.finder.get(name), value_type)
            )
            found = self._finder_keys[(kind, value_type)] = (own, other - {None})
        return found

    def amounts_below(self, candidate: Candidate) -> int:
        """Return how many amounts stand under ``candidate`` in its column, on its page."""
        column = self._amount_columns.get(candidate.row.page)
        if column is None:
            return 0
        indexes, spans = column
        x0, x1 = candidate.x0, candidate.x1
        below = spans[bisect_right(indexes, candidate.row_index) :]
        return sum(1 for other_x0, other_x1 in below if other_x1 >= x0 and other_x0 <= x1)


@dataclass(frozen=True)
class Features:
    """The features of a document's candidates: hashed contexts (sparse) and dense ones."""

    text: sparse.csr_matrix
    dense: np.ndarray


def featurize(view: DocumentView, candidates: Sequence[Candidate]) -> Features:
    """Return the features of ``candidates``, row for row."""
    if not candidates:
        return Features(sparse.csr_matrix((0, TEXT_FEATURES)), np.zeros((0, len(DENSE_NAMES))))
    stats = _Stats(view)
    by_namespace: dict[str, list[str]] = {name: [] for name in CONTEXT_NAMESPACES}
    dense = []
    # Candidates on the same words (an amount that reads as a reference too) share their
    # surroundings: each span's texts are found once.
    masked: dict[str, str] = {}
    span_texts: dict[tuple[int, int, int], tuple[dict[str, str], SpanFeatures]] = {}
    for candidate in candidates:
        span = (candidate.row_index, candidate.first, candidate.last)
        found = span_texts.get(span)
        if found is None:
            found = span_texts[span] = (
                contexts(view, candidate, masked),
                span_features(view, candidate, stats),
            )
        texts, span_dense = found
        for name, text in texts.items():
            by_namespace[name].append(f" {text} " if text else "")
        dense.append(dense_features(view, candidate, stats, span_dense))
    # Each distinct text is hashed once, whichever namespaces and candidates share it.
    distinct = {
        text: index for index, text in enumerate(dict.fromkeys(chain(*by_namespace.values())))
    }
    hashed = hashed_texts(list(distinct))
    chosen = np.asarray(
        [[distinct[text] for text in by_namespace[name]] for name in CONTEXT_NAMESPACES],
        dtype=np.intp,
    )
    return Features(_side_by_side(hashed, chosen.T), np.asarray(dense, dtype=np.float64))


def _side_by_side(hashed: sparse.csr_matrix, chosen: np.ndarray) -> sparse.csr_matrix:
    """Return the rows of ``hashed`` that ``chosen`` names (a row of text indexes, one per
    namespace, for each candidate) laid side by side, one namespace's block after another:
    ``sparse.hstack`` of the selected blocks, built in one pass rather than six
    selections and a stack."""
    selected = chosen.ravel()
    starts = hashed.indptr[selected].astype(np.intp)
    lengths = hashed.indptr[selected + 1].astype(np.intp) - starts
    ends = np.cumsum(lengths)
    # Each selected row's entries in turn, where they stand in ``hashed``.
    positions = np.arange(ends[-1] if len(ends) else 0, dtype=np.intp) + np.repeat(
        starts - (ends - lengths), lengths
    )
    namespace = np.tile(np.arange(chosen.shape[1], dtype=np.intp), chosen.shape[0])
    indices = hashed.indices[positions] + np.repeat(namespace * HASH_FEATURES, lengths)
    indptr = np.concatenate(([0], ends[chosen.shape[1] - 1 :: chosen.shape[1]]))
    return sparse.csr_matrix(
        (hashed.data[positions], indices, indptr),
        shape=(chosen.shape[0], chosen.shape[1] * HASH_FEATURES),
    )


TEXT_FEATURES = HASH_FEATURES * len(CONTEXT_NAMESPACES)
