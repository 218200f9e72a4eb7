"""E-invoice extras: BIC, sum of lines, allowances, charges, prepaid, rounding, VAT breakdown."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import pytest

from extractors import extract_document
from extractors.base import ExtractOptions
from extractors.einvoice import EInvoiceExtractor, read_einvoice, read_stated_extras
from invoicebot.model import Extraction, InvoiceExtras, Method, VatSubtotal
from tests.unit.extractors.test_einvoice import (
    CII_NAMESPACES,
    UBL_NAMESPACES,
    UBL_PARTIES,
    ZUGFERD_DATASET,
    facturx_pdf,
    pdf_document,
)
from validation import validate

D = Decimal


@dataclass(frozen=True)
class Amounts:
    """The totals of a two-line invoice at 20 %: 200 + 100 = 300 before allowances."""

    allowance: str = "10.00"
    charge: str = "5.00"
    net: str = "295.00"
    tax: str = "59.00"
    gross: str = "354.00"
    prepaid: str = "100.00"
    due: str = "254.00"
    rounding: str | None = None


def cii_with_extras(amounts: Amounts = Amounts(), *, bic: str = "BNPA FR PP XXX") -> str:
    """Return a Factur-X EN 16931 invoice by ACME (valid identifiers) with document-level
    allowances and charges, a prepaid amount, its VAT breakdown and the payee's BIC."""
    rounding = (
        f"<ram:RoundingAmount>{amounts.rounding}</ram:RoundingAmount>" if amounts.rounding else ""
    )
    line = """
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:SpecifiedTradeProduct><ram:Name>{name}</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount>{price}</ram:ChargeAmount>
        </ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery>
        <ram:BilledQuantity unitCode="C62">{quantity}</ram:BilledQuantity>
      </ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>
          <ram:RateApplicablePercent>20</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation>
          <ram:LineTotalAmount>{amount}</ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>"""
    lines = line.format(name="Ramette papier A4", price="50.00", quantity="4", amount="200.00")
    lines += line.format(name="Toner", price="100.00", quantity="1", amount="100.00")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice {CII_NAMESPACES}>
  <rsm:ExchangedDocument>
    <ram:ID>F2026-0099</ram:ID>
    <ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20261120</udt:DateTimeString>
    </ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>{lines}
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty>
        <ram:Name>ACME Fournitures SAS</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0009">73282932000074</ram:ID>
        </ram:SpecifiedLegalOrganization>
        <ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">FR44732829320</ram:ID>
        </ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Aurora Tech</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans>
        <ram:TypeCode>30</ram:TypeCode>
      </ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:SpecifiedTradeSettlementPaymentMeans>
        <ram:TypeCode>58</ram:TypeCode>
        <ram:PayeePartyCreditorFinancialAccount>
          <ram:IBANID>FR7630006000011234567890189</ram:IBANID>
        </ram:PayeePartyCreditorFinancialAccount>
        <ram:PayeeSpecifiedCreditorFinancialInstitution>
          <ram:BICID>{bic}</ram:BICID>
        </ram:PayeeSpecifiedCreditorFinancialInstitution>
      </ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:ApplicableTradeTax>
        <ram:CalculatedAmount>{amounts.tax}</ram:CalculatedAmount>
        <ram:TypeCode>VAT</ram:TypeCode>
        <ram:BasisAmount>{amounts.net}</ram:BasisAmount>
        <ram:CategoryCode>S</ram:CategoryCode>
        <ram:RateApplicablePercent>20</ram:RateApplicablePercent>
      </ram:ApplicableTradeTax>
      <ram:SpecifiedTradeAllowanceCharge>
        <ram:ChargeIndicator><udt:Indicator>false</udt:Indicator></ram:ChargeIndicator>
        <ram:ActualAmount>{amounts.allowance}</ram:ActualAmount>
      </ram:SpecifiedTradeAllowanceCharge>
      <ram:SpecifiedTradePaymentTerms>
        <ram:DueDateDateTime><udt:DateTimeString format="102">20261220</udt:DateTimeString>
        </ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>300.00</ram:LineTotalAmount>
        <ram:ChargeTotalAmount>{amounts.charge}</ram:ChargeTotalAmount>
        <ram:AllowanceTotalAmount>{amounts.allowance}</ram:AllowanceTotalAmount>
        <ram:TaxBasisTotalAmount>{amounts.net}</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">{amounts.tax}</ram:TaxTotalAmount>
        {rounding}
        <ram:GrandTotalAmount>{amounts.gross}</ram:GrandTotalAmount>
        <ram:TotalPrepaidAmount>{amounts.prepaid}</ram:TotalPrepaidAmount>
        <ram:DuePayableAmount>{amounts.due}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""


