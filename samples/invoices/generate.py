"""Generate the sample invoice set: realistic invoices beside the extraction they should give.

Each document ``X.pdf`` / ``X.png`` / ``X.jpg`` is written with ``X.json``: the contract's
extraction shape holding what is *printed* on the page, plus ``kind`` (``text-pdf``,
``scanned-pdf``, ``image`` or ``facturx``), ``faults`` (the validation rules that must fail
on that invoice) and, for a resubmitted duplicate, ``duplicate_of``.

Everything is drawn from ``random.Random(seed)``, reportlab runs in invariant mode and the
factur-x clock is frozen, so the same seed gives byte-identical files.

    python -m samples.invoices.generate --out samples/invoices --count 40 --seed 2026
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib
import io
import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path
from typing import Literal
from unittest.mock import patch
from xml.sax.saxutils import escape

import facturx
import numpy as np
import pypdfium2 as pdfium
from lxml import etree
from PIL import Image, ImageFilter
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle
from stdnum import iban, luhn
from stdnum.be import vat as be_vat
from stdnum.de import vat as de_vat
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret
from stdnum.fr import tva as fr_tva
from stdnum.gb import vat as gb_vat
from stdnum.iso7064 import mod_11_10

from invoicebot.model import Extraction, InvoiceFields, Line, Method

# ----------------------------------------------------------------------------------------
# Document kinds and faults
# ----------------------------------------------------------------------------------------


class Kind(StrEnum):
    """How a sample document is made."""

    TEXT_PDF = "text-pdf"
    SCANNED_PDF = "scanned-pdf"
    IMAGE = "image"
    FACTURX = "facturx"


class Fault(StrEnum):
    """A validation rule that must fail on a deliberately faulty sample."""

    TOTALS_MISMATCH = "BR-CO-15"
    LINES_MISMATCH = "BR-CO-10"
    IBAN_CHECK = "IBAN-CHECK"
    VAT_ID_CHECK = "VAT-ID-CHECK"
    SIRET_CHECK = "SIRET-CHECK"
    DUE_DATE_ORDER = "DUE-DATE-ORDER"
    DUPLICATE = "DUPLICATE-INVOICE-NUMBER"


METHOD_BY_KIND: dict[Kind, Method] = {
    Kind.TEXT_PDF: Method.TEXT,
    Kind.SCANNED_PDF: Method.OCR,
    Kind.IMAGE: Method.OCR,
    Kind.FACTURX: Method.EINVOICE,
}

# Faults in the order they are handed out, each with the kind of document that carries it:
# a set of N documents gets the first N // 5, so even a small set has the main ones.
FAULT_PLAN: tuple[tuple[Fault, Kind], ...] = (
    (Fault.TOTALS_MISMATCH, Kind.TEXT_PDF),
    (Fault.DUPLICATE, Kind.SCANNED_PDF),
    (Fault.IBAN_CHECK, Kind.TEXT_PDF),
    (Fault.DUE_DATE_ORDER, Kind.IMAGE),
    (Fault.LINES_MISMATCH, Kind.TEXT_PDF),
    (Fault.SIRET_CHECK, Kind.TEXT_PDF),
    (Fault.VAT_ID_CHECK, Kind.SCANNED_PDF),
    (Fault.DUPLICATE, Kind.IMAGE),
)
DOCUMENTS_PER_FAULT = 5

CENT = Decimal("0.01")
CURRENCY = "EUR"
EN_DASH = "\u2013"


def to_money(value: Decimal) -> Decimal:
    """Return ``value`` rounded half-up to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# ----------------------------------------------------------------------------------------
# Identifiers: every number carries valid check digits unless a fault says otherwise
# ----------------------------------------------------------------------------------------


def random_digits(rng: random.Random, count: int) -> str:
    """Return ``count`` random digits, the first one non-zero."""
    return str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(count - 1))


def make_siret(rng: random.Random) -> str:
    """Return a SIRET whose SIREN and establishment number both pass the Luhn check."""
    siren = random_digits(rng, 8)
    siren += luhn.calc_check_digit(siren)
    establishment = f"{siren}000{rng.randint(1, 9)}"
    return establishment + luhn.calc_check_digit(establishment)


def french_vat_id(siret: str) -> str:
    """Return the French VAT number of a SIRET's SIREN (key = (12 + 3 * SIREN) mod 97)."""
    return "FR" + fr_siren.to_tva(fr_siret.to_siren(siret))


def make_gb_vat_id(rng: random.Random) -> str:
    """Return a UK VAT number whose last two digits make the weighted sum a multiple of 97."""
    body = random_digits(rng, 7)
    weighted = sum(weight * int(digit) for weight, digit in zip(range(8, 1, -1), body, strict=True))
    return f"GB{body}{-weighted % 97:02d}"


def make_de_vat_id(rng: random.Random) -> str:
    """Return a German USt-IdNr. with its ISO 7064 mod 11,10 check digit."""
    body = random_digits(rng, 8)
    return f"DE{body}{mod_11_10.calc_check_digit(body)}"


def make_be_vat_id(rng: random.Random) -> str:
    """Return a Belgian enterprise/VAT number (the check is 97 - body mod 97)."""
    body = "0" + random_digits(rng, 7)
    return f"BE{body}{97 - int(body) % 97:02d}"


def make_vat_id(country: str, rng: random.Random, siret: str | None) -> str:
    """Return a valid VAT number for a party of ``country`` (French ones from the SIREN)."""
    if country == "FR" and siret is not None:
        return french_vat_id(siret)
    makers: dict[str, Callable[[random.Random], str]] = {
        "GB": make_gb_vat_id,
        "DE": make_de_vat_id,
        "BE": make_be_vat_id,
    }
    return makers[country](rng)


def is_valid_vat_id(vat_id: str) -> bool:
    """Return True when a compact VAT number passes its country's check."""
    validators: dict[str, Callable[[str], bool]] = {
        "FR": fr_tva.is_valid,
        "GB": gb_vat.is_valid,
        "DE": de_vat.is_valid,
        "BE": be_vat.is_valid,
    }
    return validators[vat_id[:2]](vat_id)


@dataclass(frozen=True)
class Bank:
    """A bank a seller may hold its account with."""

    name: str
    code: str
    bic: str


BANKS: dict[str, tuple[Bank, ...]] = {
    "FR": (
        Bank("BNP Paribas", "30004", "BNPAFRPPXXX"),
        Bank("Société Générale", "30003", "SOGEFRPPXXX"),
        Bank("Crédit Agricole", "18206", "AGRIFRPP882"),
        Bank("La Banque Postale", "20041", "PSSTFRPPPAR"),
    ),
    "GB": (
        Bank("NatWest", "NWBK", "NWBKGB2L"),
        Bank("Barclays", "BARC", "BARCGB22"),
        Bank("Lloyds Bank", "LOYD", "LOYDGB2L"),
    ),
    "DE": (
        Bank("Stadtsparkasse München", "70150000", "SSKMDEMMXXX"),
        Bank("Hamburger Sparkasse", "20050550", "HASPDEHHXXX"),
        Bank("Commerzbank", "37040044", "COBADEFFXXX"),
    ),
    "BE": (
        Bank("BNP Paribas Fortis", "001", "GEBABEBB"),
        Bank("ING Belgique", "310", "BBRUBEBB"),
        Bank("KBC Bank", "734", "KREDBEBB"),
    ),
}


def french_rib_key(bank: str, branch: str, account: str) -> str:
    """Return the two-digit RIB key of a French account (97 - weighted sum mod 97)."""
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97:02d}"


def make_bban(country: str, bank: Bank, rng: random.Random) -> str:
    """Return a national account number (BBAN) with its national check where there is one."""
    if country == "FR":
        branch, account = f"{rng.randint(0, 99999):05d}", f"{rng.randint(0, 10**11 - 1):011d}"
        return bank.code + branch + account + french_rib_key(bank.code, branch, account)
    if country == "GB":
        return bank.code + f"{rng.randint(100000, 999999)}{rng.randint(0, 10**8 - 1):08d}"
    if country == "DE":
        return bank.code + f"{rng.randint(0, 10**10 - 1):010d}"
    body = bank.code + f"{rng.randint(0, 10**7 - 1):07d}"
    return body + f"{int(body) % 97 or 97:02d}"


def make_iban(country: str, bank: Bank, rng: random.Random) -> str:
    """Return a compact IBAN with valid ISO 7064 mod 97 check digits."""
    bban = make_bban(country, bank, rng)
    return country + iban.calc_check_digits(f"{country}00{bban}") + bban


def grouped(value: str, size: int = 4) -> str:
    """Return ``value`` split into space-separated groups of ``size`` (how IBANs are printed)."""
    return " ".join(value[i : i + size] for i in range(0, len(value), size))


def corrupt_digit(value: str, position: int, is_valid: Callable[[str], bool]) -> str:
    """Return ``value`` with the digit at ``position`` changed so that ``is_valid`` fails."""
    original = int(value[position])
    for step in range(1, 10):
        candidate = value[:position] + str((original + step) % 10) + value[position + 1 :]
        if not is_valid(candidate):
            return candidate
    raise ValueError(f"no single-digit change of {value} at {position} breaks its check")


def transpose_digits(value: str, is_valid: Callable[[str], bool]) -> str:
    """Return ``value`` with two adjacent different digits swapped (a typist's slip)."""
    for i in range(len(value) - 2, 4, -1):
        a, b = value[i], value[i + 1]
        if a != b and a.isdigit() and b.isdigit():
            candidate = value[:i] + b + a + value[i + 2 :]
            if not is_valid(candidate):
                return candidate
    raise ValueError(f"no transposition breaks the check of {value}")


# ----------------------------------------------------------------------------------------
# Parties and catalogues
# ----------------------------------------------------------------------------------------

RateBand = Literal["standard", "intermediate", "reduced", "press"]
Unit = Literal["piece", "hour", "day", "month", "area"]

VAT_RATES: dict[str, dict[RateBand, Decimal]] = {
    "FR": {
        "standard": Decimal("20"),
        "intermediate": Decimal("10"),
        "reduced": Decimal("5.5"),
        "press": Decimal("2.1"),
    },
    "GB": {"standard": Decimal("20")},
    "DE": {"standard": Decimal("19"), "reduced": Decimal("7")},
    "BE": {"standard": Decimal("21"), "intermediate": Decimal("12"), "reduced": Decimal("6")},
}


@dataclass(frozen=True)
class CatalogItem:
    """Something a seller sells: a reference, a description, a price range and a VAT band."""

    reference: str
    description: str
    low: int
    high: int
    band: RateBand = "standard"
    unit: Unit = "piece"


item = CatalogItem  # a short name keeps the catalogue tables readable

