"""E-invoices: the XML embedded in Factur-X / ZUGFeRD / XRechnung PDFs, and CII or UBL files.

The XML states every field exactly, so each non-null field gets confidence 1.0. Supported
syntaxes: UN/CEFACT CII D16B and D22B (one namespace: Factur-X 1.0x, ZUGFeRD 2, XRechnung
CII, the French EXTENDED-CTC-FR), ZUGFeRD 1.0 (and its un-namespaced release candidate
``CBFBUY:5``, still found in old Mustang samples), and UBL 2.1 ``Invoice`` and ``CreditNote``.

The document type (BT-3: CII ``TypeCode``, UBL ``InvoiceTypeCode`` / ``CreditNoteTypeCode``, a
UBL ``CreditNote`` without one being a credit note) and the preceding invoice it refers to
(BG-3: number BT-25, date BT-26) are read too: a credit note states its amounts positive,
its type says they are owed to the buyer.

A standalone XML file has no page, so its extraction says ``pages: 0``. Beyond the contract's
fields, the extraction carries what the XML states for the arithmetic and bank rules
(``Extraction.extras``): the payee's BIC, the sum of the lines, allowances, charges, prepaid
and rounding amounts, and the VAT breakdown.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NamedTuple

import facturx
import pypdfium2
from lxml import etree
from pypdf.errors import PyPdfError

from extractors.base import PDFIUM_LOCK, DocumentKind, ExtractOptions, FieldReading, SourceDocument
from extractors.einvoice_mentions import cii_mentions, ubl_mentions
from extractors.normalize import compact_identifier
from invoicebot.model import (
    DocumentError,
    DocumentType,
    ErrorCode,
    Extraction,
    InvoiceError,
    InvoiceExtras,
    InvoiceFields,
    InvoiceReference,
    Line,
    Method,
    VatSubtotal,
)

logger = logging.getLogger(__name__)

# Attachment names of the e-invoice standards; factur-x matches them case-insensitively, so
# "zugferd-invoice.xml" also finds ZUGFeRD 1's "ZUGFeRD-invoice.xml".
EMBEDDED_XML_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")

# Where the language is not stated, the seller's country is a fair guess at it.
LANGUAGE_OF_COUNTRY: Mapping[str, str] = {
    "FR": "fr",
    "MC": "fr",
    "DE": "de",
    "AT": "de",
    "LI": "de",
    "GB": "en",
    "IE": "en",
    "US": "en",
}

# ISO 6523 schemes of French company registration numbers.
SIREN_SCHEME = "0002"
SIRET_SCHEME = "0009"

IBAN_PATTERN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")

Element = etree._Element
Namespaces = Mapping[str, str]


class MalformedEInvoiceError(InvoiceError):
    """The XML is not well-formed, or lacks the invoice number (BT-1) every e-invoice has."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnsupportedEInvoiceError(InvoiceError):
    """The XML is well-formed but is no CII or UBL invoice; carries its root element."""

    def __init__(self, root_tag: str) -> None:
        super().__init__(f"not a CII or UBL invoice (root element {root_tag})")
        self.root_tag = root_tag


@dataclass(frozen=True)
class CiiSyntax:
    """Where one version of the Cross Industry Invoice keeps its header and line data.

    Paths are written with ``ram:``/``udt:`` prefixes and resolved against ``namespaces``.
    """

    name: str
    namespaces: Namespaces
    document: str
    transaction: str
    agreement: str
    settlement: str
    totals: str
    order_id: str
    line_agreement: str
    line_delivery: str
    line_settlement: str
    line_totals: str
    tax_rate: str


@dataclass(frozen=True)
class StatedDocument:
    """What kind of document an e-invoice is (BT-3) and the earlier invoice it refers to
    (BG-3), as its XML states them."""

    document_type: DocumentType = DocumentType.INVOICE
    preceding_invoice: InvoiceReference | None = None


class EInvoiceReading(NamedTuple):
    """What one e-invoice XML states: the contract's fields and lines, the extras, and the
    document's type and preceding invoice."""

    reading: FieldReading
    extras: InvoiceExtras
    document: StatedDocument = StatedDocument()

    def to_extraction(self, source: SourceDocument, *, pages: int, xml: bytes) -> Extraction:
        """Return the extraction this reading makes of ``source`` (``xml``: its e-invoice)."""
        extraction = self.reading.to_extraction(source, method=Method.EINVOICE, pages=pages)
        return extraction.model_copy(
            update={
                "extras": replace(self.extras, einvoice_xml=xml),
                "document_type": self.document.document_type,
                "preceding_invoice": self.document.preceding_invoice,
            }
        )


