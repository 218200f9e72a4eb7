"""Every value a page could hold for a field, with where it stands: the reader's candidates.

A candidate is a span of one row's words that reads as a value of some kind: an amount, a
date, a reference (an invoice or order number), a party's name, or an identifier (an IBAN,
a VAT number, a SIRET or SIREN, told by its shape and check digits). Nothing here decides
which field a value is; it only proposes every value of the right shape, so that the
model, not a dictionary, judges from the value's surroundings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from extractors.base import Word
from extractors.identifiers import IdentifierShape, IdentifierType, read_identifier
from extractors.labels import LEGAL_FORMS, PHRASE_GAP, TextRow
from extractors.normalize import (
    compact_identifier,
    fold_text,
    looks_like_date,
    parse_amount,
    parse_date,
)
from extractors.reader.terms import counts_days

Value = str | date | Decimal


class CandidateKind(StrEnum):
    """The shape of a candidate value, which decides the fields it may fill."""

    AMOUNT = "amount"
    DATE = "date"
    REFERENCE = "reference"
    NAME = "name"
    IDENTIFIER = "identifier"


# The fields each kind of candidate may fill: one binary model per field.
FIELDS_OF_KIND: dict[CandidateKind, tuple[str, ...]] = {
    CandidateKind.AMOUNT: ("total_net", "total_tax", "total_gross", "amount_due"),
    CandidateKind.DATE: ("invoice_date", "due_date"),
    CandidateKind.REFERENCE: ("invoice_number", "po_number"),
    CandidateKind.NAME: ("seller_name", "buyer_name"),
    CandidateKind.IDENTIFIER: ("seller_vat_id", "buyer_vat_id", "seller_iban", "seller_siret"),
}
# Which identifiers may fill each identifier field: a VAT field never takes an IBAN.
IDENTIFIER_TYPES_OF_FIELD: dict[str, frozenset[IdentifierType]] = {
    "seller_vat_id": frozenset({IdentifierType.VAT}),
    "buyer_vat_id": frozenset({IdentifierType.VAT}),
    "seller_iban": frozenset({IdentifierType.IBAN}),
    "seller_siret": frozenset({IdentifierType.SIRET, IdentifierType.SIREN}),
}
KIND_OF_FIELD: dict[str, CandidateKind] = {
    name: kind for kind, names in FIELDS_OF_KIND.items() for name in names
}

MAX_DATE_WORDS = 5  # "28 de agosto de 2026"
# The words of a date may stand further apart than a phrase's, in row heights: OCR boxes a
# word's ink, whose height ("avr.", "30") is well under the font size that spaces the words.
# A date's words must still read as one date, and no further apart than a row's segments.
DATE_GAP = 2.0
# Month names of these languages are read on every invoice: suppliers write in their own.
DATE_LANGUAGES = ("fr", "en", "de", "es", "it", "nl")
# The first letters of the month names of those languages: a wordy span without one is not
# handed to dateparser ("Net 30", "Page 1 of 2"), which is the costly step.
MONTH_STEMS = frozenset(
    (
        "jan", "feb", "fev", "fév", "mar", "mär", "maa", "mrt", "apr", "avr", "abr", "mai",
        "may", "mag", "mei", "jun", "jui", "giu", "lug", "jul", "aug", "aou", "aoû", "ago",
        "sep", "set", "okt", "oct", "ott", "nov", "dec", "déc", "dez", "dic", "gen", "ene",
    )
)  # fmt: skip
_WORD = re.compile(r"[^\W\d_]{3,}")
_DIGIT = re.compile(r"\d")
# "20260313": a compact ISO date, told from other numbers by a valid month and day.
_COMPACT_DATE = re.compile(r"^(20\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")
MAX_AMOUNT_WORDS = 3
MAX_NAME_WORDS = 7
# A one-character word OCR read less surely than this ends no name.
SPECK_BELOW = 0.5
MAX_NAME_CHARS = 70
MAX_REFERENCE_CHARS = 30
# Identifiers are printed in groups ("FR76 3000 6000 ...", "464 556 810 00065").
MAX_IDENTIFIER_WORDS = 9
# Amounts beyond this are identifiers or phone numbers, not invoice totals.
MAX_AMOUNT = Decimal(100_000_000)

# Marks glued before a reference: "#42", "N°42", "Nr.42", "No:42".
_REFERENCE_PREFIX = re.compile(r"^(?:#|n[°ºo]\.?|nr\.?|no\.?|num\.?)[:.]?", re.IGNORECASE)
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/\-_.#]*[A-Za-z0-9]$")
_EDGE_PUNCTUATION = ".,;:()[]{}\"'«»"
# Not "|": OCR reads it for the "l" of a legal form ("S.r.|").
_SEPARATORS = "\u00b7\u2022\u2013\u2014/"  # middle dot, bullet, en and em dash
_PERCENT_NEXT = re.compile(r"^%")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_AMOUNT_START = re.compile(r"^[-\u2212(+]?[^\W\d_]{0,3}[$€£¥₹]?\s?\(?\d")


@dataclass(frozen=True)
class Candidate:
    """A value of some kind read from the words ``first`` to ``last`` of ``row``."""

    kind: CandidateKind
    value: Value
    text: str
    row: TextRow
    row_index: int
    first: int
    last: int
    identifier: IdentifierShape | None = None

    @property
    def x0(self) -> float:
        return self.row.words[self.first].x0

    @property
    def x1(self) -> float:
        return self.row.words[self.last].x1

    @property
    def top(self) -> float:
        return min(word.top for word in self.row.words[self.first : self.last + 1])

    @property
    def bottom(self) -> float:
        return max(word.bottom for word in self.row.words[self.first : self.last + 1])

    @property
    def ocr_confidence(self) -> float:
        """How sure OCR was of the candidate's least sure word (a feature of the model)."""
        return min(word.confidence for word in self.row.words[self.first : self.last + 1])

    @property
    def words_confidence(self) -> float:
        """How sure OCR was of reading every word of the candidate right: a name of four
        words is right only if all four are."""
        return math.prod(word.confidence for word in self.row.words[self.first : self.last + 1])