CATALOGUES: dict[str, tuple[CatalogItem, ...]] = {
    "office-fr": (
        item("PAP-A4-80", "Ramette papier A4 80 g (500 feuilles)", 4, 9),
        item("TON-305A", "Toner laser noir HP 305A", 60, 115),
        item("CLA-DOS8", "Classeur à levier dos 8 cm", 3, 7),
        item("STY-BL50", "Stylos bille bleus (boîte de 50)", 9, 18),
        item("ENV-C4", "Enveloppes C4 kraft (boîte de 250)", 22, 39),
        item("FAU-ERGO", "Fauteuil de bureau ergonomique", 180, 420),
        item("CAF-GR1K", "Café en grains 1 kg", 14, 28, "reduced"),
        item("EAU-6X15", "Eau minérale 1,5 L (pack de 6)", 2, 5, "reduced"),
        item("LIV-CPT26", "Livre : Comptabilité des entreprises 2026", 25, 60, "reduced"),
        item("POST-IT", "Notes repositionnables 76 x 76 mm (x12)", 8, 16),
    ),
    "services-fr": (
        item("CONS-J", "Prestation de conseil (jour)", 650, 1200, unit="day"),
        item("DEV-J", "Développement logiciel (jour)", 500, 850, unit="day"),
        item("LIC-AN", "Licence logicielle annuelle (utilisateur)", 90, 480),
        item("FORM-J", "Formation inter-entreprises (jour)", 450, 900, unit="day"),
        item("DEPL-TR", "Frais de déplacement (train)", 60, 240, "intermediate"),
        item("HEB-MOIS", "Hébergement serveur dédié (mois)", 80, 350, unit="month"),
        item("SUP-H", "Support technique (heure)", 65, 120, unit="hour"),
        item("AUD-SEC", "Audit de sécurité (forfait)", 1500, 4200),
        item("DOC-TEC", "Documentation technique (forfait)", 400, 1200),
    ),
    "catering-fr": (
        item("PLT-DEJ", "Plateau-repas déjeuner", 18, 32, "intermediate"),
        item("BUF-COC", "Buffet cocktail (par personne)", 25, 55, "intermediate"),
        item("PDJ-PER", "Petit-déjeuner d'accueil (par personne)", 8, 15, "intermediate"),
        item("EAU-6X15", "Eau minérale 1,5 L (pack de 6)", 2, 5, "reduced"),
        item("JUS-1L", "Jus de fruits frais 1 L", 3, 7, "reduced"),
        item("VIN-AOC", "Vin rouge AOC (bouteille)", 9, 26),
        item("SRV-H", "Service en salle (heure)", 30, 45, unit="hour"),
        item("LIV-INS", "Livraison et installation", 40, 120),
        item("LOC-VAIS", "Location de vaisselle (lot)", 35, 90),
    ),
    "print-fr": (
        item("IMP-FLY", "Impression flyers A5 quadri (lot de 1000)", 60, 180),
        item("IMP-BRO", "Brochure 16 pages agrafée (lot de 100)", 150, 480),
        item("IMP-CDV", "Cartes de visite (lot de 500)", 25, 60),
        item("LIV-TEC", "Ouvrage technique relié", 25, 65, "reduced"),
        item("ABO-PQ", "Abonnement presse quotidienne (mois)", 20, 45, "press", "month"),
        item("MAG-HEB", "Magazine hebdomadaire (numéro)", 3, 8, "press"),
        item("PAO-H", "Mise en page PAO (heure)", 45, 80, unit="hour"),
        item("AFF-A2", "Affiches A2 couleur (lot de 50)", 70, 160),
    ),
    "works-fr": (
        item("ISO-M2", "Isolation des combles (m²)", 20, 60, "reduced", "area"),
        item("PEI-M2", "Travaux de peinture (m²)", 15, 35, "intermediate", "area"),
        item("MO-H", "Main d'oeuvre technicien (heure)", 45, 75, "intermediate", "hour"),
        item("CHA-ENT", "Entretien annuel chaudière", 120, 260, "intermediate"),
        item("FOU-DIV", "Fournitures et petit matériel", 20, 180),
        item("DEP-FOR", "Forfait déplacement", 35, 80),
        item("EVA-DEC", "Évacuation des déchets de chantier", 90, 250),
        item("PRO-VMC", "Pose VMC simple flux", 350, 900, "reduced"),
    ),
    "it-en": (
        item("CONS-DAY", "Consultancy services (day rate)", 600, 1100, unit="day"),
        item("HOST-M", "Cloud hosting, business plan (month)", 90, 400, unit="month"),
        item("SUP-HR", "Technical support (hours)", 70, 130, unit="hour"),
        item("LIC-USR", "Software licence, annual (per user)", 80, 450),
        item("WEB-MNT", "Website maintenance retainer (month)", 250, 900, unit="month"),
        item("TRN-HALF", "Training workshop (half day)", 400, 850),
        item("SEC-REV", "Security review (fixed fee)", 1200, 3800),
        item("DOM-REN", "Domain renewal (1 year)", 12, 40),
    ),
    "it-en-fr": (
        item("CONS-DAY", "Consultancy services (day rate)", 600, 1100, unit="day"),
        item("UX-DAY", "UX design workshop (day)", 550, 950, unit="day"),
        item("HOST-M", "Cloud hosting, business plan (month)", 90, 400, unit="month"),
        item("TRV-RAIL", "Rail travel expenses", 60, 240, "intermediate"),
        item("BOOK-UX", "Book: Designing Interfaces", 30, 55, "reduced"),
        item("LIC-USR", "Software licence, annual (per user)", 80, 450),
        item("SUP-HR", "Technical support (hours)", 70, 130, unit="hour"),
    ),
    "office-en": (
        item("CHR-ERG", "Ergonomic office chair", 150, 420),
        item("DSK-ADJ", "Height-adjustable desk", 300, 700),
        item("DCK-USBC", "USB-C docking station", 90, 260),
        item("MON-27", "27-inch monitor", 180, 450),
        item("PAP-A4", "A4 copier paper, 80 gsm (box of 5 reams)", 18, 35),
        item("TNR-BLK", "Laser toner cartridge, black", 55, 120),
        item("LMP-LED", "LED desk lamp", 25, 70),
        item("CAB-3D", "Steel filing cabinet, 3 drawers", 140, 320),
    ),
    "office-de": (
        item("KAF-1KG", "Kaffeebohnen, 1 kg", 14, 32, "reduced"),
        item("PAP-A4", "Kopierpapier A4, 500 Blatt", 4, 9),
        item("WAR-MON", "Wartungsvertrag Kaffeevollautomat (Monat)", 40, 120, unit="month"),
        item("MIL-12", "Milch 1 L (Karton mit 12 Stück)", 10, 18, "reduced"),
        item("BCH-STR", "Fachbuch Steuerrecht 2026", 30, 70, "reduced"),
        item("MON-STD", "Montage vor Ort (Stunden)", 55, 95, unit="hour"),
        item("TON-SW", "Tonerkartusche schwarz", 50, 110),
        item("ORD-8", "Ordner A4, 8 cm (10 Stück)", 18, 32),
    ),
    "it-de": (
        item("BER-STD", "Beratungsleistung (Stunden)", 90, 160, unit="hour"),
        item("SW-LIZ", "Softwarelizenz, jährlich", 120, 600),
        item("NB-14", "Notebook 14 Zoll inkl. Einrichtung", 800, 1600),
        item("SCH-TAG", "Schulung (Tag)", 600, 1100, unit="day"),
        item("FB-ITS", "Fachbuch IT-Sicherheit", 30, 60, "reduced"),
        item("NET-PSCH", "Netzwerkwartung (Pauschale)", 250, 700),
        item("BKP-MON", "Cloud-Backup (Monat)", 35, 150, unit="month"),
    ),
    "events-be": (
        item("REP-MIDI", "Repas de midi (par personne)", 18, 35, "intermediate"),
        item("BOI-FOR", "Forfait boissons (par personne)", 8, 20),
        item("LOC-SAL", "Location de salle (demi-journée)", 250, 700),
        item("MAT-AV", "Matériel audiovisuel", 90, 300),
        item("LIV-PAR", "Livres offerts aux participants", 15, 35, "reduced"),
        item("ACC-CAF", "Accueil café et viennoiseries", 6, 12, "intermediate"),
        item("ANI-SOIR", "Animation musicale (soirée)", 400, 950),
    ),
}


@dataclass(frozen=True)
class Address:
    """A postal address; ``country`` is ISO 3166 alpha-2."""

    street: str
    postcode: str
    city: str
    country: str

    @property
    def city_line(self) -> str:
        """Return the postcode and city in the country's usual order."""
        if self.country == "GB":
            return f"{self.city} {self.postcode}"
        return f"{self.postcode} {self.city}"


LayoutName = Literal["fr-classic", "fr-letter", "fr-boxed", "en-modern", "en-ledger", "de-standard"]
LAYOUT_ORDER: tuple[LayoutName, ...] = (
    "fr-classic",
    "en-modern",
    "fr-letter",
    "de-standard",
    "fr-boxed",
    "en-ledger",
)
FACTURX_LAYOUTS: tuple[LayoutName, ...] = ("fr-classic", "fr-boxed")
SIRET_LAYOUTS: tuple[LayoutName, ...] = ("fr-classic", "fr-boxed")
LANGUAGE_BY_LAYOUT: dict[LayoutName, str] = {
    "fr-classic": "fr",
    "fr-letter": "fr",
    "fr-boxed": "fr",
    "en-modern": "en",
    "en-ledger": "en",
    "de-standard": "de",
}


@dataclass(frozen=True)
class Contact:
    """How to reach a seller, and who runs it."""

    phone: str
    email: str
    manager: str


@dataclass(frozen=True)
class SellerProfile:
    """The fixed part of a seller: who it is, what it sells and how its invoices look."""

    name: str
    address: Address
    layout: LayoutName
    catalogue: str
    color: str
    number_format: str
    contact: Contact


SELLER_PROFILES: tuple[SellerProfile, ...] = (
    SellerProfile(
        "Papeterie Martin & Fils SAS",
        Address("12 rue de la République", "69002", "Lyon", "FR"),
        "fr-classic",
        "office-fr",
        "#1d4e89",
        "F{year}-{n:04d}",
        Contact("04 78 42 17 90", "compta@papeterie-martin.fr", "Jacques Martin"),
    ),
    SellerProfile(
        "Nova Conseil SAS",
        Address("27 boulevard Haussmann", "75009", "Paris", "FR"),
        "fr-classic",
        "services-fr",
        "#6a2c70",
        "F{year}-{n:04d}",
        Contact("01 53 20 48 11", "facturation@nova-conseil.fr", "Claire Nguyen"),
    ),
    SellerProfile(
        "Traiteur Les Saveurs SARL",
        Address("9 quai de la Fosse", "44000", "Nantes", "FR"),
        "fr-classic",
        "catering-fr",
        "#b5452b",
        "F{year}-{n:04d}",
        Contact("02 40 73 58 26", "contact@les-saveurs.fr", "Yann Le Goff"),
    ),
    SellerProfile(
        "Imprimerie du Rhône SARL",
        Address("48 avenue Jean Jaurès", "69007", "Lyon", "FR"),
        "fr-letter",
        "print-fr",
        "#2f5d50",
        "{year}/{n:03d}",
        Contact("04 72 71 30 64", "devis@imprimerie-rhone.fr", "Sophie Perrin"),
    ),
    SellerProfile(
        "Moreau Rénovation SAS",
        Address("5 rue Sainte-Catherine", "33000", "Bordeaux", "FR"),
        "fr-letter",
        "works-fr",
        "#8a5a00",
        "{year}/{n:03d}",
        Contact("05 56 44 12 87", "bureau@moreau-renovation.fr", "Thierry Moreau"),
    ),
    SellerProfile(
        "Ardenne Événements SRL",
        Address("Rue de la Loi 42", "1040", "Bruxelles", "BE"),
        "fr-letter",
        "events-be",
        "#3b3b98",
        "{year}/{n:03d}",
        Contact("+32 2 512 40 96", "factures@ardenne-evenements.be", "Luc Dumont"),
    ),
    SellerProfile(
        "Bureau Plus Distribution SARL",
        Address("14 rue Gustave Eiffel", "31100", "Toulouse", "FR"),
        "fr-boxed",
        "office-fr",
        "#00695c",
        "FA{n:06d}",
        Contact("05 61 40 22 13", "adv@bureauplus.fr", "Karim Benali"),
    ),
    SellerProfile(
        "Logiciels Azur SAS",
        Address("400 promenade des Anglais", "06200", "Nice", "FR"),
        "fr-boxed",
        "services-fr",
        "#0d47a1",
        "FA{n:06d}",
        Contact("04 93 21 65 09", "comptabilite@logiciels-azur.fr", "Émilie Rossi"),
    ),
    SellerProfile(
        "Brightwave Digital Ltd",
        Address("221 Deansgate", "M3 4EN", "Manchester", "GB"),
        "en-modern",
        "it-en",
        "#e4572e",
        "INV-{n:05d}",
        Contact("+44 161 496 0732", "accounts@brightwave.co.uk", "Oliver Grant"),
    ),
    SellerProfile(
        "Kestrel Cloud Services Ltd",
        Address("18 Charlotte Street", "W1T 2LZ", "London", "GB"),
        "en-modern",
        "it-en",
        "#0f766e",
        "INV-{n:05d}",
        Contact("+44 20 7946 0381", "billing@kestrelcloud.co.uk", "Priya Shah"),
    ),
    SellerProfile(
        "Studio Céleste SAS",
        Address("3 place Bellecour", "69002", "Lyon", "FR"),
        "en-modern",
        "it-en-fr",
        "#7c3aed",
        "INV-{n:05d}",
        Contact("+33 4 78 92 15 40", "billing@studio-celeste.fr", "Léa Fontaine"),
    ),
    SellerProfile(
        "Harper & Cole Office Supplies Ltd",
        Address("Unit 4, Riverside Park", "BS1 6QF", "Bristol", "GB"),
        "en-ledger",
        "office-en",
        "#374151",
        "{n:06d}",
        Contact("+44 117 496 0518", "sales@harpercole.co.uk", "Edward Harper"),
    ),
    SellerProfile(
        "Northgate Systems Ltd",
        Address("10 Park Row", "LS1 5HD", "Leeds", "GB"),
        "en-ledger",
        "it-en",
        "#1e3a8a",
        "{n:06d}",
        Contact("+44 113 496 0274", "finance@northgate-systems.co.uk", "Rachel Moore"),
    ),
    SellerProfile(
        "Berger Bürotechnik GmbH",
        Address("Leopoldstraße 28", "80802", "München", "DE"),
        "de-standard",
        "office-de",
        "#c62828",
        "RE-{year}-{n:04d}",
        Contact("+49 89 2189 4410", "buchhaltung@berger-buerotechnik.de", "Stefan Berger"),
    ),
    SellerProfile(
        "Hoffmann & Partner IT-Service GmbH",
        Address("Neuer Wall 15", "20354", "Hamburg", "DE"),
        "de-standard",
        "it-de",
        "#283593",
        "RE-{year}-{n:04d}",
        Contact("+49 40 3570 2281", "rechnung@hoffmann-it.de", "Katrin Hoffmann"),
    ),
)


@dataclass(frozen=True)
class Seller:
    """A seller with its identifiers and bank account (drawn per seed)."""

    profile: SellerProfile
    vat_id: str
    siret: str | None
    registration: str
    bank: Bank
    iban: str
    capital: int

    @property
    def name(self) -> str:
        """Return the seller's legal name."""
        return self.profile.name

    @property
    def address(self) -> Address:
        """Return the seller's head-office address."""
        return self.profile.address

    @property
    def country(self) -> str:
        """Return the seller's country (ISO 3166 alpha-2)."""
        return self.profile.address.country

    @property
    def color(self) -> Color:
        """Return the seller's brand colour."""
        return HexColor(self.profile.color)


def make_registration(country: str, city: str, siret: str | None, rng: random.Random) -> str:
    """Return the company-register mention printed in the seller's footer."""
    if country == "FR" and siret is not None:
        return f"RCS {city} {fr_siren.format(siret[:9])}"
    if country == "GB":
        return f"Registered in England and Wales No. {rng.randint(1, 15999999):08d}"
    if country == "DE":
        return f"Amtsgericht {city} HRB {rng.randint(10000, 249999)}"
    return f"RPM {city}"


def make_seller(profile: SellerProfile, rng: random.Random) -> Seller:
    """Return ``profile`` with identifiers, register number and bank account drawn from ``rng``."""
    country = profile.address.country
    siret = make_siret(rng) if country == "FR" else None
    bank = rng.choice(BANKS[country])
    return Seller(
        profile=profile,
        vat_id=make_vat_id(country, rng, siret),
        siret=siret,
        registration=make_registration(country, profile.address.city, siret, rng),
        bank=bank,
        iban=make_iban(country, bank, rng),
        capital=rng.choice((8000, 10000, 50000, 120000, 500000)),
    )


@dataclass(frozen=True)
class BuyerProfile:
    """A customer: name, address and how its purchase-order numbers look."""

    name: str
    address: Address
    po_format: str


BUYER_PROFILES: tuple[BuyerProfile, ...] = (
    BuyerProfile(
        "Aurora Tech SAS",
        Address("15 rue des Entrepreneurs", "75015", "Paris", "FR"),
        "PO-{n:05d}",
    ),
    BuyerProfile(
        "Vallée Industries SA",
        Address("2 allée des Pins", "38000", "Grenoble", "FR"),
        "BC{year}-{n:04d}",
    ),
    BuyerProfile(
        "Horizon Logistique SARL",
        Address("8 rue de l'Industrie", "59000", "Lille", "FR"),
        "CMD-{n:04d}",
    ),
    BuyerProfile(
        "Clinique Saint-Roch SAS",
        Address("56 avenue du Pont Juvénal", "34000", "Montpellier", "FR"),
        "CSR-{year}-{n:03d}",
    ),
    BuyerProfile(
        "Blue Harbour Analytics Ltd",
        Address("5 Wellington Place", "LS1 4AP", "Leeds", "GB"),
        "BH-PO-{n:04d}",
    ),
    BuyerProfile(
        "Meridian Hotels Group Ltd",
        Address("1 Harbour Exchange Square", "E14 9GE", "London", "GB"),
        "MHG/{n:04d}",
    ),
    BuyerProfile(
        "Keller Maschinenbau GmbH",
        Address("Industriestraße 12", "70565", "Stuttgart", "DE"),
        "45{n:08d}",
    ),
)