ZUGFERD_1_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:{root} {namespaces}>
  <rsm:HeaderExchangedDocument><ram:ID>471102</ram:ID></rsm:HeaderExchangedDocument>
  <rsm:SpecifiedSupplyChainTradeTransaction>
    <ram:ApplicableSupplyChainTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans>
        <ram:PayeePartyCreditorFinancialAccount><ram:IBANID>DE08700901001234567890</ram:IBANID>
        </ram:PayeePartyCreditorFinancialAccount>
        <ram:PayeeSpecifiedCreditorFinancialInstitution><ram:BICID>GENODEF1M04</ram:BICID>
        </ram:PayeeSpecifiedCreditorFinancialInstitution>
      </ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:ApplicableTradeTax>
        <ram:CalculatedAmount currencyID="EUR">19.25</ram:CalculatedAmount>
        <ram:TypeCode>VAT</ram:TypeCode>
        <ram:BasisAmount currencyID="EUR">101.33</ram:BasisAmount>
        <ram:CategoryCode>S</ram:CategoryCode>
        <ram:ApplicablePercent>19.00</ram:ApplicablePercent>
      </ram:ApplicableTradeTax>
      <ram:ApplicableTradeTax>
        <ram:CalculatedAmount currencyID="EUR">2.06</ram:CalculatedAmount>
        <ram:TypeCode>VAT</ram:TypeCode>
        <ram:BasisAmount currencyID="EUR">29.44</ram:BasisAmount>
        <ram:CategoryCode>S</ram:CategoryCode>
        <ram:ApplicablePercent>7.00</ram:ApplicablePercent>
      </ram:ApplicableTradeTax>
      <ram:SpecifiedTradeSettlementMonetarySummation>
        <ram:LineTotalAmount currencyID="EUR">202.76</ram:LineTotalAmount>
        <ram:ChargeTotalAmount currencyID="EUR">5.80</ram:ChargeTotalAmount>
        <ram:AllowanceTotalAmount currencyID="EUR">14.73</ram:AllowanceTotalAmount>
        <ram:TaxBasisTotalAmount currencyID="EUR">193.83</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">21.31</ram:TaxTotalAmount>
        <ram:GrandTotalAmount currencyID="EUR">215.14</ram:GrandTotalAmount>
        <ram:TotalPrepaidAmount currencyID="EUR">50.00</ram:TotalPrepaidAmount>
        <ram:DuePayableAmount currencyID="EUR">165.14</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementMonetarySummation>
    </ram:ApplicableSupplyChainTradeSettlement>
  </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:{root}>
"""
ZUGFERD_1 = ZUGFERD_1_TEMPLATE.format(
    root="CrossIndustryDocument",
    namespaces='xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0" '
    'xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"',
)
# The release candidate: only the root is namespaced, every other element is not.
ZUGFERD_1_RC = ZUGFERD_1_TEMPLATE.format(
    root="Invoice", namespaces='xmlns:rsm="urn:un:unece:uncefact:data:standard:CBFBUY:5"'
).replace("ram:", "")
ZUGFERD_1_EXTRAS = InvoiceExtras(
    seller_bic="GENODEF1M04",
    line_total=D("202.76"),
    allowance_total=D("14.73"),
    charge_total=D("5.80"),
    prepaid_amount=D("50.00"),
    vat_breakdown=(
        VatSubtotal(rate=D(19), base=D("101.33"), tax=D("19.25")),
        VatSubtotal(rate=D(7), base=D("29.44"), tax=D("2.06")),
    ),
)


def ubl(root: str, *, tax_totals: str, bic: str) -> str:
    """Return a UBL invoice or credit note stating its extras."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2" {UBL_NAMESPACES}>
  <cbc:ID>R-2024-18</cbc:ID>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  {UBL_PARTIES}
  <cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>
    <cac:PayeeFinancialAccount><cbc:ID>not an IBAN</cbc:ID>
      <cac:FinancialInstitutionBranch><cbc:ID>OTHERBIC</cbc:ID></cac:FinancialInstitutionBranch>
    </cac:PayeeFinancialAccount></cac:PaymentMeans>
  <cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>
    <cac:PayeeFinancialAccount><cbc:ID>DE02 1203 0000 0000 2020 51</cbc:ID>
      {bic}
    </cac:PayeeFinancialAccount></cac:PaymentMeans>
  {tax_totals}
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">110.00</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">119.00</cbc:TaxInclusiveAmount>
    <cbc:AllowanceTotalAmount currencyID="EUR">12.00</cbc:AllowanceTotalAmount>
    <cbc:ChargeTotalAmount currencyID="EUR">2.00</cbc:ChargeTotalAmount>
    <cbc:PrepaidAmount currencyID="EUR">19.00</cbc:PrepaidAmount>
    <cbc:PayableRoundingAmount currencyID="EUR">0.01</cbc:PayableRoundingAmount>
    <cbc:PayableAmount currencyID="EUR">100.01</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