def phrases(row: TextRow, gap: float = PHRASE_GAP) -> list[tuple[int, int]]:
    """Return the (first, last) word indexes of the row's phrases: runs of words no more
    than ``gap`` row heights apart."""
    runs: list[tuple[int, int]] = []
    limit = gap * row.height
    for index, word in enumerate(row.words):
        if runs and word.x0 - row.words[index - 1].x1 <= limit:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return runs


def find_candidates(
    rows: Sequence[TextRow], languages: Sequence[str], *, day_first: bool
) -> list[Candidate]:
    """Return every amount, date, reference and name candidate of ``rows``."""
    found: list[Candidate] = []
    languages = tuple(dict.fromkeys([*languages, *DATE_LANGUAGES]))
    for row_index, row in enumerate(rows):
        texts = [word.text for word in row.words]
        # Dates and amounts hold a digit: spans without one are not read as either.
        numeric = [_DIGIT.search(text) is not None for text in texts]
        dates = list(_dates(row, row_index, texts, numeric, languages, day_first))
        # A compact date ("20260314") may as well be a reference: it stays one too.
        taken = {
            index
            for candidate in dates
            if not _COMPACT_DATE.match(candidate.text)
            for index in range(candidate.first, candidate.last + 1)
        }
        found.extend(dates)
        found.extend(_amounts(row, row_index, texts, numeric, taken))
        found.extend(_references(row, row_index, texts, taken))
        found.extend(_names(row, row_index))
        found.extend(_identifiers(row, row_index, texts))
    return found


def _spans(row: TextRow, size: int, gap: float = PHRASE_GAP) -> Iterator[tuple[int, int]]:
    """Yield (first, last) spans of up to ``size`` words that do not cross a gap of ``gap``
    row heights (``phrases``)."""
    for first, last in phrases(row, gap):
        for start in range(first, last + 1):
            for end in range(start, min(start + size, last + 1)):
                yield start, end