@dataclass(frozen=True)
class Buyer:
    """A customer with its VAT number and its account code at the seller."""

    profile: BuyerProfile
    vat_id: str
    account: str

    @property
    def name(self) -> str:
        """Return the customer's legal name."""
        return self.profile.name

    @property
    def address(self) -> Address:
        """Return the customer's billing address."""
        return self.profile.address


def make_buyer(profile: BuyerProfile, rng: random.Random) -> Buyer:
    """Return ``profile`` with a valid VAT number and a customer account code."""
    country = profile.address.country
    siret = make_siret(rng) if country == "FR" else None
    return Buyer(profile, make_vat_id(country, rng, siret), f"C{rng.randint(1000, 9999)}")


# ----------------------------------------------------------------------------------------
# Invoices and their arithmetic
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceLine:
    """One billed item; ``net_amount`` is quantity x unit price rounded to the cent."""

    reference: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal

    @property
    def net_amount(self) -> Decimal:
        """Return the line's net amount."""
        return to_money(self.quantity * self.unit_price)


@dataclass(frozen=True)
class VatSubtotal:
    """The VAT due at one rate: base x rate, rounded half-up to the cent."""

    rate: Decimal
    base: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Totals:
    """The VAT breakdown and the net, tax and gross totals as printed."""

    vat: tuple[VatSubtotal, ...]
    net: Decimal
    tax: Decimal
    gross: Decimal


def compute_totals(lines: Sequence[InvoiceLine]) -> Totals:
    """Return the VAT breakdown (one subtotal per rate, highest first) and the totals."""
    bases: dict[Decimal, Decimal] = {}
    for line in lines:
        bases[line.tax_rate] = bases.get(line.tax_rate, Decimal("0")) + line.net_amount
    vat = tuple(
        VatSubtotal(rate, base, to_money(base * rate / 100))
        for rate, base in sorted(bases.items(), reverse=True)
    )
    net = sum((subtotal.base for subtotal in vat), Decimal("0"))
    tax = sum((subtotal.tax for subtotal in vat), Decimal("0"))
    return Totals(vat, net, tax, net + tax)


@dataclass(frozen=True)
class PrintedIdentifiers:
    """The seller identifiers as printed on one invoice (a fault may have broken one)."""

    vat_id: str
    siret: str | None
    iban: str


@dataclass(frozen=True)
class Invoice:
    """Everything printed on one invoice."""

    seller: Seller
    buyer: Buyer
    number: str
    issue_date: date
    due_date: date
    delivery_date: date
    payment_days: int
    po_number: str | None
    lines: tuple[InvoiceLine, ...]
    totals: Totals
    deposit: Decimal
    printed: PrintedIdentifiers
    show_buyer_vat: bool
    penalty_rate: str

    @property
    def amount_due(self) -> Decimal:
        """Return what is left to pay: the gross total less any deposit already paid."""
        return self.totals.gross - self.deposit

    @property
    def layout(self) -> LayoutName:
        """Return the layout the seller's invoicing software prints with."""
        return self.seller.profile.layout


def quantity_for(catalog_item: CatalogItem, rng: random.Random) -> Decimal:
    """Return a plausible quantity: few of the expensive items, halves for time."""
    if catalog_item.unit in ("hour", "day"):
        top = 24 if catalog_item.unit == "hour" else 10
        return Decimal(rng.randint(1, top * 2)) / 2
    if catalog_item.unit == "month":
        return Decimal(rng.choice((1, 1, 1, 3, 6, 12)))
    if catalog_item.unit == "area":
        return Decimal(rng.randint(8, 140))
    if catalog_item.high >= 300:
        return Decimal(rng.randint(1, 3))
    return Decimal(rng.choice((1, 2, 2, 3, 4, 5, 6, 10, 12, 20, 24)))


def draw_lines(seller: Seller, rng: random.Random, minimum: int = 1) -> tuple[InvoiceLine, ...]:
    """Return 1-10 distinct lines from the seller's catalogue, priced at random."""
    catalogue = CATALOGUES[seller.profile.catalogue]
    wanted = rng.choices(range(1, 11), weights=(8, 14, 16, 14, 12, 9, 7, 6, 4, 3))[0]
    count = min(max(wanted, minimum), len(catalogue))
    rates = VAT_RATES[seller.country]
    return tuple(
        InvoiceLine(
            reference=chosen.reference,
            description=chosen.description,
            quantity=quantity_for(chosen, rng).normalize(),
            unit_price=Decimal(rng.randint(chosen.low * 100, chosen.high * 100)) / 100,
            tax_rate=rates[chosen.band],
        )
        for chosen in rng.sample(catalogue, count)
    )


def draw_deposit(gross: Decimal, rng: random.Random) -> Decimal:
    """Return a deposit already paid (a round 30 % of the gross) on about one invoice in eight."""
    if rng.random() >= 0.125 or gross < 200:
        return Decimal("0.00")
    return to_money((gross * Decimal("0.3")).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def format_reference(template: str, day: date, number: int) -> str:
    """Return a document number from a template such as ``F{year}-{n:04d}``."""
    return template.format(year=day.year, n=number)


@dataclass
class SellerLedger:
    """A seller's running invoice number and date, so its invoices follow each other."""

    next_number: int
    last_date: date

    def advance(self, rng: random.Random) -> tuple[int, date]:
        """Return the next invoice number and issue date, a few days to weeks later."""
        self.next_number += rng.randint(1, 37)
        self.last_date += timedelta(days=rng.randint(4, 30))
        return self.next_number, self.last_date


def draft_invoice(
    seller: Seller, buyer: Buyer, ledger: SellerLedger, rng: random.Random, min_lines: int = 1
) -> Invoice:
    """Return a clean invoice: valid identifiers, consistent totals, due after issue."""
    number, issue_date = ledger.advance(rng)
    lines = draw_lines(seller, rng, min_lines)
    totals = compute_totals(lines)
    payment_days = rng.choice((30, 30, 30, 45, 60))
    po_number = None
    if rng.random() < 0.6:
        po_number = format_reference(buyer.profile.po_format, issue_date, rng.randint(100, 99999))
    # ERP-style and intra-EU layouts always print the customer's VAT number.
    always_buyer_vat = seller.profile.layout in ("fr-boxed", "en-ledger", "de-standard")
    return Invoice(
        seller=seller,
        buyer=buyer,
        number=format_reference(seller.profile.number_format, issue_date, number),
        issue_date=issue_date,
        due_date=issue_date + timedelta(days=payment_days),
        delivery_date=issue_date - timedelta(days=rng.randint(0, 6)),
        payment_days=payment_days,
        po_number=po_number,
        lines=lines,
        totals=totals,
        deposit=draw_deposit(totals.gross, rng),
        printed=PrintedIdentifiers(seller.vat_id, seller.siret, seller.iban),
        show_buyer_vat=always_buyer_vat or rng.random() < 0.5,
        penalty_rate=rng.choice(("10", "12,15", "15")),
    )


def apply_fault(invoice: Invoice, fault: Fault, rng: random.Random) -> Invoice:
    """Return ``invoice`` with one deliberate mistake printed on it."""
    printed = invoice.printed
    if fault is Fault.TOTALS_MISMATCH:
        error = rng.choice((Decimal("10.00"), Decimal("1.00"), Decimal("100.00")))
        totals = replace(invoice.totals, gross=invoice.totals.gross + error)
        return replace(invoice, totals=totals, deposit=Decimal("0.00"))
    if fault is Fault.LINES_MISMATCH:
        # The totals forgot the last line: the table lists it, the sums do not count it.
        return replace(invoice, totals=compute_totals(invoice.lines[:-1]))
    if fault is Fault.DUE_DATE_ORDER:
        due_date = invoice.issue_date - timedelta(days=invoice.payment_days)
        return replace(invoice, due_date=due_date)
    if fault is Fault.IBAN_CHECK:
        broken = transpose_digits(printed.iban, iban.is_valid)
        return replace(invoice, printed=replace(printed, iban=broken))
    if fault is Fault.VAT_ID_CHECK:
        # Position 3 is the second digit of the French key, a body digit elsewhere.
        broken = corrupt_digit(printed.vat_id, 3, is_valid_vat_id)
        return replace(invoice, printed=replace(printed, vat_id=broken))
    if fault is Fault.SIRET_CHECK and printed.siret is not None:
        broken = corrupt_digit(printed.siret, 13, fr_siret.is_valid)
        return replace(invoice, printed=replace(printed, siret=broken))
    raise ValueError(f"{fault} cannot be printed on invoice {invoice.number}")


# ----------------------------------------------------------------------------------------
# Printed formats: dates, amounts, rates and quantities as each layout writes them
# ----------------------------------------------------------------------------------------

FRENCH_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
ENGLISH_MONTHS = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
]


def date_numeric(day: date) -> str:
    """Return ``14/11/2026``."""
    return day.strftime("%d/%m/%Y")


def date_french_long(day: date) -> str:
    """Return ``14 novembre 2026``."""
    return f"{day.day} {FRENCH_MONTHS[day.month - 1]} {day.year}"


def date_english_short(day: date) -> str:
    """Return ``Nov 14, 2026``."""
    return f"{ENGLISH_MONTHS[day.month - 1]} {day.day}, {day.year}"


def date_iso(day: date) -> str:
    """Return ``2026-11-14``."""
    return day.isoformat()


def date_german(day: date) -> str:
    """Return ``14.11.2026``."""
    return day.strftime("%d.%m.%Y")


@dataclass(frozen=True)
class Formats:
    """How a layout prints dates, numbers, money (``pattern`` places the currency) and rates."""

    date: Callable[[date], str]
    thousands: str
    decimal_mark: str
    pattern: str
    rate_suffix: str
    rate_places: int | None = None

    def number(self, value: Decimal, places: int = 2) -> str:
        """Return ``value`` with this layout's separators and no currency."""
        integer, _, fraction = f"{value:,.{places}f}".partition(".")
        integer = integer.replace(",", self.thousands)
        return f"{integer}{self.decimal_mark}{fraction}" if places else integer

    def amount(self, value: Decimal) -> str:
        """Return ``value`` as money, with the currency where this layout puts it."""
        return self.pattern.format(self.number(value))

    def rate(self, rate: Decimal) -> str:
        """Return a VAT rate such as ``5,5 %``, ``20%`` or ``20,00``."""
        if self.rate_places is not None:
            return self.number(rate, self.rate_places) + self.rate_suffix
        return self.quantity(rate) + self.rate_suffix

    def quantity(self, value: Decimal) -> str:
        """Return a quantity without trailing zeros (``3``, ``7,5``)."""
        if value == value.to_integral_value():
            return str(int(value))
        return format(value.normalize(), "f").replace(".", self.decimal_mark)


FORMATS: dict[LayoutName, Formats] = {
    "fr-classic": Formats(date_numeric, " ", ",", "{} €", " %"),
    "fr-letter": Formats(date_french_long, " ", ",", "{} €", " %"),
    "fr-boxed": Formats(date_numeric, " ", ",", "{}", "", rate_places=2),
    "en-modern": Formats(date_english_short, ",", ".", "€{}", "%"),
    "en-ledger": Formats(date_iso, ",", ".", "{} EUR", "%"),
    "de-standard": Formats(date_german, ".", ",", "{} €", " %"),
}
# Belgian sellers group thousands with a dot, as their accounting software does.
BELGIAN_LETTER_FORMATS = replace(FORMATS["fr-letter"], thousands=".")


def formats_for(invoice: Invoice) -> Formats:
    """Return the formats the invoice's layout uses for its seller."""
    if invoice.layout == "fr-letter" and invoice.seller.country == "BE":
        return BELGIAN_LETTER_FORMATS
    return FORMATS[invoice.layout]


def format_siret(siret: str) -> str:
    """Return a SIRET as printed: ``732 829 320 00074``."""
    return f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"


def format_vat_id(vat_id: str) -> str:
    """Return a VAT number as its country prints it (``FR 44 732829320``, ``GB 123 4567 89``)."""
    country, body = vat_id[:2], vat_id[2:]
    if country == "FR":
        return f"FR {body[:2]} {body[2:]}"
    if country == "GB":
        return f"GB {body[:3]} {body[3:7]} {body[7:]}"
    if country == "BE":
        return f"BE {body[:4]}.{body[4:7]}.{body[7:]}"
    return vat_id


COUNTRY_NAMES: dict[str, dict[str, str]] = {
    "fr": {"FR": "France", "GB": "Royaume-Uni", "DE": "Allemagne", "BE": "Belgique"},
    "en": {"FR": "France", "GB": "United Kingdom", "DE": "Germany", "BE": "Belgium"},
    "de": {"FR": "Frankreich", "GB": "Großbritannien", "DE": "Deutschland", "BE": "Belgien"},
}


# ----------------------------------------------------------------------------------------
# Legal mentions
# ----------------------------------------------------------------------------------------


def french_legal_terms(invoice: Invoice) -> str:
    """Return the payment terms and late-payment mentions French law requires."""
    return (
        f"Conditions de paiement : {invoice.payment_days} jours date de facture, par virement. "
        "Pas d'escompte pour paiement anticipé. En cas de retard de paiement, des pénalités "
        f"au taux annuel de {invoice.penalty_rate} % seront exigibles, ainsi qu'une indemnité "
        "forfaitaire pour frais de recouvrement de 40 € (art. L441-10 et D441-5 du Code de "
        "commerce)."
    )


def belgian_legal_terms(invoice: Invoice) -> str:
    """Return the payment terms and late-payment mentions of a Belgian seller."""
    return (
        f"Conditions : paiement à {invoice.payment_days} jours par virement. Tout montant "
        "impayé à l'échéance porte de plein droit un intérêt de retard conformément à la loi "
        "du 2 août 2002 concernant la lutte contre le retard de paiement, ainsi qu'une "
        "indemnité forfaitaire de 40 €."
    )


def french_company_line(invoice: Invoice) -> str:
    """Return the French identity footer: legal form, capital, RCS, SIRET and VAT number."""
    seller, printed = invoice.seller, invoice.printed
    legal_form = seller.name.rsplit(" ", 1)[-1]
    capital = f"{seller.capital:,}".replace(",", " ")
    parts = [
        seller.name,
        f"{legal_form} au capital de {capital} €",
        seller.registration,
        f"SIRET {format_siret(printed.siret or '')}",
        f"N° TVA intracommunautaire {format_vat_id(printed.vat_id)}",
    ]
    return f" {EN_DASH} ".join(parts)


def belgian_company_line(invoice: Invoice) -> str:
    """Return the Belgian identity footer: registered office, RPM and VAT number."""
    seller = invoice.seller
    parts = [
        seller.name,
        f"Siège social : {seller.address.street}, {seller.address.city_line}",
        seller.registration,
        f"TVA {format_vat_id(invoice.printed.vat_id)}",
    ]
    return f" {EN_DASH} ".join(parts)


