"""Read the fields of one document with the learned model and the self-checking decoder."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

import numpy as np

from extractors.base import PageWords
from extractors.labels import LabelHit, TextRow
from extractors.reader.candidates import (
    FIELDS_OF_KIND,
    Candidate,
    CandidateKind,
    Value,
    continued_name,
    find_candidates,
    may_fill,
)
from extractors.reader.decode import (
    Choice,
    Constraint,
    Options,
    decode_group,
    distinct,
    due_not_above_gross,
    due_not_before_issue,
    lines_add_up,
    name_identity,
    options_of,
    plain_identity,
    printed_as_restored,
    settled,
    settlements,
    siren_agrees,
    stated,
    totals_add_up,
    with_check_digits_deciding,
    with_completed_totals,
    with_decimal_marks_restored,
    with_due_by_terms,
)
from extractors.reader.features import DocumentView, Features, featurize
from extractors.reader.model import ReaderModel
from extractors.reader.terms import printed_terms

# A field the decoding leaves empty may still hold the label-based finder's value. Where the
# model rates one of its candidates at least this likely, and the finder's value (one of the
# candidates too) at most ``OVERRULED`` times as likely, the model's candidate stands in for
# it: the finder took a label for a name, or a date from the wrong line.
FALLBACK_LEAST = 0.2
OVERRULED = 0.25


@dataclass(frozen=True)
class FieldChoices:
    """The reader's choice for each field it read, and, for fields it left empty, the
    candidate to fall back on instead of the finder's value where the model overrules it."""

    chosen: dict[str, Choice]
    fallbacks: dict[str, Choice]


def score_candidates(
    model: ReaderModel, view: DocumentView
) -> dict[str, list[tuple[Candidate, float]]]:
    """Return, for each field the model reads, its candidates with their probabilities."""
    features = featurize(view, view.candidates)
    scored: dict[str, list[tuple[Candidate, float]]] = {}
    for kind, kind_model in model.kinds.items():
        indexes = [i for i, candidate in enumerate(view.candidates) if candidate.kind is kind]
        if not indexes:
            continue
        subset = Features(features.text[indexes], features.dense[np.asarray(indexes)])
        # As Python floats at once, not one NumPy scalar a candidate and field: the same values.
        probabilities: list[list[float]] = kind_model.probabilities(subset).tolist()
        of_kind = [view.candidates[i] for i in indexes]
        for column, name in enumerate(kind_model.fields):
            scored[name] = [
                (candidate, row[column])
                for candidate, row in zip(of_kind, probabilities, strict=True)
                if may_fill(name, candidate)
            ]
    return scored


def read_fields(
    model: ReaderModel,
    pages: Sequence[PageWords],
    rows: Sequence[TextRow],
    *,
    finder: Mapping[str, object],
    finder_confidence: Mapping[str, float],
    languages: Sequence[str],
    day_first: bool,
    line_totals: Sequence[Decimal],
    label_hits: Mapping[int, Sequence[LabelHit]],
) -> FieldChoices:
    """Return the fields the model reads, each with its value, confidence and candidate,
    and the fallbacks of the fields it leaves empty (``FieldChoices``).

    ``finder`` holds what the label-based finder read (its agreement is one of the
    features), ``label_hits`` the labels its dictionaries know on each row (by ``id``);
    ``line_totals`` are the sums of the lines' net amounts, as each line reader
    read them.
    """
    candidates = find_candidates(rows, languages, day_first=day_first)
    view = DocumentView(pages, rows, candidates, finder, finder_confidence, label_hits)
    scored = score_candidates(model, view)

    def options_for(kind: CandidateKind, key: Callable[[Value], object]) -> dict[str, Options]:
        return {name: options_of(scored.get(name, []), key) for name in FIELDS_OF_KIND[kind]}

    amount_options = with_completed_totals(
        with_decimal_marks_restored(options_for(CandidateKind.AMOUNT, plain_identity))
    )
    printed_amounts = printed_as_restored(
        [c for c in candidates if c.kind is CandidateKind.AMOUNT], amount_options
    )
    settlements_printed = settlements(amount_options, printed_amounts)
    # Each group of related fields: its options, the constraints a joint reading keeps, and
    # what makes two of its values one.
    groups: list[tuple[dict[str, Options], list[Constraint], Callable[[Value], object]]] = [
        (
            amount_options,
            [
                totals_add_up,
                due_not_above_gross,
                settled(settlements_printed),
                lines_add_up(line_totals),
            ],
            plain_identity,
        ),
        (
            with_due_by_terms(options_for(CandidateKind.DATE, plain_identity), printed_terms(rows)),
            [due_not_before_issue, stated("invoice_date")],
            plain_identity,
        ),
        (
            options_for(CandidateKind.REFERENCE, plain_identity),
            [distinct("invoice_number", "po_number", plain_identity), stated("invoice_number")],
            plain_identity,
        ),
        (
            options_for(CandidateKind.NAME, name_identity),
            [distinct("seller_name", "buyer_name", name_identity)],
            name_identity,
        ),
        (
            with_check_digits_deciding(options_for(CandidateKind.IDENTIFIER, plain_identity)),
            [distinct("seller_vat_id", "buyer_vat_id", plain_identity), siren_agrees],
            plain_identity,
        ),
    ]
    chosen: dict[str, Choice] = {}
    fallbacks: dict[str, Choice] = {}
    for options, constraints, key in groups:
        chosen.update(decode_group(options, constraints))
        for name, field_options in options.items():
            fallback = _overruling(field_options, scored.get(name, []), finder.get(name), key)
            if name not in chosen and fallback is not None:
                fallbacks[name] = fallback
    for name in FIELDS_OF_KIND[CandidateKind.NAME]:
        for found in (chosen, fallbacks):
            choice = found.get(name)
            if choice is not None:
                found[name] = replace(choice, value=continued_name(choice.candidate, rows))
    return FieldChoices(chosen, fallbacks)


def _overruling(
    options: Options,
    scored: Sequence[tuple[Candidate, float]],
    finder_value: object,
    key: Callable[[Value], object],
) -> Choice | None:
    """Return the model's best candidate of a field, with its probability, where it
    overrules the finder's value: likely enough itself, and the finder's value a candidate
    the model rates ``OVERRULED`` times less likely or less. None where the finder read
    nothing, read the same value, or read a value the model saw no candidate for."""
    if not isinstance(finder_value, str | date | Decimal):
        return None
    if not options.values or options.probabilities[0] < FALLBACK_LEAST:
        return None
    best, probability = options.values[0], options.probabilities[0]
    finder_key = key(finder_value)
    rated = [p for candidate, p in scored if key(candidate.value) == finder_key]
    if key(best) == finder_key or not rated or max(rated) > OVERRULED * probability:
        return None
    return Choice(best, probability, options.candidates[0])