def _dates(
    row: TextRow,
    row_index: int,
    texts: list[str],
    numeric: list[bool],
    languages: Sequence[str],
    day_first: bool,
) -> Iterator[Candidate]:
    """Yield the row's dates, longest reading first where spans overlap (``numeric``: which
    of ``texts`` hold a digit)."""
    used: set[int] = set()
    spans = sorted(
        _spans(row, MAX_DATE_WORDS, DATE_GAP), key=lambda span: (span[0] - span[1], span[0])
    )
    for first, last in spans:
        if not any(numeric[first : last + 1]):
            continue
        if any(index in used for index in range(first, last + 1)):
            continue
        text = " ".join(texts[first : last + 1]).strip(_EDGE_PUNCTUATION + " ")
        compact = _COMPACT_DATE.match(text)
        if compact:
            value = _compact_date(compact)
        elif looks_like_date(text) and _may_be_date(text):
            value = parse_date(text, languages, day_first=day_first)
        else:
            continue
        if value is None or not 1990 <= value.year <= 2100:
            continue
        used.update(range(first, last + 1))
        yield Candidate(CandidateKind.DATE, value, text, row, row_index, first, last)


def _may_be_date(text: str) -> bool:
    """Return True when ``text`` is numeric or names a month."""
    words = _WORD.findall(text.lower())
    return not words or any(word[:3] in MONTH_STEMS for word in words)


def _compact_date(match: re.Match[str]) -> date | None:
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _amounts(
    row: TextRow, row_index: int, texts: list[str], numeric: list[bool], taken: set[int]
) -> Iterator[Candidate]:
    """Yield the row's amounts: "1 234,56 €", "EUR 1,234.56", "(12.00)"; not rates
    (``numeric``: which of ``texts`` hold a digit)."""
    used: set[int] = set(taken)
    spans = sorted(_spans(row, MAX_AMOUNT_WORDS), key=lambda span: (span[0] - span[1], span[0]))
    for first, last in spans:
        if not any(numeric[first : last + 1]):
            continue
        if any(index in used for index in range(first, last + 1)):
            continue
        text = " ".join(texts[first : last + 1]).rstrip(_EDGE_PUNCTUATION.replace(")", "") + " ")
        if not _AMOUNT_START.match(text.lstrip(":")) or text.endswith("%"):
            continue
        if last + 1 < len(texts) and _PERCENT_NEXT.match(texts[last + 1]):
            continue
        value = parse_amount(text.lstrip(":"))
        if value is None or abs(value) >= MAX_AMOUNT:
            continue
        used.update(range(first, last + 1))
        yield Candidate(CandidateKind.AMOUNT, value, text, row, row_index, first, last)


def _references(
    row: TextRow, row_index: int, texts: list[str], taken: set[int]
) -> Iterator[Candidate]:
    """Yield single words that could be a document's reference: letters and digits."""
    for index, text in enumerate(texts):
        if index in taken:
            continue
        cleaned = _REFERENCE_PREFIX.sub("", text.strip(_EDGE_PUNCTUATION))
        cleaned = cleaned.strip(_EDGE_PUNCTUATION)
        if not (2 <= len(cleaned) <= MAX_REFERENCE_CHARS) or not _REFERENCE.match(cleaned):
            continue
        if not any(char.isdigit() for char in cleaned):
            continue
        if counts_days(text, texts[index + 1] if index + 1 < len(texts) else ""):
            continue
        yield Candidate(CandidateKind.REFERENCE, cleaned, cleaned, row, row_index, index, index)
        # "#BLR_WF123" may be a reference whose "#" belongs to it: both readings are offered.
        glued = text.strip(_EDGE_PUNCTUATION)
        if glued.startswith("#") and glued[1:] == cleaned:
            yield Candidate(CandidateKind.REFERENCE, glued, glued, row, row_index, index, index)


def _names(row: TextRow, row_index: int) -> Iterator[Candidate]:
    """Yield phrases that could be a party's name, and their part after a colon. OCR's
    specks at a phrase's ends are left out of the name, not of the phrase the model sees."""
    for first, last in phrases(row):
        if last - first + 1 > MAX_NAME_WORDS:
            continue
        words = row.words[first : last + 1]
        start, end = 0, len(words)
        while end - start > 1 and _speck(words[end - 1]):
            end -= 1
        while end - start > 1 and _speck(words[start]):
            start += 1
        text = " ".join(word.text for word in words[start:end])
        yield from _name_candidate(text, row, row_index, first, last)
        for offset, word in enumerate(words[:-1]):
            if word.text.endswith(":"):
                rest = " ".join(item.text for item in words[offset + 1 : end])
                yield from _name_candidate(rest, row, row_index, first + offset + 1, last)
                break


