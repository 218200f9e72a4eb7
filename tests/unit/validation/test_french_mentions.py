"""The mentions of the French e-invoicing reform: enforced on e-invoices without repeating an
official rule's failure, information on paper invoices."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from extractors.base import DocumentKind, ExtractOptions, SourceDocument
from extractors.einvoice import EInvoiceExtractor
from invoicebot.model import (
    ExceptionCategory,
    Method,
    OperationCategory,
    RuleResult,
    Severity,
)
from tests.einvoices import (
    with_ship_to,
    with_treatment,
    with_vat_point_code,
    without,
    without_buyer_siren,
)
from tests.unit.validation.support import (
    BUYER_ADDRESS,
    PRINTED_MENTIONS,
    SITE_ADDRESS,
    mentions_changed,
    mentions_options,
    run,
)
from validation import RuleConfig, validate
from validation.registry import without_repeats

EINVOICE_RULES = (
    "FR-BUYER-SIREN",
    "FR-OPERATION-CATEGORY",
    "FR-DELIVERY-ADDRESS",
    "FR-VAT-ON-DEBITS",
)
ALL_RULES = (*EINVOICE_RULES, "FR-REFORM-MENTIONS")


def results(options: dict[str, Any], **more: Any) -> dict[str, RuleResult]:
    options = {**options, **more}
    return run(options.pop("invoice"), **options)


def reform(options: dict[str, Any], **more: Any) -> dict[str, RuleResult]:
    """Return the results of the reform's rules only."""
    return {rule: r for rule, r in results(options, **more).items() if rule in ALL_RULES}


# --- applicability ---------------------------------------------------------------------------


def test_a_domestic_b2b_e_invoice_gets_the_four_e_invoice_rules() -> None:
    got = reform(mentions_options())
    assert set(got) == set(EINVOICE_RULES)
    assert all(r.passed and r.severity is Severity.ERROR for r in got.values())
    assert "an address other than the buyer's" in got["FR-DELIVERY-ADDRESS"].message
    assert "deductible from the invoice date" in got["FR-VAT-ON-DEBITS"].message


def test_a_paper_invoice_gets_the_information_rule_only() -> None:
    got = reform(mentions_options(Method.TEXT, PRINTED_MENTIONS))
    assert set(got) == {"FR-REFORM-MENTIONS"} and got["FR-REFORM-MENTIONS"].passed


@pytest.mark.parametrize(
    "options",
    [
        pytest.param(mentions_options(buyer_vat_id="DE123456789"), id="german buyer"),
        pytest.param(
            mentions_options(buyer_vat_id=None, seller_vat_id="DE123456789", seller_siret=None),
            id="german seller",
        ),
        pytest.param(mentions_changed(treatment="B2C"), id="marked B2C"),
        pytest.param(mentions_changed(treatment="B2BINT"), id="marked international"),
    ],
)
def test_the_mentions_apply_to_domestic_b2b_invoices_only(options: dict[str, Any]) -> None:
    assert reform(options) == {}


def test_a_buyer_known_by_its_address_or_siren_only_is_french() -> None:
    got = reform(mentions_options(buyer_vat_id=None))
    assert set(got) == set(EINVOICE_RULES)
    foreign = mentions_changed(buyer_country="BE", buyer_siren=None)
    foreign["invoice"] = foreign["invoice"].model_copy(
        update={"fields": foreign["invoice"].fields.model_copy(update={"buyer_vat_id": None})}
    )
    assert reform(foreign) == {}


def test_without_mentions_read_no_reform_rule_applies() -> None:
    options = mentions_options()
    options["extras"] = None
    assert reform(options) == {}


# --- each e-invoice rule ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "in_message"),
    [
        ({"buyer_siren": "936957936"}, "is not valid (9 digits with a Luhn key"),
        ({"buyer_siren": "732829320"}, "names two companies as the buyer"),
        ({"buyer_siren": "93695793500017"}, "14 digits: a SIRET, where the SIREN"),
    ],
)
def test_the_buyer_siren_must_be_valid_and_the_vat_number_s(
    changes: dict[str, str], in_message: str
) -> None:
    result = reform(mentions_changed(**changes))["FR-BUYER-SIREN"]
    assert not result.passed and result.is_exception and in_message in result.message


def test_a_missing_billing_framework_is_a_missing_category() -> None:
    result = reform(mentions_changed(business_process=None, operation_category=None))
    assert "does not state its billing framework (BT-23)" in result["FR-OPERATION-CATEGORY"].message
    assert "BR-FR-08" in result["FR-OPERATION-CATEGORY"].message


def test_the_delivery_address_is_checked_for_goods_only() -> None:
    services = mentions_changed(operation_category=OperationCategory.SERVICES)
    assert "FR-DELIVERY-ADDRESS" not in reform(services)
    nothing = reform(mentions_changed(delivery_place=None, delivery_address=None))
    assert nothing["FR-DELIVERY-ADDRESS"].passed
    same = reform(mentions_changed(delivery_address=BUYER_ADDRESS))
    assert "delivered to the buyer's address" in same["FR-DELIVERY-ADDRESS"].message
    incomplete = replace(SITE_ADDRESS, city=None)
    result = reform(mentions_changed(delivery_address=incomplete))["FR-DELIVERY-ADDRESS"]
    assert not result.passed and "lacks its city" in result.message


