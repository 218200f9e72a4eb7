"""Choose the joint reading the invoice's own constraints confirm, with its probabilities.

The model scores each candidate alone. A field's few best distinct values (and "not
printed") make a small space of joint readings per group of related fields; each reading
weighs the model's probabilities times the constraints it satisfies: net + VAT = gross, the
lines add up to the net, the amount due is not above the gross, the due date is not before
the issue date, the invoice number is not the order number, the seller is not the buyer,
the seller's VAT number is not the buyer's and, in France, carries the SIRET's SIREN.
The chosen value of a field is the one of the heaviest reading, and its confidence is its
marginal probability over all readings: a value the constraints cannot confirm against
competing ones comes out less sure instead of being guessed with confidence.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import partial
from itertools import product

import numpy as np

from extractors.reader.candidates import Candidate, Value, name_key
from extractors.reader.terms import PaymentTerm

TOP_VALUES = 4
# Two OCR readings of one printed identifier differ in this many characters at most.
MAX_MISREAD_CHARACTERS = 2
# How much a joint reading that breaks a constraint weighs against one that keeps it.
BROKEN = 0.02
UNSURE = 0.3
# The totals weigh more: three amounts of a page that add up are seldom there by chance, so
# a reading without the net or the gross must lose to a complete one that adds up, even where
# the model gives its VAT and gross 1 in 12 each (labels it never saw: "IVA 21 %", "Importe
# líquido"); and a reading whose totals do not add up loses to any incomplete one.
TOTALS_UNREAD = 0.003
TOTALS_BROKEN = 0.0003
# Every invoice states its number and date (EN 16931 BT-1, BT-2): a reading without one
# must lose to a candidate the model gives 1 in 20 (a label it never saw: "PIÈCE N°"), which
# is then read with the low confidence that sends it to review.
STATED_UNREAD = 0.05
# A net under the gross and no VAT total read: the VAT may be printed only by rate, so this
# is likelier than other incomplete readings, and less than a complete one.
VAT_UNREAD = 0.03
TOLERANCE = Decimal("0.011")
CENT = Decimal("0.01")
TOTALS = ("total_net", "total_tax", "total_gross")

Reading = Mapping[str, Value | None]
Check = Callable[[Reading], float]


@dataclass(frozen=True)
class Constraint:
    """A factor of a joint reading's weight that depends only on the values of ``fields``
    (a field it does not name reads as unread): ``decode_group`` evaluates it once per
    combination of those fields' values instead of once per joint reading."""

    fields: tuple[str, ...]
    check: Check

    def __call__(self, reading: Reading) -> float:
        return self.check(reading)


def reads(*fields: str) -> Callable[[Check], Constraint]:
    """Return the decorator that makes a check of ``fields`` a ``Constraint``."""
    return lambda check: Constraint(fields, check)


@dataclass(frozen=True)
class Choice:
    """A field's chosen value, its marginal probability, and the candidate it was read from."""

    value: Value
    confidence: float
    candidate: Candidate


@dataclass(frozen=True)
class Options:
    """A field's best distinct values with their probabilities and candidates."""

    values: list[Value]
    probabilities: list[float]
    candidates: list[Candidate]

    def weights(self) -> list[tuple[Value | None, float]]:
        """Return the weight of each value being the field's, and of none being it, taking
        the candidates' probabilities as independent."""
        absent = math.prod(1.0 - p for p in self.probabilities)
        weighted: list[tuple[Value | None, float]] = [(None, absent)]
        for value, probability in zip(self.values, self.probabilities, strict=True):
            weighted.append((value, absent / max(1.0 - probability, 1e-9) * probability))
        return weighted


def options_of(
    scored: Sequence[tuple[Candidate, float]], key: Callable[[Value], object]
) -> Options:
    """Return the ``TOP_VALUES`` best distinct values among ``scored`` candidates."""
    best: dict[object, tuple[Candidate, float]] = {}
    for candidate, probability in scored:
        identity = key(candidate.value)
        if identity not in best or probability > best[identity][1]:
            best[identity] = (candidate, probability)
    ranked = sorted(best.values(), key=lambda item: -item[1])[:TOP_VALUES]
    return Options(
        [candidate.value for candidate, _ in ranked],
        [min(probability, 0.999) for _, probability in ranked],
        [candidate for candidate, _ in ranked],
    )


