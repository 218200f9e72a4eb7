"""E-invoice XML: CII D16B, ZUGFeRD 1.0 and UBL mapping, embedded XML, entity safety."""

from __future__ import annotations

import io
import json
import logging
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import facturx
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from extractors import extract_document
from extractors.base import DocumentKind, ExtractOptions, SourceDocument
from extractors.einvoice import (
    EInvoiceExtractor,
    MalformedEInvoiceError,
    UnsupportedEInvoiceError,
    read_einvoice_xml,
)
from invoicebot.model import FIELD_NAMES, Method

ZUGFERD_DATASET = Path(__file__).resolve().parents[4] / "shared" / "datasets" / "zugferd"

CII_NAMESPACES = (
    'xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" '
    'xmlns:ram="urn:un:unece:uncefact:data:standard:'
    'ReusableAggregateBusinessInformationEntity:100" '
    'xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"'
)


def cii_invoice(*, number: str = "F2026-0042", seller_name: str = "ACME Fournitures SAS") -> str:
    """Return a small Factur-X EN 16931 invoice with two lines."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice {CII_NAMESPACES}>
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter>
      <ram:ID>urn:cen.eu:en16931:2017</ram:ID>
    </ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>{number}</ram:ID>
    <ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20260302</udt:DateTimeString>
    </ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:SpecifiedTradeProduct><ram:Name>Ramette papier A4</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:NetPriceProductTradePrice>
          <ram:ChargeAmount>921.80</ram:ChargeAmount>
          <ram:BasisQuantity unitCode="C62">10</ram:BasisQuantity>
        </ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery>
        <ram:BilledQuantity unitCode="C62">3</ram:BilledQuantity>
      </ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax>
          <ram:TypeCode>VAT</ram:TypeCode><ram:RateApplicablePercent>20</ram:RateApplicablePercent>
        </ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation>
          <ram:LineTotalAmount>276.54</ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:SpecifiedTradeProduct><ram:Name>Livraison</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount>958.02</ram:ChargeAmount>
        </ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery>
        <ram:BilledQuantity unitCode="C62">1</ram:BilledQuantity>
      </ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax>
          <ram:TypeCode>VAT</ram:TypeCode><ram:RateApplicablePercent>20</ram:RateApplicablePercent>
        </ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation>
          <ram:LineTotalAmount>958.02</ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty>
        <ram:Name>{seller_name}</ram:Name>
        <ram:SpecifiedLegalOrganization>
          <ram:ID schemeID="0002">732 829 320</ram:ID>
        </ram:SpecifiedLegalOrganization>
        <ram:GlobalID schemeID="0009">732 829 320 00074</ram:GlobalID>
        <ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration>
          <ram:ID schemeID="FC">123/456/78901</ram:ID>
        </ram:SpecifiedTaxRegistration>
        <ram:SpecifiedTaxRegistration>
          <ram:ID schemeID="VA">FR 44 732829320</ram:ID>
        </ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty>
        <ram:Name>Aurora
           Tech</ram:Name>
        <ram:SpecifiedTaxRegistration>
          <ram:ID schemeID="VA">DE123456789</ram:ID>
        </ram:SpecifiedTaxRegistration>
      </ram:BuyerTradeParty>
      <ram:BuyerOrderReferencedDocument>
        <ram:IssuerAssignedID>PO-88123</ram:IssuerAssignedID>
      </ram:BuyerOrderReferencedDocument>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans>
        <ram:TypeCode>58</ram:TypeCode>
        <ram:PayeePartyCreditorFinancialAccount>
          <ram:IBANID>FR76 3000 6000 0112 3456 7890 189</ram:IBANID>
        </ram:PayeePartyCreditorFinancialAccount>
      </ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:SpecifiedTradePaymentTerms>
        <ram:DueDateDateTime><udt:DateTimeString format="102">20260401</udt:DateTimeString>
        </ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>1234.56</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>1234.56</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="USD">268.01</ram:TaxTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">246.91</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>1481.47</ram:GrandTotalAmount>
        <ram:DuePayableAmount>1481.47</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""


ZUGFERD_1_INVOICE = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15">
  <rsm:HeaderExchangedDocument>
    <ram:ID>471102</ram:ID>
    <ram:IssueDateTime><udt:DateTimeString format="102">20130605</udt:DateTimeString>
    </ram:IssueDateTime>
    <ram:LanguageID>de-DE</ram:LanguageID>
  </rsm:HeaderExchangedDocument>
  <rsm:SpecifiedSupplyChainTradeTransaction>
    <ram:ApplicableSupplyChainTradeAgreement>
      <ram:SellerTradeParty>
        <ram:Name>Lieferant GmbH</ram:Name>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE123456789</ram:ID>
        </ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Kunden AG Mitte</ram:Name></ram:BuyerTradeParty>
      <ram:BuyerOrderReferencedDocument><ram:ID>2013-471331</ram:ID>
      </ram:BuyerOrderReferencedDocument>
    </ram:ApplicableSupplyChainTradeAgreement>
    <ram:ApplicableSupplyChainTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementMonetarySummation>
        <ram:TaxBasisTotalAmount currencyID="EUR">193.83</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">21.31</ram:TaxTotalAmount>
        <ram:GrandTotalAmount currencyID="EUR">215.14</ram:GrandTotalAmount>
        <ram:DuePayableAmount currencyID="EUR">165.14</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementMonetarySummation>
    </ram:ApplicableSupplyChainTradeSettlement>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument>
        <ram:IncludedNote><ram:Content>Only a note, not a line</ram:Content></ram:IncludedNote>
      </ram:AssociatedDocumentLineDocument>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:SpecifiedSupplyChainTradeAgreement>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount>3.3333</ram:ChargeAmount>
        </ram:NetPriceProductTradePrice>
      </ram:SpecifiedSupplyChainTradeAgreement>
      <ram:SpecifiedSupplyChainTradeDelivery>
        <ram:BilledQuantity unitCode="MTK">3.0000</ram:BilledQuantity>
      </ram:SpecifiedSupplyChainTradeDelivery>
      <ram:SpecifiedSupplyChainTradeSettlement>
        <ram:ApplicableTradeTax><ram:ApplicablePercent>19.00</ram:ApplicablePercent>
        </ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementMonetarySummation>
          <ram:LineTotalAmount currencyID="EUR">10.00</ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementMonetarySummation>
      </ram:SpecifiedSupplyChainTradeSettlement>
      <ram:SpecifiedTradeProduct><ram:Name>Trennblätter A4</ram:Name></ram:SpecifiedTradeProduct>
    </ram:IncludedSupplyChainTradeLineItem>
  </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:CrossIndustryDocument>
"""