def test_the_debits_option_is_checked_for_services_only() -> None:
    goods = mentions_changed(operation_category=OperationCategory.GOODS)
    assert "FR-VAT-ON-DEBITS" not in reform(goods)
    silent = reform(mentions_changed(vat_point_code=None, vat_on_debits=None))
    assert silent["FR-VAT-ON-DEBITS"].passed
    assert "deductible when they are paid" in silent["FR-VAT-ON-DEBITS"].message
    # VAT on receipts coded, though a note claims the option: the code and the note disagree.
    receipts = mentions_changed(
        vat_point_code="72", vat_on_debits=False, debits_statement="TVA sur les débits"
    )
    result = reform(receipts)["FR-VAT-ON-DEBITS"]
    assert not result.passed and "is 72 instead of the debits code" in result.message


# --- paper: information only -----------------------------------------------------------------


def test_a_paper_invoice_lacking_mentions_is_information_not_an_exception() -> None:
    options = mentions_changed(Method.OCR, buyer_siren=None, vat_on_debits=None)
    result = reform(options)["FR-REFORM-MENTIONS"]
    assert not result.passed and result.severity is Severity.INFO and not result.is_exception
    assert result.values["missing"] == "buyer_siren"
    assert "no option for VAT on debits" in result.message
    everything = results(options)
    assert not [r for r in everything.values() if r.is_exception]


def test_operators_may_raise_the_paper_information_to_a_warning() -> None:
    config = RuleConfig.model_validate({"rules": {"FR-REFORM-MENTIONS": {"severity": "warning"}}})
    options = mentions_changed(Method.TEXT, operation_category=None)
    assert reform(options, config=config)["FR-REFORM-MENTIONS"].is_exception


def test_a_paper_invoice_to_a_foreign_buyer_is_left_alone() -> None:
    options = mentions_options(Method.TEXT, PRINTED_MENTIONS, buyer_vat_id="BE0403170701")
    assert reform(options) == {}


# --- never reported twice --------------------------------------------------------------------


def official(rule: str) -> RuleResult:
    return RuleResult(
        rule=rule,
        category=ExceptionCategory.EINVOICE_RULES,
        severity=Severity.ERROR,
        passed=False,
        message=f"{rule} failed",
    )


def ours(rule: str) -> RuleResult:
    return RuleResult(
        rule=rule,
        category=ExceptionCategory.MISSING_FIELD,
        severity=Severity.ERROR,
        passed=False,
        message="ours",
    )


@pytest.mark.parametrize(
    ("rule", "official_rule"),
    [
        ("FR-BUYER-SIREN", "BR-FR-11_BT-47"),
        ("FR-OPERATION-CATEGORY", "BR-FR-08_BT-23"),
        ("FR-DELIVERY-ADDRESS", "BR-57"),
    ],
)
def test_an_official_failure_of_the_same_fault_makes_ours_information(
    rule: str, official_rule: str
) -> None:
    kept = without_repeats([official(official_rule), ours(rule)])
    assert kept[0].is_exception
    assert kept[1].severity is Severity.INFO and kept[1].values["reported_by"] == official_rule


def test_an_official_failure_of_another_fault_leaves_ours_alone() -> None:
    # BR-FR-08_BT-151-2 is the UBL rules' check of VAT categories, not of BT-23.
    kept = without_repeats([official("BR-FR-08_BT-151-2"), ours("FR-OPERATION-CATEGORY")])
    assert kept[1].is_exception


# --- a real e-invoice through the official rules ---------------------------------------------

REFERENCE_DATE = date(2026, 3, 1)


def validated(xml: str) -> list[RuleResult]:
    document = SourceDocument(
        path=Path("in.xml"), source="in.xml", data=xml.encode(), sha256="x", kind=DocumentKind.XML
    )
    extraction = EInvoiceExtractor().extract(document, ExtractOptions())
    assert extraction is not None
    return validate(extraction, extras=extraction.extras, reference_date=REFERENCE_DATE)


@pytest.mark.usefixtures("compiled_rules")
def test_a_real_e_invoice_is_checked_once_per_fault(sample_xml: str) -> None:
    # Every mention stated, delivered elsewhere, VAT on debits: valid, every rule passes.
    complete = validated(with_vat_point_code(with_ship_to(sample_xml), "5"))
    assert not [r for r in complete if r.is_exception]
    assert {r.rule for r in complete if r.passed} >= {"EINVOICE-OFFICIAL", *EINVOICE_RULES}

    # Marked B2B without the buyer's SIREN: the official BR-FR-11 is the exception, ours
    # the information that names it.
    no_siren = validated(with_treatment(without_buyer_siren(sample_xml), "B2B"))
    exceptions = [r for r in no_siren if r.is_exception]
    assert [r.rule for r in exceptions] == ["BR-FR-11_BT-47"]
    assert exceptions[0].category is ExceptionCategory.EINVOICE_RULES
    [siren] = [r for r in no_siren if r.rule == "FR-BUYER-SIREN"]
    assert not siren.passed and siren.severity is Severity.INFO
    assert siren.values["reported_by"] == "BR-FR-11_BT-47"

    # Not marked B2B: no official rule asks for the SIREN, so ours is the exception.
    unmarked = validated(without_buyer_siren(sample_xml))
    assert [r.rule for r in unmarked if r.is_exception] == ["FR-BUYER-SIREN"]

    # No billing framework: BR-FR-08 reports it, ours does not repeat it.
    no_framework = validated(
        without(sample_xml, "BusinessProcessSpecifiedDocumentContextParameter")
    )
    assert [r.rule for r in no_framework if r.is_exception] == ["BR-FR-08_BT-23"]
    [category] = [r for r in no_framework if r.rule == "FR-OPERATION-CATEGORY"]
    assert category.severity is Severity.INFO
    assert category.values["reported_by"] == "BR-FR-08_BT-23"

    # A place of delivery without its address: no official rule sees it, ours does.
    no_address = validated(with_ship_to(sample_xml, address=False))
    assert [r.rule for r in no_address if r.is_exception] == ["FR-DELIVERY-ADDRESS"]