def decode_group(
    options: Mapping[str, Options], constraints: Sequence[Constraint]
) -> dict[str, Choice]:
    """Return the chosen value of each field of a group, with its marginal confidence.

    The joint readings are the cells of an array with an axis per field, in the order
    ``itertools.product`` lists them; a reading's weight is its values' weights multiplied
    left to right, then times each constraint in turn, and the sums add the weights in that
    order: the same floating-point operations, in the same order, as weighing each reading
    alone, without a dictionary and a call per constraint for each of them.
    """
    names = list(options)
    if not names:
        return {}
    spaces = [options[name].weights() for name in names]
    weights = np.asarray([weight for _, weight in spaces[0]])
    for space in spaces[1:]:
        weights = np.multiply.outer(weights, [weight for _, weight in space])
    for constraint in constraints:
        weights = weights * _factors(constraint, names, spaces)
    flat: list[float] = weights.ravel().tolist()
    total = sum(flat)
    if total <= 0:
        return {}
    best = np.unravel_index(flat.index(max(flat)), weights.shape)
    chosen: dict[str, Choice] = {}
    for axis, name in enumerate(names):
        value = spaces[axis][int(best[axis])][0]
        if value is None:
            continue
        matching = [other == value for other, _ in spaces[axis]]
        marginal = sum(np.compress(matching, weights, axis=axis).ravel().tolist()) / total
        index = options[name].values.index(value)
        chosen[name] = Choice(value, marginal, options[name].candidates[index])
    return chosen


def _factors(
    constraint: Constraint, names: Sequence[str], spaces: Sequence[list[tuple[Value | None, float]]]
) -> np.ndarray:
    """Return the constraint's factor of every joint reading, as an array that broadcasts
    over the readings: evaluated once per combination of the values of the fields it reads."""
    axes = [axis for axis, name in enumerate(names) if name in constraint.fields]
    factors = [
        constraint({names[axis]: value for axis, (value, _) in zip(axes, combination, strict=True)})
        for combination in product(*(spaces[axis] for axis in axes))
    ]
    shape = [len(space) if axis in axes else 1 for axis, space in enumerate(spaces)]
    return np.asarray(factors).reshape(shape)


@reads(*TOTALS)
def totals_add_up(reading: Reading) -> float:
    """Net + VAT = gross where all three are read; a reading missing one is left unsure.

    Only a complete reading confirms itself: three amounts that add up, or a net equal to
    the gross (no VAT charged). A net under the gross means VAT was charged, and an invoice
    that charges VAT states its total (EN 16931 BT-110): a reading that leaves it out is
    less sure than a complete one, if surer than one without the net or the gross.
    """
    net, tax, gross = reading.get("total_net"), reading.get("total_tax"), reading.get("total_gross")
    if isinstance(net, Decimal) and isinstance(tax, Decimal) and isinstance(gross, Decimal):
        return 1.0 if abs(net + tax - gross) <= TOLERANCE else TOTALS_BROKEN
    if isinstance(net, Decimal) and isinstance(gross, Decimal):
        if net > gross + TOLERANCE:
            return TOTALS_BROKEN
        return 1.0 if abs(gross - net) <= TOLERANCE else VAT_UNREAD
    return TOTALS_UNREAD


def with_completed_totals(options: Mapping[str, Options]) -> dict[str, Options]:
    """Return the amount options with each net, VAT or gross candidate that exactly
    completes net + VAT = gross with candidates of the two others made at least as likely
    as both of them: an amount printed on the page that completes two totals is the third,
    however its label reads (a VAT printed as "IVA 21 %", a net as "Goods total")."""
    if not set(TOTALS) <= options.keys():
        return dict(options)
    completed = dict(options)
    for name in TOTALS:
        current = options[name]
        probabilities = list(current.probabilities)
        for index, value in enumerate(current.values):
            if not isinstance(value, Decimal):
                continue
            for (net, tax, gross), likelihood in _with_other_totals(name, value, options):
                if _adds_up(net, tax, gross):
                    probabilities[index] = max(probabilities[index], likelihood)
        completed[name] = Options(current.values, probabilities, current.candidates)
    return completed


