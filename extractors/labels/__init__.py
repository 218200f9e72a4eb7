"""Label dictionaries (fr/en/de, some nl) and how to find them in rows of positioned words.

- ``field_labels``: each printed label maps to the fields it can announce, with a weight
  saying how specific it is;
- ``vocabulary``: column headers of item tables and the other word lists (legal forms,
  number fillers, salutations, language hints);
- ``rows``: the rows themselves (``rows_of_page``: words grouped by baseline, with their
  text, folded text and geometry), shared by the field finder and the line reader;
- ``matching``: labels found in rows (``FIELD_LABEL_SET``, ``COLUMN_LABEL_SET``) and the
  document's language.
"""

from __future__ import annotations

from extractors.labels.field_labels import (
    CARRIED_FORWARD,
    FIELD_LABELS,
    GROSS_QUALIFIER,
    NET_QUALIFIER,
    OTHER,
    QUALIFIER_LABELS,
)
from extractors.labels.matching import (
    COLUMN_LABEL_SET,
    FIELD_LABEL_SET,
    LabelHit,
    LabelSet,
    detect_language,
    has_field_label,
)
from extractors.labels.rows import PHRASE_GAP, TextRow, make_row, rows_of_page
from extractors.labels.vocabulary import (
    COLUMN_LABELS,
    COUNTRY_CODES_WITH_VAT,
    DATE_CONNECTORS,
    IGNORED_COLUMN,
    LANGUAGE_HINTS,
    LEGAL_FORM_TAILS,
    LEGAL_FORMS,
    NAME_LABELS,
    NUMBER_FILLERS,
    SALUTATIONS,
    TITLE_WORDS,
)

__all__ = [
    "CARRIED_FORWARD",
    "COLUMN_LABELS",
    "COLUMN_LABEL_SET",
    "COUNTRY_CODES_WITH_VAT",
    "DATE_CONNECTORS",
    "FIELD_LABELS",
    "FIELD_LABEL_SET",
    "GROSS_QUALIFIER",
    "IGNORED_COLUMN",
    "LANGUAGE_HINTS",
    "LEGAL_FORMS",
    "LEGAL_FORM_TAILS",
    "NAME_LABELS",
    "NET_QUALIFIER",
    "NUMBER_FILLERS",
    "OTHER",
    "PHRASE_GAP",
    "QUALIFIER_LABELS",
    "SALUTATIONS",
    "TITLE_WORDS",
    "LabelHit",
    "LabelSet",
    "TextRow",
    "detect_language",
    "has_field_label",
    "make_row",
    "rows_of_page",
]
