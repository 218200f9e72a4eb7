"""The decoder keeps the joint reading the invoice's own constraints confirm."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from decimal import Decimal
from itertools import product

from extractors.identifiers import IdentifierShape, IdentifierType
from extractors.labels import TextRow, rows_of_page
from extractors.reader.candidates import Candidate, CandidateKind, Value
from extractors.reader.decode import (
    Choice,
    Constraint,
    Options,
    decode_group,
    distinct,
    due_not_above_gross,
    due_not_before_issue,
    lines_add_up,
    options_of,
    plain_identity,
    printed_as_restored,
    settled,
    settlements,
    siren_agrees,
    totals_add_up,
    with_check_digits_deciding,
    with_completed_totals,
    with_decimal_marks_restored,
    with_due_by_terms,
)
from extractors.reader.terms import PaymentTerm
from tests.unit.extractors.pages import page

ROW = rows_of_page(page((10, 10, "x")), 0)[0]


def candidate(value: Value) -> Candidate:
    kind = CandidateKind.AMOUNT if isinstance(value, Decimal) else CandidateKind.DATE
    return Candidate(kind, value, str(value), ROW, 0, 0, 0)


def options(*scored: tuple[Value, float]):  # type: ignore[no-untyped-def]
    return options_of([(candidate(value), p) for value, p in scored], plain_identity)


def printed(value: str, row_index: int) -> Candidate:
    """An amount printed on the document's row ``row_index``."""
    return Candidate(CandidateKind.AMOUNT, Decimal(value), value, ROW, row_index, 0, 0)


def options_at(*scored: tuple[Candidate, float]):  # type: ignore[no-untyped-def]
    return options_of(list(scored), plain_identity)


def test_totals_that_add_up_win_over_likelier_ones_that_do_not() -> None:
    chosen = decode_group(
        {
            "total_net": options((Decimal(100), 0.9)),
            "total_tax": options((Decimal(20), 0.9)),
            # The model prefers 125, but only 120 makes net + tax = gross.
            "total_gross": options((Decimal(125), 0.6), (Decimal(120), 0.5)),
        },
        [totals_add_up],
    )
    assert chosen["total_gross"].value == Decimal(120)
    assert chosen["total_net"].confidence > 0.85


def test_an_unconfirmed_value_is_less_sure_than_its_confirmed_rival() -> None:
    confirmed = decode_group(
        {
            "total_net": options((Decimal(100), 0.8)),
            "total_tax": options((Decimal(20), 0.8)),
            "total_gross": options((Decimal(120), 0.8)),
        },
        [totals_add_up],
    )
    unconfirmed = decode_group(
        {
            "total_net": options((Decimal(100), 0.8)),
            "total_tax": options((Decimal(21), 0.8)),
            "total_gross": options((Decimal(120), 0.8)),
        },
        [totals_add_up],
    )
    assert unconfirmed["total_gross"].confidence < confirmed["total_gross"].confidence


def test_a_vat_total_that_makes_the_sum_is_read_though_the_model_doubts_it() -> None:
    # A net under the gross says VAT was charged: its total is printed somewhere.
    chosen = decode_group(
        {
            "total_net": options((Decimal(100), 0.9)),
            "total_tax": options((Decimal(20), 0.4)),
            "total_gross": options((Decimal(120), 0.9)),
        },
        [totals_add_up],
    )
    assert chosen["total_tax"].value == Decimal(20)


def test_an_amount_completing_two_sure_totals_is_read_however_its_label_reads() -> None:
    # "IVA 21 %" reads to the model as a rate's line, not the VAT total: 0.005. It is the
    # only amount making 7372,17 + VAT = 8920,33, so it is the VAT total.
    amounts = {
        "total_net": options((Decimal("7372.17"), 0.999)),
        "total_tax": options((Decimal("1548.16"), 0.005), (Decimal("851.12"), 0.001)),
        "total_gross": options((Decimal("8920.33"), 0.93)),
    }
    assert "total_tax" not in decode_group(amounts, [totals_add_up])
    chosen = decode_group(with_completed_totals(amounts), [totals_add_up])
    assert chosen["total_tax"].value == Decimal("1548.16")
    assert chosen["total_tax"].confidence > 0.85


