"""Template-free field finder: from positioned words to invoice fields with confidences.

How it reads a document, in order:

1. words are grouped into rows (``labels.rows_of_page``) and every known label is found in
   every row (``labels.FIELD_LABEL_SET``); a total followed by a qualifier becomes the
   net or the gross ("Total (excl. VAT)", "Rechnungssumme Brutto (inkl. USt.)");
2. each label proposes a value read to its right on the same row, or else below it in its
   column; a candidate's score is the label's weight times how the value was found. A
   document title followed by "Nr."/"#" or by a date is a label too ("Rechnung Nr. 42
   vom 05.03.2018"), and so is the date after the number in sentence forms;
3. identifiers (IBAN, VAT number, SIRET/SIREN) are also found by their pattern and check
   digits, and given to the seller or the buyer by where they stand: in the buyer's block
   (under "Bill to", "Client", "Käufer"..., or the recipient's address window of a letter)
   or behind a buyer label they are the buyer's;
4. the totals are chosen together: the net, tax and gross candidates that add up
   (net + tax = gross) win over better-labelled ones that do not, and per-rate taxes add
   up to the tax total when none is printed; the amount due is the gross when no other
   amount due is printed (nothing paid in advance);
5. the seller's name comes from a seller label, a company name ending in a legal form
   (SAS, GmbH, Ltd...) outside the buyer's block, or the top line of the first page.

The invoice lines are read from the item table (``lines``); on OCR'd pages, a line amount,
unit price or quantity that the net total and the line's arithmetic show misread is repaired
(``line_repair``).

Weak fallbacks fill what no label gives, at low confidence: the first date near the top
of page one for the invoice date, the reference printed just before it for the number.

A field's confidence is its winning candidate's score, raised when a cross-check holds
(the totals add up, the check digits are right) and multiplied by the OCR confidence of
the words it was read from.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from itertools import combinations, product

from stdnum import iban as stdnum_iban

from extractors.base import FieldReading, PageWords
from extractors.boxes import box_of_characters, box_of_span, line_boxes
from extractors.identifiers import IBAN_START, IdentifierShape, IdentifierType, read_identifier
from extractors.labels import (
    DATE_CONNECTORS,
    FIELD_LABEL_SET,
    GROSS_QUALIFIER,
    LEGAL_FORM_TAILS,
    LEGAL_FORMS,
    NAME_LABELS,
    NET_QUALIFIER,
    NUMBER_FILLERS,
    OTHER,
    PHRASE_GAP,
    SALUTATIONS,
    TITLE_WORDS,
    LabelHit,
    TextRow,
    detect_language,
    rows_of_page,
)
from extractors.line_arithmetic import read_lines_by_arithmetic, read_lines_by_sum
from extractors.line_repair import repair_misread_lines
from extractors.lines import find_item_headers, read_lines_from_rows
from extractors.normalize import (
    DEFAULT_DATE_LANGUAGES,
    compact_identifier,
    fold_text,
    month_first_dates,
    parse_amount,
    parse_currency,
    parse_date,
    parse_percent,
)
from extractors.reader import READER_FIELDS, ReaderModel, read_fields, reader_model
from invoicebot.model import AMOUNT_FIELDS, Box, InvoiceFields, Line

logger = logging.getLogger(__name__)

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
            tokens = self.row_tokens[id(row)] = _tokens(row, 0, len(row.text))
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


def read_invoice(pages: Sequence[PageWords]) -> FieldReading:
    """Return the fields, lines, confidences and language read from the pages' words.

    The label-based finder reads first; the learned reader (``extractors.reader``) then
    decides the fields it reads, with the finder's choices among its features.

    Never raises: odd input gives empty fields, and a failure of the finder itself is
    logged and gives an empty reading rather than losing the document.
    """
    try:
        found = find_fields(pages)
        return apply_reader(found)
    except Exception:  # the finder must not take a batch down with one odd page
        logger.exception("the field finder failed; returning an empty reading")
        return FieldReading(fields=InvoiceFields())


@dataclass
class FinderResult:
    """What the label-based finder read, with the rows and reading settings it used."""

    document: Document
    values: dict[str, Value]
    confidence: dict[str, float]
    lines: list[Line]
    language: str | None
    boxes: dict[str, Box] = field(default_factory=dict)

    def reading(self) -> FieldReading:
        return FieldReading(
            fields=InvoiceFields.model_validate(self.values),
            lines=self.lines,
            confidence=self.confidence,
            language=self.language,
            boxes=self.boxes,
        )


def find_fields(pages: Sequence[PageWords]) -> FinderResult:
    """Return what the label-based finder reads from the pages' words."""
    rows = [row for index, page in enumerate(pages) for row in rows_of_page(page, index)]
    language = detect_language(rows)
    languages = _date_languages(language)
    document = Document(
        pages=pages,
        rows=rows,
        hits={id(row): _key_labels(row) for row in rows},
        languages=languages,
        day_first=not month_first_dates(row.text for row in rows),
    )
    document.buyer_blocks = _buyer_blocks(document)
    if not document.buyer_blocks:
        document.window = _address_window(document)
        if document.window is not None:
            document.buyer_blocks.append(document.window[1])
    candidates = _labelled_candidates(document)
    candidates.extend(_identifier_candidates(document))
    chosen = _choose_values(document, candidates)
    _choose_totals(candidates, chosen)
    _choose_parties(document, candidates, chosen)
    currency = _currency(rows)
    values: dict[str, Value] = {name: candidate.value for name, candidate in chosen.items()}
    confidence = {name: _confidence(candidate) for name, candidate in chosen.items()}
    if currency is not None:
        values["currency"], confidence["currency"] = currency
    lines = read_lines_from_rows(rows, document.item_headers)
    total_net = values.get("total_net")
    if any(row.ocr for row in rows) and isinstance(total_net, Decimal):
        lines = repair_misread_lines(lines, total_net)
    boxes = {
        name: box
        for name, candidate in chosen.items()
        if (box := box_of_characters(pages, candidate.row, candidate.start, candidate.end))
    }
    return FinderResult(document, values, confidence, lines, language, boxes)


def apply_reader(found: FinderResult, model: ReaderModel | None = None) -> FieldReading:
    """Return the finder's reading with the learned reader's fields in place of its own
    (``model``: the shipped one by default), and the lines that add up to the net.

    A field the reader leaves empty keeps the finder's value, but no more than
    ``UNCONFIRMED`` sure: the reader saw it and did not choose it; or the reader's own best
    candidate, as unsure, where the model rates the finder's value far below it.
    """
    model = model or reader_model()
    document = found.document
    by_arithmetic = read_lines_by_arithmetic(document.rows)
    values, confidence = dict(found.values), dict(found.confidence)
    boxes = dict(found.boxes)
    if model is not None:
        line_totals = [_sum_of(lines) for lines in (found.lines, by_arithmetic)]
        read = read_fields(
            model,
            document.pages,
            document.rows,
            finder=found.values,
            finder_confidence=found.confidence,
            languages=document.languages,
            day_first=document.day_first,
            line_totals=[total for total in line_totals if total is not None],
            label_hits=document.hits,
        )
        for name in READER_FIELDS:
            choice = read.chosen.get(name) or read.fallbacks.get(name)
            if choice is None:
                if name in values:
                    confidence[name] = min(confidence.get(name, 0.0), UNCONFIRMED)
                continue
            values[name] = choice.value
            # Where it was read: the words of the chosen candidate.
            candidate = choice.candidate
            box = box_of_span(document.pages, candidate.row, candidate.first, candidate.last)
            if box is None:
                boxes.pop(name, None)
            else:
                boxes[name] = box
            # As sure as the decoding, times how sure OCR was of all the words read; a
            # fallback no surer than the finder's value it replaces.
            sure = choice.confidence * candidate.words_confidence
            if name not in read.chosen:
                sure = min(sure, UNCONFIRMED)
            confidence[name] = round(sure, 3)
    total_net = values.get("total_net")
    lines = found.lines
    ocr = any(row.ocr for row in document.rows)
    if ocr and isinstance(total_net, Decimal) and total_net != found.values.get("total_net"):
        raw_lines = read_lines_from_rows(document.rows, document.item_headers)
        lines = repair_misread_lines(raw_lines, total_net)
    if isinstance(total_net, Decimal):
        if _sum_of(lines) != total_net:
            ended = read_lines_from_rows(document.rows, document.item_headers, total_net=total_net)
            lines = ended if _sum_of(ended) == total_net else lines
        lines = _lines_adding_up(lines, by_arithmetic, total_net, document.rows)
    return FieldReading(
        fields=InvoiceFields.model_validate(values),
        lines=lines,
        confidence=confidence,
        language=found.language,
        boxes=boxes,
        line_boxes=line_boxes(lines, document.rows, document.pages),
    )


