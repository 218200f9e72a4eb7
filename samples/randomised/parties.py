"""Sellers and buyers of randomised invoices: names, addresses and valid identifiers.

Names are assembled from parts per country so that the reader cannot learn a closed list of
suppliers; every VAT number, SIRET and IBAN carries valid check digits (python-stdnum).
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from stdnum import iban, luhn
from stdnum.es import ccc, cif

from samples.invoices.generate import (
    BANKS,
    Bank,
    french_vat_id,
    make_be_vat_id,
    make_de_vat_id,
    make_gb_vat_id,
    make_iban,
    make_siret,
    random_digits,
)

COUNTRIES: tuple[str, ...] = ("FR", "BE", "DE", "GB", "US", "ES", "IT", "NL", "AT")

LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "FR": ("SAS", "SARL", "SA", "EURL", "SASU"),
    "BE": ("SRL", "SA", "BV", "NV"),
    "DE": ("GmbH", "AG", "GmbH & Co. KG", "e.K."),
    "AT": ("GmbH", "KG"),
    "GB": ("Ltd", "Limited", "LLP", "plc"),
    "US": ("Inc.", "LLC", "Corp."),
    "ES": ("S.L.", "S.A."),
    "IT": ("S.r.l.", "S.p.A."),
    "NL": ("B.V.", "N.V."),
}
NAME_PARTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "FR": (
        ("Atelier", "Groupe", "Maison", "Cabinet", "Société", "Comptoir", "Studio", "Ets"),
        ("Lefèvre", "du Vieux Port", "Garnier", "Beaulieu", "des Alpes", "Rousseau", "Mercier",
         "Océane", "Dubois", "Lumière", "Valmont", "Saint-Clair", "Chevalier", "Fauré"),
    ),
    "BE": (
        ("Atelier", "Brasserie", "Bureau", "Maison", "Groupe"),
        ("Van den Berg", "Dumont", "Meuse", "Lambert", "Peeters", "Ardenne", "Janssens"),
    ),
    "DE": (
        ("Schmidt", "Weber", "Becker", "Neumann", "Krüger", "Wagner", "Fischer", "Bauer",
         "Richter", "Lorenz", "Hartmann"),
        ("Technik", "Systeme", "Bürobedarf", "Logistik", "Elektro", "Druck", "Consulting",
         "Handel", "Software", "Gebäudeservice"),
    ),
    "AT": (
        ("Huber", "Gruber", "Pichler", "Steiner", "Moser"),
        ("Technik", "Handel", "Bau", "Datenservice"),
    ),
    "GB": (
        ("Ashford", "Pennine", "Thames", "Redbrick", "Oakley", "Kingsway", "Harbour",
         "Blackwood", "Greenfield", "Sterling", "Mercia", "Cobalt"),
        ("Supplies", "Consulting", "Digital", "Engineering", "Facilities", "Logistics",
         "Print", "Analytics", "Catering", "Systems"),
    ),
    "US": (
        ("Lakeshore", "Summit", "Redwood", "Bluebird", "Liberty", "Granite", "Prairie",
         "Hudson", "Cascade"),
        ("Software", "Supply Co.", "Labs", "Solutions", "Industries", "Partners", "Media"),
    ),
    "ES": (
        ("Distribuciones", "Servicios", "Talleres", "Grupo", "Suministros"),
        ("Iberia", "Levante", "García", "Sol", "Montaña", "Castilla", "Navarro"),
    ),
    "IT": (
        ("Forniture", "Servizi", "Officine", "Studio", "Gruppo"),
        ("Rossi", "Bianchi", "Adriatico", "Lombarda", "Ferrari", "Toscana", "Romano"),
    ),
    "NL": (
        ("De Vries", "Bakker", "Jansen", "Visser", "Smit", "Meijer", "Mulder"),
        ("Techniek", "Groep", "Advies", "Handel", "Installaties", "Logistiek"),
    ),
}  # fmt: skip
STREETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "FR": (
        ("rue de la Paix", "avenue Victor Hugo", "boulevard Gambetta", "rue des Lilas",
         "allée des Chênes", "quai Saint-Michel", "rue Pasteur"),
        ("75008 Paris", "69003 Lyon", "13001 Marseille", "33000 Bordeaux", "59000 Lille",
         "44000 Nantes", "67000 Strasbourg", "31000 Toulouse"),
    ),
    "BE": (
        ("Rue Royale", "Avenue Louise", "Chaussée de Wavre", "Rue Neuve"),
        ("1000 Bruxelles", "4000 Liège", "5000 Namur", "1050 Ixelles"),
    ),
    "DE": (
        ("Hauptstraße", "Bahnhofstraße", "Gartenweg", "Lindenallee", "Schillerstraße",
         "Industriestraße"),
        ("10115 Berlin", "80331 München", "50667 Köln", "60311 Frankfurt am Main",
         "70173 Stuttgart", "04109 Leipzig"),
    ),
    "AT": (("Mariahilfer Straße", "Ringstraße", "Landstraße"), ("1010 Wien", "4020 Linz")),
    "GB": (
        ("High Street", "Station Road", "Victoria Road", "Mill Lane", "King Street"),
        ("Leeds LS1 4DY", "Bristol BS1 5TR", "London EC2A 4NE", "Manchester M1 2AP",
         "Birmingham B3 2HJ", "Edinburgh EH2 4AD"),
    ),
    "US": (
        ("Market Street", "Main Street", "Oak Avenue", "Broadway", "Pine Street"),
        ("San Francisco, CA 94105", "Austin, TX 78701", "Chicago, IL 60601",
         "New York, NY 10013", "Seattle, WA 98101"),
    ),
    "ES": (
        ("Calle Mayor", "Avenida de América", "Calle de Alcalá", "Paseo de Gracia"),
        ("28013 Madrid", "08007 Barcelona", "46002 Valencia", "41001 Sevilla"),
    ),
    "IT": (
        ("Via Roma", "Corso Italia", "Via Garibaldi", "Viale Monza"),
        ("20121 Milano", "00184 Roma", "10121 Torino", "40121 Bologna"),
    ),
    "NL": (
        ("Keizersgracht", "Stationsplein", "Dorpsstraat", "Kerkstraat"),
        ("1015 CJ Amsterdam", "3011 AD Rotterdam", "3511 LX Utrecht", "2511 BT Den Haag"),
    ),
}  # fmt: skip
COUNTRY_NAMES: dict[str, str] = {
    "FR": "France", "BE": "Belgique", "DE": "Deutschland", "AT": "Österreich",
    "GB": "United Kingdom", "US": "USA", "ES": "España", "IT": "Italia", "NL": "Nederland",
}  # fmt: skip
DIAL_CODES: dict[str, str] = {
    "FR": "33", "BE": "32", "DE": "49", "AT": "43", "GB": "44", "US": "1", "ES": "34",
    "IT": "39", "NL": "31",
}  # fmt: skip
EXTRA_BANKS: dict[str, tuple[Bank, ...]] = {
    "ES": (
        Bank("Banco Santander", "0049", "BSCHESMMXXX"),
        Bank("CaixaBank", "2100", "CAIXESBBXXX"),
    ),
    "IT": (Bank("Intesa Sanpaolo", "03069", "BCITITMM"), Bank("UniCredit", "02008", "UNCRITMM")),
    "NL": (Bank("ING Bank", "INGB", "INGBNL2A"), Bank("ABN AMRO", "ABNA", "ABNANL2A")),
    "AT": (Bank("Erste Bank", "20111", "GIBAATWWXXX"), Bank("Raiffeisen", "32000", "RLNWATWW")),
}


@dataclass(frozen=True)
class Party:
    """A seller or a buyer as printed: name, address lines and identifiers."""

    name: str
    country: str
    address: tuple[str, ...]
    vat_id: str | None
    siret: str | None
    iban: str | None
    bic: str | None
    phone: str
    email: str
    register: str | None


SYLLABLES: tuple[str, ...] = (
    "ar", "bel", "cor", "da", "en", "fal", "gro", "hal", "in", "ka", "lor", "mar", "nor",
    "or", "pel", "quin", "ros", "sol", "tan", "ul", "ver", "wes", "xa", "zen", "vi", "tri",
    "lum", "bri", "sta", "mon",
)  # fmt: skip


def pseudo_word(rng: random.Random) -> str:
    """Return a made-up, pronounceable brand word (Velmar, Trisolor...)."""
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def company_name(country: str, rng: random.Random, *, legal_form: bool) -> str:
    """Return a made-up company name of ``country``, with or without its legal form; half
    of them around an invented brand word, so that no closed list of names can be learnt."""
    first, second = NAME_PARTS[country]
    if rng.random() < 0.5:
        name = f"{rng.choice(first)} {rng.choice(second)}"
    elif country in ("DE", "AT", "NL"):
        name = f"{pseudo_word(rng)} {rng.choice(second)}"
    else:
        name = (
            f"{rng.choice(first)} {pseudo_word(rng)}"
            if rng.random() < 0.5
            else (f"{pseudo_word(rng)} {rng.choice(second)}")
        )
    return f"{name} {rng.choice(LEGAL_FORMS[country])}" if legal_form else name


def address_lines(country: str, rng: random.Random, *, foreign: bool) -> tuple[str, ...]:
    """Return the street line, the city line and, for a foreign party, the country."""
    streets, cities = STREETS[country]
    street = rng.choice(streets)
    number = rng.randint(1, 180)
    if country in ("DE", "AT", "NL", "BE", "IT", "ES"):
        line = f"{street} {number}" if country != "IT" else f"{street}, {number}"
    else:
        line = f"{number} {street}"
    lines = (line, rng.choice(cities))
    return (*lines, COUNTRY_NAMES[country]) if foreign else lines


def make_vat(country: str, rng: random.Random, siret: str | None) -> str | None:
    """Return a valid VAT number of ``country`` (None for the US, which has none)."""
    if country == "FR":
        return french_vat_id(siret or make_siret(rng))
    if country == "BE":
        return make_be_vat_id(rng)
    if country == "DE":
        return make_de_vat_id(rng)
    if country == "GB":
        return make_gb_vat_id(rng)
    if country == "ES":
        body = "B" + random_digits(rng, 7)
        return f"ES{body}{cif.calc_check_digits(body)[0]}"
    if country == "IT":
        body = random_digits(rng, 7) + f"{rng.randint(1, 100):03d}"
        return f"IT{body}{luhn.calc_check_digit(body)}"
    if country == "NL":
        return "NL" + _dutch_fiscal_number(rng) + f"B{rng.randint(1, 99):02d}"
    if country == "AT":
        return _austrian_vat(rng)
    return None


def _dutch_fiscal_number(rng: random.Random) -> str:
    while True:
        body = random_digits(rng, 8)
        weights = range(9, 1, -1)
        check = sum(int(digit) * weight for digit, weight in zip(body, weights, strict=True)) % 11
        if check < 10:
            return body + str(check)


def _austrian_vat(rng: random.Random) -> str:
    body = random_digits(rng, 7)
    total = 0
    for position, digit in enumerate(body):
        value = int(digit) * (2 if position % 2 else 1)
        total += value // 10 + value % 10
    return f"ATU{body}{(96 - total) % 10}"


def make_account(country: str, rng: random.Random) -> tuple[str | None, str | None]:
    """Return a valid IBAN and its BIC for a party of ``country`` (none for the US)."""
    if country in BANKS:
        bank = rng.choice(BANKS[country])
        return make_iban(country, bank, rng), bank.bic
    if country not in EXTRA_BANKS:
        return None, None
    bank = rng.choice(EXTRA_BANKS[country])
    if country == "ES":
        branch, account = f"{rng.randint(0, 9999):04d}", f"{rng.randint(0, 10**10 - 1):010d}"
        check = ccc.calc_check_digits(bank.code + branch + "00" + account)
        bban = bank.code + branch + check + account
    elif country == "IT":
        bban = rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + bank.code + f"{rng.randint(0, 99999):05d}"
        bban += f"{rng.randint(0, 10**12 - 1):012d}"
    elif country == "NL":
        bban = bank.code + f"{rng.randint(10**8, 10**10 - 1):010d}"
    else:
        bban = bank.code + f"{rng.randint(0, 10**11 - 1):011d}"
    value = country + iban.calc_check_digits(f"{country}00{bban}") + bban
    return (value, bank.bic) if iban.is_valid(value) else make_account(country, rng)


def make_register(country: str, siret: str | None, city: str, rng: random.Random) -> str | None:
    """Return the company-register mention of a seller's footer."""
    if country == "FR" and siret:
        return f"RCS {city.split(' ', 1)[-1]} {siret[:3]} {siret[3:6]} {siret[6:9]}"
    if country in ("DE", "AT"):
        return f"Amtsgericht {city.split(' ', 1)[-1]} HRB {rng.randint(10000, 249999)}"
    if country == "GB":
        return f"Company No. {rng.randint(1, 15999999):08d}"
    if country == "NL":
        return f"KvK {rng.randint(10**7, 10**8 - 1)}"
    if country == "US":
        return f"EIN {rng.randint(10, 99)}-{rng.randint(10**6, 10**7 - 1)}"
    return None


