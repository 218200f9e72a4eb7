"""Golden test: every sample invoice reads as its expected JSON says.

Text PDFs and Factur-X hybrids must give every field (nulls included) and every line;
scans and photos, read by OCR, at least the totals, the number, the dates and both parties'
identifiers, and every line with its net amount and rate. An OCR'd line may miss its
quantity or unit price, never misread them: a wrong value raises a false alarm downstream.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from extractors import extract_document
from invoicebot.model import AMOUNT_FIELDS, FIELD_NAMES, Extraction
from tests.conftest import sample_truths

FULLY_READ_KINDS = frozenset({"text-pdf", "facturx"})
OCR_FIELDS = (
    "total_net",
    "total_tax",
    "total_gross",
    "invoice_number",
    "invoice_date",
    "due_date",
    "seller_vat_id",
    "seller_siret",
    "seller_iban",
    "buyer_vat_id",
)
LINE_NUMBERS = ("quantity", "unit_price", "net_amount", "tax_rate")
# What every OCR'd line must give; its other numbers may be missing, not wrong.
OCR_LINE_NUMBERS = ("net_amount", "tax_rate")

SAMPLES = [pytest.param(document, truth, id=document.name) for document, truth in sample_truths()]


def comparable(name: str, value: Any) -> Any:
    """Return a JSON value as compared: amounts as Decimal ("1234.50" is "1234.5")."""
    if value is not None and (name in AMOUNT_FIELDS or name in LINE_NUMBERS):
        return Decimal(value)
    return value


def comparable_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{name: comparable(name, value) for name, value in line.items()} for line in lines]


def assert_contract_shape(extraction: Extraction) -> None:
    contract = extraction.to_contract()
    assert contract["error"] is None
    assert list(contract["fields"]) == list(FIELD_NAMES)
    found = {name for name, value in contract["fields"].items() if value is not None}
    assert found <= set(contract["confidence"]), "a found field has no confidence"
    for name, confidence in contract["confidence"].items():
        assert 0.0 <= confidence <= 1.0, f"{name}: confidence {confidence} out of [0, 1]"


@pytest.mark.parametrize(("document", "truth"), SAMPLES)
def test_sample_reads_as_expected(document: Path, truth: dict[str, Any]) -> None:
    extraction = extract_document(document)

    assert_contract_shape(extraction)
    assert extraction.method is not None
    assert extraction.method.value == truth["method"]
    got = extraction.to_contract()["fields"]
    expected = truth["fields"]
    names = FIELD_NAMES if truth["kind"] in FULLY_READ_KINDS else OCR_FIELDS
    mismatches = {
        name: (got[name], expected[name])
        for name in names
        if comparable(name, got[name]) != comparable(name, expected[name])
    }
    assert not mismatches, f"(got, expected) per field: {mismatches}"
    lines = comparable_lines(extraction.to_contract()["lines"])
    expected_lines = comparable_lines(truth["lines"])
    if truth["kind"] in FULLY_READ_KINDS:
        assert lines == expected_lines
    else:
        assert len(lines) == len(expected_lines), "lines read"
        for number, (line, expected_line) in enumerate(
            zip(lines, expected_lines, strict=True), start=1
        ):
            wrong = {
                name: (line[name], expected_line[name])
                for name in LINE_NUMBERS
                if line[name] != expected_line[name]
                and (line[name] is not None or name in OCR_LINE_NUMBERS)
            }
            assert not wrong, f"line {number}, (got, expected) per value: {wrong}"
