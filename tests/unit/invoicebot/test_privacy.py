"""Masking of bank details: one definition, used by rules, artifacts, forms, logs, files."""

from __future__ import annotations

import logging

import pytest

from invoicebot.privacy import (
    contains_iban,
    install_log_masking,
    mask_account,
    mask_bic,
    mask_iban,
    mask_text,
    mask_values,
)

IBAN = "FR7630004730664096567606071"


def test_an_iban_keeps_its_country_check_digits_and_last_four() -> None:
    assert mask_iban(IBAN) == "FR76…6071"
    assert mask_iban("fr76 3000 4730 6640 9656 7606 071") == "FR76…6071"
    assert mask_bic("BNPAFRPPXXX") == "FR…PXXX"
    assert mask_account("30004 73066 40965676060") == "…6060"
    assert mask_account("12") == "…"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"pay to {IBAN}.", "pay to FR76…6071."),
        ("IBAN: FR76 3000 4730 6640 9656 7606 071 or GB18NWBK59595978911235",
         "IBAN: FR76…6071 or GB18…1235"),
        # Not IBANs: a VAT number, an invoice number, a country code not in the registry.
        ("VAT FR71258813997, invoice FA2026000123456",
         "VAT FR71258813997, invoice FA2026000123456"),
        ("ZZ7630004730664096567606071", "ZZ7630004730664096567606071"),
        # An invalid IBAN (wrong check digits) is masked all the same.
        ("FR7630006000011234567890188", "FR76…0188"),
    ],
)  # fmt: skip
def test_ibans_in_text_are_masked_and_nothing_else(text: str, masked: str) -> None:
    assert mask_text(text) == masked
    assert contains_iban(text) == (text != masked)


def test_mapping_values_are_masked_by_key_and_by_pattern() -> None:
    contract = {
        "fields": {"seller_iban": IBAN, "seller_name": "Traiteur", "invoice_number": "F-1"},
        "extras": {"seller_bic": "BNPAFRPPXXX", "account_number": "00012345678"},
        "values": {"master_ibans": f"{IBAN}, GB18NWBK59595978911235"},
        "notes": [f"see {IBAN}", None, 3],
    }
    assert mask_values(contract) == {
        "fields": {"seller_iban": "FR76…6071", "seller_name": "Traiteur", "invoice_number": "F-1"},
        "extras": {"seller_bic": "FR…PXXX", "account_number": "…5678"},
        "values": {"master_ibans": "FR76…6071, GB18…1235"},
        "notes": ["see FR76…6071", None, 3],
    }
    # A short, unrecognisable value under an IBAN key is masked too.
    assert mask_values({"seller_iban": "FR7630"}) == {"seller_iban": "…7630"}


def test_log_records_never_carry_an_iban(caplog: pytest.LogCaptureFixture) -> None:
    install_log_masking()
    install_log_masking()  # idempotent
    logger = logging.getLogger("tests.privacy")
    with caplog.at_level(logging.INFO, logger="tests.privacy"):
        logger.info("paid to %s by %s", IBAN, "Ana")
        logger.info(f"direct {IBAN}")
        logger.info("nothing to mask: %d", 3)
    assert [record.getMessage() for record in caplog.records] == [
        "paid to FR76…6071 by Ana",
        "direct FR76…6071",
        "nothing to mask: 3",
    ]
    assert IBAN not in caplog.text
