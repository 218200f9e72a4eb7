"""The EINVOICE-OFFICIAL rule: the official rules of an e-invoice in the rule run, each fault
under its official id, and our own arithmetic rule not repeating it."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from extractors.base import DocumentKind, ExtractOptions, SourceDocument
from extractors.einvoice import EInvoiceExtractor
from invoicebot.model import ExceptionCategory, Extraction, Severity
from tests.einvoices import altered
from validation import validate

pytestmark = pytest.mark.usefixtures("compiled_rules")

REFERENCE_DATE = date(2026, 11, 26)


def einvoice_extraction(xml: str) -> Extraction:
    document = SourceDocument(
        path=Path("in.xml"), source="in.xml", data=xml.encode(), sha256="x", kind=DocumentKind.XML
    )
    extraction = EInvoiceExtractor().extract(document, ExtractOptions())
    assert extraction is not None and extraction.extras is not None
    return extraction


def test_the_rule_passes_a_valid_e_invoice(sample_xml: str) -> None:
    extraction = einvoice_extraction(sample_xml)
    results = validate(extraction, extras=extraction.extras, reference_date=REFERENCE_DATE)
    [official] = [r for r in results if r.rule == "EINVOICE-OFFICIAL"]
    assert official.passed and official.values["profile"] == "en16931"
    assert not [
        r for r in results if r.category is ExceptionCategory.EINVOICE_RULES and r.is_exception
    ]


def test_an_official_failure_is_the_exception_and_our_own_rule_does_not_repeat_it(
    sample_xml: str,
) -> None:
    gross = re.search(r"<ram:GrandTotalAmount>([^<]+)<", sample_xml)
    assert gross is not None
    extraction = einvoice_extraction(
        altered(sample_xml, "GrandTotalAmount", f"{float(gross[1]) + 10:.2f}")
    )
    results = validate(extraction, extras=extraction.extras, reference_date=REFERENCE_DATE)
    exceptions = [r for r in results if r.is_exception]
    official = [r for r in exceptions if r.rule == "BR-CO-15"]
    assert [r.category for r in official] == [ExceptionCategory.EINVOICE_RULES]
    assert official[0].severity is Severity.ERROR
    assert official[0].values["flag"] == "fatal" and official[0].values["location"]
    # Ours found the same fault: kept as information, naming the official rule.
    [ours] = [
        r for r in results if r.rule == "BR-CO-15" and r.category is ExceptionCategory.ARITHMETIC
    ]
    assert not ours.passed and ours.severity is Severity.INFO
    assert ours.values["reported_by"] == "BR-CO-15"
    assert "EINVOICE-OFFICIAL" not in {r.rule for r in results}


def test_the_rule_does_not_apply_without_an_e_invoice_xml(sample_xml: str) -> None:
    extraction = einvoice_extraction(sample_xml)
    results = validate(extraction, reference_date=REFERENCE_DATE)
    assert all(r.category is not ExceptionCategory.EINVOICE_RULES for r in results)
