"""Turn printed amounts, dates, rates, currencies and identifiers into typed values.

Every parser here is strict: it returns ``None`` for text that is not wholly the kind of
value asked for, so callers can offer it any word of a page.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from dateparser.date import DateDataParser
from dateparser.languages import default_loader

DEFAULT_DATE_LANGUAGES: tuple[str, ...] = ("fr", "en", "de")

# Symbols and codes that may stand before or after an amount, longest first so that
# "US$" is removed before "$".
CURRENCY_MARKS: dict[str, str] = {
    "US$": "USD",
    "C$": "CAD",
    "A$": "AUD",
    "€": "EUR",
    "$": "USD",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "EUR": "EUR",
    "EURO": "EUR",
    "EUROS": "EUR",
    "USD": "USD",
    "GBP": "GBP",
    "CHF": "CHF",
    "CAD": "CAD",
    "AUD": "AUD",
    "JPY": "JPY",
    "INR": "INR",
    "RS": "INR",
    "RS.": "INR",
    "SEK": "SEK",
    "DKK": "DKK",
    "NOK": "NOK",
    "PLN": "PLN",
    "CZK": "CZK",
    "MYR": "MYR",
    "RM": "MYR",
}

# Characters printed as thousands separators besides "." and ",": the spaces of all
# widths (NBSP, narrow NBSP, thin space) and the Swiss apostrophes.
_GROUP_SPACES = "\u00a0\u202f\u2009\u2007 '\u2019"
_MINUS_SIGNS = "-\u2212\u2013"

_MARKS_LONGEST_FIRST = "|".join(
    re.escape(mark) for mark in sorted(CURRENCY_MARKS, key=len, reverse=True)
)
_CURRENCY_PATTERN = re.compile(_MARKS_LONGEST_FIRST, re.IGNORECASE)
# The marks spelled backwards, longest first: the longest mark ending a text is the first that
# matches the start of the text reversed, one match where a search for "(?:marks)$" tries every
# position of the text (a tenth of the reading's time went to that search).
_REVERSED_MARKS = re.compile(
    "|".join(re.escape(mark[::-1]) for mark in sorted(CURRENCY_MARKS, key=len, reverse=True)),
    re.IGNORECASE,
)
_IDENTIFIER_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u00a0\u202f]")
_NUMBER_BODY = re.compile(r"^\d+(?:[.,]\d+)*$")
_PERCENT = re.compile(r"^\s*([+-]?\d+(?:[.,]\d+)?)\s*%\s*$")

# Cheap shapes a date can take; dateparser is only asked about text matching one.
_NUMERIC_DATE = re.compile(r"^\d{1,4}[./\-]\d{1,2}[./\-]\d{2,4}\.?$")
_WORDY_DATE = re.compile("^(?=.*\\d)(?=.*[^\\W\\d_]{3})[\\w.,'\u2019 /-]{6,40}$")
_YEAR = re.compile(r"(?<!\d)(?:\d{4}|\d{2})(?!\d)\.?$")


def fold_text(text: str) -> str:
    """Return ``text`` lower-cased without accents, one output character per input one.

    Keeping the length lets positions found in the folded text point into the original.
    """
    return text.translate(_FOLDS)


class _FoldTable(dict[int, str]):
    """The folding of each character met so far, filled as ``str.translate`` asks."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


def _fold_char(char: str) -> str:
    special = _SPECIAL_FOLDS.get(char)
    if special is not None:
        return special
    base = unicodedata.normalize("NFKD", char)[:1] or char
    lowered = base.lower()
    return lowered if len(lowered) == 1 else char


_FOLDS = _FoldTable()
_SPECIAL_FOLDS: dict[str, str] = {
    "°": "o",
    "º": "o",
    "\u2019": "'",  # typographic apostrophe
    "\u2018": "'",
    "\u00b4": "'",
    "`": "'",
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2010": "-",  # hyphen
    "\u2212": "-",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u2007": " ",
    "ß": "ß",
}


