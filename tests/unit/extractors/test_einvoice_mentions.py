"""The French reform's mentions read from an e-invoice's XML: CII D16B and UBL 2.1."""

from __future__ import annotations

import pytest

from extractors.einvoice import read_einvoice
from extractors.einvoice_mentions import category_of_framework
from invoicebot.model import Extraction, OperationCategory, PostalAddress
from tests.einvoices import (
    EN16931_SAMPLE,
    altered,
    embedded_xml,
    with_ship_to,
    with_treatment,
    with_vat_point_code,
    without,
    without_buyer_siren,
)
from tests.unit.extractors.test_einvoice import UBL_NAMESPACES
from tests.unit.extractors.test_einvoice_extras import ZUGFERD_1

BUYER = PostalAddress(lines=("2 allée des Pins",), city="Grenoble", postcode="38000", country="FR")
SITE = PostalAddress(lines=("ZI des Granges",), city="Moirans", postcode="38430", country="FR")


@pytest.fixture(scope="module")
def sample() -> str:
    return embedded_xml(EN16931_SAMPLE)


def test_cii_states_the_buyer_siren_category_and_address(sample: str) -> None:
    mentions = read_einvoice(sample.encode()).extras.mentions
    assert mentions is not None and not mentions.printed
    assert mentions.buyer_siren == "936957935"
    assert mentions.buyer_country == "FR" and mentions.buyer_address == BUYER
    assert mentions.business_process == "M1"
    assert mentions.operation_category is OperationCategory.MIXED
    # Nothing else stated: no other place of delivery, no VAT point code, no BAR note.
    assert mentions.delivery_place is None and mentions.delivery_address is None
    assert mentions.vat_point_code is None and mentions.vat_on_debits is None
    assert mentions.treatment is None and mentions.debits_statement is None


def test_cii_states_delivery_debits_and_treatment(sample: str) -> None:
    xml = with_treatment(with_vat_point_code(with_ship_to(sample), "5"), "b2b")
    mentions = read_einvoice(xml.encode()).extras.mentions
    assert mentions is not None
    assert mentions.delivery_place == "Entrepôt de Moirans"
    assert mentions.delivery_address == SITE and mentions.delivery_address_printed
    assert (mentions.vat_point_code, mentions.vat_on_debits) == ("5", True)
    assert mentions.treatment == "B2B"


@pytest.mark.parametrize(("code", "debits"), [("5", True), ("72", False), ("29", None)])
def test_the_vat_point_code_says_debits_or_receipts(
    sample: str, code: str, debits: bool | None
) -> None:
    mentions = read_einvoice(with_vat_point_code(sample, code).encode()).extras.mentions
    assert mentions is not None and mentions.vat_on_debits is debits


def test_a_note_stating_the_debits_option_is_kept(sample: str) -> None:
    xml = altered(sample, "Content", "Option pour le paiement de la taxe d'après les débits.")
    mentions = read_einvoice(xml.encode()).extras.mentions
    assert mentions is not None and mentions.vat_on_debits is None
    assert mentions.debits_statement == "Option pour le paiement de la taxe d'après les débits."


def test_a_cii_without_the_mentions_states_none(sample: str) -> None:
    xml = without(without_buyer_siren(sample), "BusinessProcessSpecifiedDocumentContextParameter")
    mentions = read_einvoice(xml.encode()).extras.mentions
    assert mentions is not None
    assert mentions.buyer_siren is None and mentions.business_process is None
    assert mentions.operation_category is None


@pytest.mark.parametrize(
    ("framework", "category"),
    [
        ("B1", OperationCategory.GOODS),
        ("S4", OperationCategory.SERVICES),
        ("M8", OperationCategory.MIXED),
        ("B3", None),  # not in BR-FR-08's list
        ("urn:fdc:peppol.eu:2017:poacc:billing:01:1.0", None),
        (None, None),
    ],
)
def test_the_category_is_the_billing_framework_s_letter(
    framework: str | None, category: OperationCategory | None
) -> None:
    assert category_of_framework(framework) is category


UBL_WITH_MENTIONS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" {UBL_NAMESPACES}>
  <cbc:ProfileID>S1</cbc:ProfileID>
  <cbc:ID>F-2026-77</cbc:ID>
  <cbc:Note>#AAB#Pas d'escompte.</cbc:Note>
  <cbc:Note>#BAR#B2B</cbc:Note>
  <cbc:Note>#TXD#TVA acquittée d'après les débits</cbc:Note>
  <cac:InvoicePeriod><cbc:DescriptionCode>432</cbc:DescriptionCode></cac:InvoicePeriod>
  <cac:AccountingCustomerParty><cac:Party>
    <cac:PostalAddress><cbc:StreetName>2 allée des Pins</cbc:StreetName>
      <cbc:CityName>Grenoble</cbc:CityName><cbc:PostalZone>38000</cbc:PostalZone>
      <cac:Country><cbc:IdentificationCode>fr</cbc:IdentificationCode></cac:Country>
    </cac:PostalAddress>
    <cac:PartyLegalEntity><cbc:RegistrationName>Vallée</cbc:RegistrationName>
      <cbc:CompanyID schemeID="0002">936 957 935</cbc:CompanyID></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:Delivery><cac:DeliveryLocation><cbc:ID schemeID="0088">3014531200108</cbc:ID>
    <cac:Address><cbc:StreetName>ZI des Granges</cbc:StreetName>
      <cbc:CityName>Moirans</cbc:CityName><cbc:PostalZone>38430</cbc:PostalZone>
      <cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country>
    </cac:Address></cac:DeliveryLocation></cac:Delivery>
</Invoice>
"""


def test_ubl_states_the_mentions_in_its_own_places() -> None:
    mentions = read_einvoice(UBL_WITH_MENTIONS.encode()).extras.mentions
    assert mentions is not None
    assert mentions.buyer_siren == "936957935"
    assert mentions.buyer_address == BUYER
    assert mentions.operation_category is OperationCategory.SERVICES
    assert mentions.delivery_place == "3014531200108" and mentions.delivery_address == SITE
    # Paid-to date: VAT on receipts, though a note claims the option for debits.
    assert (mentions.vat_point_code, mentions.vat_on_debits) == ("432", False)
    assert mentions.debits_statement == "TVA acquittée d'après les débits"
    assert mentions.treatment == "B2B"


def test_zugferd_1_predates_the_reform() -> None:
    assert read_einvoice(ZUGFERD_1.encode()).extras.mentions is None


def test_the_mentions_survive_a_json_round_trip(sample: str) -> None:
    extras = read_einvoice(with_ship_to(sample).encode()).extras
    extraction = Extraction(source="a.xml", sha256="0" * 64, extras=extras)
    again = Extraction.model_validate_json(extraction.model_dump_json())
    assert again.extras is not None and again.extras.mentions == extras.mentions