def english_legal_terms(invoice: Invoice) -> str:
    """Return the payment terms and late-payment mention of an English-language seller."""
    if invoice.seller.country == "FR":
        return (
            f"Payment terms: {invoice.payment_days} days from invoice date. No discount for "
            "early payment. Late payment: penalties at an annual rate of "
            f"{invoice.penalty_rate.replace(',', '.')}% plus a fixed recovery fee of €40 "
            "(French Commercial Code, art. L441-10)."
        )
    return (
        f"Payment terms: {invoice.payment_days} days from invoice date. Please quote invoice "
        f"{invoice.number} as the payment reference. We reserve the right to charge interest "
        "on late payments under the Late Payment of Commercial Debts (Interest) Act 1998."
    )


def english_company_line(invoice: Invoice) -> str:
    """Return the English-language identity footer."""
    seller, printed = invoice.seller, invoice.printed
    address = f"{seller.address.street}, {seller.address.city_line}"
    vat_id = format_vat_id(printed.vat_id)
    if seller.country == "FR":
        siret = format_siret(printed.siret or "")
        parts = [seller.name, seller.registration, f"SIRET {siret}", f"VAT No. {vat_id}", address]
    else:
        parts = [seller.name, seller.registration, f"Registered office: {address}"]
        parts.append(f"VAT Reg. No. {vat_id}")
    return " · ".join(parts)


# ----------------------------------------------------------------------------------------
# Drawing toolkit (reportlab)
# ----------------------------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = A4
TOP = PAGE_HEIGHT
MARGIN = 42.0
RIGHT = PAGE_WIDTH - MARGIN
CONTENT_WIDTH = RIGHT - MARGIN
INK = HexColor("#1f2328")
MUTED = HexColor("#5b6470")
RULE = HexColor("#c5ccd6")
SHADE = HexColor("#eef1f5")
SANS, SANS_BOLD = "Helvetica", "Helvetica-Bold"
SERIF, SERIF_BOLD = "Times-Roman", "Times-Bold"
MONO = "Courier"

Align = Literal["left", "right", "center"]
Command = tuple[object, ...]


def table_style(
    commands: Sequence[Command],
    *,
    right: Sequence[int] = (),
    padding: tuple[float, float] = (4, 5),
) -> list[Command]:
    """Return table commands plus uniform (vertical, horizontal) padding and right-aligned
    columns."""
    vertical, horizontal = padding
    return [
        *commands,
        *(("ALIGN", (column, 0), (column, -1), "RIGHT") for column in right),
        ("TOPPADDING", (0, 0), (-1, -1), vertical),
        ("BOTTOMPADDING", (0, 0), (-1, -1), vertical),
        ("LEFTPADDING", (0, 0), (-1, -1), horizontal),
        ("RIGHTPADDING", (0, 0), (-1, -1), horizontal),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]


def initials(name: str) -> str:
    """Return up to two initials of a company name, skipping legal forms and small words."""
    skipped = {"SAS", "SARL", "SA", "SRL", "Ltd", "GmbH", "&", "du", "de", "Les"}
    words = [word for word in name.replace("-", " ").split() if word not in skipped]
    return "".join(word[0] for word in words[:2]).upper()


class Sheet:
    """One page being drawn: the reportlab canvas and the primitives the layouts share.

    Coordinates are reportlab's (points, origin bottom-left); layouts write ``TOP - n``.
    """

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = 9,
        font: str = SANS,
        color: Color = INK,
        align: Align = "left",
    ) -> None:
        """Draw one line of text anchored at ``x`` by its left, right or centre."""
        self.canvas.setFont(font, size)
        self.canvas.setFillColor(color)
        draw = {
            "left": self.canvas.drawString,
            "right": self.canvas.drawRightString,
            "center": self.canvas.drawCentredString,
        }[align]
        draw(x, y, text)

    def stack(
        self,
        x: float,
        y: float,
        rows: Sequence[str],
        *,
        size: float = 9,
        leading: float = 12,
        font: str = SANS,
        color: Color = INK,
        align: Align = "left",
    ) -> float:
        """Draw rows downwards from baseline ``y``; return the baseline after the last."""
        for row in rows:
            self.text(x, y, row, size=size, font=font, color=color, align=align)
            y -= leading
        return y

    def pairs(
        self,
        x: float,
        y: float,
        rows: Sequence[tuple[str, str]],
        *,
        value_x: float,
        size: float = 9,
        leading: float = 13,
        label_font: str = SANS,
        label_color: Color = MUTED,
        value_font: str = SANS_BOLD,
        value_align: Align = "left",
    ) -> float:
        """Draw ``label  value`` rows on shared baselines; return the baseline after the last."""
        for label, value in rows:
            self.text(x, y, label, size=size, font=label_font, color=label_color)
            self.text(value_x, y, value, size=size, font=value_font, align=value_align)
            y -= leading
        return y

    def table(
        self,
        x: float,
        top: float,
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        style: Sequence[Command],
    ) -> float:
        """Draw a table whose top edge is at ``top``; return the y of its bottom edge."""
        table = Table([list(row) for row in rows], colWidths=list(widths))
        table.setStyle(TableStyle(list(style)))
        _, height = table.wrapOn(self.canvas, sum(widths), PAGE_HEIGHT)
        table.drawOn(self.canvas, x, top - height)
        return float(top - height)

    def paragraph(
        self,
        x: float,
        top: float,
        width: float,
        text: str,
        *,
        size: float = 7,
        font: str = SANS,
        color: Color = MUTED,
        centred: bool = True,
    ) -> float:
        """Draw wrapped text whose first line starts at ``top``; return the y below it."""
        style = ParagraphStyle(
            "paragraph",
            fontName=font,
            fontSize=size,
            leading=size * 1.3,
            textColor=color,
            alignment=TA_CENTER if centred else TA_LEFT,
        )
        paragraph = Paragraph(escape(text), style)
        _, height = paragraph.wrapOn(self.canvas, width, PAGE_HEIGHT)
        paragraph.drawOn(self.canvas, x, top - height)
        return float(top - height)

    def fill(self, x: float, y: float, width: float, height: float, color: Color) -> None:
        """Paint a rectangle whose bottom-left corner is (x, y)."""
        self.canvas.setFillColor(color)
        self.canvas.rect(x, y, width, height, stroke=0, fill=1)

    def frame(self, x: float, y: float, width: float, height: float, line_width: float) -> None:
        """Outline a rectangle whose bottom-left corner is (x, y)."""
        self.canvas.setStrokeColor(INK)
        self.canvas.setLineWidth(line_width)
        self.canvas.rect(x, y, width, height, stroke=1, fill=0)

    def rule(
        self, x0: float, y: float, x1: float, *, color: Color = RULE, width: float = 0.6
    ) -> None:
        """Draw a horizontal rule."""
        self.canvas.setStrokeColor(color)
        self.canvas.setLineWidth(width)
        self.canvas.line(x0, y, x1, y)

    def logo(self, x: float, y: float, size: float, seller: Seller, *, disc: bool) -> None:
        """Draw a brand mark: the seller's initials in a coloured square or disc."""
        self.canvas.setFillColor(seller.color)
        if disc:
            self.canvas.circle(x + size / 2, y + size / 2, size / 2, stroke=0, fill=1)
        else:
            self.canvas.roundRect(x, y, size, size, size / 6, stroke=0, fill=1)
        middle, baseline = x + size / 2, y + size * 0.32
        mark = initials(seller.name)
        self.text(
            middle, baseline, mark, size=size * 0.42, font=SANS_BOLD, color=white, align="center"
        )


LineCell = Literal["position", "reference", "description", "quantity", "price", "rate", "net"]
NUMERIC_CELLS: frozenset[LineCell] = frozenset({"quantity", "price", "rate", "net"})


@dataclass(frozen=True)
class LineColumn:
    """One column of a lines table: its header, what it shows and its width (0 = the rest)."""

    header: str
    cell: LineCell
    width: float = 0


def line_cell(cell: LineCell, position: int, line: InvoiceLine, formats: Formats) -> str:
    """Return the text of one cell of the lines table."""
    if cell == "position":
        return str(position)
    if cell == "reference":
        return line.reference
    if cell == "description":
        return line.description
    if cell == "quantity":
        return formats.quantity(line.quantity)
    if cell == "price":
        return formats.number(line.unit_price)
    if cell == "rate":
        return formats.rate(line.tax_rate)
    return formats.number(line.net_amount)


def draw_lines_table(
    sheet: Sheet,
    top: float,
    invoice: Invoice,
    columns: Sequence[LineColumn],
    commands: Sequence[Command],
    padding: tuple[float, float] = (4, 5),
) -> float:
    """Draw the full-width table of invoice lines under a header row; return its bottom."""
    spare = CONTENT_WIDTH - sum(column.width for column in columns)
    widths = [column.width or spare for column in columns]
    formats = formats_for(invoice)
    rows = [[column.header for column in columns]]
    for position, line in enumerate(invoice.lines, start=1):
        rows.append([line_cell(column.cell, position, line, formats) for column in columns])
    numeric = [i for i, column in enumerate(columns) if column.cell in NUMERIC_CELLS]
    style = table_style(commands, right=numeric, padding=padding)
    return sheet.table(MARGIN, top, rows, widths, style)


def buyer_rows(invoice: Invoice, vat_label: str) -> list[str]:
    """Return the buyer's address lines, with its VAT number when the layout prints it."""
    address = invoice.buyer.address
    rows = [address.street, address.city_line]
    if address.country != invoice.seller.country:
        rows.append(COUNTRY_NAMES[LANGUAGE_BY_LAYOUT[invoice.layout]][address.country])
    if invoice.show_buyer_vat:
        rows.append(f"{vat_label} {format_vat_id(invoice.buyer.vat_id)}")
    return rows


# ----------------------------------------------------------------------------------------
# Layouts
# ----------------------------------------------------------------------------------------


def draw_fr_classic(sheet: Sheet, invoice: Invoice, formats: Formats) -> None:
    """Draw the French classic: logo and seller top-left, a key/value box under "FACTURE",
    a gridded table, a VAT breakdown beside right-aligned totals, bank details, legal footer."""
    seller, brand = invoice.seller, invoice.seller.color
    sheet.logo(MARGIN, TOP - 100, 56, seller, disc=False)
    sheet.text(MARGIN + 68, TOP - 58, seller.name, size=13, font=SANS_BOLD)
    contact = [seller.address.street, seller.address.city_line]
    contact += [f"Tél. {seller.profile.contact.phone}", seller.profile.contact.email]
    sheet.stack(MARGIN + 68, TOP - 73, contact, size=8.5, leading=11, color=MUTED)
    sheet.text(RIGHT, TOP - 62, "FACTURE", size=24, font=SANS_BOLD, color=brand, align="right")

    header = [("Facture n°", invoice.number), ("Date", formats.date(invoice.issue_date))]
    header.append(("Échéance", formats.date(invoice.due_date)))
    if invoice.po_number:
        header.append(("Bon de commande", invoice.po_number))
    header.append(("Réf. client", invoice.buyer.account))
    box_style = [
        ("BOX", (0, 0), (-1, -1), 0.8, brand),
        ("LINEBELOW", (0, 0), (-1, -2), 0.4, RULE),
        ("FONT", (0, 0), (0, -1), SANS, 9),
        ("FONT", (1, 0), (1, -1), SANS_BOLD, 9),
        ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
        ("BACKGROUND", (0, 0), (0, -1), SHADE),
    ]
    box_bottom = sheet.table(
        RIGHT - 210, TOP - 82, header, (95, 115), table_style(box_style, padding=(3, 5))
    )

    client_top = min(box_bottom - 22, TOP - 190)
    sheet.text(RIGHT - 210, client_top, "CLIENT", size=7.5, font=SANS_BOLD, color=brand)
    sheet.text(RIGHT - 210, client_top - 14, invoice.buyer.name, size=10.5, font=SANS_BOLD)
    sheet.stack(RIGHT - 210, client_top - 28, buyer_rows(invoice, "N° TVA :"))

    columns = [
        LineColumn("Désignation", "description"),
        LineColumn("Qté", "quantity", 42),
        LineColumn("P.U. HT", "price", 72),
        LineColumn("TVA", "rate", 48),
        LineColumn("Montant HT", "net", 80),
    ]
    lines_style = [
        ("BACKGROUND", (0, 0), (-1, 0), brand),
        ("TEXTCOLOR", (0, 0), (-1, 0), white),
        ("FONT", (0, 0), (-1, 0), SANS_BOLD, 9),
        ("FONT", (0, 1), (-1, -1), SANS, 9),
        ("GRID", (0, 0), (-1, -1), 0.4, RULE),
    ]
    table_bottom = draw_lines_table(sheet, TOP - 300, invoice, columns, lines_style, (4.5, 5))
    draw_fr_classic_totals(sheet, invoice, formats, table_bottom)
    draw_fr_classic_footer(sheet, invoice)


def draw_fr_classic_totals(sheet: Sheet, invoice: Invoice, formats: Formats, top: float) -> None:
    """Draw the VAT breakdown (left) and the totals ending in a "Net à payer" bar (right)."""
    totals, brand = invoice.totals, invoice.seller.color
    vat_rows = [["Taux", "Base HT", "TVA"]]
    vat_rows += [
        [formats.rate(s.rate), formats.amount(s.base), formats.amount(s.tax)] for s in totals.vat
    ]
    vat_style = [
        ("FONT", (0, 0), (-1, 0), SANS_BOLD, 8),
        ("FONT", (0, 1), (-1, -1), SANS, 8),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
    ]
    sheet.text(MARGIN, top - 20, "Détail de la TVA", size=8, font=SANS_BOLD, color=MUTED)
    sheet.table(
        MARGIN,
        top - 26,
        vat_rows,
        (50, 80, 70),
        table_style(vat_style, right=(1, 2), padding=(2.5, 4)),
    )

    rows = [("Total HT", formats.amount(totals.net)), ("Total TVA", formats.amount(totals.tax))]
    rows.append(("Total TTC", formats.amount(totals.gross)))
    if invoice.deposit:
        rows.append(("Acompte versé", formats.amount(invoice.deposit)))
    y = sheet.pairs(RIGHT - 200, top - 22, rows, value_x=RIGHT - 8, value_align="right", leading=15)
    bar = y - 6
    sheet.fill(RIGHT - 210, bar - 8, 210, 22, brand)
    sheet.text(RIGHT - 200, bar, "Net à payer", size=10.5, font=SANS_BOLD, color=white)
    due = formats.amount(invoice.amount_due)
    sheet.text(RIGHT - 8, bar, due, size=10.5, font=SANS_BOLD, color=white, align="right")

    bank_top = min(bar - 44, 215)
    sheet.text(MARGIN, bank_top, "Règlement par virement bancaire", font=SANS_BOLD)
    bank = invoice.seller.bank
    bank_rows = [
        ("Banque", bank.name),
        ("IBAN", grouped(invoice.printed.iban)),
        ("BIC", bank.bic),
    ]
    sheet.pairs(MARGIN, bank_top - 14, bank_rows, value_x=MARGIN + 50, size=8.5, leading=12)


