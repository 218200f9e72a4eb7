"""Factur-X: the same invoice as a CII XML embedded in the PDF."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Literal
from unittest.mock import patch

import facturx
from lxml import etree

from samples.invoices.generate.formats import french_legal_terms
from samples.invoices.generate.invoices import Invoice, InvoiceLine
from samples.invoices.generate.kinds import CURRENCY
from samples.invoices.generate.parties import Buyer, Seller
from samples.invoices.generate.pdf import render_pdf

# ----------------------------------------------------------------------------------------
# Factur-X: the same invoice as a CII XML embedded in the PDF
# ----------------------------------------------------------------------------------------

FacturxLevel = Literal["en16931", "basic"]
CII_NAMESPACES = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
GUIDELINES: dict[FacturxLevel, str] = {
    "en16931": "urn:cen.eu:en16931:2017",
    "basic": "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
}


def cii(
    parent: etree._Element, tag: str, text: str | None = None, **attributes: str
) -> etree._Element:
    """Append a ``prefix:name`` child to ``parent`` and return it."""
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{CII_NAMESPACES[prefix]}}}{name}", attributes)
    if text is not None:
        element.text = text
    return element


def cii_date(parent: etree._Element, tag: str, day: date) -> None:
    """Append a CII date (format 102, ``YYYYMMDD``)."""
    cii(cii(parent, tag), "udt:DateTimeString", day.strftime("%Y%m%d"), format="102")


def plain(value: Decimal) -> str:
    """Return a decimal as CII wants it: a dot, no exponent, no grouping."""
    return format(value, "f")


def cii_party(
    parent: etree._Element, tag: str, party: Seller | Buyer, vat_id: str | None, siret: str | None
) -> None:
    """Append a trade party: SIRET (BT-29, scheme 0009), name, SIREN (BT-30, scheme 0002),
    postal address, electronic address (BT-34 / BT-49) and VAT number.

    A French party's electronic address is its SIREN under scheme 0225 (the French
    directory), another's an e-mail address (scheme EM): the French CTC rules (BR-FR-12,
    BR-FR-13) ask for both parties' addresses.
    """
    element = cii(parent, tag)
    if siret:
        cii(element, "ram:GlobalID", siret, schemeID="0009")
    cii(element, "ram:Name", party.name)
    siren = siret[:9] if siret else french_siren_of(party.vat_id)
    if siren:
        cii(cii(element, "ram:SpecifiedLegalOrganization"), "ram:ID", siren, schemeID="0002")
    postal = cii(element, "ram:PostalTradeAddress")
    cii(postal, "ram:PostcodeCode", party.address.postcode)
    cii(postal, "ram:LineOne", party.address.street)
    cii(postal, "ram:CityName", party.address.city)
    cii(postal, "ram:CountryID", party.address.country)
    address = cii(element, "ram:URIUniversalCommunication")
    if siren:
        cii(address, "ram:URIID", siren, schemeID="0225")
    else:
        domain = "".join(ch for ch in party.name.lower() if ch.isalnum())
        cii(address, "ram:URIID", f"invoices@{domain}.example", schemeID="EM")
    if vat_id:
        cii(cii(element, "ram:SpecifiedTaxRegistration"), "ram:ID", vat_id, schemeID="VA")


def french_siren_of(vat_id: str | None) -> str | None:
    """Return the SIREN a French VAT number carries (FR + 2-digit key + SIREN), else None."""
    if vat_id and vat_id.startswith("FR") and len(vat_id) == 13 and vat_id[4:].isdigit():
        return vat_id[4:]
    return None


def cii_line(
    transaction: etree._Element, position: int, line: InvoiceLine, level: FacturxLevel
) -> None:
    """Append one invoice line with its price, quantity, VAT category and net amount."""
    line_item = cii(transaction, "ram:IncludedSupplyChainTradeLineItem")
    cii(cii(line_item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(position))
    product = cii(line_item, "ram:SpecifiedTradeProduct")
    if level == "en16931":  # BASIC knows no seller item reference
        cii(product, "ram:SellerAssignedID", line.reference)
    cii(product, "ram:Name", line.description)
    agreement = cii(line_item, "ram:SpecifiedLineTradeAgreement")
    price = cii(agreement, "ram:NetPriceProductTradePrice")
    cii(price, "ram:ChargeAmount", plain(line.unit_price))
    delivery = cii(line_item, "ram:SpecifiedLineTradeDelivery")
    cii(delivery, "ram:BilledQuantity", plain(line.quantity), unitCode="C62")
    settlement = cii(line_item, "ram:SpecifiedLineTradeSettlement")
    tax = cii(settlement, "ram:ApplicableTradeTax")
    cii(tax, "ram:TypeCode", "VAT")
    cii(tax, "ram:CategoryCode", "S")
    cii(tax, "ram:RateApplicablePercent", plain(line.tax_rate))
    summation = cii(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    cii(summation, "ram:LineTotalAmount", plain(line.net_amount))


def cii_settlement(transaction: etree._Element, invoice: Invoice, level: FacturxLevel) -> None:
    """Append the header settlement: currency, SEPA transfer, VAT breakdown, terms, totals."""
    settlement = cii(transaction, "ram:ApplicableHeaderTradeSettlement")
    cii(settlement, "ram:PaymentReference", invoice.number)
    cii(settlement, "ram:InvoiceCurrencyCode", CURRENCY)
    means = cii(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    cii(means, "ram:TypeCode", "58")  # SEPA credit transfer
    account = cii(means, "ram:PayeePartyCreditorFinancialAccount")
    cii(account, "ram:IBANID", invoice.printed.iban)
    if level == "en16931":  # BASIC has no place for the BIC
        institution = cii(means, "ram:PayeeSpecifiedCreditorFinancialInstitution")
        cii(institution, "ram:BICID", invoice.seller.bank.bic)
    for subtotal in invoice.totals.vat:
        tax = cii(settlement, "ram:ApplicableTradeTax")
        cii(tax, "ram:CalculatedAmount", plain(subtotal.tax))
        cii(tax, "ram:TypeCode", "VAT")
        cii(tax, "ram:BasisAmount", plain(subtotal.base))
        cii(tax, "ram:CategoryCode", "S")
        cii(tax, "ram:RateApplicablePercent", plain(subtotal.rate))
    terms = cii(settlement, "ram:SpecifiedTradePaymentTerms")
    cii(terms, "ram:Description", f"{invoice.payment_days} jours date de facture, par virement")
    cii_date(terms, "ram:DueDateDateTime", invoice.due_date)
    totals = invoice.totals
    summation = cii(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    cii(summation, "ram:LineTotalAmount", plain(totals.net))
    cii(summation, "ram:TaxBasisTotalAmount", plain(totals.net))
    cii(summation, "ram:TaxTotalAmount", plain(totals.tax), currencyID=CURRENCY)
    cii(summation, "ram:GrandTotalAmount", plain(totals.gross))
    if invoice.deposit:
        cii(summation, "ram:TotalPrepaidAmount", plain(invoice.deposit))
    cii(summation, "ram:DuePayableAmount", plain(invoice.amount_due))


def facturx_xml(invoice: Invoice, level: FacturxLevel) -> bytes:
    """Return the invoice as a Factur-X CII XML of the given profile."""
    root = etree.Element(f"{{{CII_NAMESPACES['rsm']}}}CrossIndustryInvoice", nsmap=CII_NAMESPACES)
    context = cii(root, "rsm:ExchangedDocumentContext")
    # The billing mode of the French CTC (BT-23, BR-FR-08): M1, goods and services.
    process = cii(context, "ram:BusinessProcessSpecifiedDocumentContextParameter")
    cii(process, "ram:ID", "M1")
    guideline = cii(context, "ram:GuidelineSpecifiedDocumentContextParameter")
    cii(guideline, "ram:ID", GUIDELINES[level])
    document = cii(root, "rsm:ExchangedDocument")
    cii(document, "ram:ID", invoice.number)
    cii(document, "ram:TypeCode", "380")  # commercial invoice
    cii_date(document, "ram:IssueDateTime", invoice.issue_date)
    # The French mentions, each under its subject code (BR-FR-05): recovery costs (PMT),
    # late-payment penalties (PMD), early-payment discount (AAB).
    for subject, content in (
        ("PMT", french_legal_terms(invoice)),
        ("PMD", f"Pénalités de retard au taux annuel de {invoice.penalty_rate} %."),
        ("AAB", "Pas d'escompte pour paiement anticipé."),
    ):
        note = cii(document, "ram:IncludedNote")
        cii(note, "ram:Content", content)
        cii(note, "ram:SubjectCode", subject)

    transaction = cii(root, "rsm:SupplyChainTradeTransaction")
    for position, line in enumerate(invoice.lines, start=1):
        cii_line(transaction, position, line, level)
    agreement = cii(transaction, "ram:ApplicableHeaderTradeAgreement")
    printed = invoice.printed
    cii_party(agreement, "ram:SellerTradeParty", invoice.seller, printed.vat_id, printed.siret)
    # A buyer VAT number that the page does not print stays out of the XML too.
    buyer_vat = invoice.buyer.vat_id if invoice.show_buyer_vat else None
    cii_party(agreement, "ram:BuyerTradeParty", invoice.buyer, buyer_vat, None)
    if invoice.po_number:
        order = cii(agreement, "ram:BuyerOrderReferencedDocument")
        cii(order, "ram:IssuerAssignedID", invoice.po_number)
    delivery = cii(transaction, "ram:ApplicableHeaderTradeDelivery")
    event = cii(delivery, "ram:ActualDeliverySupplyChainEvent")
    cii_date(event, "ram:OccurrenceDateTime", invoice.delivery_date)
    cii_settlement(transaction, invoice, level)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


@contextmanager
def frozen_facturx_clock(moment: datetime) -> Iterator[None]:
    """Freeze the clock the factur-x library stamps into the PDF and its XMP metadata."""

    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> FrozenDatetime:
            frozen = moment if tz is None else moment.astimezone(tz)
            return cls.fromtimestamp(frozen.timestamp(), frozen.tzinfo)

    # factur-x calls datetime.now() for /CreationDate, /ModDate and xmp:CreateDate; its
    # module is looked up by name because the package re-exports only its functions.
    with patch.object(importlib.import_module("facturx.facturx"), "datetime", FrozenDatetime):
        yield


def render_facturx(invoice: Invoice, level: FacturxLevel) -> bytes:
    """Return the invoice as a Factur-X hybrid: the text PDF with its CII XML attached."""
    issued = datetime.combine(invoice.issue_date, datetime.min.time(), UTC)
    metadata = {
        "author": invoice.seller.name,
        "keywords": "Factur-X, Facture",
        "title": f"{invoice.seller.name}: Facture {invoice.number}",
        "subject": f"Facture {invoice.number} du {invoice.issue_date.isoformat()}",
    }
    with frozen_facturx_clock(issued):
        document: bytes = facturx.generate_from_binary(
            render_pdf(invoice),
            facturx_xml(invoice, level),
            flavor="factur-x",
            level=level,
            check_xsd=True,
            pdf_metadata=metadata,
            lang="fr-FR",
        )
    return document
