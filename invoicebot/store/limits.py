"""What the store's columns hold, checked before an insert: a value read from a document that
does not fit its column is an extraction problem recorded as such, never a database error.

The lengths are the columns' own (``Invoice``'s ``max_length``), which follow the EN 16931
semantic model: a currency is an ISO 4217 alphabetic code (BT-5, 3 letters), a VAT identifier
(BT-31, BT-48) is a 2-letter prefix and at most 12 characters in the EU (the column takes 40),
an IBAN (BT-84) at most 34 characters, a SIRET (BT-30 in France) 14 digits. Amounts are
``Numeric(18, 4)``: at most 14 digits before the decimal point. Text from a document may hold
characters no database stores (NUL) or that are not text at all (lone surrogates from a
non-UTF-8 file name): they become U+FFFD, visibly.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

from invoicebot.model import (
    ExceptionCategory,
    Extraction,
    InvoiceError,
    InvoiceFields,
    Line,
    RuleResult,
    Severity,
    invoice_number_key,
    seller_key,
)
from invoicebot.store.tables import Invoice

logger = logging.getLogger(__name__)

RULE_ID: Final = "FIELD-LIMIT"
REPLACEMENT: Final = "\ufffd"
# Numeric(18, 4): 14 digits before the decimal point.
LARGEST_AMOUNT: Final = Decimal(10) ** 14
CURRENCY_CODE: Final = re.compile(r"[A-Z]{3}")
# How much of an offending value a message repeats (the value itself may be megabytes).
SHOWN_CHARACTERS: Final = 60
# Fields whose value a message never repeats (bank details: the privacy rules mask them).
UNSHOWN_FIELDS: Final = frozenset({"seller_iban"})
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class ColumnLimitError(InvoiceError):
    """A value does not fit its column; carries the field, the value's length and the limit."""

    def __init__(self, field: str, length: int, limit: int, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.length = length
        self.limit = limit
        self.reason = reason


@dataclass(frozen=True)
class LimitProblem:
    """One value that cannot be stored as read: the field, why, and the value's length."""

    field: str
    reason: str
    length: int
    limit: int


def storable_text(text: str) -> str:
    """Return ``text`` with the characters no database column stores (NUL, lone surrogates
    such as a non-UTF-8 file name's bytes) replaced by U+FFFD."""
    return _UNSTORABLE.sub(REPLACEMENT, text)


def storable_file_name(name: str) -> str:
    """Return a file name as text every store accepts: bytes that are not UTF-8 (kept by
    Python as surrogates) are written ``\\xNN``, so the name stays readable and distinct."""
    raw = name.encode("utf-8", "surrogateescape")
    return storable_text(raw.decode("utf-8", "backslashreplace"))


@functools.cache
def column_lengths() -> Mapping[str, int]:
    """Return the length limit of every bounded text column of ``Invoice``."""
    lengths: dict[str, int] = {}
    for column in Invoice.__table__.columns:  # type: ignore[attr-defined]
        # SQLModel's AutoString decorates String: its length is the impl's.
        column_type = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
        if isinstance(column_type, String) and column_type.length is not None:
            lengths[column.name] = column_type.length
    return lengths


def _shown(field: str, value: str) -> str:
    if field in UNSHOWN_FIELDS:
        return f"({len(value)} characters)"
    if len(value) <= SHOWN_CHARACTERS:
        return repr(value)
    return f"{value[:SHOWN_CHARACTERS]!r}… ({len(value)} characters)"


def field_problems(fields: InvoiceFields) -> list[LimitProblem]:
    """Return the header fields that do not fit their columns (length, format, magnitude)."""
    lengths = column_lengths()
    problems: list[LimitProblem] = []
    for name, value in fields:
        if isinstance(value, str):
            limit = lengths.get(name)
            if limit is not None and len(value) > limit:
                problems.append(
                    LimitProblem(
                        name,
                        f"{_shown(name, value)} is longer than the {limit} characters it may have",
                        len(value),
                        limit,
                    )
                )
            elif name == "currency" and not CURRENCY_CODE.fullmatch(value):
                problems.append(
                    LimitProblem(
                        name, f"{_shown(name, value)} is not a 3-letter ISO 4217 code", 3, 3
                    )
                )
        elif isinstance(value, Decimal) and not _fits_amount(value):
            problems.append(_amount_problem(name, value))
    # The derived keys have columns of their own: an invoice number or a seller name too long
    # for them is the field's problem.
    number_limit = lengths["invoice_number_key"]
    if fields.invoice_number and len(invoice_number_key(fields.invoice_number)) > number_limit:
        problems.append(
            LimitProblem(
                "invoice_number",
                f"{_shown('invoice_number', fields.invoice_number)} is longer than the "
                f"{number_limit} letters and digits an invoice number may have",
                len(fields.invoice_number),
                number_limit,
            )
        )
    key_limit = lengths["seller_key"]
    key = seller_key(fields)
    if key is not None and key.startswith("name:") and len(key) > key_limit:
        assert fields.seller_name is not None  # the key was made from it
        problems.append(
            LimitProblem(
                "seller_name",
                f"{_shown('seller_name', fields.seller_name)} is longer than the "
                f"{key_limit - len('name:')} letters and digits a supplier name may have",
                len(fields.seller_name),
                key_limit,
            )
        )
    return problems


def line_problems(position: int, line: Line) -> list[LimitProblem]:
    """Return the amounts of line ``position`` that do not fit their columns."""
    return [
        _amount_problem(f"lines[{position}].{name}", value)
        for name, value in line
        if isinstance(value, Decimal) and not _fits_amount(value)
    ]


def _fits_amount(value: Decimal) -> bool:
    return value.is_finite() and abs(value) < LARGEST_AMOUNT


def _amount_problem(field: str, value: Decimal) -> LimitProblem:
    return LimitProblem(
        field,
        f"{value} does not fit an amount column (at most 14 digits before the decimal point)",
        len(str(value)),
        14,
    )


def fit_to_columns(extraction: Extraction) -> tuple[Extraction, list[RuleResult]]:
    """Return the extraction with every value its column cannot hold set aside (None), and
    one failed ``FIELD-LIMIT`` result (category ``missing_field``: the operator enters the
    value in the review) per value set aside. Text is made storable first."""
    fields = InvoiceFields.model_validate(
        {
            name: storable_text(value) if isinstance(value, str) else value
            for name, value in extraction.fields
        }
    )
    lines = [
        Line.model_validate(
            {
                name: storable_text(value) if isinstance(value, str) else value
                for name, value in line
            }
        )
        for line in extraction.lines
    ]
    problems: list[LimitProblem] = []
    # Setting a value aside may bring another to light (without its VAT number, a seller's
    # key is made from its name): until none is left.
    while found := field_problems(fields):
        problems += found
        fields = fields.model_copy(update={problem.field: None for problem in found})
    for position, line in enumerate(lines, start=1):
        found = line_problems(position, line)
        if found:
            dropped = {problem.field.rsplit(".", 1)[1]: None for problem in found}
            lines[position - 1] = line.model_copy(update=dropped)
            problems += found
    language = extraction.language
    if language is not None and len(language) > column_lengths()["language"]:
        # Not an invoice field: a language tag no extractor makes is dropped, and said so.
        logger.warning("language tag %r of %s not stored: too long", language, extraction.source)
        language = None
    fitted = extraction.model_copy(update={"fields": fields, "lines": lines, "language": language})
    return fitted, [limit_result(problem) for problem in problems]


def limit_result(problem: LimitProblem) -> RuleResult:
    """Return the failed rule result that records ``problem`` for the operator."""
    return RuleResult(
        rule=RULE_ID,
        category=ExceptionCategory.MISSING_FIELD,
        severity=Severity.ERROR,
        passed=False,
        message=f"The {problem.field.replace('_', ' ')} read, {problem.reason}: it was not "
        "stored; enter the right value in the review.",
        values={"field": problem.field, "length": str(problem.length), "limit": str(problem.limit)},
    )


def check_fits(fields: InvoiceFields) -> None:
    """Raise ``ColumnLimitError`` for the first header field that does not fit its column."""
    for problem in field_problems(fields):
        raise ColumnLimitError(problem.field, problem.length, problem.limit, problem.reason)