class _Parsed(NamedTuple):
    fields: InvoiceFields
    lines: list[Line]
    language: str | None
    extras: InvoiceExtras
    document: StatedDocument


_RAM_100 = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
_UDT_100 = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
_QDT_100 = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
_RAM_12 = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
_UDT_15 = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15"
_QDT_12 = "urn:un:unece:uncefact:data:standard:QualifiedDataType:12"

CII_D16B = CiiSyntax(
    name="CII D16B",
    namespaces={
        "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
        "ram": _RAM_100,
        "udt": _UDT_100,
        "qdt": _QDT_100,
    },
    document="rsm:ExchangedDocument",
    transaction="rsm:SupplyChainTradeTransaction",
    agreement="ram:ApplicableHeaderTradeAgreement",
    settlement="ram:ApplicableHeaderTradeSettlement",
    totals="ram:SpecifiedTradeSettlementHeaderMonetarySummation",
    order_id="ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",
    line_agreement="ram:SpecifiedLineTradeAgreement",
    line_delivery="ram:SpecifiedLineTradeDelivery",
    line_settlement="ram:SpecifiedLineTradeSettlement",
    line_totals="ram:SpecifiedTradeSettlementLineMonetarySummation",
    tax_rate="ram:RateApplicablePercent",
)
ZUGFERD_1 = CiiSyntax(
    name="ZUGFeRD 1.0",
    namespaces={
        "rsm": "urn:ferd:CrossIndustryDocument:invoice:1p0",
        "ram": _RAM_12,
        "udt": _UDT_15,
        "qdt": _QDT_12,
    },
    document="rsm:HeaderExchangedDocument",
    transaction="rsm:SpecifiedSupplyChainTradeTransaction",
    agreement="ram:ApplicableSupplyChainTradeAgreement",
    settlement="ram:ApplicableSupplyChainTradeSettlement",
    totals="ram:SpecifiedTradeSettlementMonetarySummation",
    order_id="ram:BuyerOrderReferencedDocument/ram:ID",
    line_agreement="ram:SpecifiedSupplyChainTradeAgreement",
    line_delivery="ram:SpecifiedSupplyChainTradeDelivery",
    line_settlement="ram:SpecifiedSupplyChainTradeSettlement",
    line_totals="ram:SpecifiedTradeSettlementMonetarySummation",
    tax_rate="ram:ApplicablePercent",
)
# The ZUGFeRD 1.0 release candidate: the same elements, only the root is namespaced.
ZUGFERD_1_RC = replace(
    ZUGFERD_1,
    name="ZUGFeRD 1.0 RC",
    namespaces={
        "rsm": "urn:un:unece:uncefact:data:standard:CBFBUY:5",
        "ram": "",
        "udt": "",
        "qdt": "",
    },
)
CII_SYNTAXES: Mapping[str, CiiSyntax] = {
    f"{{{CII_D16B.namespaces['rsm']}}}CrossIndustryInvoice": CII_D16B,
    f"{{{ZUGFERD_1.namespaces['rsm']}}}CrossIndustryDocument": ZUGFERD_1,
    f"{{{ZUGFERD_1_RC.namespaces['rsm']}}}Invoice": ZUGFERD_1_RC,
}

UBL_NAMESPACES: Namespaces = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
# UBL root element -> (its line element, the line's quantity element)
UBL_ROOTS: Mapping[str, tuple[str, str]] = {
    "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice": (
        "cac:InvoiceLine",
        "cbc:InvoicedQuantity",
    ),
    "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote": (
        "cac:CreditNoteLine",
        "cbc:CreditedQuantity",
    ),
}


