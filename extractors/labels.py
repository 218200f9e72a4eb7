"""Label dictionaries (fr/en/de, some nl) and how to find them in rows of positioned words.

Also here: the rows themselves (``rows_of_page``: words grouped by baseline, with their
text, folded text and geometry), shared by the field finder and the line reader.

The dictionaries are data: each printed label maps to the fields it can announce, with a
weight saying how specific it is (``Total TTC`` names the gross total for sure, ``Total``
only probably). Matching is done on folded text (lower case, no accents) and tolerates
missing or extra spaces and punctuation between the label's words, so ``USt-IdNr.``,
``USt.-Id.-Nr.`` and ``Ust Id Nr`` are one label, and so are ``Rechnungssumme ohne USt.``
and ``RechnungssummeohneUSt.`` as some PDF generators glue words.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from extractors.base import PageWords, Word
from extractors.normalize import fold_text

# Fields that are not invoice fields but whose labels must win over shorter ones inside
# them: "Order date" is not the invoice date, "N° client" is not the buyer.
OTHER = "other"

# Amounts carried from one page to the next: not invoice lines.
CARRIED_FORWARD = "carried_forward"

# Words qualifying a total ("Total (Excluding GST)", "Rechnungssumme Brutto (inkl. USt.)"):
# found so that the labels inside them ("USt.", "GST") are not, and turning the total
# they follow into the net (excluding tax) or the gross (including tax).
NET_QUALIFIER = "net_qualifier"
GROSS_QUALIFIER = "gross_qualifier"
QUALIFIER_LABELS: dict[str, dict[str, float]] = {
    NET_QUALIFIER: dict.fromkeys(
        (
            "excl. ust",
            "exkl. ust",
            "ohne ust",
            "ohne mwst",
            "excl. vat",
            "excl. tax",
            "excl. btw",
            "excl. gst",
            "excluding gst",
            "excluding vat",
            "excluding tax",
            "exclusive of vat",
            "exclusive of gst",
            "hors taxes",
            "hors tva",
        ),
        1.0,
    ),
    GROSS_QUALIFIER: dict.fromkeys(
        (
            "inkl. ust",
            "inkl. mwst",
            "incl. ust",
            "incl. vat",
            "incl. tax",
            "incl. btw",
            "incl. gst",
            "inclusive of gst",
            "inclusive gst",
            "inclusive of vat",
            "inclusive of tax",
            "including gst",
            "including vat",
            "including tax",
            "toutes taxes comprises",
        ),
        1.0,
    ),
}

# Each field's labels with their weights. A label written with a leading "*" may end a
# compound word ("Handelsrechnung", "Baurechnung" for "*rechnung").
FIELD_LABELS: dict[str, dict[str, float]] = {
    "invoice_number": {
        "n° de facture": 1.0,
        "numéro de facture": 1.0,
        "numéro facture": 1.0,
        "n° facture": 1.0,
        "facture n°": 1.0,
        "facture numéro": 1.0,
        "réf. facture": 0.9,
        "référence facture": 0.9,
        "invoice #": 1.0,
        "invoice no": 1.0,
        "invoice nr": 1.0,
        "invoice number": 1.0,
        "invoice num": 1.0,
        "invoice id": 0.9,
        "invoice ref": 0.9,
        "invoice reference": 0.9,
        "inv no": 0.9,
        "inv #": 0.9,
        "bill no": 0.8,
        "bill number": 0.8,
        "document no": 0.7,
        "rechnungsnummer": 1.0,
        "rechnungsnr": 1.0,
        "rechnungs-nr": 1.0,
        "rechnung nr": 1.0,
        "rechnung #": 0.9,
        "belegnummer": 0.8,
        "beleg-nr": 0.8,
        "factuurnummer": 1.0,
        "factuur nr": 1.0,
        "avoir n°": 0.9,
        "credit note no": 0.9,
        "credit note number": 0.9,
        "gutschrift nr": 0.9,
        # Document titles followed by the number: "Facture FA-2017-0009", "Rechnung 42".
        "facture": 0.55,
        "invoice": 0.55,
        "rechnung": 0.55,
        "*rechnung": 0.5,
        "avoir": 0.5,
        "credit note": 0.5,
        "gutschrift": 0.5,
        "factuur": 0.5,
        "#": 0.35,
        "receipt no": 0.6,
        "receipt number": 0.6,
        "booking id": 0.45,
    },
    "invoice_date": {
        "date de facture": 1.0,
        "date de facturation": 1.0,
        "date facture": 1.0,
        "date d'émission": 0.9,
        "émise le": 0.8,
        "date": 0.6,
        "invoice date": 1.0,
        "date of invoice": 1.0,
        "date of issue": 0.9,
        "issue date": 0.9,
        "issued on": 0.8,
        "billing date": 0.8,
        "rechnungsdatum": 1.0,
        "belegdatum": 0.8,
        "beleg-datum": 0.8,
        "ausstellungsdatum": 0.9,
        "datum": 0.6,
        "factuurdatum": 1.0,
        "factuur datum": 1.0,
    },
    "due_date": {
        "échéance": 0.9,
        "date d'échéance": 1.0,
        "date limite de paiement": 1.0,
        "date limite de règlement": 1.0,
        "à payer avant le": 0.9,
        "payable avant le": 0.9,
        "à régler avant le": 0.9,
        "payable le": 0.8,
        "due date": 1.0,
        "date due": 1.0,
        "payment due": 0.9,
        "payment due date": 1.0,
        "due on": 0.8,
        "due by": 0.8,
        "pay by": 0.7,
        "fällig am": 1.0,
        "fällig bis": 1.0,
        "fälligkeit": 0.8,
        "fälligkeitsdatum": 1.0,
        "fälligkeitstag": 1.0,
        "zahlbar bis": 0.9,
        "zahlbar bis zum": 1.0,
        "bis zum": 0.5,
        "netto bis": 0.6,
        "au plus tard le": 0.7,
        "payable by": 0.8,
        "payable until": 0.8,
        "zahlungsziel": 0.8,
        "vervaldatum": 1.0,
    },
    "total_net": {
        "total ht": 1.0,
        "total h.t": 1.0,
        "montant ht": 0.95,
        "montant eur ht": 0.9,
        "montant total ht": 1.0,
        "total hors taxes": 1.0,
        "total hors tva": 1.0,
        "montant hors taxes": 1.0,
        "sous-total": 0.8,
        "sous total ht": 0.9,
        "base ht": 0.7,
        "net ht": 0.8,
        "subtotal": 0.8,
        "sub-total": 0.8,
        "net amount": 0.9,
        "net total": 0.9,
        "total net": 0.9,
        "total excl. vat": 1.0,
        "total excl vat": 1.0,
        "total excluding vat": 1.0,
        "total excl. tax": 1.0,
        "total before tax": 1.0,
        "amount excl. vat": 0.9,
        "total (excl": 0.9,
        "nettobetrag": 0.9,
        "summe netto": 1.0,
        "netto summe": 1.0,
        "nettosumme": 1.0,
        "gesamt netto": 1.0,
        "gesamtbetrag netto": 1.0,
        "rechnungssumme ohne ust": 1.0,
        "rechnungssumme netto": 1.0,
        "summe ohne mwst": 1.0,
        "positionssumme": 0.6,
        "zwischensumme": 0.8,
        "warenwert": 0.5,
        "netto": 0.55,
        "exclusief btw": 0.9,
        "totaal excl. btw": 1.0,
        "grondslag": 0.6,
        "net": 0.6,
    },
    "total_tax": {
        "tva": 0.65,
        "total tva": 1.0,
        "montant tva": 0.95,
        "montant de la tva": 1.0,
        "montant total tva": 1.0,
        "vat": 0.65,
        "total vat": 1.0,
        "vat amount": 1.0,
        "tax": 0.6,
        "taxes": 0.6,
        "total tax": 1.0,
        "total taxes": 1.0,
        "tax amount": 1.0,
        "sales tax": 0.9,
        "gst": 0.6,
        "mwst": 0.7,
        "ust": 0.65,
        "umsatzsteuer": 0.8,
        "mehrwertsteuer": 0.8,
        "steuerbetrag": 0.95,
        "mwst-betrag": 0.95,
        "ust-betrag": 0.95,
        "zzgl. mwst": 0.9,
        "zzgl. ust": 0.9,
        "zuzügl. ust": 0.9,
        "zuzügl. mwst": 0.9,
        "btw": 0.6,
        "btw bedrag": 0.95,
    },
    "total_gross": {
        "total ttc": 1.0,
        "montant ttc": 0.95,
        "montant eur ttc": 0.9,
        "montant total ttc": 1.0,
        "total": 0.6,
        "montant total": 0.75,
        "total facture": 0.8,
        "total à payer": 0.7,
        "grand total": 1.0,
        "total amount": 0.85,
        "invoice total": 0.95,
        "total incl. vat": 1.0,
        "total incl vat": 1.0,
        "total including vat": 1.0,
        "total (incl": 0.9,
        "amount incl. vat": 0.9,
        "total for this invoice": 0.95,
        "total due": 0.6,
        "amount due": 0.45,
        "gesamtbetrag": 0.85,
        "gesamtsumme": 0.85,
        "bruttobetrag": 1.0,
        "bruttosumme": 1.0,
        "summe brutto": 1.0,
        "rechnungsbetrag": 0.9,
        "rechnungssumme": 0.8,
        "rechnungssumme brutto": 1.0,
        "summe inkl. ust": 1.0,
        "summe inkl. mwst": 1.0,
        "gesamt brutto": 1.0,
        "endbetrag": 0.9,
        "totaal": 0.6,
        "factuur totaal": 0.8,
        "totaal incl. btw": 1.0,
        "net à payer": 0.45,
        "zahlbetrag": 0.4,
        # Till receipts: the rounded or final total is the amount paid; "Total" above it
        # may be before rounding or service charge.
        "rounded total": 1.0,
        "total rounded": 1.0,
        "total after rounding": 1.0,
        "total amt rounded": 1.0,
        "nett total": 1.0,
        "net total incl": 0.9,
        "total amt payable": 1.0,
        "total incl. gst": 1.0,
        "total incl. of gst": 1.0,
        "total amt incl. gst": 1.0,
        "total payable": 0.95,
        "total (rm)": 0.8,
        "total rm": 0.7,
    },
    "amount_due": {
        "net à payer": 1.0,
        "reste à payer": 1.0,
        "solde à payer": 1.0,
        "solde dû": 1.0,
        "montant à payer": 0.95,
        "somme à payer": 0.9,
        "montant dû": 0.9,
        "total à payer": 0.8,
        "amount due": 1.0,
        "balance due": 1.0,
        "total due": 0.9,
        "amount payable": 0.9,
        "amount to pay": 0.9,
        "balance": 0.5,
        "residual": 0.8,
        "remaining balance": 0.9,
        "reste dû": 0.9,
        "restant dû": 0.9,
        "zahlbetrag": 1.0,
        "zu zahlen": 0.9,
        "zu zahlender betrag": 1.0,
        "offener betrag": 0.9,
        "restbetrag": 0.9,
        "te betalen": 0.9,
    },
    "po_number": {
        "bon de commande": 1.0,
        "n° de commande": 0.9,
        "numéro de commande": 0.9,
        "n° commande": 0.9,
        "commande n°": 0.9,
        "réf. commande": 0.9,
        "votre commande": 0.8,
        "votre référence": 0.5,
        "po": 0.8,
        "po number": 1.0,
        "po no": 1.0,
        "po #": 1.0,
        "p.o": 0.8,
        "purchase order": 1.0,
        "purchase order number": 1.0,
        "order number": 0.6,
        "your order": 0.8,
        "order ref": 0.7,
        "order reference": 0.7,
        "your reference": 0.5,
        "bestellnummer": 1.0,
        "bestell-nr": 1.0,
        "bestellung": 0.7,
        "ihre bestellung": 0.9,
        "auftragsnummer": 0.6,
    },
    "seller_vat_id": {
        "tva intracommunautaire": 1.0,
        "n° tva intracommunautaire": 1.0,
        "n° de tva intracommunautaire": 1.0,
        "n° tva": 1.0,
        "n° de tva": 1.0,
        "numéro de tva": 1.0,
        "tva intra": 1.0,
        "id. tva": 1.0,
        "vat number": 1.0,
        "vat no": 1.0,
        "vat reg": 1.0,
        "vat reg no": 1.0,
        "vat registration number": 1.0,
        "vat id": 1.0,
        "vat/tin": 0.8,
        "ust-idnr": 1.0,
        "ust-id": 1.0,
        "ustid": 1.0,
        "umsatzsteuer-id": 1.0,
        "umsatzsteuer-identifikationsnummer": 1.0,
        "btw nummer": 1.0,
        "btw-nr": 1.0,
    },
    "buyer_vat_id": {
        "n° tva client": 1.0,
        "tva client": 1.0,
        "n° tva intracommunautaire client": 1.0,
        "customer vat number": 1.0,
        "customer vat": 1.0,
        "client vat number": 1.0,
        "your vat number": 1.0,
        "buyer vat": 1.0,
        "ihre ust-idnr": 1.0,
        "uw btw nummer": 1.0,
    },
    "seller_siret": {
        "siret": 1.0,
        "n° siret": 1.0,
        "siren": 0.9,
        "rcs": 0.7,
    },
    "seller_iban": {
        "iban": 1.0,
        "bank account": 0.6,
    },
    "buyer_name": {
        "facturé à": 1.0,
        "facturer à": 1.0,
        "adresse de facturation": 0.9,
        "client": 0.6,
        "destinataire": 0.6,
        "bill to": 1.0,
        "billed to": 1.0,
        "invoice to": 1.0,
        "invoiced to": 1.0,
        "sold to": 0.8,
        "customer": 0.6,
        "billing address": 0.8,
        "rechnungsempfänger": 1.0,
        "rechnungsadresse": 0.9,
        "käufer": 0.8,
        "käufer/leistungsempfänger": 0.9,
        "leistungsempfänger": 0.8,
        "kunde": 0.6,
        "an": 0.5,
        "to": 0.5,
        "factuuradres": 0.9,
    },
    "seller_name": {
        "vendeur": 0.8,
        "fournisseur": 0.8,
        "émetteur": 0.8,
        "seller": 0.8,
        "supplier": 0.8,
        "vendor": 0.8,
        "verkäufer": 0.9,
        "lieferant": 0.7,
        "rechnungssteller": 0.9,
        "rechnungsersteller": 0.9,
        "leistungserbringer": 0.8,
    },
    **QUALIFIER_LABELS,
    CARRIED_FORWARD: dict.fromkeys(
        (
            "übertrag",
            "zwischensumme übertrag",
            "report",
            "à reporter",
            "reporté",
            "carried forward",
            "brought forward",
            "carry forward",
        ),
        1.0,
    ),
    OTHER: dict.fromkeys(
        (
            # Receipt amounts that are not the total: what the customer handed over and got
            # back, and what a promotion saved.
            "total saving",
            "total savings",
            "total discount",
            "total qty",
            "total quantity",
            "total item",
            "total items",
            "cash received",
            "cash tendered",
            "change due",
            "n° client",
            "numéro client",
            "numéro de client",
            "code client",
            "id client",
            "id.client",
            "réf. client",
            "référence client",
            "compte client",
            "customer number",
            "customer no",
            "customer id",
            "customer care",
            "account number",
            "kundennummer",
            "kunden-nr",
            "kundennr",
            "ihre kundennummer",
            "klantnummer",
            "order date",
            "order id",
            "date de commande",
            "delivery date",
            "date de livraison",
            "lieferdatum",
            "leistungsdatum",
            "liefer- und leistungsdatum",
            "bestelldatum",
            "bestell-datum",
            "lieferschein-datum",
            "lieferschein-nr",
            "auftrag-datum",
            "orderdatum",
            "ordernummer",
            "date de début",
            "date de fin",
            "steuernummer",
            "steuer-nr",
            "steuersatz",
            "tax rate",
            "taux de tva",
            "taux tva",
            "tax id",
            "tax(%)",
            "ust.%",
            "mwst.-%",
            "mwst-%",
            "tva %",
            "vat %",
            "btw %",
            "page",
            "seite",
            "numéro de dossier",
            "numéro de ligne",
            "numéro de tva",
            "tva acquittée",
            "tva payée",
            "gstin",
            "hrb",
            "handelsregisternummer",
            "umsatzsteueraufschlüsselung",
            "art-nr",
            "payment terms",
            "conditions de paiement",
            "zahlungsbedingungen",
            "customer reference",
            "référence client",
            "billing period",
            "rechnungszeitraum",
            "not a vat invoice",
            "service tax",
            "credit card",
            "total items",
        ),
        1.0,
    ),
}

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


@dataclass(frozen=True)
class TextRow:
    """Words of one page sharing a baseline, left to right, with their joined text.

    ``folded`` is ``text`` folded character by character, so offsets in one are offsets
    in the other; ``spans`` holds each word's (start, end) offsets in ``text``.
    """

    page: int
    words: tuple[Word, ...]
    text: str
    folded: str
    spans: tuple[tuple[int, int], ...]
    top: float
    bottom: float
    ocr: bool = False

    @cached_property
    def height(self) -> float:
        """Return the row's typical word height (its font size, roughly)."""
        heights = sorted(word.bottom - word.top for word in self.words)
        return max(heights[len(heights) // 2], 1.0)

    @property
    def x0(self) -> float:
        """Return the left edge of the row's first word."""
        return self.words[0].x0

    @property
    def x1(self) -> float:
        """Return the right edge of the row's last word."""
        return self.words[-1].x1

    @cached_property
    def _starts(self) -> list[int]:
        return [start for start, _ in self.spans]

    def word_index(self, offset: int) -> int:
        """Return the index of the word holding character ``offset`` (or the one before)."""
        return max(bisect_right(self._starts, offset) - 1, 0)

    def x_at(self, offset: int) -> float:
        """Return the x position of character ``offset``, interpolated inside its word."""
        index = self.word_index(offset)
        start, end = self.spans[index]
        word = self.words[index]
        if offset >= end:
            return word.x1
        share = (offset - start) / max(end - start, 1)
        return word.x0 + share * (word.x1 - word.x0)

    def segments(self, gap: float = 2.0) -> list[tuple[int, int]]:
        """Return the (start, end) offsets of the row's parts split where words are more
        than ``gap`` row heights apart: the columns the row crosses."""
        parts: list[tuple[int, int]] = []
        limit = gap * self.height
        for index, (start, end) in enumerate(self.spans):
            if index and self.words[index].x0 - self.words[index - 1].x1 <= limit:
                parts[-1] = (parts[-1][0], end)
            else:
                parts.append((start, end))
        return parts

    def has_gap(self, start: int, end: int) -> bool:
        """Return True when the words over offsets ``start`` to ``end`` are split by a gap
        wider than ``PHRASE_GAP`` row heights (they belong to different columns)."""
        first, last = self.word_index(start), self.word_index(max(end - 1, start))
        limit = PHRASE_GAP * self.height
        return any(
            self.words[index + 1].x0 - self.words[index].x1 > limit for index in range(first, last)
        )

    def starts_phrase(self, offset: int) -> bool:
        """Return True when ``offset`` starts a word that opens the row or follows a gap."""
        index = self.word_index(offset)
        if self.spans[index][0] != offset:
            return False
        if index == 0:
            return True
        return self.words[index].x0 - self.words[index - 1].x1 > PHRASE_GAP * self.height

    def confidence(self, start: int, end: int) -> float:
        """Return the lowest word confidence over characters ``start`` to ``end``."""
        first, last = self.word_index(start), self.word_index(max(end - 1, start))
        return min(word.confidence for word in self.words[first : last + 1])


@dataclass(frozen=True)
class LabelHit:
    """Where a label was found: its row, character span, x extent and field weights."""

    row: TextRow
    start: int
    end: int
    label: str
    weights: Mapping[str, float] = field(hash=False, compare=False)

    @property
    def x0(self) -> float:
        """Return the x position where the label starts."""
        return self.row.x_at(self.start)

    @property
    def x1(self) -> float:
        """Return the x position where the label ends."""
        return self.row.x_at(self.end)


def rows_of_page(page: PageWords, page_index: int) -> list[TextRow]:
    """Return the page's words grouped into rows by vertical overlap, top to bottom.

    A word joins a row when it overlaps, by half its height, the row's word nearest to
    it on the left or right: comparing neighbours rather than whole rows keeps the rows
    of a slightly skewed scan apart. Words much taller than the page's usual ones
    (rotated text in a margin) stay rows of their own rather than bridge several rows,
    and specks (OCR reads dust as "." or ":") are never a row's anchor.
    """
    words = [word for word in page.words if word.text.strip()]
    if not words:
        return []
    heights = sorted(word.bottom - word.top for word in words)
    median = heights[len(heights) // 2]
    usual = (SPECK_FACTOR * median, TALL_WORD_FACTOR * median)
    groups: list[_RowGroup] = []
    for word in sorted(words, key=lambda item: (item.top + item.bottom) / 2):
        group = None if word.bottom - word.top > usual[1] else _group_for(word, groups)
        if group is None:
            group = _RowGroup()
            groups.append(group)
        group.add(word, anchor=usual[0] <= word.bottom - word.top <= usual[1])
    ocr = page.method == "ocr"
    rows = [
        make_row(page_index, _decimals_joined(group.words) if ocr else group.words, ocr=ocr)
        for group in groups
    ]
    return sorted(rows, key=lambda row: row.top)


_SPLIT_UNITS = re.compile(r"^\d[\d.,]*[.,:]$")
_SPLIT_CENTS = re.compile(r"^(\d{2})[^\w\s]?$")
# A split amount's two parts are closer than this many word heights.
SPLIT_AMOUNT_GAP = 0.8


def _decimals_joined(words: Sequence[Word]) -> list[Word]:
    """Return the words with the amounts OCR split after their decimal mark joined again:
    "1145." and "55" (or "316:" and "24", a dot read as a colon) are "1145.55"."""
    joined: list[Word] = []
    for word in sorted(words, key=lambda item: item.x0):
        previous = joined[-1] if joined else None
        cents = _SPLIT_CENTS.match(word.text)
        if (
            previous is not None
            and cents is not None
            and _SPLIT_UNITS.match(previous.text)
            and 0 <= word.x0 - previous.x1 < SPLIT_AMOUNT_GAP * (word.bottom - word.top)
        ):
            mark = previous.text[-1] if previous.text[-1] in ".," else "."
            joined[-1] = Word(
                text=f"{previous.text[:-1]}{mark}{cents.group(1)}",
                x0=previous.x0,
                top=min(previous.top, word.top),
                x1=word.x1,
                bottom=max(previous.bottom, word.bottom),
                confidence=min(previous.confidence, word.confidence),
            )
        else:
            joined.append(word)
    return joined


# Words further apart than this many row heights belong to different phrases.
PHRASE_GAP = 1.2
# A word taller than this many times the page's median word height is rotated text; one
# smaller than this share of it is a speck.
TALL_WORD_FACTOR = 3.0
SPECK_FACTOR = 0.35
# How many of the latest rows a word may join.
RECENT_ROWS = 6


class _RowGroup:
    """The words of a row being built, with its anchors (usual-sized words) sorted by x."""

    def __init__(self) -> None:
        self.words: list[Word] = []
        self._anchors: list[Word] = []
        self._anchor_x0: list[float] = []

    def add(self, word: Word, *, anchor: bool) -> None:
        self.words.append(word)
        if anchor:
            position = bisect_right(self._anchor_x0, word.x0)
            self._anchor_x0.insert(position, word.x0)
            self._anchors.insert(position, word)

    def nearest_anchor(self, word: Word) -> Word | None:
        """Return the anchor horizontally nearest to ``word``, if the row has any."""
        position = bisect_right(self._anchor_x0, word.x0)
        around = self._anchors[max(position - 2, 0) : position + 1]
        return min(around, key=lambda anchor: _horizontal_distance(anchor, word), default=None)


def _group_for(word: Word, groups: Sequence[_RowGroup]) -> _RowGroup | None:
    """Return a recent row whose nearest anchor the word overlaps by half its height."""
    height = max(word.bottom - word.top, 0.1)
    for group in reversed(groups[-RECENT_ROWS:]):
        nearest = group.nearest_anchor(word)
        if nearest is None:
            continue
        overlap = min(nearest.bottom, word.bottom) - max(nearest.top, word.top)
        if overlap >= 0.5 * min(height, nearest.bottom - nearest.top):
            return group
    return None


def _horizontal_distance(first: Word, second: Word) -> float:
    return max(first.x0 - second.x1, second.x0 - first.x1, 0.0)


def make_row(
    page_index: int, words: Sequence[Word], *, ocr: bool, reading_order: bool = False
) -> TextRow:
    """Return the row of ``words`` on page ``page_index``, ordered left to right, or
    kept in the given order with ``reading_order`` (a header stacked on two lines)."""
    ordered = tuple(words) if reading_order else tuple(sorted(words, key=lambda item: item.x0))
    spans: list[tuple[int, int]] = []
    offset = 0
    for word in ordered:
        spans.append((offset, offset + len(word.text)))
        offset += len(word.text) + 1
    text = " ".join(word.text for word in ordered)
    return TextRow(
        page=page_index,
        words=ordered,
        text=text,
        folded=fold_text(text),
        spans=tuple(spans),
        top=min(word.top for word in ordered),
        bottom=max(word.bottom for word in ordered),
        ocr=ocr,
    )


_TOKEN = re.compile(r"[^\W_]+|[#%€$]")
_JOINER = "[\\s.:\\-_/'\u2019()]*"


class LabelSet:
    """Labels compiled for searching folded row text, each with its fields and weights."""

    def __init__(self, table: Mapping[str, Mapping[str, float]]) -> None:
        self.weights: dict[str, dict[str, float]] = {}
        for field_name, labels in table.items():
            for label, weight in labels.items():
                self.weights.setdefault(label, {})[field_name] = weight
        # Patterns indexed by the first two letters of the label, which must start a word,
        # so a row is searched only for the labels that can start at one of its words.
        self._by_prefix: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
        self._compounds: list[tuple[str, re.Pattern[str]]] = []
        for label in self.weights:
            entry = (label, _label_pattern(label))
            if label.startswith("*"):
                self._compounds.append(entry)
            else:
                self._by_prefix.setdefault(_label_prefix(label), []).append(entry)

    def find(self, row: TextRow) -> list[LabelHit]:
        """Return the labels in ``row``, left to right, keeping the longest where they overlap."""
        candidates = list(self._compounds)
        for prefix in _word_prefixes(row.folded):
            candidates.extend(self._by_prefix.get(prefix, ()))
        found = [
            LabelHit(row, match.start(), match.end(), label, self.weights[label])
            for label, pattern in candidates
            for match in pattern.finditer(row.folded)
            if match.end() > match.start() and not row.has_gap(match.start(), match.end())
        ]
        return _longest_first(found)


def _label_prefix(label: str) -> str:
    """Return the first two characters of the label's first token, folded."""
    first: str = _TOKEN.findall(fold_text(label))[0]
    return first[:2]


def _word_prefixes(folded: str) -> set[str]:
    """Return the one- and two-character prefixes of the tokens of ``folded``, a lone
    letter joined to the next token ("f actuurnummer") included."""
    prefixes: set[str] = set()
    tokens = _TOKEN.findall(folded)
    for index, token in enumerate(tokens):
        prefixes.add(token[:1])
        prefixes.add(token[:2])
        if len(token) == 1 and index + 1 < len(tokens):
            prefixes.add(token + tokens[index + 1][:1])
    return prefixes


def _label_pattern(label: str) -> re.Pattern[str]:
    """Return the pattern finding ``label`` in folded text, spacing and punctuation free.

    A label does not start or end inside a word ("invoice" is not in "invoice_number_1"),
    nor end before a hyphen and more ("Verkäufer-BIC" is not the seller label, "PO-97948"
    is a value, not the label "PO"). Its
    first letter may stand apart, as some PDFs space a line's first glyph ("F actuurnummer").
    """
    compound = label.startswith("*")
    tokens = _TOKEN.findall(fold_text(label.lstrip("*")))
    first = tokens[0]
    if len(first) > 2 and first[0].isalpha():
        tokens[0] = first[0] + " ?" + re.escape(first[1:])
    else:
        tokens[0] = re.escape(first)
    body = _JOINER.join([tokens[0], *(re.escape(token) for token in tokens[1:])])
    start = "" if compound else r"(?<!\w)"
    # A value may be glued to a label ending in "N°" or "Nr" ("N°562044387"), not to others
    # ("PO445" is a value, not the label "PO").
    glued = tokens[-1] in NUMBER_FILLERS
    end = "" if not tokens[-1][-1].isalnum() else r"(?![^\W\d])" if glued else r"(?!\w)"
    end += r"(?!-\w)" if end else ""
    return re.compile(start + body + end)


def _longest_first(hits: Iterable[LabelHit]) -> list[LabelHit]:
    """Return the hits not overlapping a longer one, ordered by position."""
    kept: list[LabelHit] = []
    for hit in sorted(hits, key=lambda item: (item.start - item.end, item.start)):
        if all(hit.end <= other.start or hit.start >= other.end for other in kept):
            kept.append(hit)
    return sorted(kept, key=lambda item: item.start)


FIELD_LABEL_SET = LabelSet(FIELD_LABELS)
COLUMN_LABEL_SET = LabelSet(COLUMN_LABELS)


def detect_language(rows: Iterable[TextRow]) -> str | None:
    """Return "fr", "en" or "de", whichever language's words the rows use most, or None."""
    counts = dict.fromkeys(LANGUAGE_HINTS, 0)
    for row in rows:
        for token in _TOKEN.findall(row.folded):
            for language, hints in _FOLDED_HINTS.items():
                if token in hints:
                    counts[language] += 1
    best = max(counts, key=lambda language: counts[language])
    return best if counts[best] > 0 else None


_FOLDED_HINTS: dict[str, frozenset[str]] = {
    language: frozenset(fold_text(word) for word in words)
    for language, words in LANGUAGE_HINTS.items()
}