def draw_fr_classic_footer(sheet: Sheet, invoice: Invoice) -> None:
    """Draw the legal footer: payment terms and penalties, company identity, page number."""
    sheet.rule(MARGIN, 112, RIGHT)
    top = sheet.paragraph(MARGIN, 104, CONTENT_WIDTH, french_legal_terms(invoice))
    sheet.paragraph(MARGIN, top - 5, CONTENT_WIDTH, french_company_line(invoice))
    sheet.text(RIGHT, 28, "Page 1 / 1", size=7, color=MUTED, align="right")


def draw_fr_letter(sheet: Sheet, invoice: Invoice, formats: Formats) -> None:
    """Draw the French letter: seller top-right, buyer in the envelope window, a sentence
    header "Facture n° … du …", a bordered serif table and bordered totals."""
    seller, printed = invoice.seller, invoice.printed
    sheet.logo(MARGIN, TOP - 92, 46, seller, disc=True)
    sheet.text(
        RIGHT, TOP - 56, seller.name, size=14, font=SERIF_BOLD, color=seller.color, align="right"
    )
    identity = [seller.address.street, seller.address.city_line]
    identity += [f"Tél. {seller.profile.contact.phone}", seller.profile.contact.email]
    if printed.siret:
        identity.append(f"SIRET : {format_siret(printed.siret)}")
    else:
        identity.append(f"N° d'entreprise : {format_vat_id(printed.vat_id)[3:]}")
    identity.append(f"TVA : {format_vat_id(printed.vat_id)}")
    sheet.stack(RIGHT, TOP - 72, identity, size=9.5, leading=12, font=SERIF, align="right")

    sheet.text(MARGIN + 8, TOP - 170, invoice.buyer.name, size=11, font=SERIF_BOLD)
    address = buyer_rows(invoice, "N° TVA :")
    sheet.stack(MARGIN + 8, TOP - 184, address, size=10.5, leading=13, font=SERIF)

    title = f"Facture n° {invoice.number} du {formats.date(invoice.issue_date)}"
    sheet.text(MARGIN, TOP - 268, title, size=15, font=SERIF_BOLD)
    details = [f"Date d'échéance : {formats.date(invoice.due_date)}"]
    if invoice.po_number:
        details.append(f"Votre commande n° {invoice.po_number}")
    sheet.stack(MARGIN, TOP - 286, details, size=10.5, leading=14, font=SERIF)

    columns = [
        LineColumn("Désignation", "description"),
        LineColumn("Quantité", "quantity", 52),
        LineColumn("Prix unitaire HT", "price", 82),
        LineColumn("Taux TVA", "rate", 52),
        LineColumn("Total HT", "net", 78),
    ]
    lines_style = [
        ("FONT", (0, 0), (-1, 0), SERIF_BOLD, 10),
        ("FONT", (0, 1), (-1, -1), SERIF, 10),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("GRID", (0, 0), (-1, -1), 0.7, INK),
    ]
    table_bottom = draw_lines_table(sheet, TOP - 326, invoice, columns, lines_style)
    draw_fr_letter_totals(sheet, invoice, formats, table_bottom)
    draw_fr_letter_footer(sheet, invoice)


def draw_fr_letter_totals(sheet: Sheet, invoice: Invoice, formats: Formats, top: float) -> None:
    """Draw the bordered totals (one VAT row per rate) and the payment sentence."""
    totals, bank = invoice.totals, invoice.seller.bank
    rows = [["Montant HT", formats.amount(totals.net)]]
    rows += [[f"TVA {formats.rate(s.rate)}", formats.amount(s.tax)] for s in totals.vat]
    if len(totals.vat) > 1:
        rows.append(["Total TVA", formats.amount(totals.tax)])
    rows.append(["Montant TTC", formats.amount(totals.gross)])
    if invoice.deposit:
        rows.append(["Acompte versé", formats.amount(invoice.deposit)])
    rows.append(["Net à payer", formats.amount(invoice.amount_due)])
    style = [
        ("FONT", (0, 0), (-1, -1), SERIF, 10),
        ("FONT", (0, -1), (-1, -1), SERIF_BOLD, 11),
        ("BACKGROUND", (0, -1), (-1, -1), SHADE),
        ("GRID", (0, 0), (-1, -1), 0.7, INK),
    ]
    bottom = sheet.table(RIGHT - 220, top - 16, rows, (120, 100), table_style(style, right=[1]))

    payment = (
        f"Règlement par virement au plus tard le {formats.date(invoice.due_date)}, en "
        f"rappelant le numéro de facture. Coordonnées bancaires : {bank.name} {EN_DASH} "
        f"IBAN {grouped(invoice.printed.iban)} {EN_DASH} BIC {bank.bic}."
    )
    sheet.paragraph(
        MARGIN,
        min(bottom - 22, 190),
        CONTENT_WIDTH,
        payment,
        size=10,
        font=SERIF,
        color=INK,
        centred=False,
    )


def draw_fr_letter_footer(sheet: Sheet, invoice: Invoice) -> None:
    """Draw the legal footer of a French or Belgian seller."""
    if invoice.seller.country == "BE":
        terms, identity = belgian_legal_terms(invoice), belgian_company_line(invoice)
    else:
        terms, identity = french_legal_terms(invoice), french_company_line(invoice)
    sheet.rule(MARGIN, 110, RIGHT, color=invoice.seller.color)
    top = sheet.paragraph(MARGIN, 102, CONTENT_WIDTH, terms, size=7.5, font=SERIF)
    sheet.paragraph(MARGIN, top - 4, CONTENT_WIDTH, identity, size=7.5, font=SERIF)


def draw_fr_boxed(sheet: Sheet, invoice: Invoice, formats: Formats) -> None:
    """Draw the French ERP print: a coloured band, one boxed row of header fields, a
    referenced lines table, then VAT, payment and totals boxes side by side."""
    seller, printed = invoice.seller, invoice.printed
    sheet.fill(0, TOP - 70, PAGE_WIDTH, 70, seller.color)
    sheet.text(MARGIN, TOP - 42, seller.name, size=17, font=SANS_BOLD, color=white)
    sheet.text(RIGHT, TOP - 44, "FACTURE", size=20, font=SANS_BOLD, color=white, align="right")
    identity = [seller.address.street, seller.address.city_line]
    identity += [f"Tél. {seller.profile.contact.phone}", f"SIRET {printed.siret}"]
    identity.append(f"TVA {printed.vat_id}")
    sheet.stack(MARGIN, TOP - 92, identity, size=8.5, leading=11.5, color=MUTED)

    sheet.frame(RIGHT - 235, TOP - 178, 235, 92, 0.8)
    sheet.text(RIGHT - 227, TOP - 98, "Adresse de facturation", size=7.5, color=MUTED)
    sheet.text(RIGHT - 227, TOP - 113, invoice.buyer.name, size=10, font=SANS_BOLD)
    sheet.stack(RIGHT - 227, TOP - 126, buyer_rows(invoice, "TVA"), leading=11.5)

    labels = ["N° de facture", "Date", "Échéance", "N° client", "Réf. commande"]
    values = [invoice.number, formats.date(invoice.issue_date), formats.date(invoice.due_date)]
    values += [invoice.buyer.account, invoice.po_number or ""]
    header_style = [
        ("GRID", (0, 0), (-1, -1), 0.8, INK),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("FONT", (0, 0), (-1, 0), SANS, 7.5),
        ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
        ("FONT", (0, 1), (-1, 1), MONO, 10),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
    ]
    widths = [CONTENT_WIDTH / 5] * 5
    sheet.table(MARGIN, TOP - 200, [labels, values], widths, table_style(header_style))

    columns = [
        LineColumn("Réf.", "reference", 68),
        LineColumn("Désignation", "description"),
        LineColumn("Qté", "quantity", 36),
        LineColumn("P.U. HT", "price", 64),
        LineColumn("Montant HT", "net", 72),
        LineColumn("TVA %", "rate", 42),
    ]
    lines_style = [
        ("FONT", (0, 0), (-1, 0), SANS_BOLD, 8),
        ("FONT", (0, 1), (-1, -1), SANS, 8.5),
        ("FONT", (0, 1), (0, -1), MONO, 8),
        ("BOX", (0, 0), (-1, -1), 0.8, INK),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBEFORE", (1, 0), (-1, -1), 0.4, RULE),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
    ]
    table_bottom = draw_lines_table(sheet, TOP - 262, invoice, columns, lines_style)
    draw_fr_boxed_summary(sheet, invoice, formats, table_bottom - 18)
    sheet.rule(MARGIN, 112, RIGHT)
    top = sheet.paragraph(MARGIN, 104, CONTENT_WIDTH, french_legal_terms(invoice))
    sheet.paragraph(MARGIN, top - 5, CONTENT_WIDTH, french_company_line(invoice))


def draw_fr_boxed_summary(sheet: Sheet, invoice: Invoice, formats: Formats, top: float) -> None:
    """Draw the three boxes under the lines (VAT bases, payment terms, totals) and the bank."""
    totals = invoice.totals
    vat_rows = [["Base HT", "Taux", "Montant TVA"]]
    vat_rows += [
        [formats.number(s.base), formats.rate(s.rate), formats.number(s.tax)] for s in totals.vat
    ]
    vat_style = [
        ("BOX", (0, 0), (-1, -1), 0.8, INK),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, INK),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("FONT", (0, 0), (-1, 0), SANS, 7.5),
        ("FONT", (0, 1), (-1, -1), MONO, 8.5),
    ]
    sheet.table(
        MARGIN, top, vat_rows, (62, 42, 66), table_style(vat_style, right=(0, 1, 2), padding=(3, 4))
    )

    payment_rows = [
        ["Mode de règlement", "Virement"],
        ["Conditions", f"{invoice.payment_days} jours net"],
        ["Date d'échéance", formats.date(invoice.due_date)],
    ]
    payment_style = [
        ("BOX", (0, 0), (-1, -1), 0.8, INK),
        ("FONT", (0, 0), (0, -1), SANS, 7.5),
        ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
        ("FONT", (1, 0), (1, -1), SANS, 8.5),
    ]
    sheet.table(
        MARGIN + 180, top, payment_rows, (78, 72), table_style(payment_style, padding=(3, 4))
    )

    rows = [["Total HT", formats.number(totals.net)], ["Total TVA", formats.number(totals.tax)]]
    rows.append(["Total TTC", formats.number(totals.gross)])
    if invoice.deposit:
        rows.append(["Acompte", formats.number(invoice.deposit)])
    rows.append(["NET À PAYER (EUR)", formats.number(invoice.amount_due)])
    totals_style = [
        ("BOX", (0, 0), (-1, -1), 0.8, INK),
        ("LINEABOVE", (0, -1), (-1, -1), 0.8, INK),
        ("FONT", (0, 0), (0, -2), SANS, 8.5),
        ("FONT", (1, 0), (1, -2), MONO, 9),
        ("FONT", (0, -1), (0, -1), SANS_BOLD, 8.5),
        ("FONT", (1, -1), (1, -1), SANS_BOLD, 10),
        ("BACKGROUND", (0, -1), (-1, -1), SHADE),
    ]
    bottom = sheet.table(
        RIGHT - 165, top, rows, (95, 70), table_style(totals_style, right=[1], padding=(3.5, 4))
    )

    bank, account = invoice.seller.bank, grouped(invoice.printed.iban)
    line = f"Domiciliation : {bank.name}   IBAN : {account}   BIC : {bank.bic}"
    sheet.text(MARGIN, min(bottom - 24, 150), line, size=8.5, font=SANS_BOLD)


def draw_en_modern(sheet: Sheet, invoice: Invoice, formats: Formats) -> None:
    """Draw the English modern template: a big INVOICE title top-left, seller top-right, an
    "Amount due" highlight, a rule-only table and a payment-details footer."""
    seller, brand = invoice.seller, invoice.seller.color
    sheet.fill(0, TOP - 12, PAGE_WIDTH, 12, brand)
    sheet.text(MARGIN, TOP - 70, "INVOICE", size=30, font=SANS_BOLD, color=brand)
    header = [("Invoice #", invoice.number), ("Issue date", formats.date(invoice.issue_date))]
    header.append(("Due date", formats.date(invoice.due_date)))
    if invoice.po_number:
        header.append(("PO number", invoice.po_number))
    sheet.pairs(MARGIN, TOP - 98, header, value_x=MARGIN + 72, size=9.5, leading=14)

    sheet.logo(RIGHT - 36, TOP - 78, 36, seller, disc=True)
    sheet.text(RIGHT - 46, TOP - 52, seller.name, size=12, font=SANS_BOLD, align="right")
    identity = [seller.address.street, seller.address.city_line, seller.profile.contact.email]
    identity.append(f"VAT No. {format_vat_id(invoice.printed.vat_id)}")
    sheet.stack(RIGHT - 46, TOP - 66, identity, size=8.5, leading=11, color=MUTED, align="right")

    sheet.text(MARGIN, TOP - 180, "BILL TO", size=7.5, font=SANS_BOLD, color=brand)
    sheet.text(MARGIN, TOP - 195, invoice.buyer.name, size=11, font=SANS_BOLD)
    sheet.stack(MARGIN, TOP - 209, buyer_rows(invoice, "VAT:"))

    sheet.canvas.setFillColor(SHADE)
    sheet.canvas.roundRect(RIGHT - 200, TOP - 236, 200, 64, 6, stroke=0, fill=1)
    due = formats.amount(invoice.amount_due)
    sheet.text(RIGHT - 186, TOP - 190, "Amount due", color=MUTED)
    sheet.text(RIGHT - 186, TOP - 212, due, size=18, font=SANS_BOLD, color=brand)
    due_on = f"Due {formats.date(invoice.due_date)}"
    sheet.text(RIGHT - 186, TOP - 228, due_on, size=8.5, color=MUTED)

    columns = [
        LineColumn("DESCRIPTION", "description"),
        LineColumn("QTY", "quantity", 40),
        LineColumn("UNIT PRICE", "price", 72),
        LineColumn("VAT", "rate", 44),
        LineColumn("AMOUNT", "net", 80),
    ]
    lines_style = [
        ("FONT", (0, 0), (-1, 0), SANS_BOLD, 7.5),
        ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
        ("FONT", (0, 1), (-1, -1), SANS, 9.5),
        ("LINEBELOW", (0, 0), (-1, 0), 1.2, brand),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
    ]
    table_bottom = draw_lines_table(sheet, TOP - 270, invoice, columns, lines_style, (6, 2))
    draw_en_modern_totals(sheet, invoice, formats, table_bottom)
    draw_en_modern_footer(sheet, invoice)


