"""UBL 2.1 ``Invoice`` and ``CreditNote``: fields, lines, VAT breakdown, the preceding invoice
and the reform's mentions.
"""

from __future__ import annotations

from lxml import etree

from extractors.einvoice.common import (
    UBL_ROOTS,
    Element,
    Parsed,
    StatedDocument,
    XmlReader,
    amount_in_currency,
    compact_id,
    iban_of,
    language_of,
    siret_of,
    unit_price_of,
    vat_breakdown_of,
)
from extractors.einvoice_mentions import ubl_mentions
from invoicebot.model import DocumentType, InvoiceExtras, InvoiceFields, InvoiceReference, Line


def read_ubl(root: Element, xml: XmlReader) -> Parsed:
    line_path, quantity_path = UBL_ROOTS[root.tag]
    seller = xml.find(root, "cac:AccountingSupplierParty/cac:Party")
    buyer = xml.find(root, "cac:AccountingCustomerParty/cac:Party")
    totals = xml.find(root, "cac:LegalMonetaryTotal")
    currency = xml.text(root, "cbc:DocumentCurrencyCode")
    fields = InvoiceFields(
        invoice_number=xml.text(root, "cbc:ID"),
        invoice_date=xml.iso_date(root, "cbc:IssueDate"),
        # An Invoice states BT-9 at the top; a CreditNote only in its payment means.
        due_date=xml.iso_date(root, "cbc:DueDate")
        or xml.iso_date(root, "cac:PaymentMeans/cbc:PaymentDueDate"),
        currency=currency.upper() if currency else None,
        seller_name=_ubl_party_name(seller, xml),
        seller_vat_id=_ubl_vat_id(seller, xml),
        seller_siret=siret_of(
            xml.findall(seller, "cac:PartyLegalEntity/cbc:CompanyID")
            + xml.findall(seller, "cac:PartyIdentification/cbc:ID")
        ),
        seller_iban=iban_of(xml.text(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID")),
        buyer_name=_ubl_party_name(buyer, xml),
        buyer_vat_id=_ubl_vat_id(buyer, xml),
        po_number=xml.text(root, "cac:OrderReference/cbc:ID"),
        total_net=xml.amount(totals, "cbc:TaxExclusiveAmount"),
        total_tax=xml.decimal(
            amount_in_currency(xml.findall(root, "cac:TaxTotal/cbc:TaxAmount"), currency)
        ),
        total_gross=xml.amount(totals, "cbc:TaxInclusiveAmount"),
        amount_due=xml.amount(totals, "cbc:PayableAmount"),
    )
    lines = [_ubl_line(item, quantity_path, xml) for item in xml.findall(root, line_path)]
    country = xml.text(seller, "cac:PostalAddress/cac:Country/cbc:IdentificationCode")
    extras = InvoiceExtras(
        seller_bic=_ubl_bic(root, xml),
        line_total=xml.amount(totals, "cbc:LineExtensionAmount"),
        allowance_total=xml.amount(totals, "cbc:AllowanceTotalAmount"),
        charge_total=xml.amount(totals, "cbc:ChargeTotalAmount"),
        prepaid_amount=xml.amount(totals, "cbc:PrepaidAmount"),
        rounding_amount=xml.amount(totals, "cbc:PayableRoundingAmount"),
        vat_breakdown=vat_breakdown_of(
            [
                (
                    xml.amount(subtotal, "cac:TaxCategory/cbc:Percent"),
                    xml.amount(subtotal, "cbc:TaxableAmount"),
                    xml.amount(subtotal, "cbc:TaxAmount"),
                    xml.text(subtotal, "cac:TaxCategory/cbc:ID"),
                )
                for subtotal in _ubl_vat_subtotals(root, currency, xml)
            ]
        ),
        mentions=ubl_mentions(root),
    )
    kind = etree.QName(root).localname
    # A CreditNote states its type in ``CreditNoteTypeCode`` (381 when absent, as the
    # document is one), an Invoice in ``InvoiceTypeCode``.
    code = xml.text(root, f"cbc:{kind}TypeCode")
    document_kind = StatedDocument(
        document_type=DocumentType.of_code(code or ("381" if kind == "CreditNote" else None)),
        preceding_invoice=_ubl_preceding_invoice(root, xml),
    )
    return Parsed(fields, lines, language_of(None, country), extras, document_kind)


def _ubl_preceding_invoice(root: Element, xml: XmlReader) -> InvoiceReference | None:
    """Return the first preceding invoice the document names (BG-3), None when none."""
    for reference in xml.findall(root, "cac:BillingReference/cac:InvoiceDocumentReference"):
        number = xml.text(reference, "cbc:ID")
        if number is not None:
            return InvoiceReference(
                number=number, issue_date=xml.iso_date(reference, "cbc:IssueDate")
            )
    return None


def _ubl_line(item: Element, quantity_path: str, xml: XmlReader) -> Line:
    return Line(
        description=xml.text(item, "cac:Item/cbc:Name"),
        quantity=xml.amount(item, quantity_path),
        unit_price=unit_price_of(
            xml.amount(item, "cac:Price/cbc:PriceAmount"),
            xml.amount(item, "cac:Price/cbc:BaseQuantity"),
        ),
        net_amount=xml.amount(item, "cbc:LineExtensionAmount"),
        tax_rate=xml.amount(item, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"),
    )


def _ubl_bic(root: Element, xml: XmlReader) -> str | None:
    """Return the payee's BIC (BT-86): that of the account that gives the IBAN, else the first.

    UBL 2.1 as EN 16931 maps it keeps the BIC in the account's branch; older producers put it
    in the branch's financial institution.
    """
    accounts = xml.findall(root, "cac:PaymentMeans/cac:PayeeFinancialAccount")
    ordered = [a for a in accounts if iban_of(xml.text(a, "cbc:ID"))] + accounts
    for account in ordered:
        bic = xml.text(account, "cac:FinancialInstitutionBranch/cbc:ID") or xml.text(
            account, "cac:FinancialInstitutionBranch/cac:FinancialInstitution/cbc:ID"
        )
        if bic is not None:
            return compact_id(bic)
    return None


def _ubl_vat_subtotals(root: Element, currency: str | None, xml: XmlReader) -> list[Element]:
    """Return the VAT subtotals of the tax total in the invoice currency (BG-23): a second
    tax total in the accounting currency (BT-111) has none, but is skipped all the same."""
    totals = xml.findall(root, "cac:TaxTotal")
    in_currency = [
        total
        for total in totals
        if (amount := xml.find(total, "cbc:TaxAmount")) is not None
        and amount.get("currencyID") in (currency, None)
    ]
    for total in in_currency or totals:
        subtotals = xml.findall(total, "cac:TaxSubtotal")
        if subtotals:
            return subtotals
    return []


def _ubl_party_name(party: Element | None, xml: XmlReader) -> str | None:
    """Return the legal name (BT-27), or the trading name where only that is given."""
    return xml.text(party, "cac:PartyLegalEntity/cbc:RegistrationName") or xml.text(
        party, "cac:PartyName/cbc:Name"
    )


def _ubl_vat_id(party: Element | None, xml: XmlReader) -> str | None:
    for scheme in xml.findall(party, "cac:PartyTaxScheme"):
        if xml.text(scheme, "cac:TaxScheme/cbc:ID") == "VAT":
            return compact_id(xml.text(scheme, "cbc:CompanyID"))
    return None