def _with_other_totals(
    name: str, value: Decimal, options: Mapping[str, Options]
) -> Iterator[tuple[tuple[Decimal, Decimal, Decimal], float]]:
    """Yield (net, VAT, gross) with ``value`` as the total ``name`` and candidates of the two
    others, and how likely both of those are."""
    first, second = (other for other in TOTALS if other != name)
    for (one, p_one), (two, p_two) in product(_amounts(options[first]), _amounts(options[second])):
        amounts = {name: value, first: one, second: two}
        net, tax, gross = (amounts[total] for total in TOTALS)
        yield (net, tax, gross), p_one * p_two


def with_check_digits_deciding(options: Mapping[str, Options]) -> dict[str, Options]:
    """Return the identifier options with each OCR reading whose check digits fail left out
    where one other option of its field, OCR'd too and as long, passes them and differs from
    it in at most ``MAX_MISREAD_CHARACTERS``: two readings of one printed number (a footer
    repeated on each page, "NL673160740B16" on one, "NL673160749B16" on the next), which
    its check digits tell apart. The valid one takes the likelier of the two probabilities.
    A number printed invalid, and read surely, has no valid reading beside it: it stays."""
    decided: dict[str, Options] = {}
    for name, field in options.items():
        probabilities = list(field.probabilities)
        dropped: set[int] = set()
        for index, candidate in enumerate(field.candidates):
            if not _ocr_identifier(candidate, valid=False):
                continue
            readings = [
                other
                for other, rival in enumerate(field.candidates)
                if other != index
                and _ocr_identifier(rival, valid=True)
                and _misread_of(str(candidate.value), str(rival.value))
            ]
            if len(readings) == 1:
                probabilities[readings[0]] = max(probabilities[readings[0]], probabilities[index])
                dropped.add(index)
        kept = [index for index in range(len(field.values)) if index not in dropped]
        decided[name] = Options(
            [field.values[index] for index in kept],
            [probabilities[index] for index in kept],
            [field.candidates[index] for index in kept],
        )
    return decided


def _ocr_identifier(candidate: Candidate, *, valid: bool) -> bool:
    shape = candidate.identifier
    return shape is not None and shape.valid is valid and candidate.row.ocr


def _misread_of(value: str, other: str) -> bool:
    """Return True when two readings of an identifier are as long and differ in at most
    ``MAX_MISREAD_CHARACTERS`` places."""
    return len(value) == len(other) and (
        sum(a != b for a, b in zip(value, other, strict=True)) <= MAX_MISREAD_CHARACTERS
    )


def with_decimal_marks_restored(options: Mapping[str, Options]) -> dict[str, Options]:
    """Return the amount options with each whole amount OCR read without its decimal mark
    ("444148" for "4.441,48") taken as hundredths where that completes net + VAT = gross with
    candidates of the two other totals, and an amount due so read where it is then a gross
    candidate: a comma a speck of OCR lost, which the page's own arithmetic gives back."""
    if not set(TOTALS) <= options.keys():
        return dict(options)
    restored = dict(options)
    for name in TOTALS:
        restored[name] = _restored(options[name], partial(_completes, name, options))
    if "amount_due" in options:
        grosses = set(restored["total_gross"].values)
        restored["amount_due"] = _restored(options["amount_due"], lambda cents: cents in grosses)
    return restored


def printed_as_restored(
    amounts: Sequence[Candidate], options: Mapping[str, Options]
) -> list[Candidate]:
    """Return the amounts printed on the page with the decimal mark given back to each whole
    one ``with_decimal_marks_restored`` read as hundredths in ``options`` (everywhere the
    page prints it: the gross printed again as the amount due)."""
    given_back = {
        candidate.value
        for field in options.values()
        for candidate in field.candidates
        if isinstance(candidate.value, Decimal)
        and candidate.value != candidate.value.to_integral_value()
        and not _has_mark(candidate.text)
    }
    restored = []
    for candidate in amounts:
        cents = _without_decimal_mark(candidate)
        if cents is not None and cents in given_back:
            candidate = replace(candidate, value=cents)
        restored.append(candidate)
    return restored


def _completes(name: str, options: Mapping[str, Options], value: Decimal) -> bool:
    """Return True when ``value`` as the total ``name`` makes net + VAT = gross to the cent
    with candidates of the two other totals (a rounding cent is not evidence enough to
    read an amount otherwise than OCR did)."""
    return any(
        tax > 0 and net + tax == gross
        for (net, tax, gross), _ in _with_other_totals(name, value, options)
    )