def _speck(word: Word) -> bool:
    """Return True for a word of one character OCR read under ``SPECK_BELOW``: a fleck of
    the paper beside the print ("Inbel Technik ." at 0.00, "Inbel Technik P" at 0.25)."""
    return len(word.text) == 1 and word.confidence < SPECK_BELOW


def _name_candidate(
    text: str, row: TextRow, row_index: int, first: int, last: int
) -> Iterator[Candidate]:
    # A name may end in a dot: "S.p.A.", "Corp.", "e.K."; a separator set off from the
    # name in a footer line ("ACME GmbH · Hauptstr. 1") is not part of it.
    cleaned = text.strip(_EDGE_PUNCTUATION.replace(".", "") + _SEPARATORS + " ")
    if not (3 <= len(cleaned) <= MAX_NAME_CHARS) or len(_HAS_LETTER.findall(cleaned)) < 3:
        return
    # A company's name starts with a capital or a digit ("3M"); sentences and labels in
    # lower case need not be scored.
    if not (cleaned[0].isupper() or cleaned[0].isdigit()):
        return
    digits = sum(char.isdigit() for char in cleaned)
    if digits > len(cleaned) / 3:
        return
    last_word = fold_text(cleaned.split()[-1])
    # "Livrer à", "Ship to", "Enviar a": a label announcing a party, not the party's name.
    if last_word in NAME_NEVER_ENDS_WITH:
        return
    if row.ocr:
        cleaned = with_legal_form_restored(cleaned)
    yield Candidate(CandidateKind.NAME, cleaned, cleaned, row, row_index, first, last)


def with_legal_form_restored(name: str) -> str:
    """Return an OCR'd ``name`` with its last word turned back into the legal form it
    misreads by one character OCR often confuses ("Digital pic", "Bianchi S.r.!.")"""
    *head, last = name.split(" ")
    undotted = last.replace(".", "")
    if len(undotted) < 3 or fold_text(undotted) in LEGAL_FORMS:
        return name
    for index, char in enumerate(undotted):
        for read_as in OCR_CONFUSIONS.get(char, ""):
            restored = undotted[:index] + read_as + undotted[index + 1 :]
            if fold_text(restored) in LEGAL_FORMS:
                dotted = iter(restored)
                fixed = "".join(mark if mark == "." else next(dotted) for mark in last)
                return " ".join([*head, fixed])
    return name


# Words a name broken over two rows ends its first row with: "HOME MASTER HARDWARE &" over
# "ELECTRICAL", "Dupont et" over "Fils".
NAME_JOINERS = frozenset({"&", "+", "and", "et", "und"})
# Words a legal form is written with besides the forms themselves ("GmbH & Co. KG").
LEGAL_FORM_JOINERS = NAME_JOINERS | {"co", "cie"}
# How far below the name its continuation may start, in row heights.
CONTINUATION_REACH = 1.0
# How far after its name's last word a legal form may stand on the row, in row heights: the
# row's segments are split further apart (``TextRow.segments``).
SAME_ROW_REACH = 2.0


def is_legal_form(text: str) -> bool:
    """Return True when ``text`` is a legal form alone ("GmbH", "GmbH & Co. KG", "S.A.")."""
    words = [fold_text(word).replace(".", "") for word in text.split()]
    return any(word in LEGAL_FORMS for word in words) and all(
        word in LEGAL_FORMS or word in LEGAL_FORM_JOINERS for word in words
    )


