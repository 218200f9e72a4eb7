"""Layout-randomised invoices: many layout families, split into tuning and validation.

Each of ``FAMILY_COUNT`` families is a fixed draw, from its number alone, of independent
layout choices (``family.py``): where the seller (top left/right/centre or a side column),
the title, the header block, the buyer (framed or not, labelled or not, maybe beside a
delivery address) and the legal identifiers (footer line or columns, under the seller, side
column, payment block) sit; how labels relate to values (left of them, inline, above,
below, box titles, a header row over a value row, or inside sentences such as "Facture n°
F-42 du 14 novembre 2026" and "Payment is due by 12 March 2026"); the wording per language
(fr, en, de, es, it, nl; sometimes bilingual, sometimes an English invoice from a French or
German seller) with its case and punctuation; one of 15 date formats and 6 amount formats;
the currency (EUR, GBP, USD, CHF) as a symbol or ISO code, before or after, on every
amount, on the totals only or only in the header; the lines table's columns and their order
(item code, quantity, unit, unit price, discount, VAT rate, amount), multi-line
descriptions, long tables continued on a second page under a repeated header; totals
stacked, boxed or as a header row, with or without a VAT breakdown table; distractors (a
delivery date, a customer number, payment terms, a delivery address). Within a family the
content varies per document (parties, numbers, dates, lines, amounts) and blocks move by
a few points.

Honest validation: families 3, 7, 11... (``VALIDATION_FAMILIES``, a quarter, every
language among them) are never to be used for training. Those under 80 are the report
group, never used to tune either: the figures a change reports are theirs; those from 83 on
are the decision group, on which a change may be kept or dropped (``benchmarks/reader.py
--below 80`` and ``--from 80``). Only they print the
held-out labels (``vocabulary.HELD_OUT``: about a fifth of the synonyms of the fields a
reader looks for, plus held-out sentences) and the two held-out date formats
(``2026/03/13`` and ``13.03.26``, ``formats.HELD_OUT_DATE_FORMATS``). ``FRESH_FAMILIES``
(163, 167... past the others) are validation families held in reserve: a worn decision
group is replaced by the next twenty of them (``benchmarks/reader.py --group fresh``).
``EXTRA_TUNING_FAMILIES`` (160, 161, 162, 164... up to 319, the numbers the fresh families
leave between them) are tuning families too: the model is fitted on more layouts than the
first ``FAMILY_COUNT`` hold.

Every invoice is clean and its arithmetic holds; ``truth`` is the contract extraction shape
holding only what the page prints (a photo shows the first page only, and its truth keeps
only what that page prints), plus ``kind``, ``faults``, ``family``, ``group`` and
``printed`` (each field's exact text on the page). Same (family, index, kind, seed), same
bytes.

    uv run python -m samples.randomised --out /tmp/rnd --group validation --per-family 3
"""

from samples.randomised.document import KINDS, GeneratedDocument, generate_document
from samples.randomised.family import (
    EXTRA_TUNING_FAMILIES,
    FAMILY_COUNT,
    FRESH_FAMILIES,
    TUNING_FAMILIES,
    VALIDATION_FAMILIES,
    family_group,
)

__all__ = [
    "EXTRA_TUNING_FAMILIES",
    "FAMILY_COUNT",
    "FRESH_FAMILIES",
    "KINDS",
    "TUNING_FAMILIES",
    "VALIDATION_FAMILIES",
    "GeneratedDocument",
    "family_group",
    "generate_document",
]
