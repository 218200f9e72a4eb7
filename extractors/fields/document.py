"""The field finder's working types: a document's rows and labels, the tokens values are
read from, the candidates proposed for each field, and the scores that weigh them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from extractors.base import PageWords
from extractors.labels import LabelHit, TextRow
from extractors.lines import find_item_headers

Value = str | date | Decimal

# How much a value is trusted by where it stands relative to its label.
RIGHT_OF_LABEL = 1.0
BELOW_LABEL = 0.8
AFTER_NUMBER = 0.85  # "Facture n° F-42 du 14 novembre 2026": the date after the number
UNLABELLED_DATE = 0.3  # the first date on the page, with no label
UNLABELLED_DATE_ZONE = 0.5  # ...looked for in this top share of page one
UNLABELLED_DATE_LOWER = 0.25  # ...or, when there is none, lower on page one
NUMBER_BESIDE_DATE = 0.3  # an unlabelled reference just left of the invoice date
TITLE_WITH_NUMBER = 0.9  # "Rechnung Nr. 42": a title made a label by "Nr." or a date
UNDER_ITEM_HEADER = 0.5  # a value under a column header of the item table

NOT_LAST_IN_COLUMN = 0.8  # an amount above others in its column is rarely the total
INVALID_IBAN = 0.5  # an IBAN read after its label whose check digits fail
DIGIT_GROUP_GAP = 0.8  # "12 193,92": groups of digits closer than this many row heights
OCR_DIGIT_GROUP_GAP = 1.5  # OCR boxes add space around each word
# How far below a label its value may be: rows, and the gap between rows in row heights.
BELOW_ROWS = 2
BELOW_ROWS_AMOUNT = 6
MAX_ROW_GAP = 2.5

# Scores of identifiers found by their pattern, and what raises or lowers them.
VALID_ID = 1.0
VAT_BAD_CHECK_DIGITS = 0.7  # a VAT number whose only fault is its check digits
SIRET_BAD_CHECK_DIGITS = 0.6  # a labelled 14-digit SIRET whose check digits fail
SIREN_ONLY = 0.8  # a SIREN where no SIRET is printed
SIREN_MATCH_BONUS = 0.5  # a French VAT number carrying the seller's SIREN
LABEL_BONUS = 0.2  # an identifier right after its own label
BUYER_ID = 0.9  # a buyer's VAT number: placed by the layout, less sure than the seller's
MAX_GROUP_GAP = 1.5  # identifiers printed in groups: groups at most this many heights apart
SPLIT_GLYPH_GAP = 0.6  # "4 71102": a first glyph at most this many heights from the rest

# Scores of seller names: a company name with its legal form, raised near the top of
# page one and when printed more than once; the top line of page one as a last resort.
LEGAL_FORM_NAME = 0.55
NEAR_TOP_BONUS = 0.2
REPEATED_BONUS = 0.1
TOP_ZONE = 0.3
TOP_LINE_NAME = 0.35
TOP_LINE_ZONE = 0.25
# The top-line name is the first row printed about as large as the largest (a shop's name
# over its address lines of nearly the same size), among rows OCR read with this mean
# confidence: a logo or a handwritten note reads as low-confidence letters.
TOP_LINE_HEIGHT_SHARE = 0.85
MIN_NAME_CONFIDENCE = 0.75

# A party block: at most this many rows, this share of the page wide, ending on the
# right where a gap of this many row heights opens on the label's row.
BLOCK_ROWS = 8
NAME_ROWS = 4
MAX_BLOCK_WIDTH = 0.5
COLUMN_GAP = 2.0

# Bonus for the totals when they add up, and the tolerance of that check.
SUM_BONUS = 1.2
SUM_MISMATCH = 0.3
DUE_IS_GROSS = 0.8
TAXLESS_BONUS = 0.3
SUM_TOLERANCE = Decimal("0.011")
# The confidence of a finder's value that the learned reader did not choose.
UNCONFIRMED = 0.5
MAX_QUALIFIER_GAP = 12  # characters between a total and its qualifier ("Total Sales (incl...")
MAX_TAX_PARTS_TRIED = 6

# Month names of these languages are read too: invoices from neighbouring countries.
EXTRA_DATE_LANGUAGES = ("nl",)

IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/\-_.#]*[A-Za-z0-9]$|^\d$")
# How an IBAN, a VAT number or a SIRET starts: two capitals or a digit (after a label).
IDENTIFIER_START = re.compile(r"^(?:[A-Za-z][-.:A-Za-z]*:)?(?:[A-Z]{2}|\d)")
# A name followed by its address on the same line: "Avon Events Ltd, 4 Queen Square".
ADDRESS_AFTER_NAME = re.compile(r",\s*(?=\d)")
NAME_SEPARATORS = re.compile("\\s+[-\u2013|\u25cf\u2022\u00b7]\\s+|\\s*[|\u25cf\u2022\u00b7]\\s*")
# The recipient's address window: in the top part of page one, rows aligned within
# this many row heights, no further apart than this, one with a postcode.
WINDOW_ZONE = 0.45
ALIGN_TOLERANCE = 0.6
MAX_ADDRESS_GAP = 1.8
WINDOW_SCORE = 0.5
CONTACT_DETAILS = re.compile(r"@|www\.|https?:|(?<!\w)(?:tel|tél|fax|phone)(?!\w)")
POSTCODE = re.compile(
    r"(?<!\d)\d{4,5}(?!\d)\s+[^\W\d_]|[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b|[^\W\d_]\s+\d{5}(?!\d)"
)


@dataclass(frozen=True)
class Candidate:
    """A value proposed for a field, with its score and where it was read."""

    field: str
    value: Value
    score: float
    row: TextRow
    start: int
    end: int
    label: LabelHit | None = None

    @property
    def ocr_confidence(self) -> float:
        """Return the lowest recognition confidence of the words the value was read from."""
        return self.row.confidence(self.start, self.end)


@dataclass(frozen=True)
class Token:
    """A word, or the part of one inside a region, with its offsets in the row's text."""

    text: str
    start: int
    end: int
    x0: float
    x1: float