def continued_name(candidate: Candidate, rows: Sequence[TextRow]) -> str:
    """Return the name of ``candidate`` with the phrase under it appended where the name goes
    on on a row beneath: it ends in a joining word and the phrase beneath could go on a name,
    or the phrase beneath is a legal form alone ("Noren Bürobedarf" over "GmbH", "Solros
    Consulting GmbH & Co." over "KG"); after a legal form, only a legal form's tail goes on
    ("Orfalpel Handel GmbH" over "& Co. KG"). Rows of other columns between them are passed
    over. A legal form alone takes the phrase before or over it instead
    (``_name_ending_in_legal_form``)."""
    text = str(candidate.value)
    if is_legal_form(text):
        return (
            _name_ending_in_legal_form(rows, candidate.row_index, candidate.first, candidate.last)
            or text
        )
    words = text.split()
    last_word = fold_text(words[-1]).replace(".", "")
    ends_joined = last_word in NAME_JOINERS
    ends_in_form = last_word in LEGAL_FORMS
    row = candidate.row
    for index in range(candidate.row_index + 1, len(rows)):
        below = rows[index]
        if below.page != row.page or below.top - candidate.bottom > CONTINUATION_REACH * row.height:
            return text
        beneath = _phrases_across(below, candidate.x0, candidate.x1)
        if beneath:
            return _joined_name(
                text, below, index, beneath, ends_joined=ends_joined, ends_in_form=ends_in_form
            )
    return text


def _name_ending_in_legal_form(
    rows: Sequence[TextRow], row_index: int, first: int, last: int
) -> str | None:
    """Return the name a legal form alone (words ``first`` to ``last`` of row ``row_index``)
    ends, or None where no phrase can start it. The name starts with the phrase before the
    form on its row, set a little further off than a phrase's words ("Maison Meuse   SRL"),
    or else with the one phrase over it ("Marquinlum Logistik" over "GmbH & Co. KG"); rows
    of other columns between them are passed over."""
    row = rows[row_index]
    form = " ".join(word.text for word in row.words[first : last + 1])
    before = [(start, end) for start, end in phrases(row) if end == first - 1]
    if before and row.words[first].x0 - row.words[first - 1].x1 <= SAME_ROW_REACH * row.height:
        return _name_started(form, row, row_index, *before[0])
    x0, x1 = row.words[first].x0, row.words[last].x1
    for index in range(row_index - 1, -1, -1):
        above = rows[index]
        if above.page != row.page or row.top - above.bottom > CONTINUATION_REACH * row.height:
            return None
        over = _phrases_across(above, x0, x1)
        if over:
            return _name_started(form, above, index, *over[0]) if len(over) == 1 else None
    return None


def _phrases_across(row: TextRow, x0: float, x1: float) -> list[tuple[int, int]]:
    """Return the phrases of ``row`` (``phrases``) that overlap ``x0``..``x1``."""
    return [
        (first, last)
        for first, last in phrases(row)
        if row.words[first].x0 < x1 and row.words[last].x1 > x0
    ]


def _name_started(form: str, row: TextRow, row_index: int, start: int, end: int) -> str | None:
    """Return the name the words ``start`` to ``end`` of ``row`` start and ``form`` ends, or
    None where they are a label or a whole name of their own."""
    words = [word.text for word in row.words[start : end + 1]]
    if words[-1].endswith(":") or any(
        fold_text(word).replace(".", "") in LEGAL_FORMS for word in words
    ):
        return None
    named = list(_name_candidate(" ".join([*words, form]), row, row_index, start, end))
    if not named or len(words) + len(form.split()) > MAX_NAME_WORDS:
        return None
    return str(named[0].value)


def _joined_name(
    text: str,
    below: TextRow,
    row_index: int,
    beneath: list[tuple[int, int]],
    *,
    ends_joined: bool,
    ends_in_form: bool,
) -> str:
    """Return ``text`` joined to the one phrase ``beneath`` it where that goes on the name."""
    if len(beneath) != 1:
        return text
    first, last = beneath[0]
    rest = " ".join(word.text for word in below.words[first : last + 1])
    if ends_in_form:
        goes_on = is_legal_form(rest) and fold_text(below.words[first].text) in NAME_JOINERS
    else:
        goes_on = ends_joined or is_legal_form(rest)
    if not goes_on:
        return text
    joined = list(_name_candidate(f"{text} {rest}", below, row_index, first, last))
    if not joined or len(text.split()) + last - first + 1 > MAX_NAME_WORDS:
        return text
    return str(joined[0].value)


