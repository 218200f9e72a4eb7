"""Payment terms read from a page's words, and the due dates they give."""

from __future__ import annotations

from datetime import date

import pytest

from extractors.labels import rows_of_page
from extractors.reader.terms import PaymentTerm, printed_terms
from tests.unit.extractors.pages import page


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Paiement à 30 jours net", {PaymentTerm(30)}),
        ("Conditions : 45 jours fin de mois", {PaymentTerm(45, end_of_month=True)}),
        ("Zahlbar innerhalb von 14 Tagen ohne Abzug", {PaymentTerm(14)}),
        ("Payment terms: Net 60", {PaymentTerm(60)}),
        ("Betalingstermijn: 21 dagen", {PaymentTerm(21)}),
        ("Pagamento: bonifico a 90 gg d.f.", {PaymentTerm(90)}),
        ("Forma de pago: transferencia a 30 días", {PaymentTerm(30)}),
        # Amounts, dates and long spans are no terms.
        ("Net 1.234,56 €", set()),
        ("Garantie 365 jours", set()),
        ("Date 14 juillet 2026", set()),
    ],
)
def test_reads_the_days_written_on_a_row(text: str, terms: set[PaymentTerm]) -> None:
    assert printed_terms(rows_of_page(page((40, 40, text)), 0)) == terms


def test_end_of_month_terms_give_the_dates_software_reads_them_as() -> None:
    issued = date(2026, 1, 10)
    assert PaymentTerm(30).due_dates(issued) == {date(2026, 2, 9)}
    assert PaymentTerm(30, end_of_month=True).due_dates(issued) == {
        date(2026, 2, 9),
        date(2026, 2, 28),
        date(2026, 3, 2),
    }