UBL_NAMESPACES = (
    'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
    'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"'
)
UBL_PARTIES = """
  <cac:AccountingSupplierParty><cac:Party>
    <cac:PartyIdentification><cbc:ID schemeID="0088">4000001123452</cbc:ID>
    </cac:PartyIdentification>
    <cac:PartyName><cbc:Name>Lieferant</cbc:Name></cac:PartyName>
    <cac:PostalAddress><cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode>
    </cac:Country></cac:PostalAddress>
    <cac:PartyTaxScheme><cbc:CompanyID>201/113/40209</cbc:CompanyID>
      <cac:TaxScheme><cbc:ID>FC</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
    <cac:PartyTaxScheme><cbc:CompanyID>DE123456789</cbc:CompanyID>
      <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
    <cac:PartyLegalEntity><cbc:RegistrationName>Lieferant GmbH</cbc:RegistrationName>
    </cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party>
    <cac:PartyName><cbc:Name>Kunden AG</cbc:Name></cac:PartyName>
  </cac:Party></cac:AccountingCustomerParty>
"""
UBL_INVOICE = f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" {UBL_NAMESPACES}>
  <cbc:ID>R-2024-17</cbc:ID>
  <cbc:IssueDate>2024-05-02</cbc:IssueDate>
  <cbc:DueDate>2024-06-01</cbc:DueDate>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:OrderReference><cbc:ID>PO-77</cbc:ID></cac:OrderReference>
  {UBL_PARTIES}
  <cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>
    <cac:PayeeFinancialAccount><cbc:ID>DE02 1203 0000 0000 2020 51</cbc:ID>
    </cac:PayeeFinancialAccount></cac:PaymentMeans>
  <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">19.00</cbc:TaxAmount></cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">119.00</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">119.00</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID>
    <cbc:InvoicedQuantity unitCode="HUR">4</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Beratung</cbc:Name>
      <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent>
      </cac:ClassifiedTaxCategory></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">25.00</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>
</Invoice>
"""
UBL_CREDIT_NOTE = f"""<?xml version="1.0" encoding="UTF-8"?>
<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2" {UBL_NAMESPACES}>
  <cbc:ID>G-2024-3</cbc:ID>
  <cbc:IssueDate>2024-05-10</cbc:IssueDate>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  {UBL_PARTIES}
  <cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>
    <cbc:PaymentDueDate>2024-05-20</cbc:PaymentDueDate></cac:PaymentMeans>
  <cac:LegalMonetaryTotal>
    <cbc:TaxInclusiveAmount currencyID="EUR">23.80</cbc:TaxInclusiveAmount>
  </cac:LegalMonetaryTotal>
  <cac:CreditNoteLine>
    <cbc:CreditedQuantity unitCode="C62">2</cbc:CreditedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">20.00</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Retoure</cbc:Name></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">100.00</cbc:PriceAmount>
      <cbc:BaseQuantity unitCode="C62">10</cbc:BaseQuantity></cac:Price>
  </cac:CreditNoteLine>