def draw_en_modern_totals(sheet: Sheet, invoice: Invoice, formats: Formats, top: float) -> None:
    """Draw the right-aligned totals under a coloured rule ending in "Amount due"."""
    totals = invoice.totals
    rows = [("Subtotal", formats.amount(totals.net))]
    rows += [(f"VAT {formats.rate(s.rate)}", formats.amount(s.tax)) for s in totals.vat]
    if len(totals.vat) > 1:
        rows.append(("Total VAT", formats.amount(totals.tax)))
    rows.append(("Total", formats.amount(totals.gross)))
    if invoice.deposit:
        rows.append(("Deposit paid", formats.amount(invoice.deposit)))
    y = sheet.pairs(
        RIGHT - 190, top - 24, rows, value_x=RIGHT - 2, value_align="right", size=9.5, leading=16
    )
    sheet.rule(RIGHT - 190, y + 11, RIGHT, color=invoice.seller.color, width=1.2)
    due = formats.amount(invoice.amount_due)
    sheet.text(RIGHT - 190, y - 4, "Amount due", size=11, font=SANS_BOLD)
    sheet.text(RIGHT - 2, y - 4, due, size=11, font=SANS_BOLD, align="right")


def draw_en_modern_footer(sheet: Sheet, invoice: Invoice) -> None:
    """Draw the payment details, a thank-you note and the legal footer."""
    brand, bank = invoice.seller.color, invoice.seller.bank
    sheet.text(MARGIN, 178, "Payment details", font=SANS_BOLD, color=brand)
    payment = [
        ("Bank", bank.name),
        ("IBAN", grouped(invoice.printed.iban)),
        ("BIC", bank.bic),
        ("Reference", invoice.number),
    ]
    sheet.pairs(MARGIN, 163, payment, value_x=MARGIN + 60, size=8.5, leading=12)
    thanks = "Thank you for your business!"
    sheet.text(RIGHT, 163, thanks, font=SANS_BOLD, color=brand, align="right")
    sheet.rule(MARGIN, 100, RIGHT)
    top = sheet.paragraph(MARGIN, 92, CONTENT_WIDTH, english_legal_terms(invoice))
    sheet.paragraph(MARGIN, top - 5, CONTENT_WIDTH, english_company_line(invoice))


def draw_en_ledger(sheet: Sheet, invoice: Invoice, formats: Formats) -> None:
    """Draw the English bordered ledger: seller top-left, a bordered box with "Invoice No."
    and "Your order", a numbered grid table, a VAT analysis and bordered totals."""
    seller = invoice.seller
    sheet.logo(MARGIN, TOP - 84, 40, seller, disc=False)
    sheet.text(MARGIN + 50, TOP - 58, seller.name, size=13, font=SANS_BOLD)
    contact = seller.profile.contact
    identity = [
        f"{seller.address.street}, {seller.address.city_line}",
        f"Tel {contact.phone}  ·  {contact.email}",
        f"VAT Reg. No.: {format_vat_id(invoice.printed.vat_id)}",
    ]
    sheet.stack(MARGIN + 50, TOP - 72, identity, size=8.5, leading=11)

    sheet.text(RIGHT, TOP - 110, "Sales Invoice", size=16, font=SANS_BOLD, align="right")
    header = [
        ["Invoice No.", invoice.number],
        ["Invoice date", formats.date(invoice.issue_date)],
        ["Due date", formats.date(invoice.due_date)],
        ["Your order", invoice.po_number or "-"],
        ["Account", invoice.buyer.account],
    ]
    header_style = [
        ("GRID", (0, 0), (-1, -1), 0.6, INK),
        ("FONT", (0, 0), (0, -1), SANS_BOLD, 8.5),
        ("FONT", (1, 0), (1, -1), SANS, 9),
        ("BACKGROUND", (0, 0), (0, -1), SHADE),
    ]
    sheet.table(
        RIGHT - 200, TOP - 120, header, (85, 115), table_style(header_style, padding=(3, 5))
    )

    sheet.frame(MARGIN, TOP - 222, 230, 102, 0.6)
    sheet.text(MARGIN + 8, TOP - 134, "Invoice to:", size=8, font=SANS_BOLD, color=MUTED)
    sheet.text(MARGIN + 8, TOP - 149, invoice.buyer.name, size=10, font=SANS_BOLD)
    sheet.stack(MARGIN + 8, TOP - 162, buyer_rows(invoice, "VAT No.:"))

    columns = [
        LineColumn("Item", "position", 32),
        LineColumn("Description", "description"),
        LineColumn("Qty", "quantity", 40),
        LineColumn("Unit price", "price", 70),
        LineColumn("VAT %", "rate", 44),
        LineColumn("Net amount", "net", 78),
    ]
    lines_style = [
        ("GRID", (0, 0), (-1, -1), 0.6, INK),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("FONT", (0, 0), (-1, 0), SANS_BOLD, 8.5),
        ("FONT", (0, 1), (-1, -1), SANS, 9),
        ("ALIGN", (0, 0), (0, -1), "CENTER"),
    ]
    table_bottom = draw_lines_table(sheet, TOP - 250, invoice, columns, lines_style)
    draw_en_ledger_totals(sheet, invoice, formats, table_bottom)
    draw_en_ledger_footer(sheet, invoice)


def draw_en_ledger_totals(sheet: Sheet, invoice: Invoice, formats: Formats, top: float) -> None:
    """Draw the VAT analysis (left) and the bordered totals, with a balance after a deposit."""
    totals = invoice.totals
    analysis = [["VAT rate", "Net", "VAT"]]
    analysis += [
        [formats.rate(s.rate), formats.amount(s.base), formats.amount(s.tax)] for s in totals.vat
    ]
    analysis_style = [
        ("GRID", (0, 0), (-1, -1), 0.5, INK),
        ("FONT", (0, 0), (-1, 0), SANS_BOLD, 8),
        ("FONT", (0, 1), (-1, -1), SANS, 8.5),
    ]
    sheet.text(MARGIN, top - 20, "VAT analysis", size=8.5, font=SANS_BOLD)
    sheet.table(
        MARGIN,
        top - 26,
        analysis,
        (55, 90, 80),
        table_style(analysis_style, right=(1, 2), padding=(3, 5)),
    )

    rows = [["Net amount", formats.amount(totals.net)], ["Tax", formats.amount(totals.tax)]]
    rows.append(["Total due", formats.amount(totals.gross)])
    if invoice.deposit:
        rows.append(["Deposit received", formats.amount(invoice.deposit)])
        rows.append(["Balance due", formats.amount(invoice.amount_due)])
    totals_style = [
        ("GRID", (0, 0), (-1, -1), 0.6, INK),
        ("FONT", (0, 0), (0, -1), SANS_BOLD, 9),
        ("FONT", (1, 0), (1, -1), SANS, 9.5),
        ("FONT", (0, -1), (-1, -1), SANS_BOLD, 10),
        ("BACKGROUND", (0, -1), (-1, -1), SHADE),
    ]
    sheet.table(RIGHT - 200, top - 14, rows, (95, 105), table_style(totals_style, right=[1]))


def draw_en_ledger_footer(sheet: Sheet, invoice: Invoice) -> None:
    """Draw the remittance line, payment terms and the registered-company footer."""
    seller = invoice.seller
    bank = (
        f"Please pay by bank transfer to {seller.name}, {seller.bank.name}. "
        f"IBAN: {grouped(invoice.printed.iban)}   SWIFT/BIC: {seller.bank.bic}"
    )
    sheet.rule(MARGIN, 118, RIGHT, color=INK)
    top = sheet.paragraph(MARGIN, 110, CONTENT_WIDTH, bank, size=8, color=INK)
    top = sheet.paragraph(MARGIN, top - 5, CONTENT_WIDTH, english_legal_terms(invoice))
    sheet.paragraph(MARGIN, top - 4, CONTENT_WIDTH, english_company_line(invoice))


def draw_de_standard(sheet: Sheet, invoice: Invoice, formats: Formats) -> None:
    """Draw the German DIN 5008 letter: wordmark top-right, sender line over the address
    window, an information block, a "Pos." table, "zzgl. USt." totals, 3-column footer."""
    seller, brand = invoice.seller, invoice.seller.color
    sheet.text(RIGHT, TOP - 60, seller.name, size=15, font=SANS_BOLD, color=brand, align="right")
    sheet.fill(RIGHT - 120, TOP - 70, 120, 3, brand)

    sender = f"{seller.name} · {seller.address.street} · {seller.address.city_line}"
    sheet.text(MARGIN + 10, TOP - 128, sender, size=6.5, color=MUTED)
    sender_end = MARGIN + 10 + stringWidth(sender, SANS, 6.5)
    sheet.rule(MARGIN + 10, TOP - 131, sender_end, color=MUTED, width=0.4)
    sheet.text(MARGIN + 10, TOP - 148, invoice.buyer.name, size=10.5)
    address = buyer_rows(invoice, "USt-IdNr.:")
    sheet.stack(MARGIN + 10, TOP - 161, address, size=10.5, leading=13)

    info = [
        ("Rechnungsnummer:", invoice.number),
        ("Rechnungsdatum:", formats.date(invoice.issue_date)),
        ("Leistungsdatum:", formats.date(invoice.delivery_date)),
        ("Kundennummer:", invoice.buyer.account),
    ]
    if invoice.po_number:
        info.append(("Bestellnummer:", invoice.po_number))
    sheet.pairs(RIGHT - 190, TOP - 140, info, value_x=RIGHT, value_align="right", value_font=SANS)

    sheet.text(MARGIN, TOP - 262, "Rechnung", size=16, font=SANS_BOLD)
    intro = "Sehr geehrte Damen und Herren, für unsere Lieferungen und Leistungen berechnen wir:"
    sheet.text(MARGIN, TOP - 282, intro, size=9.5)

    columns = [
        LineColumn("Pos.", "position", 30),
        LineColumn("Bezeichnung", "description"),
        LineColumn("Menge", "quantity", 42),
        LineColumn("Einzelpreis", "price", 70),
        LineColumn("USt.", "rate", 40),
        LineColumn("Gesamtpreis", "net", 78),
    ]
    lines_style = [
        ("FONT", (0, 0), (-1, 0), SANS_BOLD, 9),
        ("FONT", (0, 1), (-1, -1), SANS, 9),
        ("LINEABOVE", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, -1), (-1, -1), 0.8, INK),
    ]
    table_bottom = draw_lines_table(sheet, TOP - 296, invoice, columns, lines_style, (4, 3))
    draw_de_standard_totals(sheet, invoice, formats, table_bottom)
    draw_de_standard_footer(sheet, invoice)


def draw_de_standard_totals(sheet: Sheet, invoice: Invoice, formats: Formats, top: float) -> None:
    """Draw net, "zzgl. x % USt. auf <base>" rows, the invoice total and the payment terms."""
    totals = invoice.totals
    rows = [("Nettobetrag", formats.amount(totals.net))]
    rows += [
        (f"zzgl. {formats.rate(s.rate)} USt. auf {formats.amount(s.base)}", formats.amount(s.tax))
        for s in totals.vat
    ]
    if len(totals.vat) > 1:
        rows.append(("Summe USt.", formats.amount(totals.tax)))
    x, value_x = RIGHT - 250, RIGHT - 3
    y = sheet.pairs(
        x, top - 20, rows, value_x=value_x, value_align="right", value_font=SANS, leading=14
    )
    sheet.rule(x, y + 9, RIGHT, color=INK, width=0.8)
    final = [("Rechnungsbetrag", formats.amount(totals.gross))]
    if invoice.deposit:
        final.append(("abzgl. Anzahlung", formats.amount(invoice.deposit)))
        final.append(("Zahlbetrag", formats.amount(invoice.amount_due)))
    y = sheet.pairs(
        x,
        y - 6,
        final,
        value_x=value_x,
        value_align="right",
        label_font=SANS_BOLD,
        label_color=INK,
        leading=14,
    )
    due = formats.date(invoice.due_date)
    closing = [
        f"Zahlbar innerhalb von {invoice.payment_days} Tagen ohne Abzug bis zum {due}.",
        "Leistungsdatum entspricht Lieferdatum. Vielen Dank für Ihren Auftrag!",
    ]
    sheet.stack(MARGIN, min(y - 20, 160), closing, size=9.5, leading=13)


def draw_de_standard_footer(sheet: Sheet, invoice: Invoice) -> None:
    """Draw the three footer columns: address, bank account, management and registration."""
    seller, printed = invoice.seller, invoice.printed
    columns = [
        [seller.name, seller.address.street, seller.address.city_line],
        [seller.bank.name, f"IBAN {grouped(printed.iban)}", f"BIC {seller.bank.bic}"],
        [f"Geschäftsführung: {seller.profile.contact.manager}", seller.registration],
    ]
    columns[0].append(f"Tel. {seller.profile.contact.phone}")
    columns[2].append(f"USt-IdNr. {printed.vat_id}")
    sheet.rule(MARGIN, 96, RIGHT)
    for index, rows in enumerate(columns):
        x = MARGIN + index * CONTENT_WIDTH / 3
        sheet.stack(x, 84, rows, size=7, leading=9, color=MUTED)


LAYOUT_DRAWERS: dict[LayoutName, Callable[[Sheet, Invoice, Formats], None]] = {
    "fr-classic": draw_fr_classic,
    "fr-letter": draw_fr_letter,
    "fr-boxed": draw_fr_boxed,
    "en-modern": draw_en_modern,
    "en-ledger": draw_en_ledger,
    "de-standard": draw_de_standard,
}