</{root}>
"""


UBL_TAX_TOTALS = """
  <cac:TaxTotal><cbc:TaxAmount currencyID="USD">21.00</cbc:TaxAmount></cac:TaxTotal>
  <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">19.00</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="EUR">90.00</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">17.10</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
    </cac:TaxSubtotal>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="EUR">10.00</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">0.00</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>E</cbc:ID>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>"""
UBL_EXTRAS = InvoiceExtras(
    seller_bic="PBNKDEFFXXX",
    line_total=D("110.00"),
    allowance_total=D("12.00"),
    charge_total=D("2.00"),
    prepaid_amount=D("19.00"),
    rounding_amount=D("0.01"),
    vat_breakdown=(
        VatSubtotal(rate=D(19), base=D("90.00"), tax=D("17.10")),
        VatSubtotal(rate=D(0), base=D("10.00"), tax=D("0.00")),
    ),
)
BRANCH_BIC = "<cac:FinancialInstitutionBranch><cbc:ID>PBNKDEFFXXX</cbc:ID>"
BRANCH_BIC += "</cac:FinancialInstitutionBranch>"
INSTITUTION_BIC = (
    "<cac:FinancialInstitutionBranch><cac:FinancialInstitution><cbc:ID>PBNKDEFFXXX</cbc:ID>"
    "</cac:FinancialInstitution></cac:FinancialInstitutionBranch>"
)


def extras_of(xml: str) -> InvoiceExtras:
    """Return the extras ``xml`` states, less the reform's mentions (tested in
    ``test_einvoice_mentions.py``)."""
    return replace(read_einvoice(xml.encode(), source="test.xml").extras, mentions=None)


def test_cii_d16b_reads_every_extra() -> None:
    extras = extras_of(cii_with_extras(Amounts(rounding="0.01")))
    assert extras == InvoiceExtras(
        seller_bic="BNPAFRPPXXX",  # compacted, from the means that gives the IBAN
        line_total=D("300.00"),
        allowance_total=D("10.00"),
        charge_total=D("5.00"),
        prepaid_amount=D("100.00"),
        rounding_amount=D("0.01"),
        vat_breakdown=(VatSubtotal(rate=D(20), base=D("295.00"), tax=D("59.00")),),
    )


@pytest.mark.parametrize("xml", [ZUGFERD_1, ZUGFERD_1_RC], ids=["zugferd-1", "zugferd-1-rc"])
def test_zugferd_1_reads_every_extra(xml: str) -> None:
    assert extras_of(xml) == ZUGFERD_1_EXTRAS


@pytest.mark.parametrize("root", ["Invoice", "CreditNote"])
@pytest.mark.parametrize("bic", [BRANCH_BIC, INSTITUTION_BIC], ids=["branch", "institution"])
def test_ubl_reads_every_extra(root: str, bic: str) -> None:
    assert extras_of(ubl(root, tax_totals=UBL_TAX_TOTALS, bic=bic)) == UBL_EXTRAS


def test_a_partial_vat_breakdown_is_left_out() -> None:
    # A standard-rated subtotal without its rate: the rules rebuild the breakdown instead.
    partial = UBL_TAX_TOTALS.replace("<cbc:Percent>19</cbc:Percent>", "")
    extras = extras_of(ubl("Invoice", tax_totals=partial, bic=BRANCH_BIC))
    assert extras.vat_breakdown == ()
    assert extras.allowance_total == D("12.00")


def test_an_invoice_without_extras_states_none() -> None:
    extras = extras_of(cii_with_extras(Amounts(rounding=None), bic=""))
    assert extras.seller_bic is None and extras.rounding_amount is None


