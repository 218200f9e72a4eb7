"""Invoice lines found from their own arithmetic, whatever the table's headers say.

A row is an invoice line when three of its numbers make one: quantity x unit price = net
amount, less a discount rate where the row prints one. The description is the text before
those numbers, continued by the text-only rows right under it. No header word is needed,
so a table in a language or a column order no dictionary knows still reads; the caller
keeps this reading or the header-based one by which adds up to the invoice's net total.

A table with no quantity or unit price (a description and an amount) is read by its sum
instead (``read_lines_by_sum``): the consecutive rows with a description and an amount
in one column that add up exactly to the net total are the lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import permutations

from extractors.labels import PHRASE_GAP, TextRow, has_field_label
from extractors.normalize import parse_amount, parse_cell_amount, strip_zeros
from invoicebot.model import Line

# A net amount may differ from quantity x unit price by this (rounding of each line).
TOLERANCE = Decimal("0.011")
# Partial sums a run may reach before it is given up (rows offering several amounts).
MAX_SUMS = 4096
# Column choices across pages tried for a table continued overleaf.
MAX_CHAINS = 64
# Amounts of one column end within this many row heights of each other.
COLUMN_ALIGNMENT = 1.0
# A text-only row continues the line above when closer than this many row heights.
MAX_CONTINUATION_GAP = 1.8
MAX_RATE = Decimal(100)
# No quantity, price or amount of a line reaches this: a longer number is an identifier (a
# SIRET), and two of them would multiply past the precision of Decimal's context.
TOO_LARGE = Decimal(10) ** 12
CENT = Decimal("0.01")
# A row labelled as one of these prints a total, not a line, though its amount may add up.
TOTALS = ("total_net", "total_tax", "total_gross", "amount_due")

_DIGIT_GROUP = re.compile(r"^\d{3}(?:[.,]\d{1,2})?$")
_LEADING_GROUP = re.compile(r"^[-(]?\d{1,3}$")
_CURRENCY_ONLY = re.compile(r"^(?:[$€£¥₹]|EUR|USD|GBP|CHF)$", re.IGNORECASE)
# A whole number of two digits or more, which OCR may have read without its decimal mark.
_UNMARKED = re.compile(r"^\d{2,}$")
_PERCENT_GLUED = re.compile(r"^(\d+(?:[.,]\d+)?)\s*%$")


@dataclass(frozen=True)
class _Number:
    """A number printed on a row: its value, whether it is a rate, its word span, and
    whether it is a whole number read as having lost its decimal mark."""

    value: Decimal
    percent: bool
    first: int
    last: int
    rescaled: bool = False


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
    number grouped by a space ("1 234,56") give both readings, and so does a whole number
    OCR read (as itself, in tenths and in hundredths): the arithmetic decides."""
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
        value = None if _CURRENCY_ONLY.match(text) else parse_cell_amount(text)
        if value is not None and abs(value) < TOO_LARGE:
            percent = index + 1 < len(words) and words[index + 1] == "%"
            numbers.append(_Number(value, percent, index, index + percent))
            if row.ocr and not percent and _UNMARKED.match(text):
                # OCR loses a decimal mark ("474,35" read "47435", a quantity "9,5" read
                # "95"): the arithmetic decides.
                numbers.extend(
                    _Number(value.scaleb(-places), False, index, index, rescaled=True)
                    for places in (1, 2)
                    if len(text) > places
                )
    return numbers


def _apart(*numbers: _Number) -> bool:
    """Return True when no two of ``numbers`` share a word."""
    words = [index for number in numbers for index in range(number.first, number.last + 1)]
    return len(words) == len(set(words))


