"""Choosing each field's value among its candidates: the best scored, the totals that add up
together, the weak fallbacks for an unlabelled date and number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from itertools import combinations, product

from extractors.fields.document import (
    DUE_IS_GROSS,
    MAX_TAX_PARTS_TRIED,
    NUMBER_BESIDE_DATE,
    SUM_BONUS,
    SUM_MISMATCH,
    SUM_TOLERANCE,
    TAXLESS_BONUS,
    UNLABELLED_DATE,
    UNLABELLED_DATE_LOWER,
    UNLABELLED_DATE_ZONE,
    Candidate,
    Document,
    Value,
    best_candidate,
    tokens_between,
    with_score,
)
from extractors.fields.parties import in_buyer_block
from extractors.fields.values import read_date, read_identifier_token
from extractors.labels import OTHER, LabelHit, TextRow
from invoicebot.model import AMOUNT_FIELDS


def choose_values(document: Document, candidates: Sequence[Candidate]) -> dict[str, Candidate]:
    """Return the best candidate of each non-amount field; amounts are chosen jointly."""
    chosen: dict[str, Candidate] = {}
    for field_name in ("invoice_number", "invoice_date", "due_date", "po_number"):
        best = best_candidate(
            candidate
            for candidate in candidates
            if candidate.field == field_name and not in_buyer_block(document, candidate)
        )
        if best is not None:
            chosen[field_name] = best
    _drop_due_date_equal_to_issue(chosen)
    if "invoice_date" not in chosen:
        unlabelled = _first_unlabelled_date(document, chosen.get("due_date"))
        if unlabelled is not None:
            chosen["invoice_date"] = unlabelled
    if "invoice_number" not in chosen and "invoice_date" in chosen:
        number = _number_beside_date(chosen["invoice_date"])
        if number is not None:
            chosen["invoice_number"] = number
    return chosen


def _number_beside_date(issue: Candidate) -> Candidate | None:
    """Return the reference printed just left of the invoice date, as a weak number.

    Key/value boxes print the number and the date side by side ("N° | Date" over
    "FA000914 | 23/03/2026"); when the labels are lost (OCR of a coloured band), the
    values keep that order.
    """
    row = issue.row
    before = [token for token in tokens_between(row, 0, issue.start) if token.end <= issue.start]
    if not before:
        return None
    found = read_identifier_token(before[-1:], row.height)
    if found is None or not any(char.isalpha() for char in found[0].text):
        return None
    token = found[0]
    return Candidate("invoice_number", token.text, NUMBER_BESIDE_DATE, row, token.start, token.end)


def _first_unlabelled_date(document: Document, due: Candidate | None) -> Candidate | None:
    """Return the first date in the top part of page one, as a weak invoice date.

    Letters date themselves without a label ("Paris, le 14 mars 2026"), and OCR may lose
    a label while keeping its date. Dates behind another label (delivery, order) and the
    due date are not taken.
    """
    top_zone = [
        row
        for row in document.rows
        if row.page == 0 and row.top <= UNLABELLED_DATE_ZONE * document.page_height(row)
    ]
    found = _unlabelled_date_in(document, top_zone, due, UNLABELLED_DATE)
    if found is None:
        # Till receipts print the date anywhere, often at the foot, and in rows that hold
        # references too ("ORD #07-REG #19- 10/03/2018 17:24:07").
        first_page = [row for row in document.rows if row.page == 0]
        found = _unlabelled_date_in(
            document, first_page, due, UNLABELLED_DATE_LOWER, beside_labels=True
        )
    return found


def _unlabelled_date_in(
    document: Document,
    rows: Sequence[TextRow],
    due: Candidate | None,
    score: float,
    *,
    beside_labels: bool = False,
) -> Candidate | None:
    """Return the first unlabelled date in ``rows`` that is not behind another label.

    With ``beside_labels``, a row may hold labels of fields other than dates.
    """
    for row in rows:
        hits = document.hits_of(row)
        if beside_labels:
            hits = [hit for hit in hits if _may_label_date(hit)]
        if any(OTHER not in hit.weights for hit in hits):
            continue
        found = read_date(document.tokens_of(row), document.languages, day_first=document.day_first)
        if found is None or (due is not None and found[0] == due.value):
            continue
        value, token = found
        if any(hit.end <= token.start for hit in hits):
            continue
        return Candidate("invoice_date", value, score, row, token.start, token.end)
    return None


def _may_label_date(hit: LabelHit) -> bool:
    """Return True for a label that may announce a date: a date field's or another one."""
    return bool({"invoice_date", "due_date", OTHER} & hit.weights.keys())


