"""Cross-checks of OCR'd invoice lines: a misread amount is repaired from the arithmetic.

OCR sometimes reads a decimal comma as a digit ("297,92" as "297592") or a glyph as
another ("297,92" as "291.92", "7,75" as "7518"). Two cross-checks find such a value and
give the one the document's own arithmetic implies:

1. the lines' net amounts add up to the net total: when they do not, and exactly one line
   can account for the difference (its quantity times unit price gives the missing amount,
   or its amount is that amount with the decimal separator read as a digit or lost), that
   line's amount becomes the difference;
   Where several lines lost their decimal mark ("51420" among amounts printed to the
   cent), the amounts of those whose hundredths make the lines add up are those; where
   every line lost it, all are hundredths when they add up to a hundred times the total;
2. once the amounts add up, a line's quantity times its unit price gives its amount: when
   it does not, the unit price (or the quantity) that does replaces the read one, provided
   the read one looks like a misreading of it (one digit off, or the separator lost) or
   cannot be right (the line alone would be worth more than the whole invoice);
3. the VAT of the lines, rate by rate, adds up to the total VAT: when it does not, and
   exactly one way of reading one rate otherwise makes it add up (as a rate another line
   prints, or with a digit or decimal mark OCR lost: "2 %" for 22 %, "55 %" for 5,5 %),
   the lines at that rate get the rate that adds up; where no one rate does, two are
   tried together, and a line whose rate was not read takes one another line prints.

Only values the other readings confirm are written, and only on OCR'd documents: a text
layer gives the printed characters, and a line there that does not multiply out (a
discount, say) is what the document says.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import combinations, product

from invoicebot.model import Line

# Amounts are printed to the cent: a product or a sum may be off by rounding, no more.
CENT_TOLERANCE = Decimal("0.011")
CENT = Decimal("0.01")
# Quantities are printed with up to this many decimals (kg, hours).
QUANTITY_STEP = Decimal("0.001")
# One digit read as another is taken for a misreading only in numbers of this many digits:
# any two one-digit quantities are "one digit apart".
MIN_SUBSTITUTION_DIGITS = 3
# Lines whose lost decimal marks are sought together at most (their subsets are tried).
MAX_UNMARKED_LINES = 8
# Rates read otherwise sought together at most: with more, some reading adds up by chance.
MAX_MISREAD_RATES = 2


def repair_misread_lines(
    lines: Sequence[Line], total_net: Decimal | None, total_tax: Decimal | None = None
) -> list[Line]:
    """Return the lines with a misread net amount, unit price, quantity or VAT rate repaired
    from the net total, the line's own arithmetic and the total VAT; lines that check out
    are returned as read."""
    repaired = list(lines)
    if total_net is None or total_net <= 0 or not repaired:
        return repaired
    if any(line.net_amount is None for line in repaired):
        return repaired
    repaired = _repair_net_amount(repaired, total_net)
    if not _adds_up(repaired, total_net):
        repaired = _restore_decimal_marks(repaired, total_net)
    if not _adds_up(repaired, total_net):
        return repaired
    repaired = [_repair_product(line, total_net) for line in repaired]
    return repaired if total_tax is None else _repair_rates(repaired, total_tax)


def _adds_up(lines: Sequence[Line], total_net: Decimal) -> bool:
    """Return True when the lines' net amounts add up to ``total_net``."""
    return abs(_net_sum(lines) - total_net) <= CENT_TOLERANCE


def _net_sum(lines: Sequence[Line]) -> Decimal:
    return sum((line.net_amount or Decimal(0) for line in lines), Decimal(0))


def _repair_net_amount(lines: list[Line], total_net: Decimal) -> list[Line]:
    """Return the lines with the one net amount that breaks the sum set to the difference."""
    if _adds_up(lines, total_net):
        return lines
    total = _net_sum(lines)
    fixable = []
    for index, line in enumerate(lines):
        read = line.net_amount
        if read is None or _multiplies_out(line):
            continue
        missing = total_net - (total - read)
        if missing <= 0:
            continue
        # The line's own numbers give the missing amount: its quantity times its price, or
        # its price alone where no quantity was read (one, unprinted or lost).
        own = _product(line) if line.quantity is not None else line.unit_price
        confirmed = own is not None and abs(own - missing) <= CENT_TOLERANCE
        if confirmed or _misread_as(read, missing):
            fixable.append((index, missing, confirmed))
    if len(fixable) > 1:
        # Several amounts are a digit off the missing one: the line whose numbers confirm it.
        fixable = [fix for fix in fixable if fix[2]]
    if len(fixable) != 1:
        return lines
    index, missing, _ = fixable[0]
    fixed = list(lines)
    fixed[index] = lines[index].model_copy(update={"net_amount": missing})
    return fixed