def _line_of(row: TextRow, numbers: Sequence[_Number]) -> _Found | None:
    """Return the row's line if three of its numbers multiply out, less a discount rate
    where one makes them; of several readings, the one explaining most words wins, then
    the one taking fewer numbers as having lost their decimal mark ("80 g" is no quantity
    8 where the row prints its 8), then the one whose net amount stands rightmost."""
    plain = [number for number in numbers if not number.percent]
    # A rate printed with "%" is tried first as the discount: a bare number may be one too.
    rates = sorted(
        (number for number in numbers if number.value <= MAX_RATE), key=lambda n: not n.percent
    )
    best: tuple[_Number, _Number, _Number, _Number | None] | None = None
    best_preference = (0, 0, 0)
    least_gross = [number.value - TOLERANCE for number in plain]
    widths = [number.last - number.first + 1 for number in plain]
    # Quantity x price is price x quantity, and the discount test is the same for both
    # orders: each pair and net is tested once.
    outcomes: dict[tuple[int, int, int], tuple[bool, _Number | None]] = {}
    for (q, quantity), (p, price), (n, net) in permutations(enumerate(plain), 3):
        if quantity.value <= 0 or (net.first < quantity.first and net.first < price.first):
            continue
        # How many words the reading explains, how few it rescales, then how far right its
        # net stands: tested before the product, as a reading no better than the best
        # cannot replace it.
        rescaled = quantity.rescaled + price.rescaled + net.rescaled
        preference = (widths[q] + widths[p] + widths[n], -rescaled, net.last)
        if best is not None and preference <= best_preference:
            continue
        gross = quantity.value * price.value
        # A discount only lowers the amount: a product below the net cannot be its line.
        if gross < least_gross[n]:
            continue
        pair = (q, p, n) if q < p else (p, q, n)
        outcome = outcomes.get(pair)
        if outcome is None:
            line = (quantity, price, net)
            outcome = outcomes[pair] = _discount_between(gross, net.value, rates, line)
        holds, discount = outcome
        if holds and _apart(quantity, price, net):
            best, best_preference = (quantity, price, net, discount), preference
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
    gross: Decimal,
    net: Decimal,
    rates: Sequence[_Number],
    line: tuple[_Number, _Number, _Number],
) -> tuple[bool, _Number | None]:
    """Return whether ``gross`` becomes ``net`` with no discount or with one of ``rates``
    (printed with "%" or not), and that rate. The discount is a column of its own, right of
    the ``line``'s quantity or unit price: not a number of the description ("80 g"), nor
    one of the line's numbers."""
    if abs(gross.quantize(CENT, ROUND_HALF_UP) - net) <= TOLERANCE:
        return True, None
    if gross <= 0:
        return False, None
    needed: Decimal | None = None
    quantity, price, _ = line
    start = min(quantity.first, price.first)
    for rate in rates:
        if rate.first <= start:
            continue
        if needed is None:  # a division: only where a rate stands right of the factors
            needed = (1 - net / gross) * 100
        if abs(rate.value - needed) > 1 or not _apart(rate, *line):
            continue
        discounted = gross * (1 - rate.value / 100)
        if abs(discounted.quantize(CENT, ROUND_HALF_UP) - net) <= TOLERANCE:
            return True, rate
    return False, None


@dataclass(frozen=True)
class _Priced:
    """A row holding a description and amounts: each amount, with where it ends, may be
    the row's net amount as an invoice line."""

    row: TextRow
    options: dict[float, list[Line]]  # right edge -> the line read with each amount there


def read_lines_by_sum(rows: Sequence[TextRow], total_net: Decimal) -> list[Line]:
    """Return the longest run of rows, each a description with an amount in one column,
    whose amounts add up exactly to ``total_net`` (the first of equal ones); none when no
    run does. A row labelled as a total is no line.

    A row may offer several amounts in a column ("5 140,03": 5 140.03 or 140.03): the
    sum chooses. A row whose amount is the sum of the run so far (a subtotal carried to
    the next page) is passed over; text-only rows under a line continue its description.
    """
    totals = {id(row) for row in rows if has_field_label(row, TOTALS)}
    priced = [item for row in rows if id(row) not in totals and (item := _priced(row)) is not None]
    target = _cents(total_net)
    best: list[tuple[TextRow, Line]] = []
    for chain in _column_chains(priced):
        in_column = [
            (item, lines)
            for item in priced
            if item.row.page in chain
            for right, lines in item.options.items()
            if abs(right - chain[item.row.page]) <= COLUMN_ALIGNMENT * item.row.height
        ]
        for start in range(len(in_column)):
            run = _run_adding_up(in_column[start:], target)
            # The longest run is the table: a total alone may equal the net too.
            if len(run) > len(best):
                best = run
    return _with_continuations(best, rows, totals | {id(item.row) for item in priced})


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value(ROUND_HALF_UP))


def _column_chains(priced: Sequence[_Priced]) -> list[dict[int, float]]:
    """Return the amount columns a table may run down: one column of a page, or a column
    on each of consecutive pages (a table continued overleaf may sit elsewhere there),
    at most ``MAX_CHAINS`` of them."""
    pages = sorted({item.row.page for item in priced})
    columns = {page: _columns([item for item in priced if item.row.page == page]) for page in pages}
    chains: list[dict[int, float]] = []
    for index, page in enumerate(pages):
        growing: list[dict[int, float]] = [{page: column} for column in columns[page]]
        chains.extend(growing)
        for following in pages[index + 1 :]:
            if not growing or following != max(growing[0]) + 1 or len(chains) >= MAX_CHAINS:
                break
            growing = [
                chain | {following: column} for chain in growing for column in columns[following]
            ][: MAX_CHAINS - len(chains)]
            chains.extend(growing)
    return chains