class EInvoiceExtractor:
    """Reads XML files, and PDFs that carry an e-invoice XML (unless the page must be read)."""

    name = "einvoice"

    def extract(self, document: SourceDocument, options: ExtractOptions) -> Extraction | None:
        """Return the fields of the document's e-invoice XML, or None when it has none."""
        if document.kind is DocumentKind.XML:
            return self._extract_xml_file(document)
        if document.kind is DocumentKind.PDF and not options.read_page:
            return self._extract_embedded(document)
        return None

    def _extract_xml_file(self, document: SourceDocument) -> Extraction:
        try:
            read = read_einvoice(document.data, source=document.source)
        except MalformedEInvoiceError as error:
            raise DocumentError(document.source, ErrorCode.UNREADABLE, error.reason) from error
        except UnsupportedEInvoiceError as error:
            raise DocumentError(
                document.source, ErrorCode.UNSUPPORTED_FORMAT, str(error)
            ) from error
        return read.to_extraction(document, pages=0, xml=document.data)

    def _extract_embedded(self, document: SourceDocument) -> Extraction | None:
        embedded = find_embedded_xml(document.data, source=document.source)
        if embedded is None:
            return None
        name, xml = embedded
        try:
            read = read_einvoice(xml, source=document.source)
        except (MalformedEInvoiceError, UnsupportedEInvoiceError) as error:
            # The page still shows the invoice: let the text layer or OCR read it instead.
            logger.warning("%s: ignoring its embedded %s: %s", document.source, name, error)
            return None
        pages = count_pdf_pages(document.data, document.source)
        return read.to_extraction(document, pages=pages, xml=xml)


def read_stated_extras(path: Path, *, sha256: str) -> InvoiceExtras | None:
    """Return the extras the e-invoice at ``path`` states (its XML, or a PDF's embedded XML),
    read again with that XML for the official rules; None when the file is gone or changed
    (not ``sha256``) or holds none.

    The store keeps the contract's fields only: a review that re-validates an e-invoice
    after an operator's correction reads its extras again from the archived file.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        logger.warning("%s: cannot read the e-invoice's extras again: %s", path, error)
        return None
    if hashlib.sha256(data).hexdigest() != sha256:
        logger.warning("%s: not the file that was processed; its extras are ignored", path)
        return None
    xml: bytes | None = data
    if b"%PDF-" in data[:1024]:
        embedded = find_embedded_xml(data, source=str(path))
        xml = embedded[1] if embedded is not None else None
    if xml is None:
        return None
    try:
        return replace(read_einvoice(xml, source=str(path)).extras, einvoice_xml=xml)
    except (MalformedEInvoiceError, UnsupportedEInvoiceError) as error:
        logger.warning("%s: cannot read the e-invoice's extras again: %s", path, error)
        return None


def find_embedded_xml(pdf: bytes, *, source: str) -> tuple[str, bytes] | None:
    """Return the name and bytes of the e-invoice XML attached to ``pdf``, or None.

    A PDF whose structure pypdf cannot read is not an error here: the page readers that come
    next decide whether it is unreadable (pdfium repairs some files pypdf refuses).
    """
    try:
        name, xml = facturx.get_xml_from_pdf(
            pdf, check_xsd=False, filenames=list(EMBEDDED_XML_NAMES)
        )
    except PyPdfError as error:
        logger.warning("%s: cannot look for an embedded e-invoice: %s", source, error)
        return None
    # factur-x answers (False, False) when no attachment is a well-formed invoice XML; it logs
    # the name and parse error of any attachment it had to skip.
    if not name or not xml:
        return None
    return str(name), bytes(xml)


def count_pdf_pages(pdf: bytes, source: str) -> int:
    """Return the number of pages of ``pdf``."""
    with PDFIUM_LOCK:
        try:
            document = pypdfium2.PdfDocument(pdf)
        except pypdfium2.PdfiumError as error:
            raise DocumentError(source, ErrorCode.UNREADABLE, str(error)) from error
        try:
            return len(document)
        finally:
            document.close()


def read_einvoice_xml(xml: bytes, *, source: str = "<xml>") -> FieldReading:
    """Return the fields, lines and language of a CII or UBL e-invoice.

    A value that cannot be read (an amount ``19.00e``, a date ``20141332``) is logged and left
    null. Raises ``MalformedEInvoiceError`` for XML that is not well-formed or has no invoice
    number, and ``UnsupportedEInvoiceError`` for well-formed XML of another kind.
    """
    return read_einvoice(xml, source=source).reading


def read_einvoice(xml: bytes, *, source: str = "<xml>") -> EInvoiceReading:
    """Return the fields, lines and language of a CII or UBL e-invoice, and its extras
    (BIC, sum of the lines, allowances, charges, prepaid and rounding amounts, VAT breakdown).

    Reads and raises as ``read_einvoice_xml`` does.
    """
    root = parse_xml(xml)
    syntax = CII_SYNTAXES.get(root.tag)
    if syntax is not None:
        parsed = _read_cii(root, syntax, _XmlReader(source, syntax.namespaces))
    elif root.tag in UBL_ROOTS:
        parsed = _read_ubl(root, _XmlReader(source, UBL_NAMESPACES))
    else:
        raise UnsupportedEInvoiceError(root.tag)
    fields = parsed.fields
    if fields.invoice_number is None:
        raise MalformedEInvoiceError("the XML has no invoice number (BT-1)")
    confidence = {name: 1.0 for name, value in fields if value is not None}
    reading = FieldReading(
        fields=fields, lines=parsed.lines, confidence=confidence, language=parsed.language
    )
    return EInvoiceReading(reading, parsed.extras, parsed.document)


def parse_xml(xml: bytes) -> Element:
    """Return the root of ``xml``, parsed without expanding entities or loading anything."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
    )
    try:
        return etree.fromstring(xml, parser=parser)
    except etree.XMLSyntaxError as error:
        raise MalformedEInvoiceError(f"not well-formed XML: {error}") from error


