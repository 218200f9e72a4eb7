"""Layout families: each one a fixed draw of independent layout choices from its number.

A family fixes where the blocks sit, how labels relate to their values, the wording, the
date and amount formats and the shape of the lines table; its documents differ in content
and by a few points of jitter. Families whose number is 3 mod 4 form the validation group,
never used to train (and, under 80, to tune); only they print the held-out labels and date
formats.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from functools import cache
from typing import Literal

from samples.randomised.formats import (
    CURRENCY_STYLES,
    HELD_OUT_DATE_FORMATS,
    SHARED_DATE_FORMATS,
    US_DATE_FORMATS,
    NumberStyle,
)
from samples.randomised.vocabulary import SHARED, labels, sentences

FAMILY_COUNT = 160
Group = Literal["tuning", "validation"]
# Languages cycle with a period prime to 4, so both groups hold every language.
LANGUAGE_CYCLE = ("fr", "en", "de", "fr", "en", "de", "es", "it", "nl")
SELLER_COUNTRIES: dict[str, tuple[tuple[str, ...], ...]] = {
    "fr": (("FR",), ("FR", "BE"), ("BE",), ("FR",)),
    "en": (("GB",), ("US",), ("FR",), ("GB", "NL"), ("DE",), ("GB",)),
    "de": (("DE",), ("DE", "AT"), ("AT",), ("DE",)),
    "es": (("ES",),),
    "it": (("IT",),),
    "nl": (("NL",), ("NL", "BE")),
}
CURRENCIES: dict[str, str] = {"GB": "GBP", "US": "USD"}
AMOUNT_FORMATS_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "fr": ("space_comma", "space_comma", "plain_comma", "dot_comma"),
    "en": ("comma_dot", "comma_dot", "plain_dot"),
    "de": ("dot_comma", "dot_comma", "plain_comma", "apostrophe_dot"),
    "es": ("dot_comma", "plain_comma"),
    "it": ("dot_comma", "plain_comma", "apostrophe_dot"),
    "nl": ("dot_comma", "plain_comma", "comma_dot"),
}
DATE_FORMATS_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "fr": ("dmy_slash", "long", "dmy_slash_short", "iso", "d_mon_y", "dmy_dash", "weekday_long"),
    "en": ("dmy_slash", "long", "d_mon_y_dash", "iso", "d_mon_y", "compact", "dmy_dot"),
    "de": ("dmy_dot", "long", "iso", "compact", "d_mon_y", "dmy_slash"),
    "es": ("dmy_slash", "long", "dmy_dash", "iso"),
    "it": ("dmy_slash", "long", "dmy_dash", "dmy_dot"),
    "nl": ("dmy_dash", "long", "dmy_slash", "iso"),
}
NUMBER_TEMPLATES: tuple[str, ...] = (
    "F{year}-{n:04d}", "{year}/{n:04d}", "INV-{n:05d}", "FA/{yy}/{n:05d}", "{n:06d}",
    "RE-{year}-{n:04d}", "{year}-INV-{n:04d}", "F-{n}", "INV/{yy}/{month}/{n:04d}",
    "A{n:05d}-{yy}", "FC{yy}{month}-{n:03d}", "N{n:05d}", "{yy}.{n:05d}", "SI-{n:06d}",
    "{n}", "{year}{month}{n:04d}", "INV{yy}{n:06d}",
)  # fmt: skip
FONTS: tuple[tuple[str, str], ...] = (
    ("Helvetica", "Helvetica-Bold"),
    ("Helvetica", "Helvetica-Bold"),
    ("Times-Roman", "Times-Bold"),
    ("Courier", "Courier-Bold"),
)
COLOURS = ("#1d4e89", "#6a2c70", "#b5452b", "#2f5d50", "#8a5a00", "#374151", "#c62828", "#000000")
LINE_COLUMNS = ("code", "description", "quantity", "unit", "unit_price", "discount", "rate", "net")

# A family in this many sets its title, and some of its labels, letter-spaced (German
# *Sperrsatz*, a title spread across its box), as some real invoices do.
SPACED_FAMILY_SHARE = 0.15
SPACED_CONCEPTS = ("number", "date", "due", "po", "customer_no", "buyer", "gross")

SellerPlace = Literal["top_left", "top_right", "top_center", "side"]
MetaPlace = Literal["top_right", "top_left", "below_parties", "beside_buyer"]
MetaStyle = Literal["left", "inline", "above", "below", "boxes", "table", "sentence"]
DueMode = Literal["label", "sentence", "terms_only"]
META_STYLES: tuple[MetaStyle, ...] = (
    "left", "inline", "above", "below", "boxes", "table", "sentence"
)  # fmt: skip
SELLER_PLACES: tuple[SellerPlace, ...] = ("top_left", "top_right", "top_center", "side", "top_left")
IdsPlace = Literal["footer", "under_seller", "side", "payment_block"]


# Validation-style families numbered past the others (163, 167... 799), drawn the same way:
# fresh groups held in reserve. When a decision group has been decided on so long that it
# no longer tells changes apart, a session takes the next twenty as its decision group and
# says which; none is ever trained on.
FRESH_FAMILIES: tuple[int, ...] = tuple(range(FAMILY_COUNT + 3, 5 * FAMILY_COUNT, 4))


# More tuning families past the first ``FAMILY_COUNT``: the numbers the fresh families leave
# between them (160, 161, 162, 164... 319), drawn the same way. Fitted on these 120 layouts
# besides the first 120, the reader read every fresh group better (text PDFs of 403-479
# 0.992 to 0.998), where more invoices of the same families had read no better.
EXTRA_TUNING_FAMILIES: tuple[int, ...] = tuple(
    f for f in range(FAMILY_COUNT, 2 * FAMILY_COUNT) if f not in FRESH_FAMILIES
)


def family_group(family: int) -> Group:
    """Return the group of ``family``: every fourth one (3, 7, 11...) is validation, and so
    are the fresh families; the extra ones are tuning."""
    if family in FRESH_FAMILIES:
        return "validation"
    if family in EXTRA_TUNING_FAMILIES:
        return "tuning"
    if not 0 <= family < FAMILY_COUNT:
        raise ValueError(
            f"family must be in 0..{FAMILY_COUNT - 1}, an extra tuning one or a fresh one,"
            f" got {family}"
        )
    return "validation" if family % 4 == 3 else "tuning"


TUNING_FAMILIES: tuple[int, ...] = tuple(
    f for f in range(FAMILY_COUNT) if family_group(f) == "tuning"
)
VALIDATION_FAMILIES: tuple[int, ...] = tuple(
    f for f in range(FAMILY_COUNT) if family_group(f) == "validation"
)


@dataclass(frozen=True)
class Family:
    """Every layout choice of one family (see the module docstring)."""

    number: int
    group: Group
    language: str
    seller_countries: tuple[str, ...]
    buyer_countries: tuple[str, ...]
    words: dict[str, str]  # concept -> label as printed (case, punctuation applied)
    sentence_number: str | None  # template holding {number} and {date}
    sentence_due: str | None
    sentence_po: str | None
    date_format: str
    numbers: NumberStyle
    number_template: str
    font: tuple[str, str]
    size: float
    colour: str
    seller_place: SellerPlace
    meta_place: MetaPlace
    meta_style: MetaStyle
    buyer_right: bool
    buyer_labelled: bool
    ids_place: IdsPlace
    title_big: bool
    columns: tuple[str, ...]
    table_style: Literal["grid", "rules", "shaded", "plain"]
    multiline_rate: float
    long_rate: float
    multi_rate: bool
    discounts: bool
    breakdown: bool
    totals_style: Literal["stack", "boxed", "row"]  # "row": labels as a header row
    line_money: bool  # line amounts carry the currency like the totals
    due_mode: DueMode
    payment_days: tuple[int, ...]
    po_rate: float
    buyer_vat_rate: float
    deposit_rate: float
    amount_due_line: bool
    legal_form: bool
    spaced_ids: bool
    shows_bank: bool
    jitter: float
    values_right: bool  # in the "left" style, values right-aligned on the block's edge
    delivery_rate: float  # how often a delivery date (a date that is not the invoice's) shows
    customer_no_rate: float
    sentence_terms: str | None
    sentence_thanks: str | None
    logo: Literal["none", "square", "disc"]
    footer_columns: bool  # footer identifiers in three columns rather than one run
    buyer_boxed: bool  # the buyer's address framed, as for a window envelope
    ship_to_rate: float  # how often a delivery address block sits beside the buyer's
    carry_forward: bool  # a long table shows its running sum at the page break
    title_with_number: bool  # "Invoice INV-0042" as the title, no number label

    @property
    def has_quantity(self) -> bool:
        """Return True when the lines table has a quantity column."""
        return "quantity" in self.columns

    def shows_due_date(self, country: str) -> bool:
        """Return True when the due date is printed (French law requires it)."""
        return self.due_mode != "terms_only" or country == "FR"

    def label(self, concept: str) -> str:
        """Return the family's label for ``concept``."""
        return self.words[concept]