def make_party(
    country: str, rng: random.Random, *, legal_form: bool, foreign: bool, seller: bool
) -> Party:
    """Return a party of ``country`` with valid identifiers (a seller also gets a bank)."""
    base = company_name(country, rng, legal_form=False)
    name = f"{base} {rng.choice(LEGAL_FORMS[country])}" if legal_form else base
    address = address_lines(country, rng, foreign=foreign)
    siret = make_siret(rng) if country == "FR" else None
    account, bic = make_account(country, rng) if seller else (None, None)
    ascii_name = unicodedata.normalize("NFKD", base.split()[-1].lower())
    slug = "".join(char for char in ascii_name if char.isalpha() and char.isascii())
    domain = {"GB": "co.uk", "US": "com"}.get(country, country.lower())
    mailbox = rng.choice(("billing", "accounts", "factures", "info", "office"))
    return Party(
        name=name,
        country=country,
        address=address,
        vat_id=make_vat(country, rng, siret),
        siret=siret,
        iban=account,
        bic=bic,
        phone=f"+{DIAL_CODES[country]} {random_digits(rng, 2)} {random_digits(rng, 3)} "
        f"{random_digits(rng, 4)}",
        email=f"{mailbox}@{slug or 'mail'}.{domain}",
        register=make_register(country, siret, address[1], rng) if seller else None,
    )
