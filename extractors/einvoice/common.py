"""What the CII and UBL readers share: the syntaxes and namespaces, the reading's types and
errors, a namespace-aware XML reader and the helpers that turn stated values into fields.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from lxml import etree

from extractors.base import FieldReading, SourceDocument
from extractors.normalize import compact_identifier
from invoicebot.model import (
    DocumentType,
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


class Parsed(NamedTuple):
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
class XmlReader:
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


def unit_price_of(price: Decimal | None, basis_quantity: Decimal | None) -> Decimal | None:
    """Return the price of one unit: a net price may be stated per basis quantity (BT-149)."""
    if price is None or basis_quantity is None or basis_quantity in (0, 1):
        return price
    return price / basis_quantity


# VAT categories without a rate (EN 16931 BR-O-*, BR-E-*...): their rate is read as zero.
RATELESS_VAT_CATEGORIES = frozenset({"O", "E", "AE", "K", "G", "Z"})


def vat_breakdown_of(
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


def first_text(parents: list[Element], path: str, xml: XmlReader) -> str | None:
    """Return the first non-empty text found at ``path`` under one of ``parents``."""
    for parent in parents:
        text = xml.text(parent, path)
        if text is not None:
            return text
    return None


def amount_in_currency(amounts: list[Element], currency: str | None) -> Element | None:
    """Return the amount in the invoice currency: BT-110 may come with BT-111 in another."""
    for amount in amounts:
        if amount.get("currencyID") == currency:
            return amount
    return amounts[0] if amounts else None


def siret_of(identifiers: list[Element]) -> str | None:
    """Return the SIRET among a party's identifiers, else its SIREN, else None."""
    by_scheme = {
        scheme: value
        for element in identifiers
        if (scheme := element.get("schemeID")) in (SIRET_SCHEME, SIREN_SCHEME)
        and (value := compact_id(element.text)) is not None
        and value.isdigit()
        and len(value) in (9, 14)
    }
    return by_scheme.get(SIRET_SCHEME) or by_scheme.get(SIREN_SCHEME)


def iban_of(text: str | None) -> str | None:
    value = compact_id(text)
    return value if value is not None and IBAN_PATTERN.fullmatch(value) else None


def compact_id(text: str | None) -> str | None:
    """Return an identifier compacted as the page readers compact it, None if empty."""
    return compact_identifier(text) or None if text else None


def language_of(stated: str | None, seller_country: str | None) -> str | None:
    """Return the document's ISO 639-1 language: as stated, else guessed from the country."""
    if stated:
        return stated[:2].lower()
    if seller_country:
        return LANGUAGE_OF_COUNTRY.get(seller_country.upper())
    return None
