"""Reading the ERP's CSV exports: rows, their problems, and the values they hold."""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from invoicebot.model import InvoiceError
from validation.identity import (
    compact,
)

# --------------------------------------------------------------------------------------
# CSV parsing
# --------------------------------------------------------------------------------------


class MasterDataError(InvoiceError):
    """A master-data file could not be imported; ``problems`` lists every wrong row."""

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        shown = "\n".join(f"  {problem}" for problem in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{path}: nothing imported:\n{shown}{more}")
        self.path = path
        self.problems = list(problems)


@dataclass(frozen=True)
class CsvRow:
    """One data row of a CSV file: its line number in the file and its cells by column."""

    number: int
    cells: Mapping[str, str]

    def text(self, column: str) -> str | None:
        """Return the cell stripped, or None when empty or absent."""
        value = (self.cells.get(column) or "").strip()
        return value or None


def read_csv(path: Path, *, required: set[str], optional: set[str]) -> list[CsvRow]:
    """Return the rows of a CSV file whose header holds ``required`` columns and no column
    outside ``required | optional``; raise ``MasterDataError`` otherwise."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise MasterDataError(path, [f"cannot read the file: {error.strerror}"]) from error
    except UnicodeDecodeError as error:
        raise MasterDataError(path, ["the file is not UTF-8 text"]) from error
    lines = text.splitlines()
    if not lines:
        raise MasterDataError(path, ["the file is empty"])
    delimiter = max(",;\t", key=lines[0].count)
    reader = csv.reader(lines, delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader)]
    problems = []
    missing = sorted(required - set(header))
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    unknown = sorted(set(header) - required - optional)
    if unknown:
        problems.append(
            f"unknown column(s): {', '.join(unknown)} "
            f"(known: {', '.join(sorted(required | optional))})"
        )
    if problems:
        raise MasterDataError(path, problems)
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        rows.append(CsvRow(number, dict(zip(header, cells, strict=False))))
    if not rows:
        raise MasterDataError(path, ["the file has a header but no data rows"])
    return rows


class RowProblems:
    """The problems found in a file, each prefixed with its line number."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, row: CsvRow, message: str) -> None:
        """Record a problem of ``row``."""
        self.items.append(f"line {row.number}: {message}")


def parse_decimal(value: str) -> Decimal:
    """Return a number written ``1234.5``, ``1 234,50`` or ``1,234.50`` as a Decimal."""
    text = value.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if "," in text and "." in text:
        text = text.replace(",", "") if text.rfind(".") > text.rfind(",") else text.replace(".", "")
    text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation as error:
        raise ValueError(f"{value!r} is not a number") from error
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a number")
    return number


def parse_date(value: str) -> date:
    """Return a date written ``2026-03-14`` or ``14/03/2026``."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"{value!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")


YES = {"yes", "y", "true", "1", "oui", "o", "x"}
NO = {"no", "n", "false", "0", "non", ""}


def parse_flag(value: str | None) -> bool:
    """Return a yes/no cell as a bool."""
    text = (value or "").strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(f"{value!r} is not yes or no")


def parse_account(value: str | None) -> str | None:
    """Return an account number of the French chart of accounts (its first three characters
    digits, at most 20), None for none; raise ``ValueError`` for anything else."""
    if value is None:
        return None
    account = compact(value)
    if not re.fullmatch(r"[0-9]{3}[0-9A-Z]{0,17}", account):
        raise ValueError(f"expense account {value!r} is not an account number (e.g. 6061)")
    return account


def parse_currency(value: str) -> str:
    """Return an ISO 4217 currency code, upper-cased."""
    code = value.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValueError(f"{value!r} is not a currency code such as EUR")
    return code


@dataclass(frozen=True)
class ImportSummary:
    """What an import did."""

    added: int
    updated: int

    @property
    def total(self) -> int:
        """Return the number of records imported."""
        return self.added + self.updated
