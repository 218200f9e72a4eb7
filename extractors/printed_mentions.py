"""The French reform's mentions as a paper invoice prints them, found in its page text.

Only what a fixed phrase or a check digit makes certain is taken: the category of operation
("Livraison de biens", "Prestation de services"), the option for VAT on debits ("option pour
le paiement de la taxe d'après les débits"), a delivery address label ("Adresse de
livraison"), and the buyer's SIREN: a SIREN or SIRET after its label (SIREN, SIRET, RCS)
whose Luhn check digit holds and which is not the seller's. The learned field reader is not
involved: these are information for the operator (rule FR-REFORM-MENTIONS), never fields.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace

from stdnum.fr import siren, siret

from extractors.base import PageWords
from extractors.templates import layout_text_of_words
from invoicebot.model import (
    Extraction,
    InvoiceExtras,
    InvoiceFields,
    Method,
    OperationCategory,
    ReformMentions,
)

# Phrases are matched on text folded by ``fold``: lower case, no accents, straight quotes.
GOODS = re.compile(r"\b(livraisons? de biens|ventes? de (biens|marchandises))\b")
SERVICES = re.compile(r"\bprestations? de services?\b")
MIXED = re.compile(r"\b(operations? mixtes?|biens et (de )?services|mixte \(biens)")
DEBITS = re.compile(
    r"\b(option|opte)\b[^.\n]{0,60}\b(d'?apres|sur) les debits\b"
    r"|\b(tva|taxe)\b[^.\n]{0,40}\b(d'?apres|sur) (les|ses) debits\b"
)
RECEIPTS = re.compile(r"\b(tva|taxe)\b[^.\n]{0,40}\b(d'?apres|sur) (les|ses) encaissements\b")
DELIVERY_ADDRESS = re.compile(
    r"\b(adresse|lieu) de livraison\b|\blivre a\b|\blivraison a\s*:|\bdelivery address\b"
    r"|\bship(ped)? to\b|\bdeliver(ed)? to\b|\bliefer(adresse|anschrift)\b"
)
# A registration number after its label: "SIREN : 732 829 320", "RCS Lyon 732829320",
# "SIRET 732 829 320 00074". The digits may be grouped by spaces or dots.
REGISTRATION = re.compile(
    r"\b(siren|siret|rcs)\b[^0-9\n]{0,30}?(\d[\d .]{7,20}\d)(?![\d])", re.IGNORECASE
)
BUYER_WORDS = re.compile(r"\b(client|acheteur|destinataire|factur[ee] a|customer|buyer)\b")


def fold(text: str) -> str:
    """Return ``text`` lower-cased without accents, with straight apostrophes."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.replace("\u2019", "'").replace("`", "'")


def operation_category_of(text: str) -> OperationCategory | None:
    """Return the category of operation the text names, or None."""
    folded = fold(text)
    goods, services = bool(GOODS.search(folded)), bool(SERVICES.search(folded))
    if MIXED.search(folded) or (goods and services):
        return OperationCategory.MIXED
    if goods:
        return OperationCategory.GOODS
    if services:
        return OperationCategory.SERVICES
    return None


def debits_option_of(text: str) -> bool | None:
    """Return True when the text states the option for VAT on debits, False when it states
    VAT on receipts, None when it says neither."""
    folded = fold(text)
    if DEBITS.search(folded):
        return True
    if RECEIPTS.search(folded):
        return False
    return None


def registration_sirens(line: str) -> list[str]:
    """Return the SIRENs of the valid SIREN or SIRET numbers printed after their label."""
    found = []
    for match in REGISTRATION.finditer(line):
        # The groups of digits are joined until they make a valid SIRET or SIREN: a number
        # printed next (a street number, a postcode) is not part of it.
        digits, number = "", None
        for group in re.findall(r"\d+", match[2]):
            digits += group
            if len(digits) == 9 and siren.is_valid(digits):
                number = digits
            elif len(digits) == 14 and siret.is_valid(digits):
                number = digits[:9]
            if len(digits) >= 14:
                break
        if number is not None:
            found.append(number)
    return found


def seller_sirens(fields: InvoiceFields) -> set[str]:
    """Return the seller's SIREN as its SIRET and its French VAT number give it."""
    known = set()
    if fields.seller_siret and len(fields.seller_siret) in (9, 14):
        known.add(fields.seller_siret[:9])
    vat_id = fields.seller_vat_id or ""
    if vat_id.startswith("FR") and len(vat_id) == 13 and vat_id[4:].isdigit():
        known.add(vat_id[4:])
    return known


def buyer_siren_of(lines: Sequence[str], fields: InvoiceFields) -> str | None:
    """Return the buyer's SIREN among the labelled registration numbers of the page: one
    that is not the seller's; where the seller's is unknown, one on a line that names the
    buyer ("Client", "Acheteur")."""
    sellers = seller_sirens(fields)
    for line in lines:
        for number in registration_sirens(line):
            if number in sellers:
                continue
            if sellers or BUYER_WORDS.search(fold(line)):
                return number
    return None


def printed_mentions(pages: Sequence[PageWords], fields: InvoiceFields) -> ReformMentions:
    """Return the reform's mentions the pages print (``printed`` True)."""
    text = layout_text_of_words(pages)
    # Columns are two or more spaces apart: a label and its value share a phrase.
    phrases = [phrase for line in text.splitlines() for phrase in re.split(r"\s{2,}", line)]
    flowing = " ".join(text.split())
    return ReformMentions(
        printed=True,
        buyer_siren=buyer_siren_of(phrases, fields),
        delivery_address_printed=bool(DELIVERY_ADDRESS.search(fold(text))),
        operation_category=operation_category_of(flowing),
        vat_on_debits=debits_option_of(flowing),
    )


def with_printed_mentions(extraction: Extraction) -> Extraction:
    """Return a page reading with the mentions its words print in its extras; an e-invoice's
    come from its XML, and a reading without words is returned unchanged."""
    if extraction.method not in (Method.TEXT, Method.OCR) or not extraction.page_words:
        return extraction
    mentions = printed_mentions(extraction.page_words, extraction.fields)
    extras = replace(extraction.extras or InvoiceExtras(), mentions=mentions)
    return extraction.model_copy(update={"extras": extras}).with_page_words(extraction.page_words)