def _lines_adding_up(
    by_headers: list[Line], by_arithmetic: list[Line], total_net: Decimal, rows: Sequence[TextRow]
) -> list[Line]:
    """Return the lines read under the table's headers unless only the lines found by
    their own arithmetic add up to the net total, or, when neither does, the rows whose
    amounts add up to it (a table of descriptions and amounts only) where they are not
    fewer than the header's lines: lines that do not add up to the net are a fault to
    report (BR-CO-10), not to hide by dropping one.

    Where both readings add up line for line, the header's lines take what it left empty
    from the arithmetic's (a column whose header no dictionary knows); where none adds up,
    the arithmetic's lines are kept when they are as many and come closer to the net.
    """
    if _sum_of(by_headers) == total_net:
        return _completed(by_headers, by_arithmetic)
    if by_arithmetic and _sum_of(by_arithmetic) == total_net:
        return by_arithmetic
    by_sum = read_lines_by_sum(rows, total_net)
    if by_sum and len(by_sum) >= len(by_headers):
        return by_sum
    if by_arithmetic and len(by_arithmetic) >= len(by_headers):
        from_arithmetic = _sum_of(by_arithmetic)
        from_headers = _sum_of(by_headers)
        if from_arithmetic is not None and (
            from_headers is None or abs(from_arithmetic - total_net) < abs(from_headers - total_net)
        ):
            return by_arithmetic
    return by_headers


def _completed(by_headers: list[Line], by_arithmetic: list[Line]) -> list[Line]:
    """Return the header's lines with their empty values taken from the arithmetic's
    lines, when both read the same net amounts in the same order. A column no header
    word names runs into the description: its values are taken off the description's end."""
    if [line.net_amount for line in by_headers] != [line.net_amount for line in by_arithmetic]:
        return by_headers
    completed = []
    for header, found in zip(by_headers, by_arithmetic, strict=True):
        arithmetic = _ordered_as(header, found)
        filled = {
            name: value
            for name, value in arithmetic.model_dump().items()
            if getattr(header, name) is None and value is not None and name != "description"
        }
        words = (header.description or "").split()
        while words and parse_amount(words[-1]) in filled.values():
            words.pop()
        filled["description"] = " ".join(words) or arithmetic.description
        completed.append(header.model_copy(update=filled))
    return completed


def _ordered_as(header: Line, arithmetic: Line) -> Line:
    """Return the arithmetic's line with its two factors in the order the header's columns
    read them: quantity x price = amount does not tell the quantity from the price, a
    column the header named does ("E-Preis" over 40,66 makes the other factor, 6,00, the
    quantity)."""
    quantity, price = arithmetic.quantity, arithmetic.unit_price
    if quantity is None or price is None or quantity == price:
        return arithmetic
    if header.unit_price == quantity or header.quantity == price:
        return arithmetic.model_copy(update={"quantity": price, "unit_price": quantity})
    return arithmetic


def _sum_of(lines: Sequence[Line]) -> Decimal | None:
    amounts = [line.net_amount for line in lines]
    if not amounts or any(amount is None for amount in amounts):
        return None
    return sum((amount for amount in amounts if amount is not None), Decimal(0))


def _key_labels(row: TextRow) -> list[LabelHit]:
    """Return the row's labels, each total merged with the qualifier right after it.

    "Total (Excluding GST)" is the net and "Total (Inclusive of GST)" the gross, whatever
    "Total" alone would be; a qualifier elsewhere only keeps "GST" from being a label.
    """
    labels: list[LabelHit] = []
    for hit in FIELD_LABEL_SET.find(row):
        qualifier = _qualifier_of(hit)
        if qualifier is None:
            labels.append(hit)
        elif labels and _qualifies(labels[-1], hit):
            total = labels[-1]
            labels[-1] = LabelHit(row, total.start, hit.end, total.label, {qualifier: 1.0})
    return labels


def _qualifier_of(hit: LabelHit) -> str | None:
    """Return the total a qualifier makes of the label before it, or None for a label."""
    if NET_QUALIFIER in hit.weights:
        return "total_net"
    if GROSS_QUALIFIER in hit.weights:
        return "total_gross"
    return None


def _qualifies(label: LabelHit, qualifier: LabelHit) -> bool:
    """Return True when ``qualifier`` directly follows a total label: "Total (incl. VAT)"."""
    between = label.row.text[label.end : qualifier.start]
    is_total = bool({"total_net", "total_gross"} & label.weights.keys())
    return is_total and len(between.strip(" ()[]:-")) <= MAX_QUALIFIER_GAP


def _date_languages(language: str | None) -> tuple[str, ...]:
    """Return the languages dates are parsed in, the detected one first."""
    known = (*DEFAULT_DATE_LANGUAGES, *EXTRA_DATE_LANGUAGES)
    if language is None:
        return known
    return (language, *(other for other in known if other != language))


# --- reading values from the text next to a label -------------------------------------


def _tokens(row: TextRow, start: int, end: int) -> list[Token]:
    """Return the words of ``row`` between offsets ``start`` and ``end``, clipped to them."""
    tokens = []
    for (word_start, word_end), word in zip(row.spans, row.words, strict=True):
        clip_start, clip_end = max(word_start, start), min(word_end, end)
        if clip_end <= clip_start:
            continue
        text = row.text[clip_start:clip_end]
        tokens.append(Token(text, clip_start, clip_end, row.x_at(clip_start), word.x1))
    return tokens


# Punctuation around a value, and the stray marks OCR reads from rules and specks.
_EDGE_PUNCTUATION = ":;,()[]=*'\"_|\u2013\u201e\u201c\u201d\u00ab\u00bb\u201a\u2018\u2019"


def _strip_punctuation(token: Token) -> Token | None:
    """Return ``token`` without the colons, dashes and brackets around it, or None if empty.

    A minus sign before a digit stays: it makes an amount negative.
    """
    text = token.text
    inner = text.lstrip(_EDGE_PUNCTUATION)
    if inner.startswith("-") and not inner[1:2].isdigit():
        inner = inner.lstrip("-" + _EDGE_PUNCTUATION)
    inner = inner.rstrip(_EDGE_PUNCTUATION + "-")
    if not inner:
        return None
    lead = text.index(inner)
    return Token(inner, token.start + lead, token.start + lead + len(inner), token.x0, token.x1)


def _read_identifier(tokens: Sequence[Token], row_height: float) -> tuple[Token, bool] | None:
    """Return the first token that is a reference with a digit, and whether words like
    "Nr." or "#" stood before it (which makes a title such as "Rechnung Nr. 42" a label).

    Words before such a filler are skipped: "Schlussrechnung Bau (877) Nr. 181301674".
    """
    cleaned = [token for token in map(_strip_punctuation, tokens[:8]) if token is not None]
    fillers = [index for index, token in enumerate(cleaned[:4]) if _is_filler(token)]
    after_filler = bool(fillers)
    remaining = cleaned[fillers[-1] + 1 :] if fillers else cleaned
    for index, token in enumerate(remaining[:3]):
        if not any(char.isalnum() for char in token.text):
            continue
        if _text_before(tokens, token).endswith("("):
            continue  # "(380)", a code in brackets, not the number
        token = _glue_split_first_character(token, remaining[index + 1 :], row_height)
        text = token.text.lstrip("#:")
        if not IDENTIFIER.match(text) or not any(char.isdigit() for char in text):
            return None
        if parse_date(text) is not None or parse_percent(text) is not None:
            return None
        offset = len(token.text) - len(text)
        return Token(text, token.start + offset, token.end, token.x0, token.x1), after_filler
    return None


