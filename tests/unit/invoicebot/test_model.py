"""The contract's JSON shape of the domain types."""

from __future__ import annotations

from decimal import Decimal

from invoicebot.model import (
    FIELD_NAMES,
    Extraction,
    InvoiceFields,
    Line,
    invoice_number_key,
    seller_key,
)


def test_contract_shape_has_every_field_and_plain_decimal_strings() -> None:
    result = Extraction(
        source="a.pdf",
        sha256="f" * 64,
        fields=InvoiceFields(total_gross=Decimal("1.2E+3"), invoice_date="2026-11-14"),
        lines=[Line(quantity=Decimal("3"), net_amount=Decimal("276.540"))],
    ).to_contract()
    assert list(result["fields"]) == list(FIELD_NAMES)
    assert result["fields"]["total_gross"] == "1200"
    assert result["fields"]["invoice_date"] == "2026-11-14"
    assert result["fields"]["buyer_name"] is None
    assert result["lines"][0]["net_amount"] == "276.540"
    assert result["error"] is None


def test_python_dump_keeps_decimals() -> None:
    assert InvoiceFields(total_net=Decimal("1.5")).model_dump()["total_net"] == Decimal("1.5")


def test_invoice_number_key_folds_case_and_punctuation() -> None:
    assert invoice_number_key("f-0042") == invoice_number_key("F0042") == "F0042"
    assert invoice_number_key("2026/118") == "2026118"


def test_seller_key_prefers_vat_then_siren_then_name() -> None:
    assert seller_key(InvoiceFields(seller_vat_id="FR44732829320")) == "vat:FR44732829320"
    assert seller_key(InvoiceFields(seller_siret="73282932000074")) == "siren:732829320"
    assert seller_key(InvoiceFields(seller_name="ACME, S.A.S.")) == "name:acmesas"
    assert seller_key(InvoiceFields()) is None