OCR_ROW = replace(ROW, ocr=True)


def ocr_read(text: str, row_index: int) -> Candidate:
    """An amount OCR read as ``text`` on row ``row_index``."""
    value = Decimal(text.replace(",", "."))
    return Candidate(CandidateKind.AMOUNT, value, text, OCR_ROW, row_index, 0, 0)


def test_a_decimal_mark_ocr_lost_is_given_back_where_the_totals_then_add_up() -> None:
    amounts = {
        "total_net": options_at((ocr_read("3732,34", 1), 0.9)),
        "total_tax": options_at((ocr_read("709,14", 2), 0.8)),
        # "4.441,48" read "444148" on the gross's row and again on the amount due's.
        "total_gross": options_at((ocr_read("444148", 3), 0.8)),
        "amount_due": options_at((ocr_read("444148", 4), 0.3)),
    }
    restored = with_decimal_marks_restored(amounts)
    assert restored["total_gross"].values == [Decimal("4441.48")]
    assert restored["amount_due"].values == [Decimal("4441.48")]
    printed = printed_as_restored([ocr_read("444148", 3), ocr_read("444148", 4)], restored)
    assert [candidate.value for candidate in printed] == [Decimal("4441.48")] * 2
    chosen = decode_group(
        with_completed_totals(restored), [totals_add_up, settled(settlements(restored, printed))]
    )
    assert chosen["total_gross"].value == chosen["amount_due"].value == Decimal("4441.48")


def test_a_whole_amount_is_kept_where_hundredths_complete_nothing_or_it_was_not_ocr() -> None:
    amounts = {
        "total_net": options_at((ocr_read("3732,34", 1), 0.9)),
        "total_tax": options_at((ocr_read("709,14", 2), 0.8)),
        "total_gross": options_at((ocr_read("444149", 3), 0.8)),
    }
    assert with_decimal_marks_restored(amounts) == amounts
    typed = {
        **amounts,
        "total_gross": options_at(
            (Candidate(CandidateKind.AMOUNT, Decimal(444148), "444148", ROW, 3, 0, 0), 0.8)
        ),
    }
    assert with_decimal_marks_restored(typed) == typed


def test_no_amount_is_made_likelier_where_none_completes_the_totals() -> None:
    amounts = {
        "total_net": options((Decimal(100), 0.9)),
        "total_tax": options((Decimal(21), 0.05)),
        "total_gross": options((Decimal(120), 0.9)),
    }
    assert with_completed_totals(amounts) == amounts


def test_no_vat_total_is_read_where_the_net_is_the_gross() -> None:
    chosen = decode_group(
        {
            "total_net": options((Decimal(100), 0.9)),
            "total_tax": options((Decimal(7), 0.3)),
            "total_gross": options((Decimal(100), 0.9)),
        },
        [totals_add_up],
    )
    assert "total_tax" not in chosen and chosen["total_gross"].value == Decimal(100)


def test_the_due_date_is_not_before_the_issue_date() -> None:
    chosen = decode_group(
        {
            "invoice_date": options((date(2026, 3, 1), 0.9)),
            "due_date": options((date(2026, 2, 1), 0.7), (date(2026, 3, 31), 0.6)),
        },
        [due_not_before_issue],
    )
    assert chosen["due_date"].value == date(2026, 3, 31)


def test_a_due_date_printed_before_the_issue_date_is_read_where_the_model_is_sure() -> None:
    # The fault DUE-DATE-ORDER reports: a decoder that read the issue date as the due date
    # instead (the model rated it 0.66 beside the printed 0.97) would hide it.
    chosen = decode_group(
        {
            "invoice_date": options((date(2026, 2, 11), 0.99)),
            "due_date": options((date(2026, 1, 12), 0.97), (date(2026, 2, 11), 0.66)),
        },
        [due_not_before_issue],
    )
    assert chosen["due_date"].value == date(2026, 1, 12)


def test_a_due_date_on_the_issue_date_is_read_with_it() -> None:
    # Payable on receipt: the rules accept it (DUE-DATE-ORDER), so does the decoder.
    chosen = decode_group(
        {
            "invoice_date": options((date(2026, 3, 16), 0.6)),
            "due_date": options((date(2026, 3, 16), 0.9)),
        },
        [due_not_before_issue],
    )
    assert chosen["invoice_date"].value == chosen["due_date"].value == date(2026, 3, 16)


