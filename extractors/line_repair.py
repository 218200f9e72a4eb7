"""Cross-checks of OCR'd invoice lines: a misread amount is repaired from the arithmetic.

OCR sometimes reads a decimal comma as a digit ("297,92" as "297592") or a glyph as
another ("297,92" as "291.92", "7,75" as "7518"). Two cross-checks find such a value and
give the one the document's own arithmetic implies:

1. the lines' net amounts add up to the net total: when they do not, and exactly one line
   can account for the difference (its quantity times unit price gives the missing amount,
   or its amount is that amount with the decimal separator read as a digit or lost), that
   line's amount becomes the difference;
2. once the amounts add up, a line's quantity times its unit price gives its amount: when
   it does not, the unit price (or the quantity) that does replaces the read one, provided
   the read one looks like a misreading of it (one digit off, or the separator lost) or
   cannot be right (the line alone would be worth more than the whole invoice).

Only values the other readings confirm are written, and only on OCR'd documents: a text
layer gives the printed characters, and a line there that does not multiply out (a
discount, say) is what the document says.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from invoicebot.model import Line

# Amounts are printed to the cent: a product or a sum may be off by rounding, no more.
CENT_TOLERANCE = Decimal("0.011")
CENT = Decimal("0.01")
# Quantities are printed with up to this many decimals (kg, hours).
QUANTITY_STEP = Decimal("0.001")
# One digit read as another is taken for a misreading only in numbers of this many digits:
# any two one-digit quantities are "one digit apart".
MIN_SUBSTITUTION_DIGITS = 3


def repair_misread_lines(lines: Sequence[Line], total_net: Decimal | None) -> list[Line]:
    """Return the lines with a misread net amount, unit price or quantity repaired from the
    net total and the line's own arithmetic; lines that check out are returned as read."""
    repaired = list(lines)
    if total_net is None or total_net <= 0 or not repaired:
        return repaired
    if any(line.net_amount is None for line in repaired):
        return repaired
    repaired = _repair_net_amount(repaired, total_net)
    if not _adds_up(repaired, total_net):
        return repaired
    return [_repair_product(line, total_net) for line in repaired]


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
        product = _product(line)
        if (product is not None and abs(product - missing) <= CENT_TOLERANCE) or _misread_as(
            read, missing
        ):
            fixable.append((index, missing))
    if len(fixable) != 1:
        return lines
    index, missing = fixable[0]
    fixed = list(lines)
    fixed[index] = lines[index].model_copy(update={"net_amount": missing})
    return fixed


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
    if len(likely) != 1:
        return line
    return line.model_copy(update=likely[0])


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
    "297,92"), the separator read as a digit ("297592"), or one digit misread ("291,92")."""
    expected = _digits(value, places)
    got = _digits(read, None)
    if got == expected:
        return True
    cut = len(expected) - places
    if places and len(got) == len(expected) + 1 and got[:cut] + got[cut + 1 :] == expected:
        return True
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
