"""Candidates from labels (a value right of its label, or below it in its column) and
identifiers found by their pattern and check digits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from stdnum import iban as stdnum_iban

from extractors.fields.document import (
    AFTER_NUMBER,
    BELOW_LABEL,
    BELOW_ROWS,
    BELOW_ROWS_AMOUNT,
    IDENTIFIER_START,
    MAX_GROUP_GAP,
    MAX_ROW_GAP,
    NOT_LAST_IN_COLUMN,
    RIGHT_OF_LABEL,
    SIREN_ONLY,
    SIRET_BAD_CHECK_DIGITS,
    TITLE_WITH_NUMBER,
    UNDER_ITEM_HEADER,
    VALID_ID,
    VAT_BAD_CHECK_DIGITS,
    Candidate,
    Document,
    Token,
    Value,
    tokens_between,
    with_score,
)
from extractors.fields.values import (
    read_amounts,
    read_date,
    read_identifier_token,
    strip_punctuation,
)
from extractors.identifiers import IBAN_START, IdentifierShape, IdentifierType, read_identifier
from extractors.labels import DATE_CONNECTORS, OTHER, TITLE_WORDS, LabelHit, TextRow
from extractors.normalize import compact_identifier, fold_text
from invoicebot.model import AMOUNT_FIELDS


def labelled_candidates(document: Document) -> list[Candidate]:
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
    tokens = tokens_between(row, hit.end, region_end)
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
    found = read_identifier_token(tokens, row.height)
    if found is None:
        return
    token, after_filler = found
    dates = list(_date_after_number(document, hit, row, tokens, token, score))
    weight = hit.weights["invoice_number"]
    if weight < TITLE_WITH_NUMBER and (after_filler or dates):
        score *= TITLE_WITH_NUMBER / weight
        dates = [
            with_score(date_found, date_found.score * TITLE_WITH_NUMBER / weight)
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
    next_row = next(rows_below(document, row, 1), None)
    if next_row is not None and next_row.top - row.bottom > row.height:
        next_row = None
    date_row = row
    if not rest and next_row is not None:
        date_row, rest = next_row, document.tokens_of(next_row)
    if not _starts_with_connector(rest):
        return
    found = read_date(rest[:5], document.languages, day_first=document.day_first)
    if found is None and len(rest) == 1 and next_row is not None:
        date_row, rest = next_row, document.tokens_of(next_row)
        found = read_date(rest[:4], document.languages, day_first=document.day_first)
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
    found = read_identifier_token(tokens, row.height)
    return (found[0].text, found[0]) if found is not None else None


def _read_date_value(
    tokens: Sequence[Token], row: TextRow, document: Document
) -> tuple[Value, Token] | None:
    return read_date(tokens, document.languages, day_first=document.day_first)


def _read_amount_value(
    tokens: Sequence[Token], row: TextRow, document: Document
) -> tuple[Value, Token] | None:
    amounts = read_amounts(tokens, row)
    # A label announces the last of the amounts right after it: "Tax 15% on $112.90 $16.94".
    return (amounts[-1].value, amounts[-1].token) if amounts else None


def _read_iban_value(
    tokens: Sequence[Token], row: TextRow, document: Document
) -> tuple[Value, Token] | None:
    """Return an IBAN printed in groups after its label (``FR76 3000 6000 ...``), compacted.

    The longest run of groups with valid check digits wins; failing that, the run of
    groups up to the first word ("BIC"), so an IBAN with a typo is still read as printed.
    """
    cleaned = [token for token in map(strip_punctuation, tokens[:10]) if token is not None]
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
    for row in rows_below(document, hit.row, BELOW_ROWS_AMOUNT if is_amount else BELOW_ROWS):
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
        yield from (with_score(c, c.score * NOT_LAST_IN_COLUMN) for c in earlier)
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


def rows_below(document: Document, row: TextRow, limit: int) -> Iterator[TextRow]:
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


def identifier_candidates(document: Document) -> list[Candidate]:
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
    first = strip_punctuation(tokens[index])
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