def test_a_due_date_the_payment_terms_give_is_read_though_the_model_doubts_it() -> None:
    dates = {
        "invoice_date": options((date(2026, 5, 19), 0.99), (date(2026, 5, 14), 0.01)),
        # Its label under it: the model gives the due date 1 in 4, "not printed" wins.
        "due_date": options((date(2026, 7, 3), 0.25), (date(2026, 5, 14), 0.01)),
    }
    assert "due_date" not in decode_group(dates, [due_not_before_issue])
    chosen = decode_group(with_due_by_terms(dates, {PaymentTerm(45)}), [due_not_before_issue])
    assert chosen["due_date"].value == date(2026, 7, 3)
    assert chosen["due_date"].confidence > 0.9
    # Terms that lead nowhere change nothing.
    assert with_due_by_terms(dates, {PaymentTerm(30)}) == dates


def test_an_issue_date_the_terms_lead_from_to_a_sure_due_date_is_made_as_sure() -> None:
    dates = {
        "invoice_date": options((date(2026, 3, 1), 0.4), (date(2026, 2, 20), 0.3)),
        "due_date": options((date(2026, 3, 31), 0.95)),
    }
    completed = with_due_by_terms(dates, {PaymentTerm(30)})
    assert completed["invoice_date"].probabilities == [0.95, 0.3]


def test_two_fields_do_not_take_the_same_value() -> None:
    chosen = decode_group(
        {
            "invoice_date": options((date(2026, 3, 1), 0.9)),
            "due_date": options((date(2026, 3, 1), 0.6)),
        },
        [distinct("invoice_date", "due_date", plain_identity)],
    )
    assert "due_date" not in chosen


def test_a_field_no_candidate_is_likely_for_is_left_empty() -> None:
    chosen = decode_group({"total_net": options((Decimal(5), 0.05))}, [])
    assert chosen == {}


def test_a_french_vat_number_carrying_the_siret_s_siren_wins() -> None:
    chosen = decode_group(
        {
            "seller_vat_id": options(("FR40303265045", 0.7), ("FR44732829320", 0.6)),
            "seller_siret": options(("73282932000074", 0.9)),
        },
        [siren_agrees],
    )
    assert chosen["seller_vat_id"].value == "FR44732829320"
    assert chosen["seller_vat_id"].confidence < 0.9


def vat_read(value: str, *, valid: bool, row: TextRow = OCR_ROW) -> Candidate:
    shape = IdentifierShape(IdentifierType.VAT, valid)
    return Candidate(CandidateKind.IDENTIFIER, value, value, row, 0, 0, 0, shape)


def test_of_two_ocr_readings_of_one_vat_number_its_check_digits_choose() -> None:
    misread = vat_read("NL673160740B16", valid=False)  # page 1's footer, a digit misread
    read = vat_read("NL673160749B16", valid=True)  # page 2's
    other = vat_read("DE123456788", valid=True)

    decided = with_check_digits_deciding(
        {"seller_vat_id": options_at((misread, 0.9), (read, 0.1), (other, 0.05))}
    )

    assert decided["seller_vat_id"].values == ["NL673160749B16", "DE123456788"]
    assert decided["seller_vat_id"].probabilities == [0.9, 0.05]


def test_a_vat_number_printed_invalid_stays_where_no_reading_is_near_or_the_page_is_text() -> None:
    far = {
        "seller_vat_id": options_at(
            (vat_read("NL673160740B16", valid=False), 0.9),
            (vat_read("NL111111119B01", valid=True), 0.1),
        )
    }
    printed = {
        "seller_vat_id": options_at(
            (vat_read("NL673160740B16", valid=False, row=ROW), 0.9),
            (vat_read("NL673160749B16", valid=True, row=ROW), 0.1),
        )
    }

    assert with_check_digits_deciding(far) == far
    assert with_check_digits_deciding(printed) == printed