def _is_filler(token: Token) -> bool:
    """Return True for "Nr.", "No", "#" and the like between a label and its value."""
    return fold_text(token.text).rstrip(".:") in NUMBER_FILLERS


def _text_before(tokens: Sequence[Token], token: Token) -> str:
    """Return the text of the raw token holding ``token`` up to where ``token`` starts."""
    for raw in tokens:
        if raw.start <= token.start < raw.end:
            return raw.text[: token.start - raw.start]
    return ""


def _glue_split_first_character(
    token: Token, following: Sequence[Token], row_height: float
) -> Token:
    """Return ``token`` joined to the next one when it is a first character split off.

    Some PDFs space their first glyph apart ("4 71102" for "471102"); a lone character
    followed closely by more characters is taken for such a split.
    """
    if len(token.text) != 1 or not following:
        return token
    after = following[0]
    if after.x0 - token.x1 > SPLIT_GLYPH_GAP * row_height or not after.text[:1].isalnum():
        return token
    return Token(token.text + after.text, token.start, after.end, token.x0, after.x1)


def _read_date(
    tokens: Sequence[Token], languages: Sequence[str], *, day_first: bool = True
) -> tuple[date, Token] | None:
    """Return the first date printed in the tokens (1 to 4 words long) and its extent."""
    cleaned = [token for token in map(_strip_punctuation, tokens[:8]) if token is not None]
    for first in range(min(len(cleaned), 5)):
        for size in (1, 3, 4, 2):
            window = cleaned[first : first + size]
            if len(window) < size:
                continue
            texts = [" ".join(token.text for token in window)]
            if size == 2 and len(window[0].text) == 1:
                texts.append(window[0].text + window[1].text)  # "0 5.03.2018", split glyph
            for text in texts:
                parsed = parse_date(_glued_date(text), languages, day_first=day_first)
                if parsed is not None:
                    last = window[-1]
                    return parsed, Token(text, window[0].start, last.end, window[0].x0, last.x1)
    return None


# One separator throughout: "0202-12/48" is not a date.
_GLUED_NUMERIC_DATE = re.compile(r"\d{1,4}([./\-])\d{1,2}\1\d{2,4}")
# A date glued to the time after it, as receipt OCR reads "22/12/201714:03" or "07/01/1814:41".
_DATE_BEFORE_TIME = re.compile(r"(\d{1,2}([./\-])\d{1,2}\2(?:\d{4}|\d{2}))\d{1,2}:\d{2}")


def _glued_date(text: str) -> str:
    """Return the numeric date inside a token glued to a word (``vom29.10.2019``) or to a
    time (``22/12/201714:03``), or ``text``."""
    if " " in text:
        return text
    timed = _DATE_BEFORE_TIME.search(text)
    if timed:
        return timed.group(1)
    match = _GLUED_NUMERIC_DATE.search(text)
    if match and match.group(0) != text:
        return match.group(0)
    return text


@dataclass(frozen=True)
class _Amount:
    """An amount and the token(s) it was read from."""

    value: Decimal
    token: Token


def _read_amounts(tokens: Sequence[Token], row: TextRow) -> list[_Amount]:
    """Return the amounts in the tokens, left to right, stopping at words after the first.

    Percentages are skipped; digits split by a thin gap are joined (``1 234,56``); an
    integer counts only next to a currency mark, so "30 Tagen" is not an amount.
    """
    amounts: list[_Amount] = []
    cleaned = [token for token in map(_strip_punctuation, tokens) if token is not None]
    index = 0
    while index < len(cleaned):
        token = cleaned[index]
        if _is_percent(cleaned, index):
            index += 1
            continue
        joined, used = _join_digit_groups(cleaned, index, row)
        value = parse_amount(joined.text)
        if value is None and joined.text.endswith("."):
            value = parse_amount(joined.text[:-1])  # "€10,667.11." a full stop or a speck
        if value is None:
            if amounts and _is_word(token.text):
                break
            index += 1
            continue
        has_currency = _currency_near(cleaned, index, index + used, joined.text)
        has_decimals = bool(re.search(r"[.,]\d{1,4}\)?\s*\S*$", joined.text))
        if has_decimals or has_currency:
            amounts.append(_Amount(value, joined))
        index += used
    return amounts


def _is_percent(tokens: Sequence[Token], index: int) -> bool:
    text = tokens[index].text
    following = tokens[index + 1].text if index + 1 < len(tokens) else ""
    return "%" in text or following.startswith("%")


def _is_word(text: str) -> bool:
    """Return True for a word of letters that is not a currency mark."""
    return any(char.isalpha() for char in text) and parse_currency(text) is None


def _join_digit_groups(tokens: Sequence[Token], index: int, row: TextRow) -> tuple[Token, int]:
    """Return the token at ``index`` joined with following digit groups, and how many it took."""
    first = tokens[index]
    joined = first
    used = 1
    gap_limit = (OCR_DIGIT_GROUP_GAP if row.ocr else DIGIT_GROUP_GAP) * row.height
    while index + used < len(tokens) and re.fullmatch(r"[-(]?\d{1,3}", joined.text):
        following = tokens[index + used]
        if following.x0 - joined.x1 > gap_limit or not re.match(
            r"^\d{3}(?:[.,]\d+)?", following.text
        ):
            break
        joined = Token(
            joined.text + " " + following.text, joined.start, following.end, joined.x0, following.x1
        )
        used += 1
    if used > 1 and parse_amount(joined.text) is None:
        return first, 1
    return joined, used


def _currency_near(tokens: Sequence[Token], first: int, last: int, text: str) -> bool:
    """Return True when a currency mark is inside or right beside tokens ``first:last``."""
    if parse_currency(text) is not None:
        return True
    neighbours = [tokens[i].text for i in (first - 1, last) if 0 <= i < len(tokens)]
    return any(parse_currency(neighbour) is not None for neighbour in neighbours)


# --- candidates from labels -------------------------------------------------------------


def _labelled_candidates(document: Document) -> list[Candidate]:
    """Return the values proposed by every label, to its right or below it."""
    item_headers = {id(row) for row in document.item_headers}
    candidates: list[Candidate] = []
    for row in document.rows:
        hits = document.hits_of(row)
        for position, hit in enumerate(hits):
            following = hits[position + 1] if position + 1 < len(hits) else None
            region_end = following.start if following else len(row.text)
            for field_name, weight in hit.weights.items():
                if field_name in (OTHER, "buyer_name", "seller_name"):
                    continue
                found = list(_read_right(document, hit, field_name, weight, region_end))
                if not found and not _is_lone_title(document, hit, field_name):
                    below_weight = weight * (UNDER_ITEM_HEADER if id(row) in item_headers else 1)
                    found = list(_read_below(document, hit, following, field_name, below_weight))
                candidates.extend(found)
    return candidates


def _is_lone_title(document: Document, hit: LabelHit, field_name: str) -> bool:
    """Return True for a document title ("Rechnung") alone on its row: its number, if any,
    follows it on the row. Among other labels ("Klant  Order  Factuur  Datum") a title is
    a column header, with its value below."""
    if field_name != "invoice_number" or fold_text(hit.label).lstrip("*") not in TITLE_WORDS:
        return False
    return len(document.hits_of(hit.row)) == 1


def _read_right(
    document: Document, hit: LabelHit, field_name: str, weight: float, region_end: int
) -> Iterator[Candidate]:
    """Yield the value of ``field_name`` printed right of the label on its row."""
    row = hit.row
    tokens = _tokens(row, hit.end, region_end)
    if not tokens:
        return
    yield from _read_value(document, hit, field_name, weight * RIGHT_OF_LABEL, row, tokens)


def _read_value(
    document: Document,
    hit: LabelHit,
    field_name: str,
    score: float,
    row: TextRow,
    tokens: Sequence[Token],
) -> Iterator[Candidate]:
    """Yield the candidates ``tokens`` hold for ``field_name`` (and a sentence-form date)."""
    if field_name == "invoice_number":
        yield from _read_invoice_number(document, hit, score, row, tokens)
        return
    reader = _VALUE_READERS.get(field_name)
    if reader is None:
        return
    found = reader(tokens, row, document)
    if found is None:
        return
    value, token = found
    yield Candidate(field_name, value, score, row, token.start, token.end, hit)


