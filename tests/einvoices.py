"""The committed Factur-X samples' XML, and the same XML altered where a test needs a fault:
shared by the official-validation tests and the pipeline tests that run them."""

from __future__ import annotations

import re
from pathlib import Path

from extractors.einvoice import find_embedded_xml
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
