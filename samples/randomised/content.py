"""What one randomised invoice says: parties, number, dates, lines and their arithmetic.

Content is drawn per document (family, index, seed); how it is laid out is the family's.
Every invoice is clean: lines sum to the net, VAT per rate is base x rate rounded half-up,
net + VAT = gross, and the amount due is the gross less a printed deposit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from samples.invoices.generate import CATALOGUES, CatalogItem, to_money
from samples.randomised.family import Family
from samples.randomised.parties import Party, address_lines, make_party

VAT_RATES: dict[str, dict[str, Decimal]] = {
    "FR": {"standard": Decimal("20"), "intermediate": Decimal("10"), "reduced": Decimal("5.5"),
           "press": Decimal("2.1")},
    "BE": {"standard": Decimal("21"), "intermediate": Decimal("12"), "reduced": Decimal("6")},
    "DE": {"standard": Decimal("19"), "reduced": Decimal("7")},
    "AT": {"standard": Decimal("20"), "intermediate": Decimal("13"), "reduced": Decimal("10")},
    "GB": {"standard": Decimal("20"), "reduced": Decimal("5")},
    "US": {"standard": Decimal("8.25")},
    "ES": {"standard": Decimal("21"), "intermediate": Decimal("10"), "reduced": Decimal("4")},
    "IT": {"standard": Decimal("22"), "intermediate": Decimal("10"), "reduced": Decimal("4")},
    "NL": {"standard": Decimal("21"), "reduced": Decimal("9")},
}  # fmt: skip

_item = CatalogItem
EXTRA_CATALOGUES: dict[str, tuple[CatalogItem, ...]] = {
    "es": (
        _item("CONS-H", "Servicios de consultoría (hora)", 60, 120, unit="hour"),
        _item("PAP-A4", "Papel A4 80 g (caja de 5 paquetes)", 18, 32),
        _item("MNT-MES", "Mantenimiento informático (mes)", 150, 600, unit="month"),
        _item("LIB-TEC", "Libro técnico de contabilidad", 25, 60, "reduced"),
        _item("CAT-MEN", "Menú del día (por persona)", 12, 25, "intermediate"),
        _item("TON-NEG", "Tóner láser negro", 50, 110),
        _item("INS-ELE", "Instalación eléctrica (hora)", 35, 60, unit="hour"),
        _item("SIL-ERG", "Silla de oficina ergonómica", 150, 380),
        _item("TRN-DIA", "Formación presencial (día)", 400, 900, unit="day"),
        _item("AGU-6", "Agua mineral 1,5 L (pack de 6)", 2, 5, "intermediate"),
    ),
    "it": (
        _item("CONS-G", "Consulenza tecnica (giornata)", 500, 950, unit="day"),
        _item("CAR-A4", "Carta A4 80 g (risma da 500 fogli)", 4, 9),
        _item("ASS-MES", "Assistenza software (mese)", 120, 500, unit="month"),
        _item("LIB-FIS", "Manuale di diritto tributario", 30, 70, "reduced"),
        _item("PRA-PER", "Pranzo di lavoro (a persona)", 15, 35, "intermediate"),
        _item("TON-NER", "Toner laser nero", 55, 115),
        _item("MAN-ORA", "Manodopera tecnico (ora)", 35, 65, unit="hour"),
        _item("SED-ERG", "Sedia da ufficio ergonomica", 160, 400),
        _item("COR-GIO", "Corso di formazione (giornata)", 450, 900, unit="day"),
        _item("CAF-KG", "Caffè in grani 1 kg", 14, 28, "intermediate"),
    ),
    "nl": (
        _item("ADV-UUR", "Adviesdiensten (uur)", 80, 150, unit="hour"),
        _item("PAP-A4", "Kopieerpapier A4 (doos van 5 pakken)", 18, 34),
        _item("HOST-MND", "Hosting zakelijk pakket (maand)", 60, 300, unit="month"),
        _item("BOEK-BH", "Vakboek boekhouden", 30, 65, "reduced"),
        _item("LUN-PP", "Lunch per persoon", 12, 28, "reduced"),
        _item("TON-ZW", "Tonercartridge zwart", 50, 110),
        _item("MONT-UUR", "Montage op locatie (uur)", 45, 85, unit="hour"),
        _item("BUR-STL", "Ergonomische bureaustoel", 170, 420),
        _item("TRA-DAG", "Training (dag)", 500, 950, unit="day"),
        _item("KOF-1KG", "Koffiebonen 1 kg", 14, 30, "reduced"),
    ),
}


def catalogue(language: str) -> tuple[CatalogItem, ...]:
    """Return every item a seller writing ``language`` may sell (duplicates removed)."""
    names = {
        "fr": ("office-fr", "services-fr", "catering-fr", "print-fr", "works-fr", "events-be"),
        "en": ("it-en", "office-en", "it-en-fr"),
        "de": ("office-de", "it-de"),
    }
    if language in EXTRA_CATALOGUES:
        return EXTRA_CATALOGUES[language]
    seen: dict[str, CatalogItem] = {}
    for name in names[language]:
        for entry in CATALOGUES[name]:
            seen.setdefault(entry.description, entry)
    return tuple(seen.values())


DETAILS: dict[str, tuple[str, ...]] = {
    "fr": ("Projet P-{n}", "Lot n° {n}", "Site de {city}", "Selon devis D{n}", "Contrat C-{n}"),
    "en": ("Project ref. P-{n}", "Serial no. SN{n}", "Site: {city}", "As quoted Q{n}"),
    "de": ("Projekt P-{n}", "Seriennr. {n}", "Standort {city}", "Gemäß Angebot A{n}"),
    "es": ("Proyecto P-{n}", "Lote {n}", "Según presupuesto {n}"),
    "it": ("Progetto P-{n}", "Lotto {n}", "Come da preventivo {n}"),
    "nl": ("Project P-{n}", "Serienr. {n}", "Volgens offerte {n}"),
}
CITIES = ("Lyon", "Hamburg", "Leeds", "Madrid", "Torino", "Utrecht", "Lille", "Bristol")
UNITS: dict[str, dict[str, str]] = {
    "fr": {"piece": "u", "hour": "h", "day": "j", "month": "mois", "area": "m²"},
    "en": {"piece": "pc", "hour": "hrs", "day": "days", "month": "mo", "area": "m²"},
    "de": {"piece": "Stk.", "hour": "Std.", "day": "Tag", "month": "Mon.", "area": "m²"},
    "es": {"piece": "ud", "hour": "h", "day": "día", "month": "mes", "area": "m²"},
    "it": {"piece": "pz", "hour": "h", "day": "gg", "month": "mese", "area": "m²"},
    "nl": {"piece": "st", "hour": "uur", "day": "dag", "month": "mnd", "area": "m²"},
}


@dataclass(frozen=True)
class InvoiceLine:
    """One printed line; ``net_amount`` is quantity x unit price less the discount."""

    code: str
    description: tuple[str, ...]  # printed lines of the description
    quantity: Decimal
    unit: str
    unit_price: Decimal
    discount: Decimal  # percent, 0 when none
    tax_rate: Decimal

    @property
    def net_amount(self) -> Decimal:
        """Return the line's net amount rounded half-up to the cent."""
        return to_money(self.quantity * self.unit_price * (100 - self.discount) / 100)