def _pick(options: tuple[str, ...], rng: random.Random, *, validation: bool, held: int) -> str:
    """Pick an option; validation families take one of the first ``held`` (held-out) ones
    half of the time."""
    if validation and held and rng.random() < 0.6:
        return rng.choice(options[:held])
    return rng.choice(options[held:] if held < len(options) else options)


def draw_words(language: str, rng: random.Random, *, validation: bool) -> dict[str, str]:
    """Return a label per concept with the family's case and punctuation."""
    upper = rng.random() < 0.25
    colon = rng.choice((":", ":", "", " :" if language == "fr" else ":", "."))
    words = {}
    for concept in SHARED[language]:
        options = labels(language, concept, validation=validation)
        held = len(options) - len(SHARED[language][concept])
        word = _pick(options, rng, validation=validation, held=held)
        words[concept] = word.upper() if upper and concept not in ("page",) else word
    words["colon"] = "" if colon == "." else colon
    return words


BILINGUAL_CONCEPTS = (
    "title", "number", "date", "due", "po", "buyer", "net", "tax", "gross", "amount_due",
    "description", "quantity", "unit_price", "line_net",
)  # fmt: skip


def add_second_language(words: dict[str, str], language: str, rng: random.Random) -> None:
    """Print the main labels in two languages, ``Facture / Invoice``, as bilingual sellers
    do (English second, or French for an English invoice); shared labels only."""
    second = "fr" if language == "en" else "en"
    upper = words["title"].isupper() and words["number"].isupper()
    for concept in BILINGUAL_CONCEPTS:
        other = rng.choice(SHARED[second][concept])
        words[concept] = f"{words[concept]} / {other.upper() if upper else other}"