def parse_currency(text: str) -> str | None:
    """Return the ISO 4217 code named by a symbol or code in ``text``, or ``None``."""
    cleaned = text.strip().strip(":()").strip()
    if not cleaned:
        return None
    exact = CURRENCY_MARKS.get(cleaned.upper())
    if exact is not None:
        return exact
    for match in _CURRENCY_PATTERN.finditer(cleaned):
        mark = match.group(0)
        if not mark.isalpha() or _stands_alone(cleaned, match.start(), match.end()):
            return CURRENCY_MARKS[mark.upper()]
    return None


def _stands_alone(text: str, start: int, end: int) -> bool:
    """Return True when the letters at ``text[start:end]`` are not part of a longer word."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not before.isalpha() and not after.isalpha()


# The amounts read so far in the document being read (``amounts_remembered``), by text.
_AMOUNTS_READ: ContextVar[dict[str, Decimal | None] | None] = ContextVar(
    "amounts_read", default=None
)


@contextmanager
def amounts_remembered() -> Iterator[None]:
    """Within the block, ``parse_amount`` parses each text once: the finder, its line
    readers and the learned reader each read a document's words as amounts, about half of
    them texts already parsed."""
    token = _AMOUNTS_READ.set({})
    try:
        yield
    finally:
        _AMOUNTS_READ.reset(token)


def parse_amount(text: str) -> Decimal | None:
    """Return the amount in ``text`` (``1 234,56 €``, ``(12.00)``, ``-1.234,5``), or None."""
    read = _AMOUNTS_READ.get()
    if read is None:
        return _parse_amount(text)
    if text not in read:
        read[text] = _parse_amount(text)
    return read[text]


def _parse_amount(text: str) -> Decimal | None:
    body = _strip_currency(text.strip())
    if not body:
        return None
    negative = False
    if body.startswith("(") and body.endswith(")"):
        negative, body = True, body[1:-1].strip()
    if body and body[0] in _MINUS_SIGNS:
        negative, body = True, body[1:].strip()
    elif body.startswith("+"):
        body = body[1:].strip()
    if body and body[-1] in _MINUS_SIGNS:
        negative, body = True, body[:-1].strip()
    body = _strip_currency(body)
    number = _plain_number(body)
    if number is None:
        return None
    return -number if negative else number


def _strip_currency(text: str) -> str:
    """Return ``text`` (stripped of white space) without a currency mark at its start or end."""
    stripped = text
    for _ in range(2):
        match = _CURRENCY_PATTERN.match(stripped)
        if match and (not match.group(0).isalpha() or _stands_alone(stripped, 0, match.end())):
            stripped = stripped[match.end() :].strip()
        trailing = _REVERSED_MARKS.match(stripped[::-1])
        if trailing:
            start = len(stripped) - trailing.end()
            if not stripped[start:].isalpha() or _stands_alone(stripped, start, len(stripped)):
                stripped = stripped[:start].strip()
    return stripped


def _plain_number(body: str) -> Decimal | None:
    """Return the unsigned number in ``body`` with its separators resolved, or None."""
    grouped = _remove_space_groups(body)
    if grouped is None or not _NUMBER_BODY.match(grouped):
        return None
    separators = [char for char in grouped if char in ".,"]
    if not separators:
        return _to_decimal(grouped)
    last = separators[-1]
    head, _, tail = grouped.rpartition(last)
    other = "," if last == "." else "."
    if len(set(separators)) == 2:
        if separators.count(last) > 1 or not _groups_of_three(head, other):
            return None
        return _to_decimal(head.replace(other, "") + "." + tail)
    if separators.count(last) > 1:
        # "1.234.567" or "1,234,567": only a thousands separator can repeat.
        return _to_decimal(grouped.replace(last, "")) if _groups_of_three(grouped, last) else None
    if len(tail) == 3 and head not in ("0", "") and not head.startswith("0"):
        # A lone separator before exactly three digits groups thousands ("1.000", "2,500").
        return _to_decimal(head + tail)
    return _to_decimal(head + "." + tail)


def _remove_space_groups(body: str) -> str | None:
    """Return ``body`` without space thousands separators, or None if they group wrongly."""
    if not any(char in _GROUP_SPACES for char in body):
        return body
    parts = re.split(f"[{_GROUP_SPACES}]+", body)
    if not parts[0].isdigit() or len(parts[0]) > 3:
        return None
    for part in parts[1:]:
        if not re.match(r"^\d{3}(?:[.,]\d+)?$", part):
            return None
    return "".join(parts)


def _groups_of_three(number: str, separator: str) -> bool:
    """Return True when ``number`` splits on ``separator`` into a 1-3 digit head and triples."""
    groups = number.split(separator)
    return 1 <= len(groups[0]) <= 3 and all(len(group) == 3 for group in groups[1:])


def _to_decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


# An amount to the cent with a stray mark after it ("955,00.": a speck read as a full stop).
_CENTS_THEN_MARK = re.compile(r"^(.*[.,]\d{2})[.,:;]$")
# The decimal mark read as the grouping one: every mark alike, groups of three, two digits
# last ("5.098.86" for 5,098.86).
_DECIMAL_READ_AS_GROUPING = re.compile(r"^(\d{1,3}(?:([.,])\d{3})*)\2(\d{2})$")


# Glyphs OCR reads for a digit ("§57,19" for 557,19); one is taken for its digit in an
# amount printed to the cent.
_LOOKALIKE_GLYPHS = "§SsOoDlI|BZz"
_DIGIT_LOOKALIKES = str.maketrans(_LOOKALIKE_GLYPHS, "555000111822")
_TO_THE_CENT = re.compile(r"^\d[\d.,\s]*[.,]\d{2}$")
_BRACKETS = "()[]{}|"
# The cents boxed as a word of their own after the decimal mark ("646, 29").
_CENTS_SET_APART = re.compile(r"^(\d[\d.,]*[.,])\s(\d{2})$")
_HAS_CENTS = re.compile(r"\d[.,]\d{2}\b")


def parse_cell_amount(text: str) -> Decimal | None:
    """Return the amount of a table cell: ``parse_amount``'s, or else the amount OCR printed
    with a misreading no amount is printed with: a rule read as underscores or a bracket
    beside it, the cents boxed apart, a stray mark after the cents, the decimal mark read as
    the grouping one, or one digit read as a glyph like it (all seen on scans' line tables)."""
    value = parse_amount(text)
    if value is not None:
        return value
    body = text.strip().strip("_")  # a table rule read as underscores
    if body != text.strip():
        value = parse_amount(body)
        if value is not None:
            return value
    set_apart = _CENTS_SET_APART.match(body)
    if set_apart:
        return parse_amount(set_apart.group(1) + set_apart.group(2))
    lookalikes = sum(char in _LOOKALIKE_GLYPHS for char in body)
    if lookalikes == 1 and sum(char.isdigit() for char in body) >= 2:
        read = body.translate(_DIGIT_LOOKALIKES)
        if _TO_THE_CENT.match(read):
            return parse_amount(read)
    stray = _CENTS_THEN_MARK.match(body)
    if stray:
        return parse_amount(stray.group(1))
    misread = _DECIMAL_READ_AS_GROUPING.match(body)
    if misread:
        return _to_decimal(misread.group(1).replace(misread.group(2), "") + "." + misread.group(3))
    if sum(char in _BRACKETS for char in body) == 1 and (body[0] in "([{|" or body[-1] in ")]}|"):
        # One bracket alone is a cell's rule or a glyph misread, not a negative's brackets.
        unbracketed = body.strip(_BRACKETS + " ")
        if _HAS_CENTS.search(unbracketed):
            return parse_amount(unbracketed)
    return None


def parse_percent(text: str) -> Decimal | None:
    """Return the rate in ``text`` (``20 %``, ``5,5%``, ``19.00%``) as a plain Decimal."""
    match = _PERCENT.match(text)
    if match is None:
        return None
    value = parse_amount(match.group(1).replace(",", "."))
    if value is None or not Decimal(0) <= value <= Decimal(100):
        return None
    return strip_zeros(value)


def strip_zeros(value: Decimal) -> Decimal:
    """Return ``value`` without trailing fractional zeros (``19.00`` -> ``19``)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def compact_identifier(text: str) -> str:
    """Return ``text`` upper-cased without spaces, dots or dashes (``fr 76-3.6`` -> ``FR7636``)."""
    return _IDENTIFIER_SEPARATORS.sub("", text).upper()


def looks_like_date(text: str) -> bool:
    """Return True when ``text`` has a shape some date has; a cheap filter before dateparser."""
    stripped = text.strip().rstrip(",;:")
    if _NUMERIC_DATE.match(stripped):
        return True
    return bool(_WORDY_DATE.match(stripped)) and bool(_YEAR.search(stripped))


def parse_date(
    text: str, languages: Sequence[str] = DEFAULT_DATE_LANGUAGES, *, day_first: bool = True
) -> date | None:
    """Return the calendar date printed in ``text``, or None.

    Numeric dates are read day first (``03/04/2026`` is 3 April) unless ``day_first`` is
    False, for documents whose other dates show the month first (``11/17/2017``); a date
    with dots (``06.08.26``) is read day first always.
    """
    stripped = text.strip().rstrip(",;:")
    if not looks_like_date(stripped):
        return None
    if _DOTTED_DATE.match(stripped):
        day_first = True  # "06.08.26": dots are the day-first custom, even on a US invoice
    numeric = _numeric_date(stripped, day_first)
    if numeric is not None:
        return numeric
    vocabulary = _date_words(tuple(languages) or DEFAULT_DATE_LANGUAGES)
    if _NUMERIC_DATE.match(stripped) is None:
        tokens = _DATE_TOKENS.findall(fold_text(stripped))
        if not any(token in vocabulary.months for token in tokens):
            return None  # an address ("Calle Mayor 16"): asking dateparser costs milliseconds
        wordy = _day_month_year(tokens, vocabulary)
        if wordy is not None:
            return wordy.value
    return _parse_date_cached(stripped, tuple(languages), day_first)


_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DATE_TOKENS = re.compile(r"\d+|[^\W\d_]+")


@dataclass(frozen=True)
class _DateWords:
    """The words of wordy dates in some languages, as dateparser knows them: month names
    and abbreviations with their month, and the words a date may hold besides (weekdays,
    "de", "of", "1er", "14th")."""

    months: Mapping[str, int]
    others: frozenset[str]


@dataclass(frozen=True)
class _Decided:
    value: date | None


@lru_cache(maxsize=16)
def _date_words(languages: tuple[str, ...]) -> _DateWords:
    months: dict[str, int] = {}
    others: set[str] = set()
    for language in languages:
        info = default_loader.get_locale(language).info
        for number, month in enumerate(_MONTHS, start=1):
            for name in info.get(month, []):
                runs = _DATE_TOKENS.findall(fold_text(name))
                if len(runs) == 1:
                    months.setdefault(runs[0], number)
        for key in (*_WEEKDAYS, "skip"):
            for word in info.get(key, []):
                others.update(_DATE_TOKENS.findall(fold_text(word)))
    return _DateWords(months, frozenset(others - months.keys()))


def _day_month_year(tokens: Sequence[str], words: _DateWords) -> _Decided | None:
    """Return the date of a day, a month's name and a four-digit year ("14 nov. 2026",
    "Nov 14th, 2026", "lundi 1er mars 2026") without dateparser, or None to leave an
    unusual form to it (a two-digit year, a word it may know and this does not)."""
    tokens = [
        "1" if token in _FIRST_MISREAD and _beside_month(tokens, index, words) else token
        for index, token in enumerate(tokens)
    ]
    numbers = [token for token in tokens if token.isdigit()]
    months = [words.months[token] for token in tokens if token in words.months]
    known = all(
        token.isdigit() or token in words.months or token in words.others for token in tokens
    )
    if not known or len(months) != 1 or len(numbers) != 2:
        return None
    years = [number for number in numbers if len(number) == 4]
    days = [number for number in numbers if len(number) <= 2]
    if len(years) != 1 or len(days) != 1:
        return None
    try:
        return _Decided(date(int(years[0]), months[0], int(days[0])))
    except ValueError:
        return _Decided(None)


# The first of the month as OCR often reads it: "1er" as "ler" or "Ier", "1st" as "lst",
# "1." as "l.": a one misread as a letter. Only beside a month's name is it the day.
_FIRST_MISREAD = frozenset({"l", "i", "ler", "ier", "lst", "ist"})


def _beside_month(tokens: Sequence[str], index: int, words: _DateWords) -> bool:
    return any(
        0 <= other < len(tokens) and tokens[other] in words.months
        for other in (index - 1, index + 1)
    )


_DOTTED_DATE = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{2,4}\.?$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})([./\-])(\d{1,2})\2(\d{4})\.?$")
_YEAR_MONTH_DAY = re.compile(r"^(\d{4})([./\-])(\d{1,2})\2(\d{1,2})$")


def _numeric_date(text: str, day_first: bool) -> date | None:
    """Return the date of "13.03.2026", "03/13/2026" or "2026-03-13" read in the requested
    order without dateparser (the common case, and the costly one to ask it), or None to
    leave the text to dateparser (two-digit years, an impossible date in that order)."""
    match = _YEAR_MONTH_DAY.match(text)
    if match:
        year, month, day = int(match.group(1)), int(match.group(3)), int(match.group(4))
    else:
        match = _DAY_MONTH_YEAR.match(text)
        if match is None:
            return None
        first, second, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
        day, month = (first, second) if day_first else (second, first)
    try:
        return date(year, month, day)
    except ValueError:
        return None


_SLASHED_DATE = re.compile(r"(?<!\d)(\d{1,2})[/\-](\d{1,2})[/\-](?:\d{4}|\d{2})(?!\d)")


# "Chicago, IL 60601": a city, a US state's code and a ZIP code.
_US_ADDRESS = re.compile(
    r",\s*(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO"
    r"|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY)"
    r"\s+\d{5}(?:-\d{4})?(?!\d)"
)


def month_first_dates(texts: Iterable[str]) -> bool:
    """Return True when the numeric dates in ``texts`` are month first (``11/17/2017``).

    A date whose second number exceeds 12 proves it, unless another proves the opposite
    (a first number over 12). With no proof either way, a US address says month first,
    the custom there ("06/08/2026" on an invoice from New York, NY is June 8).
    """
    month_first = day_first = american = False
    for text in texts:
        for match in _SLASHED_DATE.finditer(text):
            first, second = int(match.group(1)), int(match.group(2))
            month_first |= second > 12 >= first
            day_first |= first > 12 >= second
        american = american or _US_ADDRESS.search(text) is not None
    if month_first or day_first:
        return month_first and not day_first
    return american


@lru_cache(maxsize=4096)
def _parse_date_cached(text: str, languages: tuple[str, ...], day_first: bool) -> date | None:
    result = _date_parser(languages, day_first).get_date_data(text)
    if result.date_obj is None:
        return None
    return result.date_obj.date()


@lru_cache(maxsize=16)
def _date_parser(languages: tuple[str, ...], day_first: bool) -> DateDataParser:
    """Return a dateparser parser for ``languages``, built once (building one is slow)."""
    return DateDataParser(
        languages=list(languages) or list(DEFAULT_DATE_LANGUAGES),
        settings={
            "DATE_ORDER": "DMY" if day_first else "MDY",
            "PREFER_DAY_OF_MONTH": "first",
            "REQUIRE_PARTS": ["day", "month", "year"],
            "STRICT_PARSING": True,
            "PARSERS": ["absolute-time"],
        },
    )
