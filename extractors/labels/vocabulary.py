"""Word lists: item-table column headers, number fillers, legal forms, salutations, the
words that tell a document's language."""

from __future__ import annotations

# Column headers of an item table, by the line field they head.
COLUMN_LABELS: dict[str, dict[str, float]] = {
    "description": {
        "désignation": 1.0,
        "description": 1.0,
        "libellé": 1.0,
        "article": 1.0,
        "produit": 1.0,
        "prestation": 1.0,
        "détail": 1.0,
        "items": 1.0,
        "product": 1.0,
        "product title": 1.0,
        "produkt": 1.0,
        "service": 1.0,
        "details": 1.0,
        "beschreibung": 1.0,
        "bezeichnung": 1.0,
        "artikelbezeichnung": 1.0,
        "artikelbeschreibung": 1.0,
        "artikel": 1.0,
        "leistung": 1.0,
        "omschrijving": 1.0,
        # "Item" heads the description in some tables, the line number in others.
        "item": 0.6,
    },
    "quantity": dict.fromkeys(
        (
            "qté",
            "qte",
            "quantité",
            "qty",
            "quantity",
            "nombre",
            "menge",
            "anzahl",
            "aantal",
            "hoeveelheid",
            "hours",
            "heures",
        ),
        1.0,
    ),
    "unit_price": dict.fromkeys(
        (
            "prix unitaire",
            "prix unitaire ht",
            "prix unit. ht",
            "prix unit",
            "pu ht",
            "p.u. ht",
            "p.u",
            "prix u. ht",
            "unit price",
            "price",
            "rate",
            "unit cost",
            "einzelpreis",
            "einzel",
            "preis",
            "nettopreis",
            "stückpreis",
            "vk-preis",
            "prijs",
            "prijs per stuk",
            "preis/einheit",
            "preis pro einheit",
            "prix/unité",
        ),
        1.0,
    ),
    "net_amount": dict.fromkeys(
        (
            "montant ht",
            "total ht",
            "montant",
            "prix ht",
            "total",
            "amount",
            "line total",
            "net amount",
            "net",
            "betrag",
            "gesamt",
            "gesamtpreis",
            "nettobetrag",
            "nettowert",
            "summe",
            "zeilenbetrag",
            "entgelt",
            "bedrag",
            "price w/o tax",
            "positionsbetrag",
        ),
        1.0,
    ),
    "tax_rate": dict.fromkeys(
        (
            "tva",
            "tva %",
            "taux tva",
            "taux de tva",
            "vat",
            "vat %",
            "vat rate",
            "tax",
            "taxes",
            "tax rate",
            "tax(%)",
            "mwst",
            "mwst.-%",
            "mwst-%",
            "ust",
            "ust %",
            "steuersatz",
            "steuer",
            "btw",
        ),
        1.0,
    ),
}

# Columns of the item table that hold no line field (position, article code, discount):
# known so that their words are not taken for the description or a number.
IGNORED_COLUMN = "ignored"
COLUMN_LABELS[IGNORED_COLUMN] = dict.fromkeys(
    (
        "pos",
        "pos.",
        "position",
        "n°",
        "#",
        "réf",
        "référence",
        "code",
        "art-nr",
        "art.nr",
        "artikelnummer",
        "sku",
        "gtin",
        "ean",
        "rem",
        "remise",
        "disc",
        "discount",
        "rabatt",
        "unit",
        "unité",
        "einheit",
        "meng.-einheit",
        "vke/geb",
    ),
    1.0,
)

# Words that stand between a title label and its number ("Rechnung Nr. 42",
# "Handelsrechnung (380) Nr. 471102") and are not part of the value.
NUMBER_FILLERS: frozenset[str] = frozenset(
    {"nr", "no", "n", "no.", "n°", "nº", "#", "number", "numéro", "numero", "num", ":", "-", "/"}
)

