"""The French reform's mentions found in a paper invoice's page text."""

from __future__ import annotations

import pytest

from extractors import extract_document
from extractors.printed_mentions import (
    debits_option_of,
    operation_category_of,
    printed_mentions,
    registration_sirens,
    with_printed_mentions,
)
from invoicebot.model import Extraction, InvoiceFields, Method, OperationCategory
from tests.conftest import SAMPLES
from tests.unit.extractors.pages import page

SELLER = InvoiceFields(seller_vat_id="FR44732829320", seller_siret="73282932000074")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Catégorie de l'opération : Livraison de biens", OperationCategory.GOODS),
        ("PRESTATION DE SERVICES", OperationCategory.SERVICES),
        ("Livraisons de biens et prestations de services", OperationCategory.MIXED),
        ("Opération mixte (biens et services)", OperationCategory.MIXED),
        ("Services de nettoyage", None),
    ],
)
def test_the_category_of_operation_is_a_fixed_phrase(
    text: str, category: OperationCategory | None
) -> None:
    assert operation_category_of(text) is category


@pytest.mark.parametrize(
    ("text", "debits"),
    [
        ("Option pour le paiement de la taxe d'après les débits", True),
        ("TVA acquittée sur les débits", True),
        ("Le fournisseur a opté pour le paiement de la TVA d\u2019après les débits.", True),
        ("TVA sur les encaissements", False),
        ("Débit de votre compte le 15/12", None),
    ],
)
def test_the_debits_option_is_a_fixed_phrase(text: str, debits: bool | None) -> None:
    assert debits_option_of(text) is debits


@pytest.mark.parametrize(
    ("line", "sirens"),
    [
        ("SIREN : 936 957 935", ["936957935"]),
        ("RCS Grenoble 936.957.935", ["936957935"]),
        ("SIRET 732 829 320 00074 \u2013 TVA FR44732829320", ["732829320"]),
        ("SIREN 936957935 12 rue des Lilas", ["936957935"]),  # the street number is not part
        ("SIREN : 936 957 936", []),  # wrong Luhn key
        ("Commande 936957935", []),  # no label: an order number, maybe
    ],
)
def test_registration_numbers_need_their_label_and_key(line: str, sirens: list[str]) -> None:
    assert registration_sirens(line) == sirens


def test_a_page_printing_every_mention_gives_them_all() -> None:
    pages = [
        page(
            (40, 40, "ACME Fournitures SAS"),
            (40, 52, "SIRET 732 829 320 00074"),
            (320, 100, "Client : Vallée Industries SA"),
            (320, 112, "SIREN 936 957 935"),
            (320, 140, "Adresse de livraison : ZI des Granges, 38430 Moirans"),
            (40, 700, "Catégorie de l'opération : livraison de biens"),
            (40, 712, "Option pour le paiement de la taxe d'après les débits"),
        )
    ]
    mentions = printed_mentions(pages, SELLER)
    assert mentions.printed
    assert mentions.buyer_siren == "936957935"
    assert mentions.delivery_address_printed
    assert mentions.operation_category is OperationCategory.GOODS
    assert mentions.vat_on_debits is True


def test_the_seller_s_own_siren_is_not_the_buyer_s() -> None:
    pages = [page((40, 40, "SIRET 732 829 320 00074"), (40, 60, "RCS Paris 732 829 320"))]
    assert printed_mentions(pages, SELLER).buyer_siren is None
    # Seller unknown: only a number on a line naming the buyer is taken.
    unknown = InvoiceFields()
    assert printed_mentions(pages, unknown).buyer_siren is None
    buyer = [page((40, 40, "Client Vallée Industries SA - SIREN 936 957 935"))]
    assert printed_mentions(buyer, unknown).buyer_siren == "936957935"


def test_a_page_reading_carries_its_printed_mentions() -> None:
    words = [page((40, 40, "Prestation de services"))]
    reading = Extraction(source="a.pdf", sha256="0" * 64, method=Method.TEXT).with_page_words(words)
    extras = with_printed_mentions(reading).extras
    assert extras is not None and extras.mentions is not None
    assert extras.mentions.operation_category is OperationCategory.SERVICES
    # An e-invoice's mentions come from its XML; a reading without words has none.
    einvoice = reading.model_copy(update={"method": Method.EINVOICE}).with_page_words(words)
    assert with_printed_mentions(einvoice).extras is None
    assert with_printed_mentions(reading.with_page_words(())).extras is None


def test_the_cascade_reads_the_mentions_of_a_text_pdf() -> None:
    extraction = extract_document(SAMPLES / "fr-classic-0001.pdf")
    assert extraction.method is Method.TEXT
    assert extraction.extras is not None and extraction.extras.mentions is not None
    # The generated samples predate the reform: they print none of its mentions.
    assert extraction.extras.mentions.printed
    assert extraction.extras.mentions.operation_category is None
    assert extraction.page_words == ()