@dataclass(frozen=True)
class VatSubtotal:
    """The VAT at one rate: base x rate rounded half-up."""

    rate: Decimal
    base: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Invoice:
    """Everything one randomised invoice prints; None means not printed."""

    seller: Party
    buyer: Party
    number: str
    issue_date: date
    due_date: date | None
    payment_days: int
    po_number: str | None
    delivery_date: date | None  # printed when not None: a date that is not the invoice's
    customer_no: str | None
    ship_to: tuple[str, ...] | None  # a delivery address: a name that is not the buyer's
    show_buyer_vat: bool
    lines: tuple[InvoiceLine, ...]
    vat: tuple[VatSubtotal, ...]
    deposit: Decimal

    @property
    def net(self) -> Decimal:
        """Return the net total."""
        return sum((entry.base for entry in self.vat), Decimal("0"))

    @property
    def tax(self) -> Decimal:
        """Return the VAT total."""
        return sum((entry.tax for entry in self.vat), Decimal("0"))

    @property
    def gross(self) -> Decimal:
        """Return the gross total."""
        return self.net + self.tax

    @property
    def amount_due(self) -> Decimal:
        """Return the gross less the deposit already paid."""
        return self.gross - self.deposit


def vat_breakdown(lines: tuple[InvoiceLine, ...]) -> tuple[VatSubtotal, ...]:
    """Return one subtotal per rate, highest rate first."""
    bases: dict[Decimal, Decimal] = {}
    for line in lines:
        bases[line.tax_rate] = bases.get(line.tax_rate, Decimal("0")) + line.net_amount
    return tuple(
        VatSubtotal(rate, base, to_money(base * rate / 100))
        for rate, base in sorted(bases.items(), reverse=True)
    )