</CreditNote>
"""


def text_pdf(text: str) -> bytes:
    """Return a one-page PDF showing ``text``."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.drawString(72, 760, text)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def facturx_pdf(xml: str) -> bytes:
    """Return a one-page PDF with ``xml`` embedded as factur-x.xml."""
    pdf = text_pdf("FACTURE F2026-0042 ACME Fournitures SAS total 1481,47 EUR")
    result: bytes = facturx.generate_from_binary(
        pdf, xml.encode(), flavor="factur-x", level="en16931", check_xsd=False
    )
    return result


def pdf_document(data: bytes) -> SourceDocument:
    return SourceDocument(
        path=Path("in.pdf"), source="in.pdf", data=data, sha256="x", kind=DocumentKind.PDF
    )


def test_cii_d16b_maps_every_field() -> None:
    reading = read_einvoice_xml(cii_invoice().encode())

    assert reading.fields.model_dump() == {
        "invoice_number": "F2026-0042",
        "invoice_date": date(2026, 3, 2),
        "due_date": date(2026, 4, 1),
        "currency": "EUR",
        "seller_name": "ACME Fournitures SAS",
        "seller_vat_id": "FR44732829320",
        "seller_siret": "73282932000074",
        "seller_iban": "FR7630006000011234567890189",
        "buyer_name": "Aurora Tech",
        "buyer_vat_id": "DE123456789",
        "po_number": "PO-88123",
        "total_net": Decimal("1234.56"),
        "total_tax": Decimal("246.91"),
        "total_gross": Decimal("1481.47"),
        "amount_due": Decimal("1481.47"),
    }
    assert reading.confidence == dict.fromkeys(FIELD_NAMES, 1.0)
    assert reading.language == "fr"


def test_cii_lines_give_the_price_of_one_unit() -> None:
    lines = read_einvoice_xml(cii_invoice().encode()).lines

    assert [line.model_dump() for line in lines] == [
        {
            "description": "Ramette papier A4",
            "quantity": Decimal("3"),
            "unit_price": Decimal("92.18"),
            "net_amount": Decimal("276.54"),
            "tax_rate": Decimal("20"),
        },
        {
            "description": "Livraison",
            "quantity": Decimal("1"),
            "unit_price": Decimal("958.02"),
            "net_amount": Decimal("958.02"),
            "tax_rate": Decimal("20"),
        },
    ]


def test_zugferd_1_maps_header_and_skips_note_only_items() -> None:
    reading = read_einvoice_xml(ZUGFERD_1_INVOICE.encode())

    assert reading.fields.invoice_number == "471102"
    assert reading.fields.invoice_date == date(2013, 6, 5)
    assert reading.fields.po_number == "2013-471331"
    assert reading.fields.total_tax == Decimal("21.31")
    assert reading.fields.amount_due == Decimal("165.14")
    assert reading.language == "de"
    assert [(line.description, line.quantity, line.tax_rate) for line in reading.lines] == [
        ("Trennblätter A4", Decimal("3.0000"), Decimal("19.00"))
    ]


def test_ubl_invoice_maps_fields_and_lines() -> None:
    reading = read_einvoice_xml(UBL_INVOICE.encode())

    fields = reading.fields
    assert (fields.invoice_number, fields.invoice_date, fields.due_date) == (
        "R-2024-17",
        date(2024, 5, 2),
        date(2024, 6, 1),
    )
    assert (fields.seller_name, fields.seller_vat_id, fields.buyer_name) == (
        "Lieferant GmbH",
        "DE123456789",
        "Kunden AG",
    )
    assert fields.seller_iban == "DE02120300000000202051"
    assert fields.po_number == "PO-77"
    assert (fields.total_net, fields.total_tax, fields.total_gross, fields.amount_due) == (
        Decimal("100.00"),
        Decimal("19.00"),
        Decimal("119.00"),
        Decimal("119.00"),
    )
    assert reading.language == "de"
    assert reading.lines[0].model_dump() == {
        "description": "Beratung",
        "quantity": Decimal("4"),
        "unit_price": Decimal("25.00"),
        "net_amount": Decimal("100.00"),
        "tax_rate": Decimal("19"),
    }


def test_ubl_credit_note_reads_its_due_date_and_credited_quantity() -> None:
    reading = read_einvoice_xml(UBL_CREDIT_NOTE.encode())

    assert reading.fields.invoice_number == "G-2024-3"
    assert reading.fields.due_date == date(2024, 5, 20)
    assert reading.fields.total_gross == Decimal("23.80")
    assert reading.lines[0].quantity == Decimal("2")
    assert reading.lines[0].unit_price == Decimal("10")