def _restore_decimal_marks(lines: list[Line], total_net: Decimal) -> list[Line]:
    """Return the lines with the amounts printed without a decimal mark, among amounts
    printed to the cent, read as hundredths, where exactly one choice of them adds up."""
    amounts = [line.net_amount or Decimal(0) for line in lines]
    if all(_without_mark(amount) for amount in amounts):
        # Every amount lost its mark (a photo's faint commas): they are hundredths where
        # they add up to a hundred times the net total, to the cent, and not otherwise (an
        # invoice may print whole amounts).
        if sum(amounts) != total_net.scaleb(2):
            return lines
        return [
            line.model_copy(update={"net_amount": amount.scaleb(-2)})
            for line, amount in zip(lines, amounts, strict=True)
        ]
    unmarked = [i for i, amount in enumerate(amounts) if amount >= 100 and _without_mark(amount)]
    if not unmarked or len(unmarked) > MAX_UNMARKED_LINES:
        return lines
    total = _net_sum(lines)
    adding_up = [
        chosen
        for size in range(1, len(unmarked) + 1)
        for chosen in combinations(unmarked, size)
        if abs(total - sum(amounts[i] * Decimal("0.99") for i in chosen) - total_net)
        <= CENT_TOLERANCE
    ]
    if len(adding_up) != 1:
        return lines
    fixed = list(lines)
    for index in adding_up[0]:
        fixed[index] = lines[index].model_copy(update={"net_amount": amounts[index].scaleb(-2)})
    return fixed


def _without_mark(amount: Decimal) -> bool:
    """Return True for an amount read without a decimal mark ("51420", not "514,20")."""
    exponent = amount.as_tuple().exponent
    return isinstance(exponent, int) and exponent >= 0


def _repair_rates(lines: list[Line], total_tax: Decimal) -> list[Line]:
    """Return the lines with the VAT rates read that break the VAT sum replaced by the
    readings of them that make the lines' VAT add up to ``total_tax``: one rate where one
    will do, else two; a line with no rate read takes a rate another line prints. The
    closest reading is kept, where no other is as close (5,5 % and 5 % on 3,84 are a cent
    apart)."""
    read = sorted({line.tax_rate for line in lines if line.tax_rate is not None})
    unread = any(line.tax_rate is None for line in lines)
    if not read or (not unread and _vat_off_by(lines, total_tax) == 0):
        return lines
    readings: dict[Decimal | None, set[Decimal]] = {
        rate: {*read, *_misreadings_of(rate)} - {rate} for rate in read
    }
    if unread:
        readings[None] = set(read)
    for size in range(1, MAX_MISREAD_RATES + 1):
        fixes: dict[tuple[tuple[Decimal | None, Decimal], ...], Decimal] = {}
        for replaced in combinations(readings, size):
            if unread and None not in replaced:
                continue
            for others in product(*(readings[rate] for rate in replaced)):
                fix = tuple(zip(replaced, others, strict=True))
                fixes[fix] = _vat_off_by(_with_rates(lines, dict(fix)), total_tax)
        adding_up = sorted((off, fix) for fix, off in fixes.items() if off <= CENT * len(read))
        if adding_up:
            if len(adding_up) > 1 and adding_up[1][0] == adding_up[0][0]:
                return lines
            return _with_rates(lines, dict(adding_up[0][1]))
    return lines


def _misreadings_of(rate: Decimal) -> set[Decimal]:
    """Return the rates OCR may have read as ``rate``: with a decimal mark lost ("55" for
    5,5, "196" for 19,6) or a digit lost or doubled ("2" for 22, "22" for 2)."""
    digits = _digits(rate, None)
    readings = {Decimal(f"{digits[:cut]}.{digits[cut:]}") for cut in range(1, len(digits))}
    readings |= {Decimal(digits[:cut] + digits[cut - 1 :]) for cut in range(1, len(digits) + 1)}
    readings |= {
        Decimal(digits[:cut] + digits[cut + 1 :]) for cut in range(len(digits)) if len(digits) > 1
    }
    return {reading for reading in readings if 0 < reading < 100}


def _with_rates(lines: Sequence[Line], readings: dict[Decimal | None, Decimal]) -> list[Line]:
    return [
        line.model_copy(update={"tax_rate": readings[line.tax_rate]})
        if line.tax_rate in readings
        else line
        for line in lines
    ]


def _vat_off_by(lines: Sequence[Line], total_tax: Decimal) -> Decimal:
    """Return how far the VAT of the lines, each rate's base times the rate rounded to the
    cent, is from ``total_tax`` (a total rounded line by line may be a cent a rate off)."""
    bases: dict[Decimal, Decimal] = {}
    for line in lines:
        if line.tax_rate is not None:
            bases[line.tax_rate] = bases.get(line.tax_rate, Decimal(0)) + (
                line.net_amount or Decimal(0)
            )
    vat = sum(
        ((base * rate / 100).quantize(CENT, ROUND_HALF_UP) for rate, base in bases.items()),
        Decimal(0),
    )
    return abs(vat - total_tax)