def quantity_for(entry: CatalogItem, rng: random.Random) -> Decimal:
    """Return a plausible quantity: few expensive items, half hours and days."""
    if entry.unit in ("hour", "day"):
        return Decimal(rng.randint(1, 24 if entry.unit == "hour" else 20)) / 2
    if entry.unit == "month":
        return Decimal(rng.choice((1, 1, 2, 3, 6, 12)))
    if entry.unit == "area":
        return Decimal(rng.randint(8, 140))
    if entry.high >= 300:
        return Decimal(rng.randint(1, 3))
    return Decimal(rng.choice((1, 2, 3, 4, 5, 6, 8, 10, 12, 20, 24, 50)))


def draw_lines(family: Family, country: str, rng: random.Random) -> tuple[InvoiceLine, ...]:
    """Return the invoice's lines: the family decides how many, discounts and details."""
    items = list(catalogue(family.language))
    rates = VAT_RATES[country]
    if not family.multi_rate:
        items = [entry for entry in items if entry.band == "standard"] or items
    if rng.random() < family.long_rate:
        count = rng.randint(14, min(34, 3 * len(items)))
    else:
        count = rng.choices(range(1, 9), weights=(10, 14, 16, 14, 12, 9, 7, 6))[0]
    chosen = [items[i % len(items)] for i in rng.sample(range(3 * len(items)), count)]
    lines = []
    for position, entry in enumerate(chosen):
        description: tuple[str, ...] = (entry.description,)
        repeat = sum(1 for earlier in chosen[:position] if earlier is entry)
        if repeat or rng.random() < family.multiline_rate:
            detail = rng.choice(DETAILS[family.language])
            city = rng.choice(CITIES)
            description += (detail.format(n=rng.randint(100, 9999), city=city),)
        discount = Decimal("0")
        if family.discounts and rng.random() < 0.4:
            discount = Decimal(rng.choice((5, 10, 15, 20, 25)))
        band = entry.band if entry.band in rates else "standard"
        quantity = quantity_for(entry, rng) if family.has_quantity else Decimal("1")
        price = Decimal(rng.randint(entry.low * 100, entry.high * 100)) / 100
        if not family.has_quantity:
            price = to_money(price * quantity_for(entry, rng))
        lines.append(
            InvoiceLine(
                code=f"{entry.reference}" if not repeat else f"{entry.reference}-{repeat + 1}",
                description=description,
                quantity=quantity.normalize(),
                unit=UNITS[family.language][entry.unit],
                unit_price=price,
                discount=discount,
                tax_rate=rates[band],
            )
        )
    return tuple(lines)


def invoice_number(template: str, day: date, rng: random.Random) -> str:
    """Return an invoice number from a family template such as ``FA/{yy}/{n:05d}``."""
    return template.format(year=day.year, yy=f"{day.year % 100:02d}", month=f"{day.month:02d}",
                           n=rng.randint(1, 99999))  # fmt: skip