def render_pdf(invoice: Invoice) -> bytes:
    """Return the invoice as a one-page text PDF (reportlab, invariant: no timestamps or IDs)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(f"{invoice.seller.name} {EN_DASH} {invoice.number}")
    canvas.setAuthor(invoice.seller.name)
    canvas.setCreator("invoicebot sample generator")
    LAYOUT_DRAWERS[invoice.layout](Sheet(canvas), invoice, formats_for(invoice))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# ----------------------------------------------------------------------------------------
# Factur-X: the same invoice as a CII XML embedded in the PDF
# ----------------------------------------------------------------------------------------

FacturxLevel = Literal["en16931", "basic"]
CII_NAMESPACES = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
GUIDELINES: dict[FacturxLevel, str] = {
    "en16931": "urn:cen.eu:en16931:2017",
    "basic": "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
}


def cii(
    parent: etree._Element, tag: str, text: str | None = None, **attributes: str
) -> etree._Element:
    """Append a ``prefix:name`` child to ``parent`` and return it."""
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{CII_NAMESPACES[prefix]}}}{name}", attributes)
    if text is not None:
        element.text = text
    return element


def cii_date(parent: etree._Element, tag: str, day: date) -> None:
    """Append a CII date (format 102, ``YYYYMMDD``)."""
    cii(cii(parent, tag), "udt:DateTimeString", day.strftime("%Y%m%d"), format="102")


def plain(value: Decimal) -> str:
    """Return a decimal as CII wants it: a dot, no exponent, no grouping."""
    return format(value, "f")


def cii_party(
    parent: etree._Element, tag: str, party: Seller | Buyer, vat_id: str | None, siret: str | None
) -> None:
    """Append a trade party: SIRET (BT-29, scheme 0009), name, SIREN (BT-30, scheme 0002),
    postal address, electronic address (BT-34 / BT-49) and VAT number.

    A French party's electronic address is its SIREN under scheme 0225 (the French
    directory), another's an e-mail address (scheme EM): the French CTC rules (BR-FR-12,
    BR-FR-13) ask for both parties' addresses.
    """
    element = cii(parent, tag)
    if siret:
        cii(element, "ram:GlobalID", siret, schemeID="0009")
    cii(element, "ram:Name", party.name)
    siren = siret[:9] if siret else french_siren_of(party.vat_id)
    if siren:
        cii(cii(element, "ram:SpecifiedLegalOrganization"), "ram:ID", siren, schemeID="0002")
    postal = cii(element, "ram:PostalTradeAddress")
    cii(postal, "ram:PostcodeCode", party.address.postcode)
    cii(postal, "ram:LineOne", party.address.street)
    cii(postal, "ram:CityName", party.address.city)
    cii(postal, "ram:CountryID", party.address.country)
    address = cii(element, "ram:URIUniversalCommunication")
    if siren:
        cii(address, "ram:URIID", siren, schemeID="0225")
    else:
        domain = "".join(ch for ch in party.name.lower() if ch.isalnum())
        cii(address, "ram:URIID", f"invoices@{domain}.example", schemeID="EM")
    if vat_id:
        cii(cii(element, "ram:SpecifiedTaxRegistration"), "ram:ID", vat_id, schemeID="VA")


def french_siren_of(vat_id: str | None) -> str | None:
    """Return the SIREN a French VAT number carries (FR + 2-digit key + SIREN), else None."""
    if vat_id and vat_id.startswith("FR") and len(vat_id) == 13 and vat_id[4:].isdigit():
        return vat_id[4:]
    return None


def cii_line(
    transaction: etree._Element, position: int, line: InvoiceLine, level: FacturxLevel
) -> None:
    """Append one invoice line with its price, quantity, VAT category and net amount."""
    line_item = cii(transaction, "ram:IncludedSupplyChainTradeLineItem")
    cii(cii(line_item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(position))
    product = cii(line_item, "ram:SpecifiedTradeProduct")
    if level == "en16931":  # BASIC knows no seller item reference
        cii(product, "ram:SellerAssignedID", line.reference)
    cii(product, "ram:Name", line.description)
    agreement = cii(line_item, "ram:SpecifiedLineTradeAgreement")
    price = cii(agreement, "ram:NetPriceProductTradePrice")
    cii(price, "ram:ChargeAmount", plain(line.unit_price))
    delivery = cii(line_item, "ram:SpecifiedLineTradeDelivery")
    cii(delivery, "ram:BilledQuantity", plain(line.quantity), unitCode="C62")
    settlement = cii(line_item, "ram:SpecifiedLineTradeSettlement")
    tax = cii(settlement, "ram:ApplicableTradeTax")
    cii(tax, "ram:TypeCode", "VAT")
    cii(tax, "ram:CategoryCode", "S")
    cii(tax, "ram:RateApplicablePercent", plain(line.tax_rate))
    summation = cii(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    cii(summation, "ram:LineTotalAmount", plain(line.net_amount))


def cii_settlement(transaction: etree._Element, invoice: Invoice, level: FacturxLevel) -> None:
    """Append the header settlement: currency, SEPA transfer, VAT breakdown, terms, totals."""
    settlement = cii(transaction, "ram:ApplicableHeaderTradeSettlement")
    cii(settlement, "ram:PaymentReference", invoice.number)
    cii(settlement, "ram:InvoiceCurrencyCode", CURRENCY)
    means = cii(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    cii(means, "ram:TypeCode", "58")  # SEPA credit transfer
    account = cii(means, "ram:PayeePartyCreditorFinancialAccount")
    cii(account, "ram:IBANID", invoice.printed.iban)
    if level == "en16931":  # BASIC has no place for the BIC
        institution = cii(means, "ram:PayeeSpecifiedCreditorFinancialInstitution")
        cii(institution, "ram:BICID", invoice.seller.bank.bic)
    for subtotal in invoice.totals.vat:
        tax = cii(settlement, "ram:ApplicableTradeTax")
        cii(tax, "ram:CalculatedAmount", plain(subtotal.tax))
        cii(tax, "ram:TypeCode", "VAT")
        cii(tax, "ram:BasisAmount", plain(subtotal.base))
        cii(tax, "ram:CategoryCode", "S")
        cii(tax, "ram:RateApplicablePercent", plain(subtotal.rate))
    terms = cii(settlement, "ram:SpecifiedTradePaymentTerms")
    cii(terms, "ram:Description", f"{invoice.payment_days} jours date de facture, par virement")
    cii_date(terms, "ram:DueDateDateTime", invoice.due_date)
    totals = invoice.totals
    summation = cii(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    cii(summation, "ram:LineTotalAmount", plain(totals.net))
    cii(summation, "ram:TaxBasisTotalAmount", plain(totals.net))
    cii(summation, "ram:TaxTotalAmount", plain(totals.tax), currencyID=CURRENCY)
    cii(summation, "ram:GrandTotalAmount", plain(totals.gross))
    if invoice.deposit:
        cii(summation, "ram:TotalPrepaidAmount", plain(invoice.deposit))
    cii(summation, "ram:DuePayableAmount", plain(invoice.amount_due))


def facturx_xml(invoice: Invoice, level: FacturxLevel) -> bytes:
    """Return the invoice as a Factur-X CII XML of the given profile."""
    root = etree.Element(f"{{{CII_NAMESPACES['rsm']}}}CrossIndustryInvoice", nsmap=CII_NAMESPACES)
    context = cii(root, "rsm:ExchangedDocumentContext")
    # The billing mode of the French CTC (BT-23, BR-FR-08): M1, goods and services.
    process = cii(context, "ram:BusinessProcessSpecifiedDocumentContextParameter")
    cii(process, "ram:ID", "M1")
    guideline = cii(context, "ram:GuidelineSpecifiedDocumentContextParameter")
    cii(guideline, "ram:ID", GUIDELINES[level])
    document = cii(root, "rsm:ExchangedDocument")
    cii(document, "ram:ID", invoice.number)
    cii(document, "ram:TypeCode", "380")  # commercial invoice
    cii_date(document, "ram:IssueDateTime", invoice.issue_date)
    # The French mentions, each under its subject code (BR-FR-05): recovery costs (PMT),
    # late-payment penalties (PMD), early-payment discount (AAB).
    for subject, content in (
        ("PMT", french_legal_terms(invoice)),
        ("PMD", f"Pénalités de retard au taux annuel de {invoice.penalty_rate} %."),
        ("AAB", "Pas d'escompte pour paiement anticipé."),
    ):
        note = cii(document, "ram:IncludedNote")
        cii(note, "ram:Content", content)
        cii(note, "ram:SubjectCode", subject)

    transaction = cii(root, "rsm:SupplyChainTradeTransaction")
    for position, line in enumerate(invoice.lines, start=1):
        cii_line(transaction, position, line, level)
    agreement = cii(transaction, "ram:ApplicableHeaderTradeAgreement")
    printed = invoice.printed
    cii_party(agreement, "ram:SellerTradeParty", invoice.seller, printed.vat_id, printed.siret)
    # A buyer VAT number that the page does not print stays out of the XML too.
    buyer_vat = invoice.buyer.vat_id if invoice.show_buyer_vat else None
    cii_party(agreement, "ram:BuyerTradeParty", invoice.buyer, buyer_vat, None)
    if invoice.po_number:
        order = cii(agreement, "ram:BuyerOrderReferencedDocument")
        cii(order, "ram:IssuerAssignedID", invoice.po_number)
    delivery = cii(transaction, "ram:ApplicableHeaderTradeDelivery")
    event = cii(delivery, "ram:ActualDeliverySupplyChainEvent")
    cii_date(event, "ram:OccurrenceDateTime", invoice.delivery_date)
    cii_settlement(transaction, invoice, level)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


@contextmanager
def frozen_facturx_clock(moment: datetime) -> Iterator[None]:
    """Freeze the clock the factur-x library stamps into the PDF and its XMP metadata."""

    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> FrozenDatetime:
            frozen = moment if tz is None else moment.astimezone(tz)
            return cls.fromtimestamp(frozen.timestamp(), frozen.tzinfo)

    # factur-x calls datetime.now() for /CreationDate, /ModDate and xmp:CreateDate; its
    # module is looked up by name because the package re-exports only its functions.
    with patch.object(importlib.import_module("facturx.facturx"), "datetime", FrozenDatetime):
        yield


def render_facturx(invoice: Invoice, level: FacturxLevel) -> bytes:
    """Return the invoice as a Factur-X hybrid: the text PDF with its CII XML attached."""
    issued = datetime.combine(invoice.issue_date, datetime.min.time(), UTC)
    metadata = {
        "author": invoice.seller.name,
        "keywords": "Factur-X, Facture",
        "title": f"{invoice.seller.name}: Facture {invoice.number}",
        "subject": f"Facture {invoice.number} du {invoice.issue_date.isoformat()}",
    }
    with frozen_facturx_clock(issued):
        document: bytes = facturx.generate_from_binary(
            render_pdf(invoice),
            facturx_xml(invoice, level),
            flavor="factur-x",
            level=level,
            check_xsd=True,
            pdf_metadata=metadata,
            lang="fr-FR",
        )
    return document


# ----------------------------------------------------------------------------------------
# Scans and photos: the text PDF rasterised and degraded like a paper copy
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanLook:
    """How one paper copy came out of the scanner."""

    paper: int
    ink: int
    blur: float
    angle: float
    noise: float
    speckle: float
    quality: int

    @classmethod
    def draw(cls, rng: random.Random, *, white_balanced: bool) -> ScanLook:
        """Return a random look: greyish paper unless the scanner balanced it to white,
        soft focus, a skew within ±1.5°, mild noise and a JPEG quality of 60-75."""
        return cls(
            paper=255 if white_balanced else rng.randint(236, 248),
            ink=rng.randint(18, 40),
            blur=rng.uniform(0.35, 0.7),
            angle=rng.uniform(-1.5, 1.5),
            noise=rng.uniform(2.0, 3.0) if white_balanced else rng.uniform(2.5, 4.5),
            speckle=rng.uniform(0.0002, 0.0008),
            quality=rng.randint(60, 75),
        )


def rasterise(pdf: bytes, dpi: int) -> Image.Image:
    """Return the first page of ``pdf`` as a grayscale image at ``dpi``."""
    document = pdfium.PdfDocument(pdf)
    try:
        bitmap = document[0].render(scale=dpi / 72, grayscale=True)
        image: Image.Image = bitmap.to_pil()
        return image.convert("L")
    finally:
        document.close()


def degrade(page: Image.Image, look: ScanLook, rng: random.Random) -> Image.Image:
    """Return the page as the scanner saw it: toned, softened, skewed (white corners),
    with gaussian sensor noise and a sprinkle of dust specks."""
    span = look.paper - look.ink
    toned = page.point(lambda value: look.ink + value * span // 255)
    softened = toned.filter(ImageFilter.GaussianBlur(look.blur))
    skewed = softened.rotate(look.angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    noise = np.random.default_rng(rng.getrandbits(64))
    pixels = np.asarray(skewed, dtype=np.float32)
    pixels = pixels + noise.normal(0.0, look.noise, pixels.shape).astype(np.float32)
    specks = noise.random(pixels.shape)
    pixels[specks < look.speckle / 2] = 40.0
    pixels[specks > 1 - look.speckle / 2] = 255.0
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")


def scanned_pdf(image: Image.Image, dpi: int, quality: int, title: str) -> bytes:
    """Return an image-only PDF (one JPEG page, no text layer) at ``dpi``."""
    stamp = time.gmtime(0)  # a fixed stamp: Pillow would otherwise write the current time
    buffer = io.BytesIO()
    image.save(
        buffer,
        "PDF",
        resolution=dpi,
        quality=quality,
        title=title,
        creator="invoicebot sample generator",
        creationDate=stamp,
        modDate=stamp,
    )
    return buffer.getvalue()


def encoded_image(
    image: Image.Image, image_format: Literal["png", "jpg"], dpi: int, quality: int
) -> bytes:
    """Return the page as a JPEG, or as a 16-grey PNG (what scanner software saves to keep
    a page image small)."""
    buffer = io.BytesIO()
    if image_format == "png":
        sixteen_greys = image.point(lambda value: round(value / 17) * 17)
        sixteen_greys.save(buffer, "PNG", dpi=(dpi, dpi))
    else:
        image.save(buffer, "JPEG", quality=quality, dpi=(dpi, dpi))
    return buffer.getvalue()


# ----------------------------------------------------------------------------------------
# Planning the set: kinds, layouts, faults and duplicates
# ----------------------------------------------------------------------------------------

ImageFormat = Literal["png", "jpg"]


@dataclass(frozen=True)
class DocumentPlan:
    """One document to write: its name, how it is made and the invoice printed on it."""

    stem: str
    kind: Kind
    invoice: Invoice
    faults: tuple[Fault, ...] = ()
    duplicate_of: str | None = None
    image_format: ImageFormat | None = None
    facturx_level: FacturxLevel | None = None
    dpi: int = 200

    @property
    def file_name(self) -> str:
        """Return the document's file name."""
        return f"{self.stem}.{self.image_format or 'pdf'}"


