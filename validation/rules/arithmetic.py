"""EN 16931 arithmetic: totals that must add up, VAT that must be computed right.

The contract's extraction has no printed VAT breakdown: where the document states one
(``InvoiceExtras.vat_breakdown``, e.g. from an e-invoice XML) the rules check it; otherwise
they rebuild it from the lines, grouped by rate, or, with a single rate, take the printed
net and VAT totals as that rate's base and VAT.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from invoicebot.model import ExceptionCategory, Line
from validation.context import RuleContext, VatSubtotal
from validation.identity import seller_country
from validation.registry import Verdict, rule
from validation.text import country_adjective, exact, money, percent, round_cent

HALF_CENT = Decimal("0.005")


def vat_tolerance(context: RuleContext, lines: int) -> Decimal:
    """Return the gap allowed on a VAT amount: the amount tolerance, plus half a cent per
    line when sellers may round VAT line by line."""
    tolerance = context.config.amount_tolerance
    if context.config.amounts.vat_rounding_per_line:
        tolerance += HALF_CENT * max(lines, 1)
    return tolerance


def vat_of(base: Decimal, rate: Decimal) -> Decimal:
    """Return the VAT on ``base`` at ``rate`` percent, rounded half-up to the cent."""
    return round_cent(base * rate / 100)


def complete_lines(context: RuleContext) -> list[Line] | None:
    """Return the lines when every one has a net amount and a VAT rate, else None."""
    lines = context.extraction.lines
    if not lines or any(line.net_amount is None or line.tax_rate is None for line in lines):
        return None
    return lines


def bases_by_rate(lines: Sequence[Line]) -> dict[Decimal, tuple[Decimal, int]]:
    """Return, per VAT rate, the sum of the line net amounts and the number of lines."""
    bases: dict[Decimal, tuple[Decimal, int]] = {}
    for line in lines:
        if line.tax_rate is None or line.net_amount is None:
            continue
        rate = line.tax_rate.normalize()
        base, count = bases.get(rate, (Decimal(0), 0))
        bases[rate] = (base + line.net_amount, count + 1)
    return bases


def lines_reconcile(context: RuleContext) -> bool:
    """Return True when the line amounts add up to the net total (no allowance or charge)."""
    lines = complete_lines(context)
    total_net = context.fields.total_net
    extras = context.extras
    if lines is None or total_net is None:
        return False
    if extras.allowance_total or extras.charge_total:
        return False
    lines_total = sum((line.net_amount or Decimal(0) for line in lines), Decimal(0))
    return abs(total_net - lines_total) <= context.config.amount_tolerance


@rule(id="BR-CO-10", category=ExceptionCategory.ARITHMETIC)
def lines_sum_to_net(context: RuleContext) -> Verdict | None:
    """The line amounts add up to the sum of the lines the document states (EN 16931 BR-CO-10).

    Applies when every line amount was read. An e-invoice states that sum (BT-106); on other
    documents the total without VAT stands for it, when the document states no allowance or
    charge at document level (BR-CO-13 then checks the totals). A failure usually means a
    line left out of the totals, a line read twice, or a misread amount (or, in an XML,
    line amounts stated with VAT): compare the table with the totals on the document.
    """
    extraction = context.extraction
    line_amounts = [line.net_amount for line in extraction.lines]
    if not line_amounts or any(a is None for a in line_amounts):
        return None
    extras = context.extras
    if extras.line_total is not None:
        target, name, label = extras.line_total, "line_total", "the stated sum of the lines"
    elif extras.allowance_total is not None or extras.charge_total is not None:
        return None
    elif extraction.fields.total_net is not None:
        target, name, label = extraction.fields.total_net, "total_net", "the net total"
    else:
        return None
    lines_total = sum((a for a in line_amounts if a is not None), Decimal(0))
    gap = target - lines_total
    values = {
        "lines": str(len(line_amounts)),
        "lines_total": money(lines_total),
        name: money(target),
        "difference": money(gap),
    }
    if abs(gap) <= context.config.amount_tolerance:
        return Verdict(True, f"The lines add up to {label}.", values)
    return Verdict(
        False,
        f"The {len(line_amounts)} lines add up to {money(lines_total)}, "
        f"but {label} is {money(target)} (difference {money(gap)}).",
        values,
    )


@rule(id="BR-CO-13", category=ExceptionCategory.ARITHMETIC)
def net_is_lines_less_allowances_plus_charges(context: RuleContext) -> Verdict | None:
    """The total without VAT is the lines, less allowances, plus charges (EN 16931 BR-CO-13).

    Applies only when the document states document-level allowances (discounts) or charges
    (e.g. an e-invoice XML); otherwise BR-CO-10 checks the lines against the net total. The
    lines are the sum the document states (BT-106, BR-CO-10 checks it against the lines),
    else the sum of the line amounts read.
    """
    extras = context.extras
    total_net = context.fields.total_net
    amounts = [line.net_amount for line in context.extraction.lines]
    if extras.allowance_total is None and extras.charge_total is None:
        return None
    if total_net is None:
        return None
    if extras.line_total is not None:
        lines_total = extras.line_total
    elif amounts and all(amount is not None for amount in amounts):
        lines_total = sum((amount for amount in amounts if amount is not None), Decimal(0))
    else:
        return None
    allowances = extras.allowance_total or Decimal(0)
    charges = extras.charge_total or Decimal(0)
    expected = lines_total - allowances + charges
    gap = total_net - expected
    values = {
        "lines_total": money(lines_total),
        "allowances": money(allowances),
        "charges": money(charges),
        "expected_net": money(expected),
        "total_net": money(total_net),
        "difference": money(gap),
    }
    if abs(gap) <= context.config.amount_tolerance:
        return Verdict(True, "Lines less allowances plus charges equal the net total.", values)
    return Verdict(
        False,
        f"Lines {money(lines_total)} - allowances {money(allowances)} + charges "
        f"{money(charges)} = {money(expected)}, but the net total is {money(total_net)} "
        f"(difference {money(gap)}).",
        values,
    )


@rule(id="BR-CO-14", category=ExceptionCategory.ARITHMETIC)
def vat_total_is_sum_of_breakdown(context: RuleContext) -> Verdict | None:
    """The total VAT is the sum of the VAT of each rate (EN 16931 BR-CO-14).

    Uses the VAT breakdown the document states; without one, and when the invoice has
    several rates, the VAT of each rate is computed from the lines (base x rate, rounded),
    provided the lines add up to the net total (otherwise BR-CO-10 reports the cause). VAT
    rounded line by line may differ by half a cent per line. With a single rate, BR-CO-17
    checks the VAT instead.
    """
    total_tax = context.fields.total_tax
    if total_tax is None:
        return None
    printed = context.extras.vat_breakdown
    if printed:
        expected = sum((subtotal.tax for subtotal in printed), Decimal(0))
        tolerance = context.config.amount_tolerance
        source = "the VAT breakdown"
        detail = ", ".join(f"{percent(s.rate)}: {money(s.tax)}" for s in printed)
    else:
        lines = complete_lines(context)
        if lines is None or not lines_reconcile(context):
            return None
        bases = bases_by_rate(lines)
        if len(bases) < 2:
            return None
        expected = sum((vat_of(base, rate) for rate, (base, _n) in bases.items()), Decimal(0))
        tolerance = vat_tolerance(context, len(lines))
        source = "the lines"
        detail = ", ".join(
            f"{percent(rate)} on {money(base)} = {money(vat_of(base, rate))}"
            for rate, (base, _n) in sorted(bases.items(), reverse=True)
        )
    gap = total_tax - expected
    values = {
        "breakdown": detail,
        "expected_tax": money(expected),
        "total_tax": money(total_tax),
        "difference": money(gap),
    }
    if abs(gap) <= tolerance:
        return Verdict(True, "The total VAT is the sum of the VAT of each rate.", values)
    return Verdict(
        False,
        f"The VAT per rate from {source} ({detail}) adds up to {money(expected)}, "
        f"but the total VAT is {money(total_tax)} (difference {money(gap)}).",
        values,
    )


@rule(id="BR-CO-15", category=ExceptionCategory.ARITHMETIC)
def net_plus_tax_is_gross(context: RuleContext) -> Verdict | None:
    """Total without VAT plus total VAT equals the total with VAT (EN 16931 BR-CO-15).

    A failure is a misread total or a supplier's error: check the three totals on the
    document and ask the supplier for a corrected invoice if they really do not add up.
    """
    fields = context.extraction.fields
    if fields.total_net is None or fields.total_tax is None or fields.total_gross is None:
        return None
    expected = fields.total_net + fields.total_tax
    gap = fields.total_gross - expected
    values = {
        "total_net": money(fields.total_net),
        "total_tax": money(fields.total_tax),
        "total_gross": money(fields.total_gross),
        "expected_gross": money(expected),
        "difference": money(gap),
    }
    if abs(gap) <= context.config.amount_tolerance:
        return Verdict(True, "Net plus VAT equals the gross total.", values)
    return Verdict(
        False,
        f"Net {money(fields.total_net)} + VAT {money(fields.total_tax)} = {money(expected)}, "
        f"but the invoice says {money(fields.total_gross)} (difference {money(gap)}).",
        values,
    )


@rule(id="BR-CO-16", category=ExceptionCategory.ARITHMETIC)
def amount_due_follows_from_gross(context: RuleContext) -> Verdict | None:
    """The amount due is the total with VAT less what was paid in advance (EN 16931 BR-CO-16).

    When the document states the prepaid amount, the amount due must equal gross - prepaid
    (+ rounding); a credit (a negative result) may instead state that nothing is due, as
    ZUGFeRD 1 corrections do: it is settled otherwise and nothing is paid. Without the
    prepaid amount a deposit may explain a smaller amount due, but the amount due can never
    exceed the gross total nor have the opposite sign: that would be paying more than was
    invoiced.
    """
    fields = context.fields
    gross, due = fields.total_gross, fields.amount_due
    if gross is None or due is None:
        return None
    tolerance = context.config.amount_tolerance
    prepaid = context.extras.prepaid_amount
    values = {"total_gross": money(gross), "amount_due": money(due)}
    if prepaid is not None:
        rounding = context.extras.rounding_amount
        expected = gross - prepaid + (rounding or Decimal(0))
        gap = due - expected
        values |= {"prepaid": money(prepaid), "expected_due": money(expected)}
        if rounding is not None:
            values["rounding"] = money(rounding)
        if abs(gap) <= tolerance:
            return Verdict(
                True, "The amount due is the gross total less the prepaid amount.", values
            )
        if expected < 0 and due == 0:
            return Verdict(True, "A credit: the document asks for no payment.", values)
        rounded = f" + rounding {money(rounding)}" if rounding is not None else ""
        return Verdict(
            False,
            f"Gross {money(gross)} - prepaid {money(prepaid)}{rounded} = {money(expected)}, "
            f"but the amount due is {money(due)} (difference {money(gap)}).",
            values,
        )
    low, high = (Decimal(0), gross) if gross >= 0 else (gross, Decimal(0))
    if low - tolerance <= due <= high + tolerance:
        return Verdict(True, "The amount due is within the gross total.", values)
    if (gross >= 0) != (due >= 0):
        reason = "has the opposite sign of the gross total"
    else:
        reason = "is more than the invoice's gross total"
    return Verdict(
        False,
        f"The amount due {money(due)} {reason} {money(gross)}: do not pay more than was "
        "invoiced; check both amounts on the document.",
        values,
    )


@rule(id="BR-CO-17", category=ExceptionCategory.ARITHMETIC)
def vat_per_rate_is_base_times_rate(context: RuleContext) -> Verdict | None:
    """The VAT of each rate is its base times the rate, rounded to the cent (EN 16931 BR-CO-17).

    Uses the VAT breakdown the document states; without one, applies to single-rate
    invoices, whose net total is the base and whose total VAT is the VAT. VAT rounded line
    by line may differ by half a cent per line. A failure is usually a misread VAT amount
    or rate.
    """
    printed = context.extras.vat_breakdown
    lines = context.extraction.lines
    if printed:
        subtotals = list(printed)
        tolerance = vat_tolerance(context, len(lines))
    else:
        fields = context.fields
        rates = {line.tax_rate.normalize() for line in lines if line.tax_rate is not None}
        if fields.total_net is None or fields.total_tax is None or len(rates) != 1:
            return None
        if any(line.tax_rate is None for line in lines):
            return None
        subtotals = [VatSubtotal(rates.pop(), fields.total_net, fields.total_tax)]
        tolerance = vat_tolerance(context, len(lines))
    wrong = [
        (subtotal, vat_of(subtotal.base, subtotal.rate))
        for subtotal in subtotals
        if abs(subtotal.tax - vat_of(subtotal.base, subtotal.rate)) > tolerance
    ]
    values = {
        f"vat_{exact(s.rate)}": f"{money(s.base)} x {percent(s.rate)} -> {money(s.tax)}"
        for s in subtotals
    }
    if not wrong:
        return Verdict(True, "The VAT of each rate is its base times the rate.", values)
    problems = "; ".join(
        f"VAT at {percent(s.rate)} on {money(s.base)} should be {money(expected)}, but the "
        f"invoice shows {money(s.tax)} (difference {money(s.tax - expected)})"
        for s, expected in wrong
    )
    return Verdict(False, problems + ".", values)


AMOUNT_LABELS = {
    "total_net": "net total",
    "total_tax": "VAT total",
    "total_gross": "gross total",
    "amount_due": "amount due",
}


def too_many_decimals(value: Decimal) -> bool:
    """Return True when ``value`` has a non-zero digit beyond the cent."""
    exponent = value.normalize().as_tuple().exponent
    return isinstance(exponent, int) and exponent < -2


@rule(id="BR-DEC", category=ExceptionCategory.ARITHMETIC)
def amounts_have_two_decimals(context: RuleContext) -> Verdict | None:
    """Totals and line amounts have at most two decimals (EN 16931 BR-DEC).

    Unit prices and quantities may have more. An amount with three decimals cannot be paid
    as such; it is often a misread thousands separator (1.234 read as one euro and 234
    thousandths): check the amount on the document.
    """
    fields = context.fields
    amounts: dict[str, Decimal] = {
        label: value
        for name, label in AMOUNT_LABELS.items()
        if (value := getattr(fields, name)) is not None
    }
    for position, line in enumerate(context.extraction.lines, start=1):
        if line.net_amount is not None:
            amounts[f"line {position} amount"] = line.net_amount
    if not amounts:
        return None
    wrong = {label: value for label, value in amounts.items() if too_many_decimals(value)}
    if not wrong:
        return Verdict(True, "Every amount has at most two decimals.")
    listed = ", ".join(f"{label} {exact(value)}" for label, value in wrong.items())
    return Verdict(
        False,
        f"Amounts with more than two decimals: {listed}.",
        {label: exact(value) for label, value in wrong.items()},
    )


@rule(id="VAT-RATE", category=ExceptionCategory.ARITHMETIC)
def vat_rates_are_legal(context: RuleContext) -> Verdict | None:
    """Every VAT rate is a rate in force in the seller's country (France: 20, 10, 5.5, 2.1, 0).

    The seller's country comes from its VAT number (else a SIRET means France, else the
    IBAN's country). Applies to the countries listed in the configuration
    (``amounts.vat_rates``: FR, BE, DE, GB, ES, IT, NL, LU by default). A failure is a
    misread rate or a wrong rate on the invoice: the VAT cannot be deducted as charged.
    """
    country = seller_country(context.fields)
    allowed = context.config.amounts.vat_rates.get(country) if country else None
    if country is None or allowed is None:
        return None
    rates = {line.tax_rate for line in context.extraction.lines if line.tax_rate is not None}
    rates |= {subtotal.rate for subtotal in context.extras.vat_breakdown}
    if not rates:
        return None
    printed = sorted({rate.normalize() for rate in rates}, reverse=True)
    wrong = [rate for rate in printed if not any(rate == legal for legal in allowed)]
    legal = ", ".join(exact(rate) for rate in allowed)
    values = {"country": country, "rates": ", ".join(exact(r) for r in printed), "legal": legal}
    if not wrong:
        return Verdict(True, f"Every VAT rate is a {country_adjective(country)} rate.", values)
    listed = ", ".join(percent(rate) for rate in wrong)
    return Verdict(
        False,
        f"VAT rate {listed} is not a {country_adjective(country)} VAT rate "
        f"(rates in force: {legal}): check the rate on the document.",
        values,
    )