def _read_invoice_number(
    document: Document, hit: LabelHit, score: float, row: TextRow, tokens: Sequence[Token]
) -> Iterator[Candidate]:
    """Yield the invoice number after its label, and the date of a sentence form.

    A document title ("Rechnung", "Invoice") is a weak label, but a strong one when "Nr."
    or "#" follows it or a date follows the number: "Handelsrechnung Nr. 471102 vom ...".
    """
    found = _read_identifier(tokens, row.height)
    if found is None:
        return
    token, after_filler = found
    dates = list(_date_after_number(document, hit, row, tokens, token, score))
    weight = hit.weights["invoice_number"]
    if weight < TITLE_WITH_NUMBER and (after_filler or dates):
        score *= TITLE_WITH_NUMBER / weight
        dates = [
            _with_score(date_found, date_found.score * TITLE_WITH_NUMBER / weight)
            for date_found in dates
        ]
    yield Candidate("invoice_number", token.text, score, row, token.start, token.end, hit)
    yield from dates


def _date_after_number(
    document: Document,
    hit: LabelHit,
    row: TextRow,
    tokens: Sequence[Token],
    number: Token,
    score: float,
) -> Iterator[Candidate]:
    """Yield the date of a sentence form: ``Facture n° F-42 du 14 novembre 2026``.

    The connector and date may wrap to the next row when the number ends its row.
    """
    rest = [token for token in tokens if token.start >= number.end]
    next_row = next(_rows_below(document, row, 1), None)
    if next_row is not None and next_row.top - row.bottom > row.height:
        next_row = None
    date_row = row
    if not rest and next_row is not None:
        date_row, rest = next_row, document.tokens_of(next_row)
    if not _starts_with_connector(rest):
        return
    found = _read_date(rest[:5], document.languages, day_first=document.day_first)
    if found is None and len(rest) == 1 and next_row is not None:
        date_row, rest = next_row, document.tokens_of(next_row)
        found = _read_date(rest[:4], document.languages, day_first=document.day_first)
    if found is not None:
        value, token = found
        yield Candidate(
            "invoice_date", value, score * AFTER_NUMBER, date_row, token.start, token.end, hit
        )


def _starts_with_connector(tokens: Sequence[Token]) -> bool:
    """Return True when the tokens open with "du", "vom", "of"... (maybe glued to the date)."""
    if not tokens:
        return False
    first = fold_text(tokens[0].text)
    return first.strip(":,") in DATE_CONNECTORS or bool(re.match(r"^(?:vom|von|du|of)\d", first))


def _read_identifier_value(
    tokens: Sequence[Token], row: TextRow, document: Document
) -> tuple[Value, Token] | None:
    found = _read_identifier(tokens, row.height)
    return (found[0].text, found[0]) if found is not None else None


def _read_date_value(
    tokens: Sequence[Token], row: TextRow, document: Document
) -> tuple[Value, Token] | None:
    return _read_date(tokens, document.languages, day_first=document.day_first)


def _read_amount_value(
    tokens: Sequence[Token], row: TextRow, document: Document
) -> tuple[Value, Token] | None:
    amounts = _read_amounts(tokens, row)
    # A label announces the last of the amounts right after it: "Tax 15% on $112.90 $16.94".
    return (amounts[-1].value, amounts[-1].token) if amounts else None


def _read_iban_value(
    tokens: Sequence[Token], row: TextRow, document: Document
) -> tuple[Value, Token] | None:
    """Return an IBAN printed in groups after its label (``FR76 3000 6000 ...``), compacted.

    The longest run of groups with valid check digits wins; failing that, the run of
    groups up to the first word ("BIC"), so an IBAN with a typo is still read as printed.
    """
    cleaned = [token for token in map(_strip_punctuation, tokens[:10]) if token is not None]
    if not cleaned or not IBAN_START.match(cleaned[0].text.upper()):
        return None
    taken = [cleaned[0]]
    for token in cleaned[1:]:
        if (
            not re.fullmatch(r"[A-Za-z0-9]{1,8}", token.text)
            or token.x0 - taken[-1].x1 > row.height
        ):
            break
        if token.text.isalpha() and len(taken) > 1:
            break
        taken.append(token)
    for length in range(len(taken), 0, -1):
        text = compact_identifier("".join(token.text for token in taken[:length]))
        if stdnum_iban.is_valid(text):
            return text, Token(
                text, taken[0].start, taken[length - 1].end, taken[0].x0, taken[length - 1].x1
            )
    text = compact_identifier("".join(token.text for token in taken))
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{6,30}", text):
        return None
    return text, Token(text, taken[0].start, taken[-1].end, taken[0].x0, taken[-1].x1)


ValueReader = Callable[[Sequence[Token], TextRow, Document], "tuple[Value, Token] | None"]

_VALUE_READERS: dict[str, ValueReader] = {
    "po_number": _read_identifier_value,
    "invoice_date": _read_date_value,
    "due_date": _read_date_value,
    "total_net": _read_amount_value,
    "total_tax": _read_amount_value,
    "total_gross": _read_amount_value,
    "amount_due": _read_amount_value,
    "seller_iban": _read_iban_value,
}


def _read_below(
    document: Document,
    hit: LabelHit,
    following: LabelHit | None,
    field_name: str,
    weight: float,
) -> Iterator[Candidate]:
    """Yield the value printed under the label, in the label's column.

    For an amount every row of the column below is a candidate, the last one first: a
    column of a totals table ends with its total ("Montant TTC ... 29.99").
    """
    if field_name not in _VALUE_READERS and field_name != "invoice_number":
        return
    left, right = _column_of(document, hit, following)
    is_amount = field_name in AMOUNT_FIELDS
    found: list[Candidate] = []
    for row in _rows_below(document, hit.row, BELOW_ROWS_AMOUNT if is_amount else BELOW_ROWS):
        if _label_in_column(document, row, left, right):
            break
        tokens = [
            token for token in document.tokens_of(row) if token.x1 > left and token.x0 < right
        ]
        found.extend(_read_value(document, hit, field_name, weight * BELOW_LABEL, row, tokens))
        if found and not is_amount:
            break
    if is_amount and found:
        *earlier, last = found
        yield last
        yield from (_with_score(c, c.score * NOT_LAST_IN_COLUMN) for c in earlier)
    else:
        yield from found


def _column_of(
    document: Document, hit: LabelHit, following: LabelHit | None
) -> tuple[float, float]:
    """Return the x range under a label where its value may stand: from the label to the
    next label or the next phrase on its row, whichever comes first."""
    row = hit.row
    left = hit.x0 - row.height
    right = min(document.page_width(row), hit.x1 + max(4 * (hit.x1 - hit.x0), 120))
    if following is not None:
        right = min(right, following.x0 - 1)
    for index, word in enumerate(row.words):
        if word.x0 >= hit.x1 and row.starts_phrase(row.spans[index][0]):
            right = min(right, word.x0 - 1)
            break
    return left, right


def _rows_below(document: Document, row: TextRow, limit: int) -> Iterator[TextRow]:
    """Yield up to ``limit`` rows under ``row`` on its page, stopping at a wide vertical gap."""
    index = document.positions[id(row)]
    previous = row
    for below in document.rows[index + 1 :]:
        if below.page != row.page or limit == 0:
            return
        if below.top - previous.bottom > MAX_ROW_GAP * max(previous.height, below.height):
            return
        yield below
        previous = below
        limit -= 1


def _label_in_column(document: Document, row: TextRow, left: float, right: float) -> bool:
    """Return True when a field label (another key) stands in the column on ``row``."""
    return any(
        hit.x0 < right and hit.x1 > left and OTHER not in hit.weights
        for hit in document.hits_of(row)
    )


# --- identifiers by pattern and check digits ------------------------------------------


def _identifier_candidates(document: Document) -> list[Candidate]:
    """Return IBANs, VAT numbers and SIRET/SIREN numbers found by pattern anywhere."""
    candidates: list[Candidate] = []
    for row in document.rows:
        tokens = document.tokens_of(row)
        for index in range(len(tokens)):
            candidates.extend(_identifiers_at(document, row, tokens, index))
    return candidates