def _repair_product(line: Line, total_net: Decimal) -> Line:
    """Return ``line`` with the unit price or quantity that makes it multiply out, when the
    read one is a likely misreading of it."""
    quantity, price, net = line.quantity, line.unit_price, line.net_amount
    if quantity is None or price is None or net is None or quantity <= 0 or price <= 0:
        return line
    if _multiplies_out(line):
        return line
    fixes: list[tuple[dict[str, Decimal], bool]] = []
    new_price = (net / quantity).quantize(CENT)
    if new_price > 0 and abs(quantity * new_price - net) <= CENT_TOLERANCE:
        fixes.append(({"unit_price": new_price}, _misread_as(price, new_price)))
    new_quantity = _quantity_for(net, price)
    if new_quantity is not None:
        misread = _misread_as(quantity, new_quantity, _places(new_quantity))
        fixes.append(({"quantity": new_quantity}, misread))
    likely = [fix for fix, misread in fixes if misread]
    if not likely and quantity * price > total_net + CENT_TOLERANCE:
        likely = [fix for fix, _ in fixes]  # the read values cannot both be right
    # A decimal mark lost ("17140" for 171,40) is likelier than "0,0" lost (3 for 0,03).
    lost_mark = [fix for fix in likely if _lost_mark(line, fix)]
    if len(likely) > 1 and len(lost_mark) == 1:
        likely = lost_mark
    if len(likely) != 1:
        return line
    return line.model_copy(update=likely[0])


def _lost_mark(line: Line, fix: dict[str, Decimal]) -> bool:
    """Return True when ``fix`` gives a value the line read without its decimal mark."""
    return any(
        (read := getattr(line, name)) is not None
        and read >= 100  # "0,03" without its mark is "003"
        and _without_mark(read)
        and read == value * 100
        for name, value in fix.items()
    )


def _quantity_for(net: Decimal, price: Decimal) -> Decimal | None:
    """Return the quantity that times ``price`` gives ``net``, when one is printable."""
    try:
        quantity = (net / price).quantize(QUANTITY_STEP).normalize()
    except InvalidOperation:
        return None
    if quantity <= 0 or abs(quantity * price - net) > CENT_TOLERANCE:
        return None
    return quantity


def _product(line: Line) -> Decimal | None:
    if line.quantity is None or line.unit_price is None:
        return None
    return line.quantity * line.unit_price


def _multiplies_out(line: Line) -> bool:
    """Return True when quantity times unit price gives the net amount (to the cent)."""
    product = _product(line)
    return (
        product is not None
        and line.net_amount is not None
        and abs(product - line.net_amount) <= CENT_TOLERANCE
    )


def _misread_as(read: Decimal, value: Decimal, places: int = 2) -> bool:
    """Return True when ``read`` looks like an OCR misreading of ``value`` printed with
    ``places`` decimals: the same digits with the separator lost or moved ("29792" for
    "297,92"), the separator read as a digit ("297592"), the cents lost ("2628" for
    "2628,75"), one digit lost ("32,7" for "32,75") or one digit misread ("291,92")."""
    expected = _digits(value, places)
    got = _digits(read, None)
    if got == expected:
        return True
    cut = len(expected) - places
    if places and len(got) == len(expected) + 1 and got[:cut] + got[cut + 1 :] == expected:
        return True
    if places and got == expected[:-places] and len(got) >= MIN_SUBSTITUTION_DIGITS:
        return True  # the cents lost ("2628" for "2628,75")
    if len(got) + 1 == len(expected) >= MIN_SUBSTITUTION_DIGITS and any(
        expected[:cut] + expected[cut + 1 :] == got for cut in range(len(expected))
    ):
        return True  # a digit lost ("32,7" for "32,75")
    got = _digits(read, places)
    return (
        len(got) == len(expected) >= MIN_SUBSTITUTION_DIGITS
        and sum(a != b for a, b in zip(got, expected, strict=True)) == 1
    )


def _digits(value: Decimal, places: int | None) -> str:
    """Return the digits of ``value`` printed with ``places`` decimals (None: as few as
    it needs), without sign, separator or leading zeros."""
    if places is None:
        text = format(abs(value).normalize(), "f")
    else:
        text = format(abs(value).quantize(Decimal(1).scaleb(-places)), "f")
    return text.replace(".", "").lstrip("0") or "0"


def _places(value: Decimal) -> int:
    """Return how many decimals ``value`` needs (8.5: 1, 12: 0)."""
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0