def test_a_payment_printed_below_the_gross_shows_the_amount_due() -> None:
    # Subtotal 296.33, IVA 62.23, "Importe líquido" 358.56, "Anticipo recibido" -143.00,
    # "Importe a pagar" 215.56: labels the model doubts, amounts that subtract exactly.
    net, tax, gross = printed("296.33", 16), printed("62.23", 17), printed("358.56", 18)
    paid, due = printed("-143.00", 19), printed("215.56", 20)
    amounts = {
        "total_net": options_at((net, 0.99)),
        "total_tax": options_at((tax, 0.1)),
        "total_gross": options_at((gross, 0.09), (due, 0.001)),
        "amount_due": options_at((due, 0.07), (gross, 0.0001)),
    }
    found = settlements(amounts, [net, tax, gross, paid, due])
    assert [(s.gross, s.paid, s.due) for s in found] == [
        (Decimal("358.56"), Decimal("143.00"), Decimal("215.56"))
    ]

    chosen = decode_group(amounts, [totals_add_up, settled(found)])

    assert chosen["amount_due"].value == Decimal("215.56")
    assert chosen["total_gross"].value == Decimal("358.56")


def test_a_vat_breakdown_below_the_gross_settles_nothing() -> None:
    # Gross 120 above a breakdown "base 100, VAT 20": gross - VAT = net is no payment.
    net, tax, gross = printed("100.00", 2), printed("20.00", 3), printed("120.00", 5)
    base, vat = printed("100.00", 7), printed("20.00", 7)
    amounts = {
        "total_net": options_at((net, 0.9)),
        "total_tax": options_at((tax, 0.9)),
        "total_gross": options_at((gross, 0.9)),
        "amount_due": options_at((base, 0.01)),
    }
    assert settlements(amounts, [net, tax, gross, base, vat]) == []


def test_the_gross_printed_again_is_due_unless_the_model_reads_another_amount() -> None:
    net, tax = printed("394.47", 8), printed("86.78", 9)
    gross, again = printed("481.25", 10), printed("481.25", 12)
    amounts = [net, tax, gross, again]

    def read_due(*due: tuple[Candidate, float]) -> Value | None:
        group = {
            "total_net": options_at((net, 0.9)),
            "total_tax": options_at((tax, 0.9)),
            "total_gross": options_at((gross, 0.9)),
            "amount_due": options_at(*due),
        }
        chosen = decode_group(group, [totals_add_up, settled(settlements(group, amounts))])
        return chosen["amount_due"].value if "amount_due" in chosen else None

    assert read_due((again, 0.09)) == Decimal("481.25")
    # Printed twice says nothing was paid, not that no other amount is due.
    assert read_due((again, 0.02), (printed("400.00", 14), 0.95)) == Decimal("400.00")


def _decoded_reading_by_reading(
    group: dict[str, Options], constraints: list[Constraint]
) -> dict[str, Choice]:
    """``decode_group`` as it weighs each joint reading alone, a dict a reading."""
    names = list(group)
    readings = []
    for combination in product(*(group[name].weights() for name in names)):
        reading = {name: value for name, (value, _) in zip(names, combination, strict=True)}
        weight = math.prod(probability for _, probability in combination)
        for constraint in constraints:
            weight *= constraint(reading)
        readings.append((reading, weight))
    total = sum(weight for _, weight in readings)
    best, _ = max(readings, key=lambda item: item[1])
    chosen = {}
    for name in names:
        value = best[name]
        if value is not None:
            marginal = sum(w for reading, w in readings if reading[name] == value) / total
            index = group[name].values.index(value)
            chosen[name] = Choice(value, marginal, group[name].candidates[index])
    return chosen


def test_the_group_decoded_at_once_gives_the_same_floats_as_reading_by_reading() -> None:
    group = {
        "total_net": options((Decimal("100.00"), 0.61), (Decimal("19.00"), 0.3)),
        "total_tax": options((Decimal("19.00"), 0.45), (Decimal("7.00"), 0.52)),
        "total_gross": options((Decimal("119.00"), 0.37), (Decimal("107.00"), 0.41)),
        "amount_due": options((Decimal("119.00"), 0.2), (Decimal("50.00"), 0.33)),
    }
    constraints = [totals_add_up, due_not_above_gross, lines_add_up([Decimal("100.00")])]
    assert decode_group(group, constraints) == _decoded_reading_by_reading(group, constraints)