def test_an_unreadable_value_is_logged_and_left_null(caplog: pytest.LogCaptureFixture) -> None:
    xml = cii_invoice().replace("<ram:GrandTotalAmount>1481.47", "<ram:GrandTotalAmount>1481,47e")

    with caplog.at_level(logging.WARNING, logger="extractors.einvoice"):
        reading = read_einvoice_xml(xml.encode(), source="bad.xml")

    assert reading.fields.total_gross is None
    assert reading.fields.total_net == Decimal("1234.56")
    assert "total_gross" not in reading.confidence
    assert "bad.xml: ignoring <GrandTotalAmount>1481,47e</GrandTotalAmount>" in caplog.text


def test_xml_without_an_invoice_number_is_malformed() -> None:
    with pytest.raises(MalformedEInvoiceError, match="BT-1"):
        read_einvoice_xml(cii_invoice(number="").encode())


def test_xml_that_is_not_well_formed_is_malformed() -> None:
    with pytest.raises(MalformedEInvoiceError, match="not well-formed"):
        read_einvoice_xml(cii_invoice().encode()[:-40])


def test_xml_of_another_kind_is_unsupported() -> None:
    with pytest.raises(UnsupportedEInvoiceError, match="Order"):
        read_einvoice_xml(b"<Order><ID>1</ID></Order>")


def test_an_external_entity_is_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    doctype = f'<!DOCTYPE rsm:CrossIndustryInvoice [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    xml = cii_invoice(seller_name="&xxe;").replace("?>", "?>\n" + doctype, 1)
    invoice = tmp_path / "invoice.xml"
    invoice.write_text(xml)

    extraction = extract_document(invoice)

    assert extraction.error is None
    assert extraction.fields.invoice_number == "F2026-0042"
    assert "TOP-SECRET" not in json.dumps(extraction.to_contract())


def test_embedded_facturx_xml_is_read_exactly() -> None:
    document = pdf_document(facturx_pdf(cii_invoice()))

    extraction = EInvoiceExtractor().extract(document, ExtractOptions())

    assert extraction is not None
    assert extraction.method is Method.EINVOICE
    assert extraction.pages == 1
    assert extraction.fields.total_gross == Decimal("1481.47")


def test_reading_the_page_is_left_to_the_page_readers() -> None:
    document = pdf_document(facturx_pdf(cii_invoice()))

    assert EInvoiceExtractor().extract(document, ExtractOptions(read_page=True)) is None


def test_a_pdf_without_embedded_xml_is_not_an_einvoice() -> None:
    document = pdf_document(text_pdf("FACTURE F2026-0042"))

    assert EInvoiceExtractor().extract(document, ExtractOptions()) is None


def test_an_unusable_embedded_xml_falls_back_to_the_page(
    caplog: pytest.LogCaptureFixture,
) -> None:
    document = pdf_document(facturx_pdf(cii_invoice(number="")))

    with caplog.at_level(logging.WARNING, logger="extractors.einvoice"):
        extraction = EInvoiceExtractor().extract(document, ExtractOptions())

    assert extraction is None
    assert "in.pdf: ignoring its embedded factur-x.xml" in caplog.text


ZUGFERD_SAMPLES = [
    "ZUGFeRDv1__correct__Intarsys__ZUGFeRD_1p0_COMFORT_Rabatte",
    "ZUGFeRDv1__correct__Mustangproject__MustangGnuaccountingBeispielRE-20140519_499",
    "ZUGFeRDv2__correct__intarsys__EN16931__zugferd_2p0_EN16931_Einfach",
    "ZUGFeRDv2__correct__FNFE-factur-x-examples__Facture_DOM_BASICWL",
    "XML-Rechnung__FX__XRECHNUNG_Einfach",
]


@pytest.mark.shared
@pytest.mark.parametrize("name", ZUGFERD_SAMPLES)
def test_real_zugferd_invoices_match_their_expected_fields(name: str) -> None:
    if not ZUGFERD_DATASET.is_dir():
        pytest.skip(f"the shared ZUGFeRD corpus is not at {ZUGFERD_DATASET}")
    truth = json.loads((ZUGFERD_DATASET / f"{name}.json").read_text())

    extraction = extract_document(ZUGFERD_DATASET / f"{name}.pdf")

    assert extraction.method is Method.EINVOICE
    got = extraction.to_contract()["fields"]
    for field, expected in truth["fields"].items():
        if expected is not None:
            assert _same(got[field], expected), field


def _same(got: Any, expected: Any) -> bool:
    """Compare as the benchmark does: numbers by value, text without spaces."""
    try:
        return Decimal(got) == Decimal(expected)
    except (ArithmeticError, TypeError, ValueError):
        return "".join(str(got).split()) == "".join(str(expected).split())