def _columns(rng: random.Random) -> tuple[str, ...]:
    """Return the lines table's columns in the family's order."""
    has_quantity = rng.random() < 0.88
    columns = ["description"]
    if rng.random() < 0.35:
        columns.insert(0 if rng.random() < 0.8 else 1, "code")
    if has_quantity:
        numeric = ["quantity", "unit_price"]
        if rng.random() < 0.3:
            numeric.insert(1, "unit")
        if rng.random() < 0.25:
            numeric.append("discount")
        if rng.random() < 0.2:
            numeric = ["unit_price", *[c for c in numeric if c != "unit_price"]]
        columns += numeric
    if rng.random() < 0.6:
        columns.append("rate")
    columns.append("net")
    if "rate" in columns and rng.random() < 0.25:
        columns.remove("rate")
        columns.append("rate")  # rate after the amount
    if has_quantity and rng.random() < 0.12:
        columns.remove("quantity")
        columns.insert(0, "quantity")  # quantity first, as on some tills
    return tuple(columns)


@cache
def make_family(number: int) -> Family:
    """Return family ``number``: the same choices every time, drawn from the number alone."""
    group = family_group(number)
    validation = group == "validation"
    rng = random.Random(f"randomised-family/{number}")
    language = LANGUAGE_CYCLE[number % len(LANGUAGE_CYCLE)]
    countries = rng.choice(SELLER_COUNTRIES[language])
    us = countries == ("US",)
    words = draw_words(language, rng, validation=validation)
    extra = random.Random(f"randomised-family/{number}/extra")
    if extra.random() < 0.15:
        add_second_language(words, language, extra)
    if us:
        # US sellers charge sales tax, not VAT.
        words["tax"] = words["rate"] = words["vat_amount"] = rng.choice(("Sales tax", "Tax"))
    date_formats = US_DATE_FORMATS if us else DATE_FORMATS_BY_LANGUAGE[language]
    if validation and rng.random() < 0.5:
        date_format = rng.choice(HELD_OUT_DATE_FORMATS)
    elif rng.random() < 0.2 and not us:
        date_format = rng.choice(tuple(f for f in SHARED_DATE_FORMATS if f not in US_DATE_FORMATS))
    else:
        date_format = rng.choice(date_formats)
    currency = CURRENCIES.get(countries[0], "EUR")
    if rng.random() < 0.12:
        currency = rng.choice(("EUR", "USD", "GBP", "CHF"))
    amount_format = "comma_dot" if us else rng.choice(AMOUNT_FORMATS_BY_LANGUAGE[language])
    if currency == "CHF" and rng.random() < 0.6:
        amount_format = "apostrophe_dot"
    numbers = NumberStyle(
        amount_format=amount_format,
        currency=currency,
        currency_style=rng.choice(CURRENCY_STYLES),
        rate_style=rng.choice(("plain", "tight", "decimals", "bare")),
        quantity_decimals=rng.random() < 0.25,
    )
    # The two most visible choices cycle with periods prime to 4, so that both groups
    # meet every one of them; the rest are drawn independently.
    meta_style = META_STYLES[(3 * number + 1) % len(META_STYLES)]
    sentence_templates = sentences(language, "number_date", validation=validation)
    held = len(sentence_templates) - len(sentences(language, "number_date", validation=False))
    seller_place = SELLER_PLACES[(2 * number + 1) % len(SELLER_PLACES)]
    meta_place: MetaPlace = rng.choice(("top_right", "top_left", "below_parties", "beside_buyer"))
    if seller_place == "top_left" and meta_place == "top_left":
        meta_place = "top_right"
    if seller_place == "top_right" and meta_place == "top_right":
        meta_place = "top_left"
    due_mode: DueMode = rng.choice(("label", "label", "sentence", "terms_only"))
    columns = _columns(rng)
    family = Family(
        number=number,
        group=group,
        language=language,
        seller_countries=countries,
        buyer_countries=("FR", "DE", "GB", "BE", "NL", "ES", "IT") if not us else ("US",),
        words=words,
        sentence_number=_pick(sentence_templates, rng, validation=validation, held=held),
        sentence_due=rng.choice(sentences(language, "due", validation=validation)),
        sentence_po=rng.choice(sentences(language, "po", validation=validation)),
        date_format=date_format,
        numbers=numbers,
        number_template=rng.choice(NUMBER_TEMPLATES),
        font=rng.choice(FONTS),
        size=rng.choice((8.0, 8.5, 9.0, 9.5, 10.0)),
        colour=rng.choice(COLOURS),
        seller_place=seller_place,
        meta_place=meta_place,
        meta_style=meta_style,
        buyer_right=rng.random() < 0.5,
        buyer_labelled=rng.random() < 0.8,
        ids_place=rng.choice(("footer", "footer", "under_seller", "side", "payment_block")),
        title_big=rng.random() < 0.7,
        columns=columns,
        table_style=rng.choice(("grid", "rules", "shaded", "plain")),
        multiline_rate=rng.choice((0.0, 0.0, 0.2, 0.5)),
        long_rate=rng.choice((0.0, 0.1, 0.25, 0.5)),
        multi_rate=rng.random() < 0.5,
        discounts="discount" in columns,
        breakdown=rng.random() < 0.5,
        totals_style=rng.choice(("stack", "stack", "boxed", "row")),
        line_money=rng.random() < 0.2,
        due_mode=due_mode,
        payment_days=rng.choice(((30,), (30, 45, 60), (14, 30), (0, 15, 30), (10, 20, 30))),
        po_rate=rng.choice((0.0, 0.3, 0.6, 0.9)),
        buyer_vat_rate=rng.choice((0.0, 0.5, 1.0)),
        deposit_rate=rng.choice((0.0, 0.0, 0.1, 0.25)),
        amount_due_line=rng.random() < 0.6,
        legal_form=rng.random() < 0.75,
        spaced_ids=rng.random() < 0.6,
        shows_bank=rng.random() < 0.8,
        jitter=rng.choice((2.0, 4.0, 6.0)),
        values_right=rng.random() < 0.3,
        delivery_rate=rng.choice((0.0, 0.0, 0.5, 1.0)),
        customer_no_rate=rng.choice((0.0, 0.5, 1.0)),
        sentence_terms=rng.choice(sentences(language, "terms", validation=validation))
        if rng.random() < 0.6
        else None,
        sentence_thanks=rng.choice(sentences(language, "thanks", validation=validation))
        if rng.random() < 0.4
        else None,
        logo=rng.choice(("none", "none", "square", "disc")),
        # Choices added later draw from their own generator, so earlier ones stay put.
        footer_columns=extra.random() < 0.4,
        buyer_boxed=extra.random() < 0.25,
        ship_to_rate=extra.choice((0.0, 0.0, 0.5, 1.0)),
        carry_forward=extra.random() < 0.5,
        title_with_number=extra.random() < 0.2,
    )
    if extra.random() < 0.25:
        family = replace(family, font=("Vera", "VeraBd"))
    if numbers.amount_format == "space_comma" and extra.random() < 0.5:
        # What word processors print: a no-break space between thousands.
        family = replace(family, numbers=replace(numbers, amount_format="nbsp_comma"))
    spacing = random.Random(f"randomised-family/{number}/spacing")
    if spacing.random() < SPACED_FAMILY_SHARE:
        spaced = ("title", *(c for c in SPACED_CONCEPTS if spacing.random() < 0.5))
        words = {**family.words, **{c: letter_spaced(family.words[c]) for c in spaced}}
        family = replace(family, words=words)
    return family


def letter_spaced(label: str) -> str:
    """Return ``label`` set letter-spaced: a space between letters, three between words."""
    return "   ".join(" ".join(word) for word in label.split())