def _identifiers_at(
    document: Document, row: TextRow, tokens: Sequence[Token], index: int
) -> Iterator[Candidate]:
    """Yield the longest identifier starting at token ``index`` of ``row``, if any.

    Identifiers are printed in groups ("FR76 3000 6000 ...", "464 556 810 00065"), so
    up to eight neighbouring tokens are joined; the longest valid join wins (a SIRET
    over the SIREN it starts with).
    """
    first = _strip_punctuation(tokens[index])
    if first is None or not IDENTIFIER_START.match(first.text):
        return
    longest: Candidate | None = None
    for length in range(1, 9):
        window = tokens[index : index + length]
        if len(window) < length or not any(char.isalnum() for char in window[-1].text):
            break
        if length > 1 and window[-1].x0 - window[-2].x1 > MAX_GROUP_GAP * row.height:
            break
        text = compact_identifier("".join(token.text for token in window)).strip(":,;()")
        text = re.sub(r"^[A-Z\-]*:", "", text) if ":" in text else text
        found = _classify_identifier(document, row, text, first.start, window[-1].end)
        if found is not None:
            longest = found
    if longest is not None:
        yield longest


def _classify_identifier(
    document: Document, row: TextRow, text: str, start: int, end: int
) -> Candidate | None:
    """Return the candidate ``text`` is: an IBAN, a VAT number or a SIRET/SIREN, or None."""
    read = read_identifier(text, ocr=row.ocr)
    if read is None:
        return None
    text, shape = read
    if shape.type is IdentifierType.IBAN:
        return Candidate("seller_iban", text, VALID_ID, row, start, end)
    if shape.type is IdentifierType.VAT:
        quality = VALID_ID if shape.valid else VAT_BAD_CHECK_DIGITS
        return Candidate("seller_vat_id", text, quality, row, start, end)
    return _siret_candidate(document, row, text, shape, start, end)


def _siret_candidate(
    document: Document, row: TextRow, text: str, shape: IdentifierShape, start: int, end: int
) -> Candidate | None:
    """Return a SIRET (14 digits) or SIREN (9) behind its label.

    A labelled SIRET with wrong check digits is still the seller's SIRET as printed, at a
    lower score, so that validation can report it rather than lose it.
    """
    labelled = any(
        "seller_siret" in hit.weights and hit.end <= start for hit in document.hits_of(row)
    )
    if not labelled:
        return None
    if shape.type is IdentifierType.SIREN:
        return Candidate("seller_siret", text, SIREN_ONLY, row, start, end)
    score = VALID_ID if shape.valid else SIRET_BAD_CHECK_DIGITS
    return Candidate("seller_siret", text, score, row, start, end)


# --- choosing ---------------------------------------------------------------------------


def _choose_values(document: Document, candidates: Sequence[Candidate]) -> dict[str, Candidate]:
    """Return the best candidate of each non-amount field; amounts are chosen jointly."""
    chosen: dict[str, Candidate] = {}
    for field_name in ("invoice_number", "invoice_date", "due_date", "po_number"):
        best = _best(
            candidate
            for candidate in candidates
            if candidate.field == field_name and not _in_buyer_block(document, candidate)
        )
        if best is not None:
            chosen[field_name] = best
    _drop_due_date_equal_to_issue(chosen)
    if "invoice_date" not in chosen:
        unlabelled = _first_unlabelled_date(document, chosen.get("due_date"))
        if unlabelled is not None:
            chosen["invoice_date"] = unlabelled
    if "invoice_number" not in chosen and "invoice_date" in chosen:
        number = _number_beside_date(chosen["invoice_date"])
        if number is not None:
            chosen["invoice_number"] = number
    return chosen


def _number_beside_date(issue: Candidate) -> Candidate | None:
    """Return the reference printed just left of the invoice date, as a weak number.

    Key/value boxes print the number and the date side by side ("N° | Date" over
    "FA000914 | 23/03/2026"); when the labels are lost (OCR of a coloured band), the
    values keep that order.
    """
    row = issue.row
    before = [token for token in _tokens(row, 0, issue.start) if token.end <= issue.start]
    if not before:
        return None
    found = _read_identifier(before[-1:], row.height)
    if found is None or not any(char.isalpha() for char in found[0].text):
        return None
    token = found[0]
    return Candidate("invoice_number", token.text, NUMBER_BESIDE_DATE, row, token.start, token.end)


def _first_unlabelled_date(document: Document, due: Candidate | None) -> Candidate | None:
    """Return the first date in the top part of page one, as a weak invoice date.

    Letters date themselves without a label ("Paris, le 14 mars 2026"), and OCR may lose
    a label while keeping its date. Dates behind another label (delivery, order) and the
    due date are not taken.
    """
    top_zone = [
        row
        for row in document.rows
        if row.page == 0 and row.top <= UNLABELLED_DATE_ZONE * document.page_height(row)
    ]
    found = _unlabelled_date_in(document, top_zone, due, UNLABELLED_DATE)
    if found is None:
        # Till receipts print the date anywhere, often at the foot, and in rows that hold
        # references too ("ORD #07-REG #19- 10/03/2018 17:24:07").
        first_page = [row for row in document.rows if row.page == 0]
        found = _unlabelled_date_in(
            document, first_page, due, UNLABELLED_DATE_LOWER, beside_labels=True
        )
    return found


def _unlabelled_date_in(
    document: Document,
    rows: Sequence[TextRow],
    due: Candidate | None,
    score: float,
    *,
    beside_labels: bool = False,
) -> Candidate | None:
    """Return the first unlabelled date in ``rows`` that is not behind another label.

    With ``beside_labels``, a row may hold labels of fields other than dates.
    """
    for row in rows:
        hits = document.hits_of(row)
        if beside_labels:
            hits = [hit for hit in hits if _may_label_date(hit)]
        if any(OTHER not in hit.weights for hit in hits):
            continue
        found = _read_date(
            document.tokens_of(row), document.languages, day_first=document.day_first
        )
        if found is None or (due is not None and found[0] == due.value):
            continue
        value, token = found
        if any(hit.end <= token.start for hit in hits):
            continue
        return Candidate("invoice_date", value, score, row, token.start, token.end)
    return None


def _may_label_date(hit: LabelHit) -> bool:
    """Return True for a label that may announce a date: a date field's or another one."""
    return bool({"invoice_date", "due_date", OTHER} & hit.weights.keys())


def _best(candidates: Iterable[Candidate]) -> Candidate | None:
    """Return the highest-scoring candidate, the earliest in reading order on a tie."""
    best: Candidate | None = None
    for candidate in candidates:
        if best is None or candidate.score > best.score + 1e-9:
            best = candidate
    return best


def _drop_due_date_equal_to_issue(chosen: dict[str, Candidate]) -> None:
    """Forget a due date that is the issue date read from the same place."""
    issue, due = chosen.get("invoice_date"), chosen.get("due_date")
    if issue is not None and due is not None and issue.row is due.row and issue.start == due.start:
        del chosen["due_date"]


def _choose_totals(candidates: Sequence[Candidate], chosen: dict[str, Candidate]) -> None:
    """Choose net, tax, gross and amount due together, preferring totals that add up."""
    options = {
        name: _top_distinct([c for c in candidates if c.field == name]) for name in AMOUNT_FIELDS
    }
    best_score = -1.0
    best: tuple[Candidate | None, ...] = (None, None, None)
    for net, tax, gross in product(
        [None, *options["total_net"]],
        [None, *options["total_tax"]],
        [None, *options["total_gross"]],
    ):
        score = _trio_score(net, tax, gross)
        if score > best_score + 1e-9:
            best_score, best = score, (net, tax, gross)
    consistent = _adds_up(*best)
    net, _, gross = best
    if not consistent and net is not None and gross is not None:
        # Per-rate VAT amounts without a VAT total: their sum is the total when it adds up.
        summed = _tax_sum([c for c in candidates if c.field == "total_tax"], net, gross)
        if summed is not None:
            best, consistent = (net, summed, gross), True
    for name, candidate in zip(("total_net", "total_tax", "total_gross"), best, strict=True):
        if candidate is not None:
            boost = SUM_BONUS if consistent else 1.0
            chosen[name] = _with_score(candidate, min(candidate.score * boost, 1.0))
    due = _best(options["amount_due"])
    if due is not None:
        chosen["amount_due"] = due
    elif "total_gross" in chosen:
        # Nothing printed as due: the whole gross is (nothing was paid in advance).
        gross = chosen["total_gross"]
        chosen["amount_due"] = replace(gross, field="amount_due", score=gross.score * DUE_IS_GROSS)