@dataclass(frozen=True)
class _XmlReader:
    """Reads the values of one e-invoice: paths use prefixes resolved against ``namespaces``;
    a value that cannot be read is logged (naming ``source``) and read as None."""

    source: str
    namespaces: Namespaces

    def find(self, parent: Element | None, path: str) -> Element | None:
        return None if parent is None else parent.find(self._qualified(path))

    def findall(self, parent: Element | None, path: str) -> list[Element]:
        return [] if parent is None else list(parent.iterfind(self._qualified(path)))

    def text(self, parent: Element | None, path: str) -> str | None:
        """Return the element's text with its whitespace runs collapsed, None if empty."""
        return _collapsed_text(self.find(parent, path))

    def decimal(self, element: Element | None) -> Decimal | None:
        """Return the number an element holds (amounts, quantities and rates alike)."""
        text = _collapsed_text(element)
        if element is None or text is None:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            self._ignore(element, text, "not a decimal number")
            return None
        return value

    def amount(self, parent: Element | None, path: str) -> Decimal | None:
        return self.decimal(self.find(parent, path))

    def cii_date(self, parent: Element | None, path: str) -> date | None:
        """Return the date of a CII date-time element (``udt:DateTimeString``, format 102)."""
        element = self.find(parent, path)
        # ZUGFeRD 1.0 RC puts the string and its format on the element itself.
        string = self.find(element, "udt:DateTimeString")
        if string is None:
            string = element
        text = _collapsed_text(string)
        if string is None or text is None:
            return None
        # Only format 102 (YYYYMMDD) names a day; eight digits are read as such even where the
        # format code is wrong, as in some producers' output.
        day = _yyyymmdd(text)
        if day is None:
            self._ignore(string, text, "not a day in format 102 (YYYYMMDD)")
        return day

    def iso_date(self, parent: Element | None, path: str) -> date | None:
        element = self.find(parent, path)
        text = _collapsed_text(element)
        if element is None or text is None:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self._ignore(element, text, "not a YYYY-MM-DD date")
            return None

    def _ignore(self, element: Element, text: str, reason: str) -> None:
        tag = etree.QName(element).localname
        logger.warning("%s: ignoring <%s>%s</%s>: %s", self.source, tag, text, tag, reason)

    def _qualified(self, path: str) -> str:
        """Return ``path`` with its ``prefix:`` names in Clark notation (``{uri}name``)."""

        def qualify(match: re.Match[str]) -> str:
            uri = self.namespaces[match[1]]
            return f"{{{uri}}}{match[2]}" if uri else match[2]

        return re.sub(r"(\w+):(\w+)", qualify, path)