@dataclass
class Document:
    """The rows of all pages, with their labels and the facts found so far."""

    pages: Sequence[PageWords]
    rows: list[TextRow]
    hits: dict[int, list[LabelHit]]
    languages: tuple[str, ...]
    day_first: bool = True
    item_headers: list[TextRow] = field(default_factory=list)
    buyer_blocks: list[Block] = field(default_factory=list)
    window: tuple[Candidate, Block] | None = None
    positions: dict[int, int] = field(default_factory=dict)
    row_tokens: dict[int, list[Token]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.positions = {id(row): index for index, row in enumerate(self.rows)}
        self.item_headers = find_item_headers(self.rows)

    def tokens_of(self, row: TextRow) -> list[Token]:
        """Return all the tokens of ``row`` (computed once)."""
        tokens = self.row_tokens.get(id(row))
        if tokens is None:
            tokens = self.row_tokens[id(row)] = tokens_between(row, 0, len(row.text))
        return tokens

    def hits_of(self, row: TextRow) -> list[LabelHit]:
        """Return the labels found in ``row``."""
        return self.hits.get(id(row), [])

    def page_width(self, row: TextRow) -> float:
        """Return the width of the page ``row`` is on."""
        return self.pages[row.page].width

    def page_height(self, row: TextRow) -> float:
        """Return the height of the page ``row`` is on."""
        return self.pages[row.page].height


@dataclass(frozen=True)
class Block:
    """A rectangle of one page: a party's address block."""

    page: int
    x0: float
    x1: float
    top: float
    bottom: float

    def holds(self, row: TextRow, x: float) -> bool:
        """Return True when position ``x`` of ``row`` lies inside the block."""
        middle = (row.top + row.bottom) / 2
        return (
            row.page == self.page and self.top <= middle <= self.bottom and self.x0 <= x <= self.x1
        )


def tokens_between(row: TextRow, start: int, end: int) -> list[Token]:
    """Return the words of ``row`` between offsets ``start`` and ``end``, clipped to them."""
    tokens = []
    for (word_start, word_end), word in zip(row.spans, row.words, strict=True):
        clip_start, clip_end = max(word_start, start), min(word_end, end)
        if clip_end <= clip_start:
            continue
        text = row.text[clip_start:clip_end]
        tokens.append(Token(text, clip_start, clip_end, row.x_at(clip_start), word.x1))
    return tokens


def best_candidate(candidates: Iterable[Candidate]) -> Candidate | None:
    """Return the highest-scoring candidate, the earliest in reading order on a tie."""
    best: Candidate | None = None
    for candidate in candidates:
        if best is None or candidate.score > best.score + 1e-9:
            best = candidate
    return best


def with_score(candidate: Candidate, score: float) -> Candidate:
    return replace(candidate, score=score)


def field_confidence(candidate: Candidate) -> float:
    """Return the field's confidence: its score times the words' OCR confidence, in [0, 1]."""
    return round(max(0.0, min(1.0, candidate.score * candidate.ocr_confidence)), 3)
