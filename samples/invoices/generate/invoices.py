"""Invoices and their arithmetic: lines drawn from a catalogue, totals, faults applied."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from stdnum import iban
from stdnum.fr import siret as fr_siret

from samples.invoices.generate.identifiers import corrupt_digit, is_valid_vat_id, transpose_digits
from samples.invoices.generate.kinds import Fault, to_money
from samples.invoices.generate.parties import (
    CATALOGUES,
    VAT_RATES,
    Buyer,
    CatalogItem,
    LayoutName,
    Seller,
)

# ----------------------------------------------------------------------------------------
# Invoices and their arithmetic
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceLine:
    """One billed item; ``net_amount`` is quantity x unit price rounded to the cent."""

    reference: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal

    @property
    def net_amount(self) -> Decimal:
        """Return the line's net amount."""
        return to_money(self.quantity * self.unit_price)


@dataclass(frozen=True)
class VatSubtotal:
    """The VAT due at one rate: base x rate, rounded half-up to the cent."""

    rate: Decimal
    base: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Totals:
    """The VAT breakdown and the net, tax and gross totals as printed."""

    vat: tuple[VatSubtotal, ...]
    net: Decimal
    tax: Decimal
    gross: Decimal


def compute_totals(lines: Sequence[InvoiceLine]) -> Totals:
    """Return the VAT breakdown (one subtotal per rate, highest first) and the totals."""
    bases: dict[Decimal, Decimal] = {}
    for line in lines:
        bases[line.tax_rate] = bases.get(line.tax_rate, Decimal("0")) + line.net_amount
    vat = tuple(
        VatSubtotal(rate, base, to_money(base * rate / 100))
        for rate, base in sorted(bases.items(), reverse=True)
    )
    net = sum((subtotal.base for subtotal in vat), Decimal("0"))
    tax = sum((subtotal.tax for subtotal in vat), Decimal("0"))
    return Totals(vat, net, tax, net + tax)


@dataclass(frozen=True)
class PrintedIdentifiers:
    """The seller identifiers as printed on one invoice (a fault may have broken one)."""

    vat_id: str
    siret: str | None
    iban: str


@dataclass(frozen=True)
class Invoice:
    """Everything printed on one invoice."""

    seller: Seller
    buyer: Buyer
    number: str
    issue_date: date
    due_date: date
    delivery_date: date
    payment_days: int
    po_number: str | None
    lines: tuple[InvoiceLine, ...]
    totals: Totals
    deposit: Decimal
    printed: PrintedIdentifiers
    show_buyer_vat: bool
    penalty_rate: str

    @property
    def amount_due(self) -> Decimal:
        """Return what is left to pay: the gross total less any deposit already paid."""
        return self.totals.gross - self.deposit

    @property
    def layout(self) -> LayoutName:
        """Return the layout the seller's invoicing software prints with."""
        return self.seller.profile.layout


def quantity_for(catalog_item: CatalogItem, rng: random.Random) -> Decimal:
    """Return a plausible quantity: few of the expensive items, halves for time."""
    if catalog_item.unit in ("hour", "day"):
        top = 24 if catalog_item.unit == "hour" else 10
        return Decimal(rng.randint(1, top * 2)) / 2
    if catalog_item.unit == "month":
        return Decimal(rng.choice((1, 1, 1, 3, 6, 12)))
    if catalog_item.unit == "area":
        return Decimal(rng.randint(8, 140))
    if catalog_item.high >= 300:
        return Decimal(rng.randint(1, 3))
    return Decimal(rng.choice((1, 2, 2, 3, 4, 5, 6, 10, 12, 20, 24)))


def draw_lines(seller: Seller, rng: random.Random, minimum: int = 1) -> tuple[InvoiceLine, ...]:
    """Return 1-10 distinct lines from the seller's catalogue, priced at random."""
    catalogue = CATALOGUES[seller.profile.catalogue]
    wanted = rng.choices(range(1, 11), weights=(8, 14, 16, 14, 12, 9, 7, 6, 4, 3))[0]
    count = min(max(wanted, minimum), len(catalogue))
    rates = VAT_RATES[seller.country]
    return tuple(
        InvoiceLine(
            reference=chosen.reference,
            description=chosen.description,
            quantity=quantity_for(chosen, rng).normalize(),
            unit_price=Decimal(rng.randint(chosen.low * 100, chosen.high * 100)) / 100,
            tax_rate=rates[chosen.band],
        )
        for chosen in rng.sample(catalogue, count)
    )