# Words a party's name does not end with (folded): prepositions and articles that end the
# labels announcing a party. Joining words ("&", "et") are not here: a name may go on on the
# next row (``continued_name``).
NAME_NEVER_ENDS_WITH = frozenset(
    {"a", "to", "de", "du", "des", "of", "for", "par", "pour", "para", "per", "the", "le",
     "la", "les", "al", "aan", "voor", "van", "von", "zu", "an", "der", "die", "das"}
)  # fmt: skip
# Characters OCR reads in place of others in a legal form's letters, and what they stand for.
OCR_CONFUSIONS: dict[str, str] = {
    "i": "l", "I": "l", "!": "l", "|": "l", "1": "l", "e": "c", "E": "C",
}  # fmt: skip

# "TVA:FR12...", "USt-IdNr.:DE12...": a label glued to the identifier it announces.
# A label has no digit: "AT80:3200" is an IBAN's groups, OCR reading their space as a colon.
_GLUED_LABEL = re.compile(r"^[^\W\d_](?:[-.]|[^\W\d])*:(?=\w)")
_IDENTIFIER_START = re.compile(r"^(?:[A-Z]{2}|\d)")
_SYMBOL_AS_LETTER = str.maketrans("[|$€", "IISE")


def _identifiers(row: TextRow, row_index: int, texts: list[str]) -> Iterator[Candidate]:
    """Yield the row's identifiers: at each word, the longest run of words, within one
    phrase, that joins into an IBAN, a VAT number or a SIRET/SIREN."""
    covered = -1
    for first, last in phrases(row):
        for start in range(first, last + 1):
            if start <= covered:
                continue
            printed = texts[start]
            # OCR reads a country code's letter as a symbol ("[T21B0200...", "E$6400...").
            restored = (
                printed[:2].translate(_SYMBOL_AS_LETTER) + printed[2:] if row.ocr else printed
            )
            head = _GLUED_LABEL.sub("", restored.strip(_EDGE_PUNCTUATION))
            if not _IDENTIFIER_START.match(head):
                continue
            longest: Candidate | None = None
            joined = head
            for end in range(start, min(start + MAX_IDENTIFIER_WORDS, last + 1)):
                if end > start:
                    joined += texts[end].strip(_EDGE_PUNCTUATION)
                text = compact_identifier(joined)
                if row.ocr:
                    # OCR reads the space between groups as a colon too ("AT80:3200.0245").
                    text = text.replace(":", "")
                read = read_identifier(text, ocr=row.ocr) if text.isalnum() else None
                # A symbol taken for a letter stands where the check digits confirm it.
                if read is not None and (restored == printed or read[1].valid):
                    value, shape = read
                    longest = Candidate(
                        CandidateKind.IDENTIFIER, value, text, row, row_index, start, end, shape
                    )
            if longest is not None:
                covered = longest.last
                yield longest


def may_fill(field: str, candidate: Candidate) -> bool:
    """Return True when ``candidate`` has the shape ``field`` takes (identifiers only differ)."""
    allowed = IDENTIFIER_TYPES_OF_FIELD.get(field)
    return allowed is None or (
        candidate.identifier is not None and candidate.identifier.type in allowed
    )


def same_value(kind: CandidateKind, value: Value, truth: object) -> bool:
    """Return True when a candidate's ``value`` is the expected ``truth`` of a field."""
    if truth is None or (kind is CandidateKind.AMOUNT and not isinstance(value, Decimal)):
        return False
    key = value_key(kind, truth)
    return key is not None and value_key(kind, value) == key


def value_key(kind: CandidateKind, value: object) -> object:
    """Return what two values of ``kind`` compare by: the amount, the date as written in
    ISO, the identifier's letters and digits, the name's folded letters and digits (None
    for an amount that is no number)."""
    if kind is CandidateKind.AMOUNT:
        try:
            return Decimal(str(value))
        except ArithmeticError:
            return None
    if kind is CandidateKind.DATE:
        return str(value)
    if kind in (CandidateKind.REFERENCE, CandidateKind.IDENTIFIER):
        return compact_identifier(str(value))
    return name_key(str(value))


def name_key(text: str) -> str:
    """Return ``text`` folded to letters and digits: how two printings of a name compare."""
    return re.sub(r"[^\w]+", "", fold_text(text))