def _restored(options: Options, confirmed: Callable[[Decimal], bool]) -> Options:
    """Return ``options`` with its whole OCR'd amounts read as hundredths where ``confirmed``
    says that value is the field's (and it is not one of its values already)."""
    values, candidates = list(options.values), list(options.candidates)
    for index, candidate in enumerate(options.candidates):
        cents = _without_decimal_mark(candidate)
        if cents is not None and cents not in values and confirmed(cents):
            values[index] = cents
            candidates[index] = replace(candidate, value=cents)
    return Options(values, options.probabilities, candidates)


def _without_decimal_mark(candidate: Candidate) -> Decimal | None:
    """Return an OCR'd whole amount printed without any mark as hundredths, else None."""
    value = candidate.value
    if not (candidate.row.ocr and isinstance(value, Decimal) and value >= 100):
        return None
    if value != value.to_integral_value() or _has_mark(candidate.text):
        return None
    return (value / 100).quantize(CENT)


def _has_mark(text: str) -> bool:
    return any(mark in text for mark in ".,'")


def _amounts(options: Options) -> list[tuple[Decimal, float]]:
    return [
        (value, probability)
        for value, probability in zip(options.values, options.probabilities, strict=True)
        if isinstance(value, Decimal)
    ]


def _adds_up(net: Decimal, tax: Decimal, gross: Decimal) -> bool:
    return tax > 0 and abs(net + tax - gross) <= TOLERANCE


@reads("amount_due", "total_gross")
def due_not_above_gross(reading: Reading) -> float:
    due, gross = reading.get("amount_due"), reading.get("total_gross")
    if isinstance(due, Decimal) and isinstance(gross, Decimal):
        return 1.0 if due <= gross + TOLERANCE else BROKEN
    return 1.0


@dataclass(frozen=True)
class Settlement:
    """Amounts printed below a gross total that settle it: the gross less ``paid`` (a
    deposit, a payment received; 0 where the gross is printed again) is ``due``
    (EN 16931 BR-CO-16)."""

    gross: Decimal
    paid: Decimal
    due: Decimal


def settlements(options: Mapping[str, Options], amounts: Sequence[Candidate]) -> list[Settlement]:
    """Return the settlements of each gross candidate the page prints: a paid amount on a
    row below the gross and an amount-due candidate below it too, with gross - paid = due;
    or, settling nothing paid, the gross printed on two rows.

    Three amounts of a totals block that subtract exactly are seldom there by chance: the
    page's own arithmetic shows the gross and the amount due where the model cannot tell
    them (a label it never saw: "Importe a pagar"). The net and VAT printed again below the
    gross (a VAT breakdown: gross - VAT = net) settle nothing.
    """
    if not {"total_gross", "amount_due"} <= options.keys():
        return []
    nets = set(options["total_net"].values) if "total_net" in options else set()
    taxes = set(options["total_tax"].values) if "total_tax" in options else set()
    found: list[Settlement] = []
    for total in options["total_gross"].candidates:
        if not isinstance(total.value, Decimal) or total.value <= 0:
            continue
        if len({a.row_index for a in amounts if a.value == total.value}) > 1:
            found.append(Settlement(total.value, Decimal(0), total.value))
        for owed in options["amount_due"].candidates:
            if not isinstance(owed.value, Decimal) or not 0 < owed.value < total.value:
                continue
            if owed.row_index <= total.row_index:
                continue
            for paid in amounts:
                if (
                    isinstance(paid.value, Decimal)
                    and paid is not owed
                    and paid.row_index > total.row_index
                    and abs(total.value - abs(paid.value) - owed.value) <= TOLERANCE
                    and not (owed.value in nets and abs(paid.value) in taxes)
                ):
                    found.append(Settlement(total.value, abs(paid.value), owed.value))
    return found