def draw_deposit(gross: Decimal, rng: random.Random) -> Decimal:
    """Return a deposit already paid (a round 30 % of the gross) on about one invoice in eight."""
    if rng.random() >= 0.125 or gross < 200:
        return Decimal("0.00")
    return to_money((gross * Decimal("0.3")).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def format_reference(template: str, day: date, number: int) -> str:
    """Return a document number from a template such as ``F{year}-{n:04d}``."""
    return template.format(year=day.year, n=number)


@dataclass
class SellerLedger:
    """A seller's running invoice number and date, so its invoices follow each other."""

    next_number: int
    last_date: date

    def advance(self, rng: random.Random) -> tuple[int, date]:
        """Return the next invoice number and issue date, a few days to weeks later."""
        self.next_number += rng.randint(1, 37)
        self.last_date += timedelta(days=rng.randint(4, 30))
        return self.next_number, self.last_date


def draft_invoice(
    seller: Seller, buyer: Buyer, ledger: SellerLedger, rng: random.Random, min_lines: int = 1
) -> Invoice:
    """Return a clean invoice: valid identifiers, consistent totals, due after issue."""
    number, issue_date = ledger.advance(rng)
    lines = draw_lines(seller, rng, min_lines)
    totals = compute_totals(lines)
    payment_days = rng.choice((30, 30, 30, 45, 60))
    po_number = None
    if rng.random() < 0.6:
        po_number = format_reference(buyer.profile.po_format, issue_date, rng.randint(100, 99999))
    # ERP-style and intra-EU layouts always print the customer's VAT number.
    always_buyer_vat = seller.profile.layout in ("fr-boxed", "en-ledger", "de-standard")
    return Invoice(
        seller=seller,
        buyer=buyer,
        number=format_reference(seller.profile.number_format, issue_date, number),
        issue_date=issue_date,
        due_date=issue_date + timedelta(days=payment_days),
        delivery_date=issue_date - timedelta(days=rng.randint(0, 6)),
        payment_days=payment_days,
        po_number=po_number,
        lines=lines,
        totals=totals,
        deposit=draw_deposit(totals.gross, rng),
        printed=PrintedIdentifiers(seller.vat_id, seller.siret, seller.iban),
        show_buyer_vat=always_buyer_vat or rng.random() < 0.5,
        penalty_rate=rng.choice(("10", "12,15", "15")),
    )


def apply_fault(invoice: Invoice, fault: Fault, rng: random.Random) -> Invoice:
    """Return ``invoice`` with one deliberate mistake printed on it."""
    printed = invoice.printed
    if fault is Fault.TOTALS_MISMATCH:
        error = rng.choice((Decimal("10.00"), Decimal("1.00"), Decimal("100.00")))
        totals = replace(invoice.totals, gross=invoice.totals.gross + error)
        return replace(invoice, totals=totals, deposit=Decimal("0.00"))
    if fault is Fault.LINES_MISMATCH:
        # The totals forgot the last line: the table lists it, the sums do not count it.
        return replace(invoice, totals=compute_totals(invoice.lines[:-1]))
    if fault is Fault.DUE_DATE_ORDER:
        due_date = invoice.issue_date - timedelta(days=invoice.payment_days)
        return replace(invoice, due_date=due_date)
    if fault is Fault.IBAN_CHECK:
        broken = transpose_digits(printed.iban, iban.is_valid)
        return replace(invoice, printed=replace(printed, iban=broken))
    if fault is Fault.VAT_ID_CHECK:
        # Position 3 is the second digit of the French key, a body digit elsewhere.
        broken = corrupt_digit(printed.vat_id, 3, is_valid_vat_id)
        return replace(invoice, printed=replace(printed, vat_id=broken))
    if fault is Fault.SIRET_CHECK and printed.siret is not None:
        broken = corrupt_digit(printed.siret, 13, fr_siret.is_valid)
        return replace(invoice, printed=replace(printed, siret=broken))
    raise ValueError(f"{fault} cannot be printed on invoice {invoice.number}")