# Words linking an invoice number to its date in sentence forms ("... du 14 novembre 2026").
DATE_CONNECTORS: frozenset[str] = frozenset(
    {"du", "vom", "von", "of", "dated", "from", "le", "date", "issued"}
)

# Legal forms that end a company name, folded, without dots.
LEGAL_FORMS: frozenset[str] = frozenset(
    {
        "sa",
        "sas",
        "sasu",
        "sarl",
        "eurl",
        "snc",
        "sca",
        "scop",
        "sci",
        "selarl",
        "gmbh",
        "ag",
        "kg",
        "ohg",
        "ek",
        "ug",
        "gbr",
        "kgaa",
        "se",
        "ltd",
        "limited",
        "llc",
        "llp",
        "inc",
        "plc",
        "corp",
        "bv",
        "bhd",
        "sdn",  # "Sdn Bhd", "Sdn. Bhd.": Malaysian private limited
        "s/b",  # ...abbreviated
        "pte",
        "nv",
        "ab",
        "oy",
        "spa",
        "srl",
        "sl",
        "ag.",
    }
)

# Country prefixes of the VAT numbers invoices in Europe carry ("EL" is Greece).
COUNTRY_CODES_WITH_VAT: frozenset[str] = frozenset(
    (
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "EL",
        "ES",
        "FI",
        "FR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "XI",
        "GB",
        "CH",
        "NO",
    )
)

# Words before a person's or company's name in an address block, folded, without dots.
SALUTATIONS: frozenset[str] = frozenset(
    (
        "m",
        "mr",
        "mrs",
        "ms",
        "mme",
        "mlle",
        "madame",
        "monsieur",
        "herr",
        "herrn",
        "frau",
        "attn",
        "z.hd",
        "dear",
    )
)

# Sub-labels naming a party inside its block ("Name: Lieferant GmbH").
NAME_LABELS: tuple[str, ...] = ("name", "nom", "raison sociale", "firma", "company", "société")

# Document titles, which are not the seller's name although printed big on top.
TITLE_WORDS: frozenset[str] = frozenset(
    (
        "facture",
        "invoice",
        "rechnung",
        "factuur",
        "avoir",
        "gutschrift",
        "receipt",
        "devis",
        "quote",
    )
)

# Words extending a legal form: "GmbH & Co. KG", "& Cie".
LEGAL_FORM_TAILS: frozenset[str] = frozenset(("&", "co", "cie", "kg", "kgaa", "ohg", "bhd"))

# Words that say which language a page is written in; shared words ("total") left out.
LANGUAGE_HINTS: dict[str, frozenset[str]] = {
    "fr": frozenset(
        [
            "facture",
            "tva",
            "ttc",
            "ht",
            "montant",
            "échéance",
            "le",
            "la",
            "les",
            "des",
            "du",
            "et",
            "à",
            "pour",
            "votre",
            "vos",
            "nous",
            "règlement",
            "paiement",
            "désignation",
            "quantité",
            "prix",
            "unitaire",
            "société",
            "siret",
            "date",
            "de",
            "client",
            "adresse",
            "avoir",
            "net",
            "payer",
        ]
    ),
    "en": frozenset(
        [
            "invoice",
            "the",
            "and",
            "of",
            "to",
            "for",
            "your",
            "our",
            "due",
            "amount",
            "bill",
            "tax",
            "vat",
            "payment",
            "price",
            "quantity",
            "qty",
            "description",
            "subtotal",
            "balance",
            "customer",
            "from",
            "thank",
            "you",
            "please",
        ]
    ),
    "de": frozenset(
        [
            "rechnung",
            "und",
            "der",
            "die",
            "das",
            "für",
            "von",
            "vom",
            "mit",
            "betrag",
            "datum",
            "summe",
            "mwst",
            "ust",
            "zahlbar",
            "netto",
            "brutto",
            "steuer",
            "menge",
            "beschreibung",
            "preis",
            "bitte",
            "ihre",
            "unsere",
            "gesamtbetrag",
            "rechnungsdatum",
            "kunde",
            "nr",
        ]
    ),
}