def _columns(priced: Sequence[_Priced]) -> list[float]:
    """Return the right edges where amounts end, one per column, in the order first met."""
    columns: list[float] = []
    for item in priced:
        for right in item.options:
            if all(abs(right - column) > COLUMN_ALIGNMENT * item.row.height for column in columns):
                columns.append(right)
    return columns


def _run_adding_up(
    in_column: Sequence[tuple[_Priced, list[Line]]], target: int
) -> list[tuple[TextRow, Line]]:
    """Return the shortest run from the first row whose chosen amounts add up to
    ``target`` cents, each row's line; empty when none does before the sum passes it."""
    # Reachable sums after each row, each with how it was reached: (previous sum, line).
    steps: list[dict[int, tuple[int, Line | None]]] = []
    sums: dict[int, tuple[int, Line | None]] = {0: (0, None)}
    for index, (_, lines) in enumerate(in_column):
        reached: dict[int, tuple[int, Line | None]] = {}
        for total in sums:
            for line in lines:
                new = total + _cents(line.net_amount or Decimal(0))
                if new <= target and new not in reached:
                    reached[new] = (total, line)
            subtotal = index > 0 and any(
                _cents(line.net_amount or Decimal(0)) == total for line in lines
            )
            if subtotal and total not in reached:
                reached[total] = (total, None)
        if not reached or len(reached) > MAX_SUMS:
            return []
        steps.append(reached)
        if target in reached:
            return _backtrack(in_column, steps, target)
        sums = reached
    return []


def _backtrack(
    in_column: Sequence[tuple[_Priced, list[Line]]],
    steps: Sequence[dict[int, tuple[int, Line | None]]],
    target: int,
) -> list[tuple[TextRow, Line]]:
    run: list[tuple[TextRow, Line]] = []
    total = target
    for index in range(len(steps) - 1, -1, -1):
        previous, line = steps[index][total]
        if line is not None:
            run.append((in_column[index][0].row, line))
        total = previous
    return run[::-1]


def _priced(row: TextRow) -> _Priced | None:
    """Return the row's readings as a line of a description and one of its amounts."""
    numbers = _numbers(row)
    by_arithmetic = _line_of(row, numbers)
    options: dict[float, list[Line]] = {}
    for net in numbers:
        if net.percent or net.value <= 0 or not _printed_as_money(net, row):
            continue
        span = _description(row, set(range(net.first, net.last + 1)), net.first)
        if span is None:
            continue
        first, last = span
        rates = [number for number in numbers if number.percent and number.last < net.first]
        line = Line(
            description=" ".join(word.text for word in row.words[first : last + 1]),
            net_amount=net.value,
            tax_rate=strip_zeros(rates[-1].value) if rates else None,
        )
        # The row's own arithmetic, where it gives this amount, adds quantity and price.
        if by_arithmetic is not None and by_arithmetic.line.net_amount == net.value:
            line = by_arithmetic.line
        options.setdefault(row.words[net.last].x1, []).append(line)
    return _Priced(row, options) if options else None


def _printed_as_money(number: _Number, row: TextRow) -> bool:
    """Return True when the number has two decimals or a currency mark beside it."""
    text = " ".join(word.text for word in row.words[number.first : number.last + 1])
    return bool(re.search(r"[.,]\d\d\D*$", text)) or _looks_like_price(number, row)


def _with_continuations(
    run: Sequence[tuple[TextRow, Line]], rows: Sequence[TextRow], not_text: set[int]
) -> list[Line]:
    """Return the run's lines, each description continued by the text-only rows under it
    (``not_text``: the ids of the rows priced or labelled as a total)."""
    lines = []
    position = {id(row): index for index, row in enumerate(rows)}
    for row, line in run:
        description = line.description or ""
        for below in rows[position[id(row)] + 1 :]:
            if (
                below.page != row.page
                or below.top - row.bottom > MAX_CONTINUATION_GAP * below.height
                or id(below) in not_text
            ):
                break
            description = f"{description} {below.text}"
            row = below
        lines.append(line.model_copy(update={"description": description}))
    return lines