def _drop_due_date_equal_to_issue(chosen: dict[str, Candidate]) -> None:
    """Forget a due date that is the issue date read from the same place."""
    issue, due = chosen.get("invoice_date"), chosen.get("due_date")
    if issue is not None and due is not None and issue.row is due.row and issue.start == due.start:
        del chosen["due_date"]


def choose_totals(candidates: Sequence[Candidate], chosen: dict[str, Candidate]) -> None:
    """Choose net, tax, gross and amount due together, preferring totals that add up."""
    options = {
        name: _top_distinct([c for c in candidates if c.field == name]) for name in AMOUNT_FIELDS
    }
    best_score = -1.0
    best: tuple[Candidate | None, ...] = (None, None, None)
    for net, tax, gross in product(
        [None, *options["total_net"]],
        [None, *options["total_tax"]],
        [None, *options["total_gross"]],
    ):
        score = _trio_score(net, tax, gross)
        if score > best_score + 1e-9:
            best_score, best = score, (net, tax, gross)
    consistent = _adds_up(*best)
    net, _, gross = best
    if not consistent and net is not None and gross is not None:
        # Per-rate VAT amounts without a VAT total: their sum is the total when it adds up.
        summed = _tax_sum([c for c in candidates if c.field == "total_tax"], net, gross)
        if summed is not None:
            best, consistent = (net, summed, gross), True
    for name, candidate in zip(("total_net", "total_tax", "total_gross"), best, strict=True):
        if candidate is not None:
            boost = SUM_BONUS if consistent else 1.0
            chosen[name] = with_score(candidate, min(candidate.score * boost, 1.0))
    due = best_candidate(options["amount_due"])
    if due is not None:
        chosen["amount_due"] = due
    elif "total_gross" in chosen:
        # Nothing printed as due: the whole gross is (nothing was paid in advance).
        gross = chosen["total_gross"]
        chosen["amount_due"] = replace(gross, field="amount_due", score=gross.score * DUE_IS_GROSS)


def _tax_sum(taxes: Sequence[Candidate], net: Candidate, gross: Candidate) -> Candidate | None:
    """Return the sum of two or three tax amounts of different rows that is gross - net."""
    if not isinstance(net.value, Decimal) or not isinstance(gross.value, Decimal):
        return None
    by_row: dict[int, Candidate] = {}
    for tax in taxes:
        current = by_row.get(id(tax.row))
        if current is None or tax.score > current.score:
            by_row[id(tax.row)] = tax
    options = sorted(by_row.values(), key=lambda tax: -tax.score)[:MAX_TAX_PARTS_TRIED]
    target = gross.value - net.value
    for size in (2, 3):
        for parts in combinations(options, size):
            total = sum((Decimal(str(part.value)) for part in parts), Decimal(0))
            if abs(total - target) <= SUM_TOLERANCE:
                first = parts[0]
                return replace(first, value=total, score=min(part.score for part in parts))
    return None


def _top_distinct(candidates: Sequence[Candidate], limit: int = 6) -> list[Candidate]:
    """Return the best candidate of each distinct value, best first, at most ``limit``."""
    by_value: dict[Value, Candidate] = {}
    for candidate in candidates:
        current = by_value.get(candidate.value)
        if current is None or candidate.score > current.score:
            by_value[candidate.value] = candidate
    return sorted(by_value.values(), key=lambda candidate: -candidate.score)[:limit]


def _trio_score(net: Candidate | None, tax: Candidate | None, gross: Candidate | None) -> float:
    """Return how good a choice of totals is: their scores, plus a bonus when they add up."""
    score = sum(candidate.score for candidate in (net, tax, gross) if candidate is not None)
    values = [candidate.value if candidate else None for candidate in (net, tax, gross)]
    net_value, tax_value, gross_value = values
    if net is not None and net is gross:
        return -1.0
    if _adds_up(net, tax, gross):
        score += SUM_BONUS
    elif net_value is not None and tax_value is not None and gross_value is not None:
        score -= SUM_MISMATCH
    elif tax is None and net_value is not None and net_value == gross_value:
        score += TAXLESS_BONUS
    elif (
        isinstance(net_value, Decimal)
        and isinstance(gross_value, Decimal)
        and abs(gross_value) < abs(net_value)
    ):
        score -= SUM_BONUS
    return score


def _adds_up(net: Candidate | None, tax: Candidate | None, gross: Candidate | None) -> bool:
    """Return True when net + tax = gross, all three found."""
    if net is None or tax is None or gross is None:
        return False
    values = (net.value, tax.value, gross.value)
    if not all(isinstance(value, Decimal) for value in values):
        return False
    net_value, tax_value, gross_value = (Decimal(value) for value in map(str, values))
    return abs(net_value + tax_value - gross_value) <= SUM_TOLERANCE