def settled(found: Sequence[Settlement]) -> Constraint:
    """Return the constraint that a reading takes the gross and the amount due of a
    settlement the page prints: where a payment settles the gross, a reading that does not
    take it is as unlikely as a broken one; where the gross is only printed again, one that
    leaves the amount due out (the whole is due) is."""
    paid = [s for s in found if s.paid > 0]
    repeated = {s.gross for s in found if s.paid == 0}

    def check(reading: Reading) -> float:
        gross, due = reading.get("total_gross"), reading.get("amount_due")
        if paid:
            return 1.0 if any(s.gross == gross and s.due == due for s in paid) else BROKEN
        return BROKEN if due is None and gross in repeated else 1.0

    return Constraint(("total_gross", "amount_due"), check)


def lines_add_up(line_totals: Sequence[Decimal]) -> Constraint:
    """Return the constraint that the lines' net amounts (as one of the line readers read
    them) add up to the net total."""

    def check(reading: Reading) -> float:
        net = reading.get("total_net")
        if not line_totals or not isinstance(net, Decimal):
            return 1.0
        return 1.0 if any(abs(net - total) <= TOLERANCE for total in line_totals) else UNSURE

    return Constraint(("total_net",), check)


def with_due_by_terms(
    options: Mapping[str, Options], terms: Iterable[PaymentTerm]
) -> dict[str, Options]:
    """Return the date options with each due-date candidate that is an issue-date candidate
    plus the page's payment terms made at least as likely as that issue date, and each
    issue-date candidate the terms lead from to a due-date candidate at least as likely as
    that due date: software prints the due date its terms give, so the two confirm each other
    however the due date's label reads (one under its value, one the model never saw)."""
    if not terms or not {"invoice_date", "due_date"} <= options.keys():
        return dict(options)
    issues, dues = options["invoice_date"], options["due_date"]
    pairs = [
        (issue_index, due_index)
        for issue_index, issue in enumerate(issues.values)
        if isinstance(issue, date)
        for due_index, due in enumerate(dues.values)
        if isinstance(due, date) and any(due in term.due_dates(issue) for term in terms)
    ]
    issue_probabilities, due_probabilities = list(issues.probabilities), list(dues.probabilities)
    for issue_index, due_index in pairs:
        issue_probability = issues.probabilities[issue_index]
        due_probability = dues.probabilities[due_index]
        due_probabilities[due_index] = max(due_probabilities[due_index], issue_probability)
        issue_probabilities[issue_index] = max(issue_probabilities[issue_index], due_probability)
    return {
        **options,
        "invoice_date": Options(issues.values, issue_probabilities, issues.candidates),
        "due_date": Options(dues.values, due_probabilities, dues.candidates),
    }


@reads("invoice_date", "due_date")
def due_not_before_issue(reading: Reading) -> float:
    """The due date is not before the issue date (on it: payable on receipt). Unsure, not
    broken: an invoice printing its due date before its date is the fault DUE-DATE-ORDER
    reports, and a sure reading of it must stand."""
    issue, due = reading.get("invoice_date"), reading.get("due_date")
    if isinstance(issue, date) and isinstance(due, date):
        return 1.0 if due >= issue else UNSURE
    return 1.0


@reads("seller_vat_id", "seller_siret")
def siren_agrees(reading: Reading) -> float:
    """A French seller's VAT number carries its SIREN, the SIRET's first nine digits."""
    vat, siret = reading.get("seller_vat_id"), reading.get("seller_siret")
    if isinstance(vat, str) and isinstance(siret, str) and vat.startswith("FR"):
        return 1.0 if vat[4:] == siret[:9] else UNSURE
    return 1.0


def stated(name: str) -> Constraint:
    """Return the constraint that an invoice states the field ``name`` (its number and its
    date: EN 16931 BT-1 and BT-2): a reading without it is unsure, not ruled out, as
    a document may lack it (the fault the rules then report)."""

    def check(reading: Reading) -> float:
        return STATED_UNREAD if reading.get(name) is None else 1.0

    return Constraint((name,), check)


def distinct(first: str, second: str, key: Callable[[Value], object]) -> Constraint:
    """Return the constraint that two fields do not hold the same value."""

    def check(reading: Reading) -> float:
        one, other = reading.get(first), reading.get(second)
        if one is None or other is None:
            return 1.0
        return BROKEN if key(one) == key(other) else 1.0

    return Constraint((first, second), check)


def name_identity(value: Value) -> object:
    return name_key(str(value))


def plain_identity(value: Value) -> object:
    return value
