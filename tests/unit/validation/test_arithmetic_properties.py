"""Property-based tests of the arithmetic rules over random invoices (hypothesis).

A random invoice is built the EN 16931 way (line = quantity x price rounded; VAT per rate =
base x rate rounded; gross = net + VAT): every arithmetic rule passes on it, and each
deliberate break is caught by the rule it belongs to, and by no other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from invoicebot.model import Extraction, InvoiceFields, Line
from tests.unit.validation.support import TODAY, master_store, run

CENT = Decimal("0.01")
FRENCH_RATES = [Decimal(rate) for rate in ("20", "10", "5.5", "2.1", "0")]
ARITHMETIC = {"BR-CO-10", "BR-CO-14", "BR-CO-15", "BR-CO-16", "BR-CO-17", "BR-DEC", "VAT-RATE"}
# No example database: runs are reproducible from the seed hypothesis prints on failure.
PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, database=None)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RandomInvoice:
    """Lines and the totals an EN 16931 compliant seller prints for them."""

    lines: list[Line]
    net: Decimal
    tax: Decimal
    deposit: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax

    def extraction(self, **changes: Decimal | None) -> Extraction:
        fields = {
            "invoice_number": "F-1",
            "invoice_date": date(2026, 11, 2),
            "due_date": date(2026, 12, 2),
            "currency": "EUR",
            "seller_name": "ACME Fournitures SAS",
            "seller_vat_id": "FR44732829320",
            "seller_siret": "73282932000074",
            "total_net": self.net,
            "total_tax": self.tax,
            "total_gross": self.gross,
            "amount_due": self.gross - self.deposit,
        }
        fields.update(changes)
        return Extraction(
            source="random.pdf",
            sha256="1" * 64,
            fields=InvoiceFields.model_validate(fields),
            lines=self.lines,
        )

    @property
    def rates(self) -> set[Decimal]:
        return {line.tax_rate for line in self.lines if line.tax_rate is not None}


@st.composite
def invoices(draw: st.DrawFn) -> RandomInvoice:
    """Draw 1-8 lines at French rates and compute the totals as EN 16931 says."""
    count = draw(st.integers(1, 8))
    lines = []
    for _ in range(count):
        quantity = Decimal(draw(st.integers(1, 400))) / 4
        price = Decimal(draw(st.integers(1, 500_000))) / 100
        rate = draw(st.sampled_from(FRENCH_RATES))
        lines.append(
            Line(
                description="item",
                quantity=quantity,
                unit_price=price,
                net_amount=cents(quantity * price),
                tax_rate=rate,
            )
        )
    bases: dict[Decimal, Decimal] = {}
    for line in lines:
        assert line.tax_rate is not None and line.net_amount is not None
        bases[line.tax_rate] = bases.get(line.tax_rate, Decimal(0)) + line.net_amount
    net = sum(bases.values(), Decimal(0))
    tax = sum((cents(base * rate / 100) for rate, base in bases.items()), Decimal(0))
    deposit = cents((net + tax) * Decimal(draw(st.sampled_from([0, 0, 10, 30]))) / 100)
    return RandomInvoice(lines, net, tax, deposit)


def failed_arithmetic(invoice: Extraction) -> set[str]:
    results = run(invoice, reference_date=TODAY)
    return {rule for rule, result in results.items() if rule in ARITHMETIC and not result.passed}


@PROPERTY_SETTINGS
@given(invoices())
def test_a_correct_invoice_passes_every_arithmetic_rule(invoice: RandomInvoice) -> None:
    assert failed_arithmetic(invoice.extraction()) == set()


@PROPERTY_SETTINGS
@given(invoices(), st.integers(2, 100_000).map(lambda n: Decimal(n) / 100), st.booleans())
def test_a_wrong_gross_fails_br_co_15_only(
    invoice: RandomInvoice, error: Decimal, higher: bool
) -> None:
    gross = invoice.gross + (error if higher else -error)
    broken = invoice.extraction(total_gross=gross, amount_due=None)
    assert failed_arithmetic(broken) == {"BR-CO-15"}


@PROPERTY_SETTINGS
@given(invoices(), st.integers(1, 100_000).map(lambda n: Decimal(n) / 100))
def test_wrong_vat_fails_the_vat_rule_of_the_invoice(
    invoice: RandomInvoice, error: Decimal
) -> None:
    # Beyond the tolerance for VAT rounded per line (0.01 + half a cent per line).
    error += CENT + CENT * len(invoice.lines)
    broken = invoice.extraction(
        total_tax=invoice.tax + error, total_gross=invoice.gross + error, amount_due=None
    )
    expected = {"BR-CO-17"} if len(invoice.rates) == 1 else {"BR-CO-14"}
    assert failed_arithmetic(broken) == expected


@PROPERTY_SETTINGS
@given(invoices(), st.integers(2, 100_000).map(lambda n: Decimal(n) / 100))
def test_a_line_left_out_of_the_totals_fails_br_co_10(
    invoice: RandomInvoice, amount: Decimal
) -> None:
    extra = Line(description="forgotten", net_amount=amount, tax_rate=FRENCH_RATES[0])
    broken = RandomInvoice([*invoice.lines, extra], invoice.net, invoice.tax, invoice.deposit)
    assert "BR-CO-10" in failed_arithmetic(broken.extraction())
    assert "BR-CO-14" not in failed_arithmetic(broken.extraction())


@PROPERTY_SETTINGS
@given(invoices(), st.integers(2, 100_000).map(lambda n: Decimal(n) / 100))
def test_amount_due_above_gross_fails_br_co_16(invoice: RandomInvoice, excess: Decimal) -> None:
    broken = invoice.extraction(amount_due=invoice.gross + excess)
    assert failed_arithmetic(broken) == {"BR-CO-16"}


@PROPERTY_SETTINGS
@given(invoices(), st.integers(1, 9).map(lambda n: Decimal(n) / 1000))
def test_a_third_decimal_fails_br_dec(invoice: RandomInvoice, thousandths: Decimal) -> None:
    broken = invoice.extraction(amount_due=invoice.gross - invoice.deposit - thousandths)
    assert "BR-DEC" in failed_arithmetic(broken)


optional_amounts = st.one_of(
    st.none(),
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**15), max_value=10**15),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, max_value=10**12),
)


@settings(max_examples=100, deadline=None, database=None)
@given(
    st.builds(
        InvoiceFields,
        invoice_number=st.one_of(st.none(), st.text(max_size=12)),
        invoice_date=st.one_of(st.none(), st.dates()),
        due_date=st.one_of(st.none(), st.dates()),
        seller_name=st.one_of(st.none(), st.text(max_size=20)),
        seller_vat_id=st.one_of(st.none(), st.text(max_size=15)),
        seller_siret=st.one_of(st.none(), st.text("0123456789", max_size=15)),
        seller_iban=st.one_of(st.none(), st.text(max_size=34)),
        po_number=st.one_of(st.none(), st.text(max_size=10)),
        total_net=optional_amounts,
        total_tax=optional_amounts,
        total_gross=optional_amounts,
        amount_due=optional_amounts,
    ),
    st.lists(
        st.builds(
            Line,
            quantity=optional_amounts,
            unit_price=optional_amounts,
            net_amount=optional_amounts,
            tax_rate=st.one_of(st.none(), st.sampled_from(FRENCH_RATES), optional_amounts),
        ),
        max_size=4,
    ),
)
def test_rules_never_raise_on_odd_data(fields: InvoiceFields, lines: list[Line]) -> None:
    invoice = Extraction(source="odd.pdf", sha256="2" * 64, fields=fields, lines=lines)
    page = fields.model_copy(update={"total_gross": None})
    results = run(invoice, page_fields=page, store=master_store())
    assert not [r for r in results.values() if "could not be completed" in r.message]