SITES: dict[str, tuple[str, ...]] = {
    "fr": ("Entrepôt", "Site de", "Agence de"),
    "en": ("Warehouse", "Site office", "Depot"),
    "de": ("Lager", "Werk", "Niederlassung"),
    "es": ("Almacén", "Delegación"),
    "it": ("Magazzino", "Sede di"),
    "nl": ("Magazijn", "Vestiging"),
}
ATTENTION: dict[str, tuple[str, ...]] = {
    "fr": ("À l'attention de", "Attn."), "en": ("Attn:", "FAO"), "de": ("z. Hd.", "Attn."),
    "es": ("A la atención de",), "it": ("Alla c.a. di",), "nl": ("T.a.v.",),
}  # fmt: skip
PEOPLE = ("Marie Laurent", "John Carter", "Anna Schulz", "Lucía Gómez", "Marco Conti",
          "Sanne de Boer", "Paul Martin", "Emma Wilson", "Jonas Keller")  # fmt: skip
PO_TEMPLATES = ("PO-{n:05d}", "BC{year}-{n:04d}", "45{n:08d}", "PO/{year}/{n:04d}",
                "CMD-{n:04d}", "{n:06d}", "P{n:07d}")  # fmt: skip


def draw_invoice(family: Family, index: int, seed: int) -> Invoice:
    """Return the content of document ``index`` of ``family`` under ``seed``."""
    rng = random.Random(f"randomised/{seed}/{family.number}/{index}")
    country = rng.choice(family.seller_countries)
    buyer_country = country if rng.random() < 0.7 else rng.choice(family.buyer_countries)
    seller = make_party(country, rng, legal_form=family.legal_form, foreign=False, seller=True)
    buyer = make_party(
        buyer_country,
        rng,
        legal_form=rng.random() < 0.8,
        foreign=buyer_country != country,
        seller=False,
    )
    issue = date(2026, 1, 15) + timedelta(days=rng.randint(0, 318))
    days = rng.choice(family.payment_days)
    lines = draw_lines(family, country, rng)
    vat = vat_breakdown(lines)
    gross = sum((entry.base + entry.tax for entry in vat), Decimal("0"))
    deposit = Decimal("0")
    if gross >= 200 and rng.random() < family.deposit_rate:
        share = Decimal(rng.choice((20, 30, 40, 50))) / 100
        deposit = (gross * share).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    po_number = None
    if rng.random() < family.po_rate:
        template = rng.choice(PO_TEMPLATES)
        po_number = template.format(n=rng.randint(1, 99999), year=issue.year)
    delivery = issue - timedelta(days=rng.randint(1, 12))
    customer_no = rng.choice(("C{n:05d}", "{n:06d}", "CL-{n:04d}", "K{n:05d}")).format(
        n=rng.randint(10, 9999)
    )
    ship_to = None
    if rng.random() < family.ship_to_rate:
        site = rng.choice(SITES[family.language])
        attention = f"{rng.choice(ATTENTION[family.language])} {rng.choice(PEOPLE)}"
        name = rng.choice((f"{site} {rng.choice(CITIES)}", attention))
        ship_to = (name, *address_lines(buyer.country, rng, foreign=False))
    return Invoice(
        seller=seller,
        buyer=buyer,
        number=invoice_number(family.number_template, issue, rng),
        issue_date=issue,
        due_date=issue + timedelta(days=days) if family.shows_due_date(country) else None,
        payment_days=days,
        po_number=po_number,
        delivery_date=delivery if rng.random() < family.delivery_rate else None,
        customer_no=customer_no if rng.random() < family.customer_no_rate else None,
        ship_to=ship_to,
        show_buyer_vat=buyer.vat_id is not None and rng.random() < family.buyer_vat_rate,
        lines=lines,
        vat=vat,
        deposit=deposit,
    )
