"""Parties and catalogues: the sellers, the buyers and what the sellers sell."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from reportlab.lib.colors import Color, HexColor
from stdnum.fr import siren as fr_siren

from samples.invoices.generate.identifiers import BANKS, Bank, make_iban, make_siret, make_vat_id

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
