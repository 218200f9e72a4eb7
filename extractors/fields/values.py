"""Reading values from the text next to a label: identifiers, dates and amounts, split or glued
as print and OCR leave them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from extractors.fields.document import (
    DIGIT_GROUP_GAP,
    IDENTIFIER,
    OCR_DIGIT_GROUP_GAP,
    SPLIT_GLYPH_GAP,
    Token,
)
from extractors.labels import NUMBER_FILLERS, TextRow
from extractors.normalize import fold_text, parse_amount, parse_currency, parse_date, parse_percent

# Punctuation around a value, and the stray marks OCR reads from rules and specks.
_EDGE_PUNCTUATION = ":;,()[]=*'\"_|\u2013\u201e\u201c\u201d\u00ab\u00bb\u201a\u2018\u2019"


def strip_punctuation(token: Token) -> Token | None:
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


def read_identifier_token(tokens: Sequence[Token], row_height: float) -> tuple[Token, bool] | None:
    """Return the first token that is a reference with a digit, and whether words like
    "Nr." or "#" stood before it (which makes a title such as "Rechnung Nr. 42" a label).

    Words before such a filler are skipped: "Schlussrechnung Bau (877) Nr. 181301674".
    """
    cleaned = [token for token in map(strip_punctuation, tokens[:8]) if token is not None]
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


def read_date(
    tokens: Sequence[Token], languages: Sequence[str], *, day_first: bool = True
) -> tuple[date, Token] | None:
    """Return the first date printed in the tokens (1 to 4 words long) and its extent."""
    cleaned = [token for token in map(strip_punctuation, tokens[:8]) if token is not None]
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


def read_amounts(tokens: Sequence[Token], row: TextRow) -> list[_Amount]:
    """Return the amounts in the tokens, left to right, stopping at words after the first.

    Percentages are skipped; digits split by a thin gap are joined (``1 234,56``); an
    integer counts only next to a currency mark, so "30 Tagen" is not an amount.
    """
    amounts: list[_Amount] = []
    cleaned = [token for token in map(strip_punctuation, tokens) if token is not None]
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