def _tax_sum(taxes: Sequence[Candidate], net: Candidate, gross: Candidate) -> Candidate | None:
    """Return the sum of two or three tax amounts of different rows that is gross - net."""
    if not isinstance(net.value, Decimal) or not isinstance(gross.value, Decimal):
        return None
    by_row: dict[int, Candidate] = {}
    for tax in taxes:
        current = by_row.get(id(tax.row))
        if current is None or tax.score > current.score:
            by_row[id(tax.row)] = tax
    options = sorted(by_row.values(), key=lambda tax: -tax.score)[:MAX_TAX_PARTS_TRIED]
    target = gross.value - net.value
    for size in (2, 3):
        for parts in combinations(options, size):
            total = sum((Decimal(str(part.value)) for part in parts), Decimal(0))
            if abs(total - target) <= SUM_TOLERANCE:
                first = parts[0]
                return replace(first, value=total, score=min(part.score for part in parts))
    return None


def _top_distinct(candidates: Sequence[Candidate], limit: int = 6) -> list[Candidate]:
    """Return the best candidate of each distinct value, best first, at most ``limit``."""
    by_value: dict[Value, Candidate] = {}
    for candidate in candidates:
        current = by_value.get(candidate.value)
        if current is None or candidate.score > current.score:
            by_value[candidate.value] = candidate
    return sorted(by_value.values(), key=lambda candidate: -candidate.score)[:limit]


def _trio_score(net: Candidate | None, tax: Candidate | None, gross: Candidate | None) -> float:
    """Return how good a choice of totals is: their scores, plus a bonus when they add up."""
    score = sum(candidate.score for candidate in (net, tax, gross) if candidate is not None)
    values = [candidate.value if candidate else None for candidate in (net, tax, gross)]
    net_value, tax_value, gross_value = values
    if net is not None and net is gross:
        return -1.0
    if _adds_up(net, tax, gross):
        score += SUM_BONUS
    elif net_value is not None and tax_value is not None and gross_value is not None:
        score -= SUM_MISMATCH
    elif tax is None and net_value is not None and net_value == gross_value:
        score += TAXLESS_BONUS
    elif (
        isinstance(net_value, Decimal)
        and isinstance(gross_value, Decimal)
        and abs(gross_value) < abs(net_value)
    ):
        score -= SUM_BONUS
    return score


def _adds_up(net: Candidate | None, tax: Candidate | None, gross: Candidate | None) -> bool:
    """Return True when net + tax = gross, all three found."""
    if net is None or tax is None or gross is None:
        return False
    values = (net.value, tax.value, gross.value)
    if not all(isinstance(value, Decimal) for value in values):
        return False
    net_value, tax_value, gross_value = (Decimal(value) for value in map(str, values))
    return abs(net_value + tax_value - gross_value) <= SUM_TOLERANCE


def _with_score(candidate: Candidate, score: float) -> Candidate:
    return replace(candidate, score=score)


def _confidence(candidate: Candidate) -> float:
    """Return the field's confidence: its score times the words' OCR confidence, in [0, 1]."""
    return round(max(0.0, min(1.0, candidate.score * candidate.ocr_confidence)), 3)


# --- seller and buyer ----------------------------------------------------------------------


def _buyer_blocks(document: Document) -> list[Block]:
    """Return the address blocks under buyer labels ("Bill to", "Client", "Käufer"...)."""
    blocks = []
    for row in document.rows:
        for hit in document.hits_of(row):
            if "buyer_name" not in hit.weights or not _is_party_label(hit):
                continue
            left = hit.x0 - row.height
            right = _block_right_edge(document, hit)
            bottom = row.bottom
            for below in _rows_below(document, row, BLOCK_ROWS):
                if not any(word.x1 > left and word.x0 < right for word in below.words):
                    continue
                if _starts_party(document, below, left, right):
                    break
                bottom = below.bottom
            blocks.append(Block(row.page, left, right, row.top, bottom))
    return blocks


def _block_right_edge(document: Document, hit: LabelHit) -> float:
    """Return where a party block under ``hit`` ends on the right: at the next column."""
    row = hit.row
    limit = min(document.page_width(row), hit.x0 + MAX_BLOCK_WIDTH * document.page_width(row))
    previous_end = hit.x1
    for word in row.words:
        if word.x0 < hit.x1:
            continue
        if word.x0 - previous_end > COLUMN_GAP * row.height:
            return min(word.x0 - 1, limit)
        previous_end = word.x1
    return limit


def _starts_party(document: Document, row: TextRow, left: float, right: float) -> bool:
    """Return True when a seller or buyer label on ``row`` starts another party's block."""
    return any(
        hit.x1 > left and hit.x0 < right and ({"seller_name", "buyer_name"} & hit.weights.keys())
        for hit in document.hits_of(row)
    )


def _in_buyer_block(document: Document, candidate: Candidate) -> bool:
    x = candidate.row.x_at(candidate.start)
    return any(block.holds(candidate.row, x) for block in document.buyer_blocks)


def _choose_parties(
    document: Document, candidates: Sequence[Candidate], chosen: dict[str, Candidate]
) -> None:
    """Choose the seller's identifiers and both parties' names."""
    vat_ids = [c for c in candidates if c.field == "seller_vat_id"]
    seller_vat = [c for c in vat_ids if not _is_buyer_identifier(document, c)]
    buyer_vat = [c for c in vat_ids if _is_buyer_identifier(document, c)]
    sirets = [
        c for c in candidates if c.field == "seller_siret" and not _is_buyer_identifier(document, c)
    ]
    longest = max((len(str(c.value)) for c in sirets), default=0)
    siret = _best(c for c in sirets if len(str(c.value)) == longest)
    if siret is not None:
        chosen["seller_siret"] = siret
        seller_vat = _prefer_matching_siren(seller_vat, str(siret.value)[:9])
    seller = _best(_labelled_boost(document, seller_vat, "seller_vat_id"))
    if seller is not None:
        chosen["seller_vat_id"] = seller
    buyer = _best(
        _with_score(c, c.score * BUYER_ID)
        for c in buyer_vat
        if seller is None or c.value != seller.value
    )
    if buyer is not None:
        chosen["buyer_vat_id"] = replace(buyer, field="buyer_vat_id")
    ibans = [
        c if stdnum_iban.is_valid(str(c.value)) else _with_score(c, c.score * INVALID_IBAN)
        for c in candidates
        if c.field == "seller_iban" and not _is_buyer_identifier(document, c)
    ]
    iban = _best(ibans)
    if iban is not None:
        chosen["seller_iban"] = iban
    buyer_name = _buyer_name(document)
    if buyer_name is not None:
        chosen["buyer_name"] = buyer_name
    seller_name = _seller_name(document, buyer_name)
    if seller_name is not None:
        chosen["seller_name"] = seller_name


def _is_buyer_identifier(document: Document, candidate: Candidate) -> bool:
    """Return True when an identifier stands in the buyer's block or behind a buyer label."""
    if _in_buyer_block(document, candidate):
        return True
    label = _label_before(document, candidate)
    return label is not None and "buyer_vat_id" in label.weights


def _label_before(document: Document, candidate: Candidate) -> LabelHit | None:
    """Return the nearest label left of the candidate on its row."""
    before = [hit for hit in document.hits_of(candidate.row) if hit.end <= candidate.start]
    return before[-1] if before else None


def _prefer_matching_siren(vat_ids: list[Candidate], siren: str) -> list[Candidate]:
    """Return the VAT candidates, those carrying the SIREN raised (FR key + SIREN)."""
    return [
        _with_score(c, c.score + SIREN_MATCH_BONUS) if str(c.value).endswith(siren) else c
        for c in vat_ids
    ]