def test_extractions_carry_the_extras_but_the_contract_does_not() -> None:
    document = pdf_document(facturx_pdf(cii_with_extras()))
    extraction = EInvoiceExtractor().extract(document, ExtractOptions())
    assert extraction is not None and extraction.extras is not None
    assert extraction.extras.prepaid_amount == D("100.00")
    contract = extraction.to_contract()
    assert "extras" not in contract
    assert json.loads(json.dumps(contract)) == contract


def test_extras_survive_a_json_round_trip() -> None:
    extraction = Extraction(source="a.xml", sha256="0" * 64, extras=UBL_EXTRAS)
    again = Extraction.model_validate_json(extraction.model_dump_json())
    assert again.extras == UBL_EXTRAS


def test_extras_are_read_again_from_an_archived_file(tmp_path: Path) -> None:
    data = facturx_pdf(cii_with_extras())
    path = tmp_path / "archived.pdf"
    path.write_bytes(data)
    sha256 = hashlib.sha256(data).hexdigest()
    extras = read_stated_extras(path, sha256=sha256)
    assert extras is not None and extras.allowance_total == D("10.00")
    # The XML itself comes too, for the official rules (EINVOICE-OFFICIAL).
    assert extras.einvoice_xml == cii_with_extras().encode()
    xml = tmp_path / "archived.xml"
    xml.write_text(ZUGFERD_1)
    assert read_stated_extras(xml, sha256=hashlib.sha256(xml.read_bytes()).hexdigest()) == (
        replace(ZUGFERD_1_EXTRAS, einvoice_xml=ZUGFERD_1.encode())
    )
    assert read_stated_extras(path, sha256="0" * 64) is None  # another file now
    assert read_stated_extras(tmp_path / "gone.pdf", sha256=sha256) is None


def exceptions(xml: str) -> set[str]:
    extraction = read_einvoice(xml.encode())
    results = validate(
        Extraction(
            source="t.xml",
            sha256="0" * 64,
            method=Method.EINVOICE,
            fields=extraction.reading.fields,
            lines=extraction.reading.lines,
        ),
        extras=extraction.extras,
    )
    return {result.rule for result in results if result.is_exception}


def test_the_extras_make_a_consistent_einvoice_add_up() -> None:
    assert not {"BR-CO-10", "BR-CO-13", "BR-CO-14", "BR-CO-16", "BR-CO-17", "BIC-CHECK"} & (
        exceptions(cii_with_extras())
    )


@pytest.mark.parametrize(
    ("amounts", "bic", "rule"),
    [
        (Amounts(net="300.00", tax="60.00", gross="360.00", due="260.00"), "BNPAFRPPXXX",
         "BR-CO-13"),
        (Amounts(due="354.00"), "BNPAFRPPXXX", "BR-CO-16"),
        (Amounts(tax="60.00", gross="355.00", due="255.00"), "BNPAFRPPXXX", "BR-CO-17"),
        (Amounts(), "DEUTDEFFXXX", "BIC-CHECK"),
    ],
    ids=["allowances", "prepaid", "vat", "bic"],
)  # fmt: skip
def test_an_einvoice_whose_extras_disagree_fails_the_right_rule(
    amounts: Amounts, bic: str, rule: str
) -> None:
    assert rule in exceptions(cii_with_extras(amounts, bic=bic))


CONFORMANT_RULES = ("BR-CO-13", "BR-CO-14", "BR-CO-16", "BR-CO-17")


@pytest.mark.shared
def test_real_conformant_einvoices_raise_no_false_alarm_with_their_extras() -> None:
    if not ZUGFERD_DATASET.is_dir():
        pytest.skip(f"the shared ZUGFeRD corpus is not at {ZUGFERD_DATASET}")
    checked = 0
    for path in sorted(ZUGFERD_DATASET.glob("*__correct__*.pdf")):
        extraction = extract_document(path)
        assert extraction.method is Method.EINVOICE, path.name
        results = validate(
            extraction, extras=extraction.extras, reference_date=extraction.fields.invoice_date
        )
        failed = [r.message for r in results if r.rule in CONFORMANT_RULES and r.is_exception]
        assert not failed, f"{path.name}: {failed}"
        checked += sum(r.rule in CONFORMANT_RULES for r in results)
    assert checked > 100  # the rules did apply: most samples state their totals in full
