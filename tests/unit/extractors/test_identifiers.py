"""Identifiers told by shape and check digits, and set right where OCR misread them."""

from __future__ import annotations

import pytest

from extractors.identifiers import IdentifierType, read_identifier


@pytest.mark.parametrize(
    ("misread", "right", "kind"),
    [
        ("DES3200505503195835574", "DE53200505503195835574", IdentifierType.IBAN),  # 5 as S
        ("NLO9ABNA4579164661", "NL09ABNA4579164661", IdentifierType.IBAN),  # 0 as O
        ("IT08HO306943704284846502165", "IT08H0306943704284846502165", IdentifierType.IBAN),
        ("732829320O0074", "73282932000074", IdentifierType.SIRET),
        ("FR4473282932O", "FR44732829320", IdentifierType.VAT),
        ("NL326842044896", "NL326842044B96", IdentifierType.VAT),  # the format's B as 8
        ("ES835692383", "ESB35692383", IdentifierType.VAT),
        ("NLSS9018757B99", "NL559018757B99", IdentifierType.VAT),
        ("NLS1INGB2492045447", "NL81INGB2492045447", IdentifierType.IBAN),  # 8 as S
        ("NL2SINGB6662076983", "NL28INGB6662076983", IdentifierType.IBAN),
    ],
)
def test_ocr_look_alikes_are_set_right_where_the_check_digits_then_hold(
    misread: str, right: str, kind: IdentifierType
) -> None:
    read = read_identifier(misread, ocr=True)
    assert read is not None
    value, shape = read
    assert (value, shape.type, shape.valid) == (right, kind, True)


def test_a_text_layer_is_taken_as_printed() -> None:
    # Not OCR: what the PDF says is what the supplier wrote, wrong or not.
    assert read_identifier("DES3200505503195835574") is None
    read = read_identifier("FR4473282932O".replace("O", "1"))
    assert read is not None and read[1].valid is False


@pytest.mark.parametrize(
    "text",
    [
        "73282932OOOO74",  # four look-alikes: more than a misreading
        "DE12345678901234567890",  # no repair makes its check digits hold
        "ABCDEFGHIJKLMN",
    ],
)
def test_what_no_small_repair_makes_valid_stays_unread(text: str) -> None:
    assert read_identifier(text, ocr=True) is None
