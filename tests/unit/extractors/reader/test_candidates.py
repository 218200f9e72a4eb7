"""Candidates: every value of the right shape is proposed, whatever its label."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from extractors.base import PageWords
from extractors.labels import rows_of_page
from extractors.reader.candidates import (
    Candidate,
    CandidateKind,
    continued_name,
    find_candidates,
    may_fill,
    same_value,
    with_legal_form_restored,
)
from tests.unit.extractors.pages import SPACE, page, words_at


def kinds_and_values(*pieces: tuple[float, float, str]) -> set[tuple[CandidateKind, object]]:
    rows = rows_of_page(page(*pieces), 0)
    return {(c.kind, c.value) for c in find_candidates(rows, ("fr", "en", "de"), day_first=True)}


def test_proposes_amounts_dates_references_and_names_without_labels() -> None:
    found = kinds_and_values(
        (40, 40, "Quux Widgets GmbH"),
        (40, 80, "Zzz: 2026/0042"),
        (40, 100, "Qqq 14 novembre 2026"),
        (300, 300, "1 234,56 €"),
    )
    assert (CandidateKind.REFERENCE, "2026/0042") in found
    assert (CandidateKind.DATE, date(2026, 11, 14)) in found
    assert (CandidateKind.AMOUNT, Decimal("1234.56")) in found
    assert (CandidateKind.NAME, "Quux Widgets GmbH") in found


def test_a_rate_is_not_an_amount_and_a_date_is_not_a_reference() -> None:
    found = kinds_and_values((40, 40, "TVA 20 %"), (40, 80, "Date 03.04.2026"))
    assert (CandidateKind.AMOUNT, Decimal(20)) not in found
    assert (CandidateKind.DATE, date(2026, 4, 3)) in found
    assert not any(kind is CandidateKind.REFERENCE and "2026" in str(v) for kind, v in found)


def test_a_number_of_days_is_not_a_reference() -> None:
    found = kinds_and_values(
        (40, 40, "Facture à régler sous 30 jours"),
        (40, 80, "Zahlbar innerhalb von 14 Tagen, 30j fin de mois"),
        (40, 120, "Order 42 within 2 weeks"),
    )
    references = {value for kind, value in found if kind is CandidateKind.REFERENCE}
    assert references == {"42"}


def test_reference_marks_glued_before_a_number_are_not_part_of_it() -> None:
    found = kinds_and_values((40, 40, "Invoice #INV-77"), (40, 80, "Facture N°F2026-9"))
    assert (CandidateKind.REFERENCE, "INV-77") in found
    assert (CandidateKind.REFERENCE, "F2026-9") in found


def test_values_compare_as_printed_values_of_their_kind() -> None:
    assert same_value(CandidateKind.AMOUNT, Decimal("12.50"), "12.5")
    assert same_value(CandidateKind.DATE, date(2026, 1, 2), "2026-01-02")
    assert same_value(CandidateKind.REFERENCE, "F-42", "f 42")
    assert same_value(CandidateKind.NAME, "ACME S.A.S.", "Acme SAS")
    assert not same_value(CandidateKind.AMOUNT, Decimal("12.50"), None)


def test_dates_in_any_of_six_languages_and_compact_dates_are_proposed() -> None:
    found = kinds_and_values(
        (40, 40, "Fecha 28 de agosto de 2026"),
        (40, 60, "Data venerdì 20 marzo 2026"),
        (40, 80, "Datum 20260131"),
    )
    assert (CandidateKind.DATE, date(2026, 8, 28)) in found
    assert (CandidateKind.DATE, date(2026, 3, 20)) in found
    assert (CandidateKind.DATE, date(2026, 1, 31)) in found


def test_a_date_whose_words_ocr_boxed_further_apart_than_a_phrase_is_one_date() -> None:
    # "avr." ends at x = 175, "2026" starts 15 pt on: 1.5 row heights, past a phrase's gap.
    found = kinds_and_values((40, 40, "A11241-26, en date du 30 avr."), (190, 40, "2026"))
    assert (CandidateKind.DATE, date(2026, 4, 30)) in found
    assert (CandidateKind.REFERENCE, "2026") not in found


def identifier_candidates(words: PageWords, language: str) -> list[Candidate]:
    """Return the identifier candidates of a page, in order."""
    rows = rows_of_page(words, 0)
    return [
        c
        for c in find_candidates(rows, (language,), day_first=True)
        if c.kind is CandidateKind.IDENTIFIER
    ]


def test_identifiers_are_joined_from_their_groups_and_told_by_check_digits() -> None:
    found = {
        (c.value, c.identifier.type.value, c.identifier.valid)
        for c in identifier_candidates(
            page(
                (40, 40, "IBAN : FR76 3000 6000 0112 3456 7890 189"),
                (40, 80, "SIRET 732 829 320 00074 TVA:FR44732829320"),
                (40, 120, "VAT DE 123456789 Tel 123456789"),
            ),
            "fr",
        )
        if c.identifier is not None
    }
    assert found == {
        ("FR7630006000011234567890189", "iban", True),
        ("73282932000074", "siret", True),
        ("FR44732829320", "vat", True),
        ("DE123456789", "vat", False),
    }


def test_an_ocr_colon_between_an_iban_s_groups_is_read_as_their_space() -> None:
    def ibans(ocr: float | None) -> set[object]:
        words = page((40, 40, "IBAN: AT80:3200.0245 6443 9663"), ocr=ocr)
        return {c.value for c in identifier_candidates(words, "de")}

    assert ibans(0.9) == {"AT803200024564439663"}
    assert ibans(None) == set()  # a text layer prints what the supplier wrote


def test_a_country_code_letter_ocr_read_as_a_symbol_is_restored_where_check_digits_hold() -> None:
    def identifiers(text: str, ocr: float | None) -> set[object]:
        return {c.value for c in identifier_candidates(page((40, 40, text), ocr=ocr), "de")}

    assert identifiers("IBAN [T21B0200856459975995088786", 0.6) == {"IT21B0200856459975995088786"}
    assert identifiers("IBAN E$640049848505496 1986770", 0.6) == {"ES6400498485054961986770"}
    assert (
        identifiers("IBAN [T21B0200856459975995088786", None) == set()
    )  # a text layer: as printed
    assert identifiers("USt-IdNr. D€123456788", 0.6) == {"DE123456788"}
    assert identifiers("USt-IdNr. D€123456789", 0.6) == set()  # its check digit fails


def test_an_identifier_field_takes_only_its_own_kind_of_identifier() -> None:
    words = page((40, 40, "FR76 3000 6000 0112 3456 7890 189 FR44732829320"))
    iban, vat = identifier_candidates(words, "fr")
    assert may_fill("seller_iban", iban) and not may_fill("seller_vat_id", iban)
    assert may_fill("buyer_vat_id", vat) and not may_fill("seller_siret", vat)
    assert may_fill("invoice_number", vat)


def test_a_name_read_by_ocr_is_as_sure_as_all_its_words_together() -> None:
    rows = rows_of_page(page((40, 40, "Quux Widgets GmbH"), ocr=0.9), 0)
    (name,) = [
        candidate
        for candidate in find_candidates(rows, ("en",), day_first=True)
        if candidate.kind is CandidateKind.NAME
    ]
    assert name.ocr_confidence == 0.9
    assert abs(name.words_confidence - 0.9**3) < 1e-9


def test_a_fleck_ocr_read_as_a_letter_beside_a_name_is_not_part_of_it() -> None:
    name = words_at(40, 40, "Inbel Technik", 0.95)
    fleck = words_at(name[-1].x1 + SPACE, 40, "P", 0.25)
    sure = words_at(40, 80, "Quux Widgets X", 0.95)
    words = [*name, *fleck, *sure]
    rows = rows_of_page(PageWords(number=1, width=595, height=842, method="ocr", words=words), 0)

    names = {
        candidate.value: candidate
        for candidate in find_candidates(rows, ("en",), day_first=True)
        if candidate.kind is CandidateKind.NAME
    }

    assert "Inbel Technik P" not in names
    # The model still sees the phrase as printed: the fleck is left out of the name only.
    assert names["Inbel Technik"].last == 2
    assert "Quux Widgets X" in names  # a letter read surely is print


def continued_names(*pieces: tuple[float, float, str]) -> dict[str, str]:
    """Return each name candidate of a page of ``pieces`` with what ``continued_name`` makes
    of it."""
    rows = rows_of_page(page(*pieces), 0)
    return {
        str(candidate.value): continued_name(candidate, rows)
        for candidate in find_candidates(rows, ("en", "de"), day_first=True)
        if candidate.kind is CandidateKind.NAME
    }


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [
        pytest.param(
            [
                (60, 40, "HOME MASTER HARDWARE &"),
                (90, 52, "ELECTRICAL"),
                (40, 90, "Quux Widgets GmbH"),
                (40, 102, "12 Long Street"),
            ],
            {
                "HOME MASTER HARDWARE &": "HOME MASTER HARDWARE & ELECTRICAL",
                "Quux Widgets GmbH": "Quux Widgets GmbH",
            },
            id="ending-in-a-joining-word",
        ),
        pytest.param(
            # The buyer's row between the seller's two is passed over; a phrase beneath that
            # is not a legal form is another line of the address.
            [
                (20, 40, "Noren Bürobedarf"),
                (200, 48, "Solros Consulting GmbH & Co."),
                (20, 56, "GmbH"),
                (200, 64, "KG"),
                (20, 90, "Quux Widgets"),
                (20, 102, "Customer service"),
            ],
            {
                "Noren Bürobedarf": "Noren Bürobedarf GmbH",
                "Solros Consulting GmbH & Co.": "Solros Consulting GmbH & Co. KG",
                "Quux Widgets": "Quux Widgets",
            },
            id="legal-form-alone-beneath",
        ),
        pytest.param(
            [
                (20, 40, "Orfalpel Handel GmbH"),
                (20, 52, "& Co. KG"),
                (20, 90, "Quux Widgets GmbH"),
                (20, 102, "AG Köln HRB 1234"),
            ],
            {
                "Orfalpel Handel GmbH": "Orfalpel Handel GmbH & Co. KG",
                "Quux Widgets GmbH": "Quux Widgets GmbH",
            },
            id="a-legal-forms-tail-beneath-a-legal-form",
        ),
        pytest.param(
            # The buyer's row between them is passed over; a label over a legal form starts
            # no name.
            [
                (20, 40, "Marquinlum Logistik"),
                (200, 40, "Rechnungsnr INV26064081"),
                (200, 48, "Fischer Systeme GmbH"),
                (20, 56, "GmbH & Co. KG"),
                (20, 90, "Kundenservice:"),
                (20, 102, "GmbH"),
            ],
            {"GmbH & Co. KG": "Marquinlum Logistik GmbH & Co. KG", "GmbH": "GmbH"},
            id="legal-form-alone-under-its-name",
        ),
        pytest.param(
            # 18 pt apart: more than a phrase's words (12 pt), less than a row's segments.
            [(20, 40, "+32 63 235 2384"), (200, 40, "Maison Meuse"), (276, 40, "SRL")],
            {"SRL": "Maison Meuse SRL"},
            id="legal-form-alone-set-off-on-its-row",
        ),
    ],
)
def test_a_name_printed_over_two_rows_or_set_apart_is_read_whole(
    pieces: list[tuple[float, float, str]], expected: dict[str, str]
) -> None:
    names = continued_names(*pieces)
    assert {name: names[name] for name in expected} == expected


def test_a_label_ending_in_a_preposition_is_no_name() -> None:
    found = kinds_and_values((40, 40, "Livrer à"), (40, 60, "Ship to"), (40, 80, "Quux GmbH"))
    names = {value for kind, value in found if kind is CandidateKind.NAME}
    assert names == {"Quux GmbH"}


def test_a_separator_after_a_name_in_a_footer_line_is_not_part_of_it() -> None:
    found = kinds_and_values((40, 780, "Quux Widgets GmbH ·"), (200, 780, "Hauptstraße 1 ·"))
    names = {value for kind, value in found if kind is CandidateKind.NAME}
    assert "Quux Widgets GmbH" in names
    assert not any(str(name).endswith("·") for name in names)


def test_an_ocr_misread_legal_form_is_restored_and_other_words_are_kept() -> None:
    assert with_legal_form_restored("Nornorver Digital pic") == "Nornorver Digital plc"
    assert with_legal_form_restored("Bianchi S.r.!.") == "Bianchi S.r.l."
    assert with_legal_form_restored("Smith & Son") == "Smith & Son"
    assert with_legal_form_restored("Quux GmbH") == "Quux GmbH"