def _labelled_boost(
    document: Document, candidates: Iterable[Candidate], field_name: str
) -> list[Candidate]:
    """Return the candidates, raised when a label of ``field_name`` stands before them."""
    boosted = []
    for candidate in candidates:
        label = _label_before(document, candidate)
        if label is not None and field_name in label.weights:
            boosted.append(_with_score(candidate, candidate.score + LABEL_BONUS))
        else:
            boosted.append(candidate)
    return boosted


def _buyer_name(document: Document) -> Candidate | None:
    """Return the name under or beside the best buyer label."""
    found = []
    for row in document.rows:
        hits = document.hits_of(row)
        for position, hit in enumerate(hits):
            weight = hit.weights.get("buyer_name")
            if weight is None or not _is_party_label(hit):
                continue
            following = hits[position + 1] if position + 1 < len(hits) else None
            name = _name_near(document, hit, following, "buyer_name", weight)
            if name is not None:
                found.append(name)
    if not found and document.window is not None:
        return document.window[0]
    return _best(found)


def _address_window(document: Document) -> tuple[Candidate, Block] | None:
    """Return the recipient's name and block when no label announces the buyer.

    Letters put the recipient in an address block near the top of page one (the
    envelope window): rows aligned on the left, with a postcode. The seller's own
    address block is told apart by its name, which the page repeats (letterhead,
    footer, sender line above the window); a block holding labels is a key/value box.
    """
    first_page = [row for row in document.rows if row.page == 0]
    if not first_page:
        return None
    limit = WINDOW_ZONE * document.page_height(first_page[0])
    for group in _aligned_groups([row for row in first_page if row.top < limit]):
        labelled = [bool(_labels_in(document, row, span)) for row, span in group]
        if 2 * sum(labelled) > len(group) or not any(
            POSTCODE.search(row.text[start:end]) for row, (start, end) in group
        ):
            continue
        named = [
            (row, span)
            for row, span in group
            if not _is_sender_line(row, span) and not _is_salutation(row.folded[span[0] : span[1]])
        ]
        if (
            len(named) < 2
            or _labels_in(document, *named[0])
            or any(_is_sellers_detail(document, row, span) for row, span in group)
        ):
            continue
        row, (start, end) = named[0]
        name = _name_in(row, start, end)
        if name is None or POSTCODE.search(name[0]) or _printed_elsewhere(document, name[0], group):
            continue
        candidate = Candidate("buyer_name", name[0], WINDOW_SCORE, row, name[1], name[2])
        block = Block(
            0,
            min(row.x_at(span[0]) for row, span in named) - row.height,
            max(row.x_at(span[1]) for row, span in named) + row.height,
            _segment_extent(*named[0])[0],
            _segment_extent(*named[-1])[1],
        )
        return candidate, block
    return None


def _aligned_groups(rows: Sequence[TextRow]) -> list[list[tuple[TextRow, tuple[int, int]]]]:
    """Return runs of row segments starting at the same x, each close under the last.

    Closeness is measured on the segments' own words: OCR may merge an address line with
    a key/value pair of the next column printed half a line lower, stretching the row.
    """
    groups: list[list[tuple[TextRow, tuple[int, int]]]] = []
    for row in rows:
        for span in row.segments():
            x = row.x_at(span[0])
            top = _segment_extent(row, span)[0]
            for group in groups:
                last_row, last_span = group[-1]
                last_top, last_bottom = _segment_extent(last_row, last_span)
                aligned = abs(last_row.x_at(last_span[0]) - x) <= ALIGN_TOLERANCE * row.height
                close = last_top < top and top - last_bottom <= MAX_ADDRESS_GAP * row.height
                if aligned and close:
                    group.append((row, span))
                    break
            else:
                groups.append([(row, span)])
    return [group for group in groups if len(group) >= 2]


def _segment_extent(row: TextRow, span: tuple[int, int]) -> tuple[float, float]:
    """Return the top and bottom of the words of ``row`` inside the character span ``span``."""
    first, last = row.word_index(span[0]), row.word_index(max(span[1] - 1, span[0]))
    words = row.words[first : last + 1]
    return min(word.top for word in words), max(word.bottom for word in words)


def _is_sellers_detail(document: Document, row: TextRow, span: tuple[int, int]) -> bool:
    """Return True for a bank account, phone, e-mail or web line: a letterhead's, which the
    recipient's address block does not carry."""
    if any("seller_iban" in hit.weights for hit in _labels_in(document, row, span)):
        return True
    return bool(CONTACT_DETAILS.search(row.folded[span[0] : span[1]]))


def _labels_in(document: Document, row: TextRow, span: tuple[int, int]) -> list[LabelHit]:
    """Return the labels of ``row`` inside the character span ``span``."""
    return [hit for hit in document.hits_of(row) if span[0] <= hit.start < span[1]]


def _is_salutation(folded: str) -> bool:
    """Return True for a row holding only a salutation ("Herrn", "Madame", "Attn:")."""
    words = folded.replace(".", " ").replace(":", " ").split()
    return bool(words) and all(word in SALUTATIONS for word in words)


def _is_sender_line(row: TextRow, span: tuple[int, int]) -> bool:
    """Return True for the sender's one-line address over a window ("ACME · 1 rue X · Paris")."""
    return len(NAME_SEPARATORS.split(row.text[span[0] : span[1]])) >= 3


def _printed_elsewhere(
    document: Document, name: str, block: Sequence[tuple[TextRow, tuple[int, int]]]
) -> bool:
    """Return True when ``name`` is printed anywhere but in the block's row segments."""
    pattern = re.compile(rf"(?<!\w){re.escape(fold_text(name))}(?!\w)")
    own = {(id(row), span) for row, span in block}
    return any(
        pattern.search(row.folded[start:end])
        for row in document.rows
        for start, end in row.segments()
        if (id(row), (start, end)) not in own
    )


def _is_party_label(hit: LabelHit) -> bool:
    """Return True when a party word ("Client", "Facturé à", "Seller") is used as a label.

    It must open its phrase and be followed in it by nothing (the name is below) or by a
    colon: "Facture à régler par virement" and "Invoice to pay by wire" are sentences.
    """
    row = hit.row
    if not row.starts_phrase(hit.start):
        return False
    after = row.text[hit.end : _segment_end(row, hit.start)].strip()
    return not after or after.startswith(":") or row.has_gap(hit.end - 1, hit.end + 1)


def _segment_end(row: TextRow, offset: int) -> int:
    """Return where the row's segment (its part between wide gaps) holding ``offset``, or
    the first one after it, ends."""
    for _, end in row.segments():
        if offset < end:
            return end
    return len(row.text)


def _name_near(
    document: Document, hit: LabelHit, following: LabelHit | None, field_name: str, weight: float
) -> Candidate | None:
    """Return the party name right of a party label, or in the block below it.

    In the block, a "Name:" sub-label wins; otherwise the first row that reads as a name
    (not "Nummer: 549910", not an address line of digits).
    """
    row = hit.row
    limit = following.start if following else len(row.text)
    end = _segment_end(row, hit.start)
    if row.text[hit.end : end].strip() == ":":
        end = _segment_end(row, end + 1)  # "Customer:      Avon Events Ltd", a gap between
    name = _name_in(row, hit.end, min(end, limit))
    if name is not None:
        return Candidate(field_name, name[0], weight, row, name[1], name[2], hit)
    left, right = hit.x0 - row.height, _block_right_edge(document, hit)
    block = []
    for below in _rows_below(document, row, NAME_ROWS):
        tokens = _phrase_tokens(below, left, right)
        if tokens:
            block.append((below, tokens))
    for below, tokens in block:
        name = _name_after_sublabel(below, tokens)
        if name is not None:
            return Candidate(
                field_name, name[0], weight * BELOW_LABEL, below, name[1], name[2], hit
            )
    for below, tokens in block:
        name = _name_in(below, tokens[0].start, tokens[-1].end)
        if name is not None:
            return Candidate(
                field_name, name[0], weight * BELOW_LABEL, below, name[1], name[2], hit
            )
    return None


