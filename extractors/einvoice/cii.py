"""UN/CEFACT CII (Factur-X, ZUGFeRD 1 and 2, XRechnung CII): fields, lines, VAT breakdown,
the preceding invoice and the reform's mentions.
"""

from __future__ import annotations

from extractors.einvoice.common import (
    CII_D16B,
    CiiSyntax,
    Element,
    Parsed,
    StatedDocument,
    XmlReader,
    amount_in_currency,
    compact_id,
    first_text,
    iban_of,
    language_of,
    siret_of,
    unit_price_of,
    vat_breakdown_of,
)
from extractors.einvoice_mentions import cii_mentions
from invoicebot.model import DocumentType, InvoiceExtras, InvoiceFields, InvoiceReference, Line


def read_cii(root: Element, syntax: CiiSyntax, xml: XmlReader) -> Parsed:
    document = xml.find(root, syntax.document)
    transaction = xml.find(root, syntax.transaction)
    agreement = xml.find(transaction, syntax.agreement)
    settlement = xml.find(transaction, syntax.settlement)
    totals = xml.find(settlement, syntax.totals)
    seller = xml.find(agreement, "ram:SellerTradeParty")
    buyer = xml.find(agreement, "ram:BuyerTradeParty")
    currency = xml.text(settlement, "ram:InvoiceCurrencyCode")
    payment_means = xml.findall(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    fields = InvoiceFields(
        invoice_number=xml.text(document, "ram:ID"),
        invoice_date=xml.cii_date(document, "ram:IssueDateTime"),
        due_date=xml.cii_date(settlement, "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime"),
        currency=currency.upper() if currency else None,
        seller_name=xml.text(seller, "ram:Name"),
        seller_vat_id=_cii_vat_id(seller, xml),
        seller_siret=siret_of(
            xml.findall(seller, "ram:SpecifiedLegalOrganization/ram:ID")
            + xml.findall(seller, "ram:GlobalID")
        ),
        seller_iban=iban_of(
            first_text(payment_means, "ram:PayeePartyCreditorFinancialAccount/ram:IBANID", xml)
        ),
        buyer_name=xml.text(buyer, "ram:Name"),
        buyer_vat_id=_cii_vat_id(buyer, xml),
        po_number=xml.text(agreement, syntax.order_id),
        total_net=xml.amount(totals, "ram:TaxBasisTotalAmount"),
        total_tax=xml.decimal(
            amount_in_currency(xml.findall(totals, "ram:TaxTotalAmount"), currency)
        ),
        total_gross=xml.amount(totals, "ram:GrandTotalAmount"),
        amount_due=xml.amount(totals, "ram:DuePayableAmount"),
    )
    lines = [
        line
        for item in xml.findall(transaction, "ram:IncludedSupplyChainTradeLineItem")
        if (line := _cii_line(item, syntax, xml)) is not None
    ]
    language = language_of(
        xml.text(document, "ram:LanguageID"),
        xml.text(seller, "ram:PostalTradeAddress/ram:CountryID"),
    )
    extras = InvoiceExtras(
        seller_bic=_cii_bic(payment_means, xml),
        line_total=xml.amount(totals, "ram:LineTotalAmount"),
        allowance_total=xml.amount(totals, "ram:AllowanceTotalAmount"),
        charge_total=xml.amount(totals, "ram:ChargeTotalAmount"),
        prepaid_amount=xml.amount(totals, "ram:TotalPrepaidAmount"),
        rounding_amount=xml.amount(totals, "ram:RoundingAmount"),
        vat_breakdown=vat_breakdown_of(
            [
                (
                    xml.amount(tax, syntax.tax_rate),
                    xml.amount(tax, "ram:BasisAmount"),
                    xml.amount(tax, "ram:CalculatedAmount"),
                    xml.text(tax, "ram:CategoryCode"),
                )
                for tax in xml.findall(settlement, "ram:ApplicableTradeTax")
            ]
        ),
        # ZUGFeRD 1.0 predates the French reform: its mentions are not read.
        mentions=cii_mentions(root) if syntax is CII_D16B else None,
    )
    document_kind = StatedDocument(
        document_type=DocumentType.of_code(xml.text(document, "ram:TypeCode")),
        preceding_invoice=_cii_preceding_invoice(settlement, xml),
    )
    return Parsed(fields, lines, language, extras, document_kind)


def _cii_preceding_invoice(settlement: Element | None, xml: XmlReader) -> InvoiceReference | None:
    """Return the first preceding invoice the settlement names (BG-3), None when none."""
    for reference in xml.findall(settlement, "ram:InvoiceReferencedDocument"):
        number = xml.text(reference, "ram:IssuerAssignedID")
        if number is not None:
            # BT-26 is a ``qdt:`` date-time in CII (``udt:`` in some producers' output).
            issued = xml.cii_date(
                reference, "ram:FormattedIssueDateTime/qdt:DateTimeString"
            ) or xml.cii_date(reference, "ram:FormattedIssueDateTime")
            return InvoiceReference(number=number, issue_date=issued)
    return None


def _cii_line(item: Element, syntax: CiiSyntax, xml: XmlReader) -> Line | None:
    """Return the line an item states, or None for an item that is only a note."""
    price = xml.find(item, f"{syntax.line_agreement}/ram:NetPriceProductTradePrice")
    settlement = xml.find(item, syntax.line_settlement)
    line = Line(
        description=xml.text(item, "ram:SpecifiedTradeProduct/ram:Name"),
        quantity=xml.amount(item, f"{syntax.line_delivery}/ram:BilledQuantity"),
        unit_price=unit_price_of(
            xml.amount(price, "ram:ChargeAmount"), xml.amount(price, "ram:BasisQuantity")
        ),
        net_amount=xml.amount(settlement, f"{syntax.line_totals}/ram:LineTotalAmount"),
        tax_rate=xml.amount(settlement, f"ram:ApplicableTradeTax/{syntax.tax_rate}"),
    )
    if line.description is None and line.net_amount is None:
        return None
    return line


def _cii_bic(payment_means: list[Element], xml: XmlReader) -> str | None:
    """Return the payee's BIC (BT-86): that of the means that gives the IBAN, else the first."""
    bic_path = "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID"
    with_iban = [
        means
        for means in payment_means
        if xml.text(means, "ram:PayeePartyCreditorFinancialAccount/ram:IBANID") is not None
    ]
    # A malformed BIC is kept as read: BIC-CHECK reports it.
    return compact_id(
        first_text(with_iban, bic_path, xml) or first_text(payment_means, bic_path, xml)
    )


def _cii_vat_id(party: Element | None, xml: XmlReader) -> str | None:
    registrations = xml.findall(party, "ram:SpecifiedTaxRegistration/ram:ID")
    vat_ids = [r for r in registrations if r.get("schemeID") == "VA"]
    return compact_id(vat_ids[0].text) if vat_ids else None