def plan_kinds(count: int, rng: random.Random) -> list[Kind]:
    """Return each document's kind, shuffled: mostly text PDFs, a fifth scans, an eighth
    images and up to two Factur-X hybrids."""
    facturx_count = 2 if count >= 20 else 1 if count >= 5 else 0
    scans, images = round(count * 0.2), round(count * 0.125)
    texts = count - facturx_count - scans - images
    kinds = [Kind.TEXT_PDF] * texts + [Kind.SCANNED_PDF] * scans + [Kind.IMAGE] * images
    kinds += [Kind.FACTURX] * facturx_count
    rng.shuffle(kinds)
    return kinds


def plan_layouts(kinds: Sequence[Kind]) -> list[LayoutName]:
    """Return each document's layout: all layouts in turn, French ones for Factur-X."""
    layouts: list[LayoutName] = []
    facturx_seen = others_seen = 0
    for kind in kinds:
        if kind is Kind.FACTURX:
            layouts.append(FACTURX_LAYOUTS[facturx_seen % len(FACTURX_LAYOUTS)])
            facturx_seen += 1
        else:
            layouts.append(LAYOUT_ORDER[others_seen % len(LAYOUT_ORDER)])
            others_seen += 1
    return layouts


@dataclass
class FaultAssignment:
    """Which documents carry a fault, and which earlier document each duplicate repeats."""

    faults: dict[int, Fault] = field(default_factory=dict)
    originals: dict[int, int] = field(default_factory=dict)

    def is_free(self, index: int) -> bool:
        """Return True when the document neither carries a fault nor is duplicated."""
        return index not in self.faults and index not in self.originals.values()

    def clean_texts_before(self, index: int, kinds: Sequence[Kind]) -> list[int]:
        """Return the clean text PDFs before ``index``: what a duplicate may repeat."""
        return [i for i in range(index) if kinds[i] is Kind.TEXT_PDF and self.is_free(i)]


def assign_faults(
    kinds: Sequence[Kind], layouts: list[LayoutName], rng: random.Random
) -> FaultAssignment:
    """Return the faulty documents (one per 5, in ``FAULT_PLAN`` order). A duplicate takes
    the layout of the clean text PDF it repeats, which always comes before it."""
    assignment = FaultAssignment()
    for fault, kind in FAULT_PLAN[: len(kinds) // DOCUMENTS_PER_FAULT]:
        candidates = [i for i, k in enumerate(kinds) if k is kind and assignment.is_free(i)]
        if fault is Fault.SIRET_CHECK:
            candidates = [i for i in candidates if layouts[i] in SIRET_LAYOUTS]
        if fault is Fault.DUPLICATE:
            candidates = [i for i in candidates if assignment.clean_texts_before(i, kinds)]
        if not candidates:
            continue
        chosen = rng.choice(candidates)
        if fault is Fault.DUPLICATE:
            original = rng.choice(assignment.clean_texts_before(chosen, kinds))
            assignment.originals[chosen] = original
            layouts[chosen] = layouts[original]
        assignment.faults[chosen] = fault
    return assignment


def document_stem(index: int, layout: LayoutName, kind: Kind) -> str:
    """Return a file stem that says what the document is: ``fr-classic-0007-scan``."""
    suffix = {Kind.SCANNED_PDF: "-scan", Kind.FACTURX: "-facturx"}.get(kind, "")
    return f"{layout}-{index + 1:04d}{suffix}"


def choose_buyer(seller: Seller, buyers: Sequence[Buyer], rng: random.Random) -> Buyer:
    """Return a customer, usually one from the seller's own country."""
    local = [buyer for buyer in buyers if buyer.address.country == seller.country]
    if local and rng.random() < 0.75:
        return rng.choice(local)
    return rng.choice(buyers)


@dataclass
class InvoiceBook:
    """The sellers, buyers and running numbers an invoice set is drawn from."""

    sellers: list[Seller]
    buyers: list[Buyer]
    ledgers: dict[str, SellerLedger]

    @classmethod
    def draw(cls, rng: random.Random) -> InvoiceBook:
        """Return every seller and buyer with identifiers drawn from ``rng``."""
        sellers = [make_seller(profile, rng) for profile in SELLER_PROFILES]
        buyers = [make_buyer(profile, rng) for profile in BUYER_PROFILES]
        first_day = date(2026, 1, 2)
        ledgers = {
            seller.name: SellerLedger(
                rng.randint(20, 900), first_day + timedelta(days=rng.randint(0, 60))
            )
            for seller in sellers
        }
        return cls(sellers, buyers, ledgers)

    def invoice(self, layout: LayoutName, fault: Fault | None, rng: random.Random) -> Invoice:
        """Return the next invoice of a seller printing with ``layout``, with ``fault``."""
        candidates = [seller for seller in self.sellers if seller.profile.layout == layout]
        if fault is Fault.SIRET_CHECK:
            candidates = [seller for seller in candidates if seller.siret]
        seller = rng.choice(candidates)
        buyer = choose_buyer(seller, self.buyers, rng)
        min_lines = 2 if fault is Fault.LINES_MISMATCH else 1
        invoice = draft_invoice(seller, buyer, self.ledgers[seller.name], rng, min_lines)
        return apply_fault(invoice, fault, rng) if fault else invoice


def plan_documents(count: int, seed: int) -> list[DocumentPlan]:
    """Return the plan of ``count`` documents for ``seed``: pure data, nothing rendered."""
    rng = random.Random(seed)
    book = InvoiceBook.draw(rng)
    kinds = plan_kinds(count, rng)
    layouts = plan_layouts(kinds)
    assignment = assign_faults(kinds, layouts, rng)
    plans: list[DocumentPlan] = []
    for index, (kind, layout) in enumerate(zip(kinds, layouts, strict=True)):
        fault = assignment.faults.get(index)
        original = plans[assignment.originals[index]] if index in assignment.originals else None
        invoice = original.invoice if original else book.invoice(layout, fault, rng)
        plan = DocumentPlan(
            stem=document_stem(index, layout, kind),
            kind=kind,
            invoice=invoice,
            faults=(fault,) if fault else (),
            duplicate_of=original.file_name if original else None,
            image_format=("png" if index % 2 == 0 else "jpg") if kind is Kind.IMAGE else None,
            facturx_level=facturx_level(kind, kinds[:index]),
            dpi=rng.choice((200, 200, 300)) if kind is Kind.SCANNED_PDF else 200,
        )
        plans.append(plan)
    return plans


def facturx_level(kind: Kind, earlier: Sequence[Kind]) -> FacturxLevel | None:
    """Return the Factur-X profile: EN 16931 for the first hybrid, BASIC for the next."""
    if kind is not Kind.FACTURX:
        return None
    return "basic" if Kind.FACTURX in earlier else "en16931"


# ----------------------------------------------------------------------------------------
# Rendering and writing
# ----------------------------------------------------------------------------------------


def render_document(plan: DocumentPlan, seed: int) -> bytes:
    """Return the bytes of the planned document."""
    if plan.kind is Kind.TEXT_PDF:
        return render_pdf(plan.invoice)
    if plan.kind is Kind.FACTURX:
        return render_facturx(plan.invoice, plan.facturx_level or "en16931")
    # The degradation has its own generator so that one document's look does not depend on
    # how many draws the documents before it made.
    rng = random.Random(f"{seed}/{plan.stem}")
    look = ScanLook.draw(rng, white_balanced=plan.image_format == "png")
    page = degrade(rasterise(render_pdf(plan.invoice), plan.dpi), look, rng)
    if plan.image_format is None:
        return scanned_pdf(page, plan.dpi, look.quality, plan.stem)
    return encoded_image(page, plan.image_format, plan.dpi, look.quality)


def expected_extraction(plan: DocumentPlan, document: bytes) -> Extraction:
    """Return the extraction a perfect extractor would give: what is printed on the page."""
    invoice, totals = plan.invoice, plan.invoice.totals
    fields = InvoiceFields(
        invoice_number=invoice.number,
        invoice_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=CURRENCY,
        seller_name=invoice.seller.name,
        seller_vat_id=invoice.printed.vat_id,
        seller_siret=invoice.printed.siret,
        seller_iban=invoice.printed.iban,
        buyer_name=invoice.buyer.name,
        buyer_vat_id=invoice.buyer.vat_id if invoice.show_buyer_vat else None,
        po_number=invoice.po_number,
        total_net=totals.net,
        total_tax=totals.tax,
        total_gross=totals.gross,
        amount_due=invoice.amount_due,
    )
    lines = [
        Line(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            net_amount=line.net_amount,
            tax_rate=line.tax_rate,
        )
        for line in invoice.lines
    ]
    return Extraction(
        source=plan.file_name,
        sha256=hashlib.sha256(document).hexdigest(),
        method=METHOD_BY_KIND[plan.kind],
        language=LANGUAGE_BY_LAYOUT[invoice.layout],
        pages=1,
        fields=fields,
        lines=lines,
        confidence={},
        error=None,
    )


def sample_record(plan: DocumentPlan, document: bytes) -> dict[str, object]:
    """Return the JSON written beside a document: the extraction plus kind and faults."""
    record: dict[str, object] = expected_extraction(plan, document).to_contract()
    record["kind"] = plan.kind.value
    record["faults"] = [fault.value for fault in plan.faults]
    if plan.duplicate_of is not None:
        record["duplicate_of"] = plan.duplicate_of
    return record


# ----------------------------------------------------------------------------------------
# Master data: the buyer's vendor master, purchase orders and goods receipts
# ----------------------------------------------------------------------------------------

# "Today" for the date rules when they check the committed set, so that it never ages.
SAMPLES_REFERENCE_DATE = date(2026, 11, 26)
VENDOR_COLUMNS = (
    "vendor_id", "name", "vat_id", "siret", "iban", "bic", "currency", "payment_terms_days",
    "po_required",
)  # fmt: skip
ORDER_COLUMNS = (
    "po_number", "vendor_id", "currency", "line", "description", "quantity", "unit_price",
    "ordered_on",
)  # fmt: skip
RECEIPT_COLUMNS = ("po_number", "line", "quantity", "received_on", "receipt_id")
MasterRows = dict[str, list[dict[str, str]]]


def vendor_id(seller: Seller) -> str:
    """Return the seller's supplier code in the buyer's ERP: ``SUP-007``."""
    return f"SUP-{SELLER_PROFILES.index(seller.profile) + 1:03d}"


def master_data(plans: Sequence[DocumentPlan]) -> MasterRows:
    """Return the vendor master, purchase-order and goods-receipt rows matching ``plans``.

    Every seller that invoices is in the master with its true identifiers and IBAN (not
    the broken ones a faulty sample prints) and its shortest payment terms. A seller whose
    every invoice quotes a purchase order requires one; those orders are on file with the
    invoiced lines, fully received on the delivery date. Nothing is drawn at random, so
    the documents do not change.
    """
    invoices_by_seller: dict[str, list[Invoice]] = {}
    for plan in plans:
        invoices_by_seller.setdefault(plan.invoice.seller.name, []).append(plan.invoice)
    vendors, orders, receipts = [], [], []
    seen_orders: set[str] = set()
    for invoices in sorted(invoices_by_seller.values(), key=lambda i: vendor_id(i[0].seller)):
        seller = invoices[0].seller
        po_required = all(invoice.po_number for invoice in invoices)
        vendors.append(
            {
                "vendor_id": vendor_id(seller),
                "name": seller.name,
                "vat_id": seller.vat_id,
                "siret": seller.siret or "",
                "iban": seller.iban,
                "bic": seller.bank.bic,
                "currency": CURRENCY,
                "payment_terms_days": str(min(invoice.payment_days for invoice in invoices)),
                "po_required": "yes" if po_required else "no",
            }
        )
        if not po_required:
            continue
        for invoice in invoices:
            if invoice.po_number is None or invoice.po_number in seen_orders:
                continue
            seen_orders.add(invoice.po_number)
            for number, line in enumerate(invoice.lines, start=1):
                orders.append(
                    {
                        "po_number": invoice.po_number,
                        "vendor_id": vendor_id(seller),
                        "currency": CURRENCY,
                        "line": str(number),
                        "description": line.description,
                        "quantity": format(line.quantity, "f"),
                        "unit_price": f"{line.unit_price:.2f}",
                        "ordered_on": (invoice.delivery_date - timedelta(days=14)).isoformat(),
                    }
                )
                receipts.append(
                    {
                        "po_number": invoice.po_number,
                        "line": str(number),
                        "quantity": format(line.quantity, "f"),
                        "received_on": invoice.delivery_date.isoformat(),
                        "receipt_id": f"GR-{len(receipts) + 1:05d}",
                    }
                )
    return {"vendors.csv": vendors, "purchase_orders.csv": orders, "goods_receipts.csv": receipts}


def write_master_data(out_dir: Path, plans: Sequence[DocumentPlan]) -> list[Path]:
    """Write the master-data CSV files of ``plans`` into ``out_dir``; return their paths."""
    columns = {
        "vendors.csv": VENDOR_COLUMNS,
        "purchase_orders.csv": ORDER_COLUMNS,
        "goods_receipts.csv": RECEIPT_COLUMNS,
    }
    written = []
    for name, rows in master_data(plans).items():
        path = out_dir / name
        with path.open("w", encoding="utf-8", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=columns[name], lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        written.append(path)
    return written


def generate(out_dir: Path, *, count: int = 40, seed: int = 2026) -> list[Path]:
    """Write ``count`` sample invoices with their JSON into ``out_dir``; return the documents.

    The buyer's master data matching them is written beside them: ``vendors.csv``,
    ``purchase_orders.csv`` and ``goods_receipts.csv``. Only the generator's own file names
    are written (overwritten if present); nothing is deleted.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    plans = plan_documents(count, seed)
    for plan in plans:
        document = render_document(plan, seed)
        path = out_dir / plan.file_name
        path.write_bytes(document)
        record = json.dumps(sample_record(plan, document), indent=2, ensure_ascii=False)
        (out_dir / f"{plan.stem}.json").write_text(record + "\n", encoding="utf-8")
        written.append(path)
    write_master_data(out_dir, plans)
    return written


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and write the sample set."""
    parser = argparse.ArgumentParser(
        description="Generate sample invoices beside their expected extraction JSON."
    )
    parser.add_argument("--out", type=Path, default=Path("samples/invoices"), help="directory")
    parser.add_argument("--count", type=int, default=40, help="number of documents")
    parser.add_argument("--seed", type=int, default=2026, help="same seed, same bytes")
    arguments = parser.parse_args(argv)
    if arguments.count < 1:
        parser.error("--count must be at least 1")
    paths = generate(arguments.out, count=arguments.count, seed=arguments.seed)
    print(f"wrote {len(paths)} documents and their JSON to {arguments.out}")


if __name__ == "__main__":
    main()