def _phrase_tokens(row: TextRow, left: float, right: float) -> list[Token]:
    """Return the tokens of ``row`` starting between ``left`` and ``right``, continued
    past ``right`` while the words stay close (a name is not cut at the block's edge)."""
    tokens: list[Token] = []
    for token in _tokens(row, 0, len(row.text)):
        if tokens and token.x0 >= right:
            if token.x0 - tokens[-1].x1 > PHRASE_GAP * row.height:
                break
            tokens.append(token)
        elif left <= token.x0 < right or (token.x0 < left < token.x1):
            tokens.append(token)
    return tokens


def _name_after_sublabel(row: TextRow, tokens: Sequence[Token]) -> tuple[str, int, int] | None:
    """Return the name after a "Name:" label at the start of ``tokens``, if there is one."""
    first = fold_text(tokens[0].text).rstrip(":")
    if first not in NAME_LABELS and first.split(":")[0] not in NAME_LABELS:
        return None
    start = tokens[0].start + len(tokens[0].text.split(":")[0]) + 1
    return _name_in(row, start, tokens[-1].end)


def _name_in(row: TextRow, start: int, end: int) -> tuple[str, int, int] | None:
    """Return the party name in ``row.text[start:end]``: its first piece, without salutation."""
    text = row.text[start:end]
    lead = len(text) - len(text.lstrip(" :;-\u2013#"))
    piece = NAME_SEPARATORS.split(text[lead:])[0]
    piece = ADDRESS_AFTER_NAME.split(piece)[0].strip(" ,;:")
    words = piece.split()
    while words and fold_text(words[0]).rstrip(".:,") in SALUTATIONS:
        words = words[1:]
    name = " ".join(words)
    if not _looks_like_name(name):
        return None
    begin = start + text.find(name) if name in text else start + lead
    return name, begin, begin + len(name)


def _looks_like_name(text: str) -> bool:
    """Return True for text with letters that is not a value, a label or an address line."""
    letters = sum(char.isalpha() for char in text)
    if letters < 2 or letters < len(text) / 2 or not text[:1].isalnum():
        return False
    if re.search(r"[^\W\d_]\s*:", text):
        return False  # "Nummer: 549910", a label and its value
    if parse_date(text) is not None or parse_amount(text) is not None:
        return False
    folded = fold_text(text)
    return "@" not in text and not folded.startswith(("www", "http", "tel", "fax"))


def _seller_name(document: Document, buyer: Candidate | None) -> Candidate | None:
    """Return the seller's name: under a seller label, before a legal form, or on top."""
    found: list[Candidate] = []
    for row in document.rows:
        hits = document.hits_of(row)
        for position, hit in enumerate(hits):
            weight = hit.weights.get("seller_name")
            if weight is None or not _is_party_label(hit):
                continue
            following = hits[position + 1] if position + 1 < len(hits) else None
            name = _name_near(document, hit, following, "seller_name", weight)
            if name is not None:
                found.append(name)
    buyer_name = fold_text(str(buyer.value)) if buyer is not None else None
    found.extend(
        candidate
        for candidate in _legal_form_names(document)
        if fold_text(str(candidate.value)) != buyer_name
    )
    top = _top_line_name(document)
    if top is not None and (buyer_name is None or fold_text(str(top.value)) != buyer_name):
        found.append(top)
    return _best(found)


def _legal_form_names(document: Document) -> Iterator[Candidate]:
    """Yield company names ending with a legal form, outside the buyer's blocks."""
    counts: dict[str, int] = {}
    names: list[Candidate] = []
    for row in document.rows:
        for piece_start, piece in _pieces(row):
            name = _company_name(piece)
            if name is None:
                continue
            start = piece_start + piece.find(name)
            candidate = Candidate("seller_name", name, 0.0, row, start, start + len(name))
            if _in_buyer_block(document, candidate) or _mean_confidence(row) < MIN_NAME_CONFIDENCE:
                continue
            counts[fold_text(name)] = counts.get(fold_text(name), 0) + 1
            names.append(candidate)
    for candidate in names:
        page_height = document.page_height(candidate.row)
        score = LEGAL_FORM_NAME
        if candidate.row.page == 0 and candidate.row.top < TOP_ZONE * page_height:
            score += NEAR_TOP_BONUS
        if counts[fold_text(str(candidate.value))] > 1:
            score += REPEATED_BONUS
        yield _with_score(candidate, score)


def _pieces(row: TextRow) -> Iterator[tuple[int, str]]:
    """Yield the pieces of a row: its columns, split again at " - ", "|", "•"."""
    for segment_start, segment_end in row.segments():
        text = row.text[segment_start:segment_end]
        start = 0
        for match in NAME_SEPARATORS.finditer(text):
            yield segment_start + start, text[start : match.start()]
            start = match.end()
        yield segment_start + start, text[start:]


def _company_name(piece: str) -> str | None:
    """Return the company name in ``piece`` ending with a legal form, or None."""
    words = piece.split()
    for index, word in enumerate(words):
        folded = fold_text(word).rstrip(",;:").replace(".", "")
        if folded not in LEGAL_FORMS or index == 0:
            continue
        if word.isalpha() and word.islower():
            continue  # "sa", "se" in running text are French words, not legal forms
        end = index + 1
        while end < len(words) and fold_text(words[end]).rstrip(",;:.") in LEGAL_FORM_TAILS:
            end += 1  # "GmbH & Co. KG", "SARL & Cie"
        name_words = words[max(0, index - 5) : end]
        for position in range(len(name_words) - 1, -1, -1):
            if name_words[position].endswith(":"):
                name_words = name_words[position + 1 :]
                break
        name = " ".join(name_words).rstrip(",;:")
        if _looks_like_name(name) and len(name_words) >= 2:
            return name
    return None


def _top_line_name(document: Document) -> Candidate | None:
    """Return the largest-printed row near the top of page one, as a weak seller name."""
    first_page = [row for row in document.rows if row.page == 0]
    if not first_page:
        return None
    height = document.page_height(first_page[0])
    top_rows = [row for row in first_page if row.top < TOP_LINE_ZONE * height]
    options = []
    for row in top_rows:
        for piece_start, piece in _pieces(row):
            name = piece.strip(" ,;:")
            folded_words = fold_text(name).split()
            if not folded_words or folded_words[0].strip(".:") in TITLE_WORDS:
                continue
            if not _looks_like_name(name):
                continue
            start = piece_start + piece.find(name)
            candidate = Candidate("seller_name", name, TOP_LINE_NAME, row, start, start + len(name))
            if (
                not _in_buyer_block(document, candidate)
                and not document.hits_of(row)
                and _mean_confidence(row) >= MIN_NAME_CONFIDENCE
            ):
                options.append(candidate)
    if not options:
        return None
    tallest = max(candidate.row.height for candidate in options)
    return next(
        candidate
        for candidate in options
        if candidate.row.height >= TOP_LINE_HEIGHT_SHARE * tallest
    )


def _mean_confidence(row: TextRow) -> float:
    """Return the mean recognition confidence of the row's words (1.0 for a text layer)."""
    return sum(word.confidence for word in row.words) / len(row.words) if row.words else 0.0


# --- currency -------------------------------------------------------------------------------


def _currency(rows: Sequence[TextRow]) -> tuple[str, float] | None:
    """Return the currency most often printed (symbols and ISO codes) and its confidence."""
    counts: dict[str, int] = {}
    confidences: dict[str, float] = {}
    for row in rows:
        for word in row.words:
            code = parse_currency(word.text) if _may_hold_currency(word.text) else None
            if code is None:
                continue
            counts[code] = counts.get(code, 0) + 1
            confidences[code] = max(confidences.get(code, 0.0), word.confidence)
    if not counts:
        return None
    best = max(counts, key=lambda code: counts[code])
    share = counts[best] / sum(counts.values())
    return best, round(min(1.0, (0.6 + 0.4 * share)) * confidences[best], 3)


def _may_hold_currency(text: str) -> bool:
    """Return True for a word that is a currency mark or an amount with one attached."""
    stripped = text.strip("():;,.")
    if parse_currency(stripped) is None:
        return False
    return len(stripped) <= 4 or parse_amount(stripped) is not None
