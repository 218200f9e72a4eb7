"""Invoice lines found from their own arithmetic, whatever the table's headers say.

A row is an invoice line when three of its numbers make one: quantity x unit price = net
amount, less a discount rate where the row prints one. The description is the text before
those numbers, continued by the text-only rows right under it. No header word is needed,
so a table in a language or a column order no dictionary knows still reads; the caller
keeps this reading or the header-based one by which adds up to the invoice's net total.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import permutations

from extractors.labels import PHRASE_GAP, TextRow
from extractors.normalize import parse_amount, strip_zeros
from invoicebot.model import Line

# A net amount may differ from quantity x unit price by this (rounding of each line).
TOLERANCE = Decimal("0.011")
# A text-only row continues the line above when closer than this many row heights.
MAX_CONTINUATION_GAP = 1.8
MAX_RATE = Decimal(100)
CENT = Decimal("0.01")

_DIGIT_GROUP = re.compile(r"^\d{3}(?:[.,]\d{1,2})?$")
_LEADING_GROUP = re.compile(r"^[-(]?\d{1,3}$")
_CURRENCY_ONLY = re.compile(r"^(?:[$€£¥₹]|EUR|USD|GBP|CHF)$", re.IGNORECASE)
_PERCENT_GLUED = re.compile(r"^(\d+(?:[.,]\d+)?)\s*%$")


@dataclass(frozen=True)
class _Number:
    """A number printed on a row: its value, whether it is a rate, and its word span."""

    value: Decimal
    percent: bool
    first: int
    last: int


def read_lines_by_arithmetic(rows: Sequence[TextRow]) -> list[Line]:
    """Return the lines of ``rows`` whose numbers multiply out, in reading order."""
    lines: list[Line] = []
    found: _Found | None = None
    previous: TextRow | None = None
    for row in rows:
        numbers = _numbers(row)
        line = _line_of(row, numbers)
        if line is not None:
            lines.append(line.line)
            found, previous = line, row
            continue
        if (
            found is not None
            and previous is not None
            and row.page == previous.page
            and row.top - previous.bottom <= MAX_CONTINUATION_GAP * row.height
            and row.x0 >= found.description_x0 - row.height
            and row.x1 < found.numbers_x0
        ):
            last = lines[-1]
            text = f"{last.description or ''} {row.text}".strip()
            lines[-1] = last.model_copy(update={"description": text})
            previous = row
            continue
        found = previous = None
    return lines


@dataclass(frozen=True)
class _Found:
    """A line read on a row, with where its description starts and its numbers resume."""

    line: Line
    description_x0: float
    numbers_x0: float


def _numbers(row: TextRow) -> list[_Number]:
    """Return the numbers of the row, "5 %" read as a rate; two words that may be one
    number grouped by a space ("1 234,56") give both readings, the arithmetic decides."""
    words = [word.text for word in row.words]
    numbers: list[_Number] = []
    for index, text in enumerate(words):
        if (
            index + 1 < len(words)
            and _LEADING_GROUP.match(text)
            and _DIGIT_GROUP.match(words[index + 1])
        ):
            joined = parse_amount(f"{text} {words[index + 1]}")
            if joined is not None:
                numbers.append(_Number(joined, False, index, index + 1))
        glued = _PERCENT_GLUED.match(text)
        if glued:
            rate = parse_amount(glued.group(1))
            if rate is not None:
                numbers.append(_Number(rate, True, index, index))
            continue
        value = None if _CURRENCY_ONLY.match(text) else parse_amount(text)
        if value is not None:
            percent = index + 1 < len(words) and words[index + 1] == "%"
            numbers.append(_Number(value, percent, index, index + percent))
    return numbers


def _apart(*numbers: _Number) -> bool:
    """Return True when no two of ``numbers`` share a word."""
    words = [index for number in numbers for index in range(number.first, number.last + 1)]
    return len(words) == len(set(words))


def _line_of(row: TextRow, numbers: Sequence[_Number]) -> _Found | None:
    """Return the row's line if three of its numbers multiply out, less a discount rate
    where one makes them; of several readings, the one explaining most words wins, then
    the one whose net amount stands rightmost."""
    plain = [number for number in numbers if not number.percent]
    rates = [number for number in numbers if number.value <= MAX_RATE]
    best: tuple[_Number, _Number, _Number, _Number | None] | None = None
    for quantity, price, net in permutations(plain, 3):
        if quantity.value <= 0 or (net.first < quantity.first and net.first < price.first):
            continue
        gross = quantity.value * price.value
        # A discount only lowers the amount: a product below the net cannot be its line.
        if gross < net.value - TOLERANCE:
            continue
        if best is not None and _preference(quantity, price, net) <= _preference(*best[:3]):
            continue
        holds, discount = _discount_between(gross, net.value, rates)
        if holds and _apart(quantity, price, net, *([discount] if discount else [])):
            best = (quantity, price, net, discount)
    if best is None:
        return None
    quantity, price, net, discount = best
    if _looks_like_price(quantity, row) and not _looks_like_price(price, row):
        quantity, price = price, quantity
    used = {
        index
        for number in (quantity, price, net, discount)
        if number is not None
        for index in range(number.first, number.last + 1)
    }
    span = _description(row, used, net.first)
    if span is None:
        return None
    first, last = span
    vat_rates = [
        rate
        for rate in numbers
        if rate.percent and rate is not discount and _apart(rate, quantity, price, net)
    ]
    after = [index for index in range(last + 1, len(row.words)) if index in used]
    return _Found(
        Line(
            description=" ".join(word.text for word in row.words[first : last + 1]),
            quantity=strip_zeros(quantity.value),
            unit_price=price.value,
            net_amount=net.value,
            tax_rate=strip_zeros(vat_rates[-1].value) if vat_rates else None,
        ),
        row.words[first].x0,
        row.words[after[0]].x0 if after else row.x1,
    )


def _preference(quantity: _Number, price: _Number, net: _Number) -> tuple[int, int]:
    covered = sum(number.last - number.first + 1 for number in (quantity, price, net))
    return covered, net.last


def _looks_like_price(number: _Number, row: TextRow) -> bool:
    """Return True when the number is printed as money (two decimals, or a currency mark
    beside it) rather than as a count: quantity x price is symmetric, the print is not."""
    text = " ".join(word.text for word in row.words[number.first : number.last + 1])
    decimals = re.search(r"[.,](\d+)\D*$", text)
    if decimals is not None and len(decimals.group(1)) == 2 and not text.endswith(("0,00", "0.00")):
        return True
    after = row.words[number.last + 1].text if number.last + 1 < len(row.words) else ""
    before = row.words[number.first - 1].text if number.first > 0 else ""
    return bool(_CURRENCY_ONLY.match(after) or _CURRENCY_ONLY.match(before)) or bool(
        re.search(r"[$€£]", text)
    )


def _description(row: TextRow, used: set[int], end: int) -> tuple[int, int] | None:
    """Return the (first, last) words of the description: of the phrases before word
    ``end`` made of words no number of the line uses, the one with most letters (an item
    code, a leading quantity or another column's text stands apart from it)."""
    phrases: list[list[int]] = []
    for index in range(end):
        word = row.words[index]
        gap = word.x0 - row.words[index - 1].x1 if index else 0.0
        if index in used:
            phrases.append([])
            continue
        if not phrases or not phrases[-1] or gap > PHRASE_GAP * row.height:
            phrases.append([])
        phrases[-1].append(index)

    def letters(phrase: list[int]) -> int:
        return sum(char.isalpha() for index in phrase for char in row.words[index].text)

    best = max(phrases, key=letters, default=[])
    return (best[0], best[-1]) if best and letters(best) >= 2 else None


def _discount_between(
    gross: Decimal, net: Decimal, rates: Sequence[_Number]
) -> tuple[bool, _Number | None]:
    """Return whether ``gross`` becomes ``net`` with no discount or with one of ``rates``
    (printed with "%" or not), and that rate."""
    if abs(gross.quantize(CENT, ROUND_HALF_UP) - net) <= TOLERANCE:
        return True, None
    if gross <= 0:
        return False, None
    needed = (1 - net / gross) * 100
    for rate in rates:
        if abs(rate.value - needed) > 1:
            continue
        discounted = gross * (1 - rate.value / 100)
        if abs(discounted.quantize(CENT, ROUND_HALF_UP) - net) <= TOLERANCE:
            return True, rate
    return False, None