def _yyyymmdd(text: str) -> date | None:
    if not re.fullmatch(r"\d{8}", text):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _collapsed_text(element: Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return " ".join(element.text.split()) or None


# --- CII -------------------------------------------------------------------------------------


def _read_cii(root: Element, syntax: CiiSyntax, xml: _XmlReader) -> _Parsed:
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
        seller_siret=_siret(
            xml.findall(seller, "ram:SpecifiedLegalOrganization/ram:ID")
            + xml.findall(seller, "ram:GlobalID")
        ),
        seller_iban=_iban(
            _first_text(payment_means, "ram:PayeePartyCreditorFinancialAccount/ram:IBANID", xml)
        ),
        buyer_name=xml.text(buyer, "ram:Name"),
        buyer_vat_id=_cii_vat_id(buyer, xml),
        po_number=xml.text(agreement, syntax.order_id),
        total_net=xml.amount(totals, "ram:TaxBasisTotalAmount"),
        total_tax=xml.decimal(_in_currency(xml.findall(totals, "ram:TaxTotalAmount"), currency)),
        total_gross=xml.amount(totals, "ram:GrandTotalAmount"),
        amount_due=xml.amount(totals, "ram:DuePayableAmount"),
    )
    lines = [
        line
        for item in xml.findall(transaction, "ram:IncludedSupplyChainTradeLineItem")
        if (line := _cii_line(item, syntax, xml)) is not None
    ]
    language = _language(
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
        vat_breakdown=_vat_breakdown(
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
    return _Parsed(fields, lines, language, extras, document_kind)


def _cii_preceding_invoice(settlement: Element | None, xml: _XmlReader) -> InvoiceReference | None:
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


def _cii_line(item: Element, syntax: CiiSyntax, xml: _XmlReader) -> Line | None:
    """Return the line an item states, or None for an item that is only a note."""
    price = xml.find(item, f"{syntax.line_agreement}/ram:NetPriceProductTradePrice")
    settlement = xml.find(item, syntax.line_settlement)
    line = Line(
        description=xml.text(item, "ram:SpecifiedTradeProduct/ram:Name"),
        quantity=xml.amount(item, f"{syntax.line_delivery}/ram:BilledQuantity"),
        unit_price=_unit_price(
            xml.amount(price, "ram:ChargeAmount"), xml.amount(price, "ram:BasisQuantity")
        ),
        net_amount=xml.amount(settlement, f"{syntax.line_totals}/ram:LineTotalAmount"),
        tax_rate=xml.amount(settlement, f"ram:ApplicableTradeTax/{syntax.tax_rate}"),
    )
    if line.description is None and line.net_amount is None:
        return None
    return line


def _cii_bic(payment_means: list[Element], xml: _XmlReader) -> str | None:
    """Return the payee's BIC (BT-86): that of the means that gives the IBAN, else the first."""
    bic_path = "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID"
    with_iban = [
        means
        for means in payment_means
        if xml.text(means, "ram:PayeePartyCreditorFinancialAccount/ram:IBANID") is not None
    ]
    # A malformed BIC is kept as read: BIC-CHECK reports it.
    return _compact(
        _first_text(with_iban, bic_path, xml) or _first_text(payment_means, bic_path, xml)
    )


def _cii_vat_id(party: Element | None, xml: _XmlReader) -> str | None:
    registrations = xml.findall(party, "ram:SpecifiedTaxRegistration/ram:ID")
    vat_ids = [r for r in registrations if r.get("schemeID") == "VA"]
    return _compact(vat_ids[0].text) if vat_ids else None


# --- UBL -------------------------------------------------------------------------------------


def _read_ubl(root: Element, xml: _XmlReader) -> _Parsed:
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
        seller_siret=_siret(
            xml.findall(seller, "cac:PartyLegalEntity/cbc:CompanyID")
            + xml.findall(seller, "cac:PartyIdentification/cbc:ID")
        ),
        seller_iban=_iban(xml.text(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID")),
        buyer_name=_ubl_party_name(buyer, xml),
        buyer_vat_id=_ubl_vat_id(buyer, xml),
        po_number=xml.text(root, "cac:OrderReference/cbc:ID"),
        total_net=xml.amount(totals, "cbc:TaxExclusiveAmount"),
        total_tax=xml.decimal(
            _in_currency(xml.findall(root, "cac:TaxTotal/cbc:TaxAmount"), currency)
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
        vat_breakdown=_vat_breakdown(
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
    return _Parsed(fields, lines, _language(None, country), extras, document_kind)


def _ubl_preceding_invoice(root: Element, xml: _XmlReader) -> InvoiceReference | None:
    """Return the first preceding invoice the document names (BG-3), None when none."""
    for reference in xml.findall(root, "cac:BillingReference/cac:InvoiceDocumentReference"):
        number = xml.text(reference, "cbc:ID")
        if number is not None:
            return InvoiceReference(
                number=number, issue_date=xml.iso_date(reference, "cbc:IssueDate")
            )
    return None


def _ubl_line(item: Element, quantity_path: str, xml: _XmlReader) -> Line:
    return Line(
        description=xml.text(item, "cac:Item/cbc:Name"),
        quantity=xml.amount(item, quantity_path),
        unit_price=_unit_price(
            xml.amount(item, "cac:Price/cbc:PriceAmount"),
            xml.amount(item, "cac:Price/cbc:BaseQuantity"),
        ),
        net_amount=xml.amount(item, "cbc:LineExtensionAmount"),
        tax_rate=xml.amount(item, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"),
    )


def _ubl_bic(root: Element, xml: _XmlReader) -> str | None:
    """Return the payee's BIC (BT-86): that of the account that gives the IBAN, else the first.

    UBL 2.1 as EN 16931 maps it keeps the BIC in the account's branch; older producers put it
    in the branch's financial institution.
    """
    accounts = xml.findall(root, "cac:PaymentMeans/cac:PayeeFinancialAccount")
    ordered = [a for a in accounts if _iban(xml.text(a, "cbc:ID"))] + accounts
    for account in ordered:
        bic = xml.text(account, "cac:FinancialInstitutionBranch/cbc:ID") or xml.text(
            account, "cac:FinancialInstitutionBranch/cac:FinancialInstitution/cbc:ID"
        )
        if bic is not None:
            return _compact(bic)
    return None


def _ubl_vat_subtotals(root: Element, currency: str | None, xml: _XmlReader) -> list[Element]:
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


def _ubl_party_name(party: Element | None, xml: _XmlReader) -> str | None:
    """Return the legal name (BT-27), or the trading name where only that is given."""
    return xml.text(party, "cac:PartyLegalEntity/cbc:RegistrationName") or xml.text(
        party, "cac:PartyName/cbc:Name"
    )


def _ubl_vat_id(party: Element | None, xml: _XmlReader) -> str | None:
    for scheme in xml.findall(party, "cac:PartyTaxScheme"):
        if xml.text(scheme, "cac:TaxScheme/cbc:ID") == "VAT":
            return _compact(xml.text(scheme, "cbc:CompanyID"))
    return None


# --- shared ----------------------------------------------------------------------------------


def _unit_price(price: Decimal | None, basis_quantity: Decimal | None) -> Decimal | None:
    """Return the price of one unit: a net price may be stated per basis quantity (BT-149)."""
    if price is None or basis_quantity is None or basis_quantity in (0, 1):
        return price
    return price / basis_quantity


# VAT categories without a rate (EN 16931 BR-O-*, BR-E-*...): their rate is read as zero.
RATELESS_VAT_CATEGORIES = frozenset({"O", "E", "AE", "K", "G", "Z"})


def _vat_breakdown(
    stated: list[tuple[Decimal | None, Decimal | None, Decimal | None, str | None]],
) -> tuple[VatSubtotal, ...]:
    """Return the VAT breakdown from (rate, base, tax, category) as the XML states them.

    A subtotal without base or tax, or without a rate in a category that has one, makes the
    whole breakdown unusable: an empty breakdown lets the rules rebuild it from the lines
    rather than check a partial one.
    """
    breakdown: list[VatSubtotal] = []
    for rate, base, tax, category in stated:
        if rate is None and (category or "").upper() in RATELESS_VAT_CATEGORIES:
            rate = Decimal(0)
        if rate is None or base is None or tax is None:
            return ()
        breakdown.append(VatSubtotal(rate=rate, base=base, tax=tax))
    return tuple(breakdown)


def _first_text(parents: list[Element], path: str, xml: _XmlReader) -> str | None:
    """Return the first non-empty text found at ``path`` under one of ``parents``."""
    for parent in parents:
        text = xml.text(parent, path)
        if text is not None:
            return text
    return None


def _in_currency(amounts: list[Element], currency: str | None) -> Element | None:
    """Return the amount in the invoice currency: BT-110 may come with BT-111 in another."""
    for amount in amounts:
        if amount.get("currencyID") == currency:
            return amount
    return amounts[0] if amounts else None


def _siret(identifiers: list[Element]) -> str | None:
    """Return the SIRET among a party's identifiers, else its SIREN, else None."""
    by_scheme = {
        scheme: value
        for element in identifiers
        if (scheme := element.get("schemeID")) in (SIRET_SCHEME, SIREN_SCHEME)
        and (value := _compact(element.text)) is not None
        and value.isdigit()
        and len(value) in (9, 14)
    }
    return by_scheme.get(SIRET_SCHEME) or by_scheme.get(SIREN_SCHEME)


def _iban(text: str | None) -> str | None:
    value = _compact(text)
    return value if value is not None and IBAN_PATTERN.fullmatch(value) else None


def _compact(text: str | None) -> str | None:
    """Return an identifier compacted as the page readers compact it, None if empty."""
    return compact_identifier(text) or None if text else None


def _language(stated: str | None, seller_country: str | None) -> str | None:
    """Return the document's ISO 639-1 language: as stated, else guessed from the country."""
    if stated:
        return stated[:2].lower()
    if seller_country:
        return LANGUAGE_OF_COUNTRY.get(seller_country.upper())
    return None
