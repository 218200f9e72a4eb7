"""The committed Factur-X samples' XML, and the same XML altered where a test needs a fault:
shared by the official-validation tests and the pipeline tests that run them."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from lxml import etree

from extractors.einvoice import find_embedded_xml
from invoicebot.books.cii import NAMESPACES as CII_NAMESPACES
from invoicebot.books.cii import ExportInvoice, ExportLine, build_cii
from invoicebot.model import DocumentType
from tests.conftest import SAMPLES

# A French seller's invoices: EN 16931 and BASIC profiles.
EN16931_SAMPLE = SAMPLES / "fr-classic-0004-facturx.pdf"
BASIC_SAMPLE = SAMPLES / "fr-boxed-0035-facturx.pdf"


def embedded_xml(pdf: Path) -> str:
    """Return the e-invoice XML ``pdf`` carries."""
    found = find_embedded_xml(pdf.read_bytes(), source=pdf.name)
    assert found is not None
    return found[1].decode("utf-8")


def altered(xml: str, element: str, new_text: str) -> str:
    """Return ``xml`` with the text of the first ``<ram:element>`` replaced."""
    pattern = re.compile(rf"(<ram:{element}[^>]*>)[^<]*(</ram:{element}>)")
    assert pattern.search(xml), element
    return pattern.sub(rf"\g<1>{new_text}\g<2>", xml, count=1)


# The French reform's mentions added to a sample's CII, each where the D16B schema puts it.
BAR_NOTE = (
    "<ram:IncludedNote><ram:Content>{treatment}</ram:Content>"
    "<ram:SubjectCode>BAR</ram:SubjectCode></ram:IncludedNote>"
)
SHIP_TO = (
    "<ram:ShipToTradeParty><ram:Name>Entrepôt de Moirans</ram:Name>{address}</ram:ShipToTradeParty>"
)
SHIP_TO_ADDRESS = (
    "<ram:PostalTradeAddress><ram:PostcodeCode>38430</ram:PostcodeCode>"
    "<ram:LineOne>ZI des Granges</ram:LineOne><ram:CityName>Moirans</ram:CityName>"
    "<ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>"
)


def with_treatment(xml: str, treatment: str = "B2B") -> str:
    """Return ``xml`` with a BAR note (BR-FR-20) saying how the invoice is treated."""
    return xml.replace(
        "</rsm:ExchangedDocument>",
        BAR_NOTE.format(treatment=treatment) + "</rsm:ExchangedDocument>",
    )


def with_ship_to(xml: str, *, address: bool = True) -> str:
    """Return ``xml`` naming a place of delivery (BT-70), with its address (BG-15) or not."""
    party = SHIP_TO.format(address=SHIP_TO_ADDRESS if address else "")
    return xml.replace(
        "<ram:ApplicableHeaderTradeDelivery>", "<ram:ApplicableHeaderTradeDelivery>" + party
    )


def with_vat_point_code(xml: str, code: str) -> str:
    """Return ``xml`` whose VAT breakdown states the VAT point date code ``code`` (BT-8)."""
    pattern = re.compile(
        r"(<ram:BasisAmount>[^<]*</ram:BasisAmount>\s*<ram:CategoryCode>S</ram:CategoryCode>)"
    )
    assert pattern.search(xml)
    return pattern.sub(rf"\g<1><ram:DueDateTypeCode>{code}</ram:DueDateTypeCode>", xml)


def without(xml: str, element: str) -> str:
    """Return ``xml`` without its first ``<ram:element>`` (and what it holds)."""
    pattern = re.compile(rf"<ram:{element}[ >].*?</ram:{element}>", re.DOTALL)
    assert pattern.search(xml), element
    return pattern.sub("", xml, count=1)


def without_buyer_siren(xml: str) -> str:
    """Return ``xml`` whose buyer states no legal registration (BT-47)."""
    start, end = xml.index("<ram:BuyerTradeParty>"), xml.index("</ram:BuyerTradeParty>")
    return xml[:start] + without(xml[start:end], "SpecifiedLegalOrganization") + xml[end:]


# A French seller's credit note of its invoice F2026-0141, in the French platforms'
# EXTENDED-CTC-FR profile (CII D22B): what the official rules of that profile and the French
# CTC rules ask beyond EN 16931 is added to the EN 16931 export of the same credit note.
EXTENDED_CTC_FR = "urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr"
FRENCH_NOTES = (
    ("PMT", "Indemnité forfaitaire pour frais de recouvrement : 40 EUR"),
    ("PMD", "Pénalités de retard : trois fois le taux d'intérêt légal"),
    ("AAB", "Pas d'escompte pour paiement anticipé"),
)


def french_credit_note(
    *,
    number: str = "AV2026-0007",
    credits: str = "F2026-0141",
    document_type: DocumentType = DocumentType.CREDIT_NOTE,
    profile: str = EXTENDED_CTC_FR,
) -> bytes:
    """Return a valid CII credit note (or, with ``document_type``, invoice) of a French
    seller to a French buyer in ``profile``, naming the invoice it credits."""
    document = ExportInvoice(
        invoice_id=1,
        invoice_number=number,
        invoice_date=date(2026, 3, 20),
        due_date=date(2026, 4, 19),
        currency="EUR",
        seller_name="Traiteur Les Saveurs SARL",
        seller_vat_id="FR50464556810",
        seller_siret="46455681000065",
        seller_iban="FR7630004730664096567606071",
        buyer_name="Aurora Tech SAS",
        buyer_vat_id="FR03552081317",
        total_net=Decimal("100.00"),
        total_tax=Decimal("20.00"),
        total_gross=Decimal("120.00"),
        amount_due=Decimal("120.00"),
        lines=(
            ExportLine(
                description="Retour plateaux repas",
                quantity=Decimal(4),
                unit_price=Decimal(25),
                net_amount=Decimal("100.00"),
                tax_rate=Decimal(20),
            ),
        ),
        document_type=document_type,
        preceding_invoice_number=credits if document_type.is_credit else None,
        preceding_invoice_date=date(2026, 3, 13) if document_type.is_credit else None,
    )
    root = etree.fromstring(build_cii(document))
    namespaces = dict(CII_NAMESPACES)
    context = root.find("rsm:ExchangedDocumentContext", namespaces)
    assert context is not None
    guideline = context.find("ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", namespaces)
    assert guideline is not None
    guideline.text = profile
    process = _ram("BusinessProcessSpecifiedDocumentContextParameter")
    process.append(_ram("ID", "B1"))  # BT-23: a deposit of goods invoices (BR-FR-08)
    context.insert(0, process)
    header = root.find("rsm:ExchangedDocument", namespaces)
    assert header is not None
    for code, content in FRENCH_NOTES:  # BR-FR-05: the mandatory mentions as notes
        note = _ram("IncludedNote")
        note.append(_ram("Content", content))
        note.append(_ram("SubjectCode", code))
        header.append(note)
    agreement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
    for party, siren in (("SellerTradeParty", "464556810"), ("BuyerTradeParty", "552081317")):
        address = root.find(f"{agreement}/ram:{party}/ram:PostalTradeAddress", namespaces)
        assert address is not None
        # BT-34 / BT-49: the parties' electronic addresses (BR-FR-12, BR-FR-13), by SIREN.
        electronic = _ram("URIUniversalCommunication")
        electronic.append(_ram("URIID", siren, schemeID="0225"))
        address.addnext(electronic)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _ram(name: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.Element(f"{{{CII_NAMESPACES['ram']}}}{name}", **attributes)
    element.text = text
    return element
