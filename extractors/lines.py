"""Invoice lines from the item table: header row, columns by x position, rows below it.

A header row is a row (or two or three stacked rows, for headers like "Prix / unitaire")
naming a description column and at least two other columns of the item table. Each
header phrase's x extent makes a column; the words of the rows below are given to the
column their centre falls in. A row with an amount (or a quantity and a unit price)
starts a line; rows of text only continue the description of the line above; the table
ends at the tax or gross total, or at a wide vertical gap. A line keeps the values it
has and leaves the others null: nothing is computed to fill a gap.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from extractors.base import PageWords, Word
from extractors.labels import (
    CARRIED_FORWARD,
    COLUMN_LABEL_SET,
    IGNORED_COLUMN,
    TextRow,
    has_field_label,
    make_row,
    rows_of_page,
)
from extractors.normalize import parse_amount, parse_cell_amount, parse_currency, parse_percent
from invoicebot.model import Line

# Fields of a line, as the columns of the item table name them.
NUMERIC_COLUMNS = ("quantity", "unit_price", "net_amount", "tax_rate")
# Totals whose label ends the item table (a subtotal does not: sections may follow).
TABLE_ENDING_FIELDS = ("total_tax", "total_gross", "amount_due")
# Header phrases are split where words are further apart than this many row heights.
HEADER_PHRASE_GAP = 0.8
# Stacked header rows may be this many row heights above or below the main one.
STACKED_HEADER_DISTANCE = 1.6
# The table ends at a vertical gap wider than this many row heights...
MAX_TABLE_GAP = 5.0
# ...and a text row continues the line above only when closer than this.
MAX_CONTINUATION_GAP = 1.8
# Values right-aligned under a header may start this many row heights before it.
DESCRIPTION_MARGIN = 0.5
# A bare number in the tax column is a rate only up to this (beyond, it is a tax amount).
MAX_PLAIN_RATE = Decimal(30)


@dataclass(frozen=True)
class Column:
    """One column of the item table: the line field it holds, its header's x extent and
    how surely the header names that field."""

    field: str
    x0: float
    x1: float
    weight: float = 1.0


@dataclass(frozen=True)
class ItemTable:
    """A header row, the columns it defines, and the rows it covers."""

    header: TextRow
    columns: tuple[Column, ...]
    header_rows: tuple[TextRow, ...]


def read_lines(pages: Sequence[PageWords], language: str | None = None) -> list[Line]:
    """Return the invoice lines of the item tables of ``pages``, in order.

    ``language`` is accepted for callers that know it; the header labels of every
    language are tried anyway, as invoices mix them.
    """
    del language
    rows = [row for index, page in enumerate(pages) for row in rows_of_page(page, index)]
    return read_lines_from_rows(rows, find_item_headers(rows))


def find_item_headers(rows: Sequence[TextRow]) -> list[TextRow]:
    """Return the rows that head an item table (a description column and two others)."""
    return [row for row in rows if _is_header(_header_fields(row))]


def _header_fields(row: TextRow) -> set[str]:
    fields: set[str] = set()
    for hit in COLUMN_LABEL_SET.find(row):
        fields.update(hit.weights)
    return fields


def _is_header(fields: set[str]) -> bool:
    return "description" in fields and len(fields & set(NUMERIC_COLUMNS)) >= 2


def read_lines_from_rows(
    rows: Sequence[TextRow], headers: Sequence[TextRow], *, total_net: Decimal | None = None
) -> list[Line]:
    """Return the lines of the tables under ``headers`` among ``rows``.

    A table whose page holds no total goes on at the top of the next page when that page
    has no header of its own; there a row starts a line only with an amount and another
    number, so that the letterhead repeated on top is not taken for a line. Where the
    invoice's ``total_net`` is known, a row that prints it, labelled as a net total or
    with nothing under the description, ends the table too: what follows is the totals
    block (rows such as "Taux TVA 21 1020,21 €" that no dictionary names a total), not
    more lines.
    """
    lines: list[Line] = []
    header_ids = {id(row) for row in headers}
    for header in headers:
        named = _table(rows, header)
        body = _body_rows(rows, named, header_ids, total_net)
        table = _one_per_field(named, body)
        lines.extend(_read_body(table, body, strict=False))
        page = header.page
        while _goes_on_next_page(rows, table, page, header_ids):
            page += 1
            lines.extend(_read_body(table, _continued_rows(rows, page), strict=True))
    return _without_subtotals(lines)


def sum_of_lines(lines: Sequence[Line]) -> Decimal | None:
    """Return the sum of the lines' net amounts, or None when a line has none (or none is)."""
    amounts = [line.net_amount for line in lines]
    if not amounts or any(amount is None for amount in amounts):
        return None
    return sum((amount for amount in amounts if amount is not None), Decimal(0))


def _without_subtotals(lines: Sequence[Line]) -> list[Line]:
    """Return the lines without the bare amounts that are the sum of the lines before them:
    a subtotal or an amount carried over whose label the dictionaries missed (an OCR misread)
    is not a line. Only an amount with no description, quantity or price is taken for one."""
    kept: list[Line] = []
    for line in lines:
        bare = line.description is None and line.quantity is None and line.unit_price is None
        amounts = [item.net_amount for item in kept if item.net_amount is not None]
        if bare and len(amounts) >= 2 and line.net_amount == sum(amounts, Decimal(0)):
            continue
        kept.append(line)
    return kept


def _goes_on_next_page(
    rows: Sequence[TextRow], table: ItemTable, page: int, header_ids: set[int]
) -> bool:
    """Return True when the table has no total on ``page`` and the next page no header."""
    below_header = [
        row
        for row in rows
        if row.page == page and (page != table.header.page or row.top > table.header.top)
    ]
    next_page = [row for row in rows if row.page == page + 1]
    return (
        bool(next_page)
        and not any(_ends_table(row) for row in below_header)
        and not any(id(row) in header_ids for row in next_page)
    )


def _continued_rows(rows: Sequence[TextRow], page: int) -> list[TextRow]:
    """Return the rows of ``page`` down to the one holding a total."""
    continued = []
    for row in rows:
        if row.page != page:
            continue
        if _ends_table(row):
            break
        continued.append(row)
    return continued


def _table(rows: Sequence[TextRow], header: TextRow) -> ItemTable:
    """Return the table under ``header``, its columns taken from its (stacked) header rows:
    every named column, even where two apart name the same field (``_one_per_field``
    settles)."""
    stacked = tuple(
        row
        for row in rows
        if row.page == header.page
        and row is not header
        and abs(row.top - header.top) <= STACKED_HEADER_DISTANCE * header.height
        and not _has_numbers(row)
    )
    phrases = _stack_phrases(header, stacked)
    columns = [column for column in map(_column_of_phrase, phrases) if column is not None]
    ordered = sorted(columns, key=lambda c: c.x0)
    return ItemTable(header, _merged(ordered, header), (header, *stacked))


def _merged(columns: Sequence[Column], header: TextRow) -> tuple[Column, ...]:
    """Return the columns with neighbours naming the same field in one header cell made
    one: a header in two languages ("Description / Désignation"), set a word space apart
    with at most a slash between; two cells ("Item | Description") stay two."""
    merged: list[Column] = []
    for column in columns:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and previous.field == column.field
            and _one_cell(previous, column, header)
        ):
            weight = max(previous.weight, column.weight)
            merged[-1] = Column(column.field, previous.x0, max(previous.x1, column.x1), weight)
        else:
            merged.append(column)
    return tuple(merged)


def _one_cell(left: Column, right: Column, header: TextRow) -> bool:
    """Return True when only punctuation ("/", "|") and gaps no wider than those within a
    header phrase part two columns' names."""
    between = [word for word in header.words if left.x1 <= word.x0 and word.x1 <= right.x0]
    if any(any(char.isalnum() for char in word.text) for word in between):
        return False
    edges = [left.x1, *(x for word in between for x in (word.x0, word.x1)), right.x0]
    gaps = [after - before for before, after in zip(edges[::2], edges[1::2], strict=True)]
    return max(gaps) <= HEADER_PHRASE_GAP * header.height


def _one_per_field(table: ItemTable, body: Sequence[TextRow]) -> ItemTable:
    """Return the table with one column per line field, the others ignored: the best-named,
    and of two named as surely, the one whose cells hold more of what the field is made
    of, letters for the description ("Code article | Description"), digits otherwise."""
    held: dict[Column, int] = dict.fromkeys(table.columns, 0)
    for row in body:
        for word in row.words:
            column = _column_at(table.columns, (word.x0 + word.x1) / 2, row.height)
            if column is not None:
                wanted = str.isalpha if column.field == "description" else str.isdigit
                held[column] += sum(map(wanted, word.text))
    best: dict[str, Column] = {}
    for column in table.columns:
        current = best.get(column.field)
        if current is None or (column.weight, held[column]) > (current.weight, held[current]):
            best[column.field] = column
    columns = tuple(
        column if best[column.field] is column else Column(IGNORED_COLUMN, column.x0, column.x1)
        for column in table.columns
    )
    return ItemTable(table.header, columns, table.header_rows)


def _has_numbers(row: TextRow) -> bool:
    return any(parse_amount(word.text) is not None for word in row.words)


def _stack_phrases(header: TextRow, stacked: Sequence[TextRow]) -> list[list[Word]]:
    """Return the header's phrases, each with the words stacked above or below it."""
    phrases = _labelled_phrases(header)
    for row in sorted(stacked, key=lambda item: item.top):
        for phrase in _phrases(row.words, row.height):
            target = _overlapping(phrases, phrase)
            if target is None:
                phrases.append(phrase)
            else:
                target.extend(phrase)
    return phrases


def _labelled_phrases(header: TextRow) -> list[list[Word]]:
    """Return the header row's words grouped by the column label they belong to; words
    outside any label are grouped at wide gaps."""
    hits = COLUMN_LABEL_SET.find(header)
    phrases: list[list[Word]] = []
    owners: list[int | None] = []
    for (start, end), word in zip(header.spans, header.words, strict=True):
        owner = next(
            (index for index, hit in enumerate(hits) if hit.start < end and start < hit.end), None
        )
        close = bool(phrases) and word.x0 - phrases[-1][-1].x1 <= HEADER_PHRASE_GAP * header.height
        if (phrases and owner is not None and owners[-1] == owner) or (
            phrases and owner is None and owners[-1] is None and close
        ):
            phrases[-1].append(word)
        else:
            phrases.append([word])
            owners.append(owner)
    return phrases


def _phrases(words: Sequence[Word], height: float) -> list[list[Word]]:
    """Return the words split into phrases at gaps wider than ``PHRASE_GAP`` heights."""
    phrases: list[list[Word]] = []
    for word in sorted(words, key=lambda item: item.x0):
        if phrases and word.x0 - phrases[-1][-1].x1 <= HEADER_PHRASE_GAP * height:
            phrases[-1].append(word)
        else:
            phrases.append([word])
    return phrases


def _overlapping(phrases: Sequence[list[Word]], phrase: Sequence[Word]) -> list[Word] | None:
    x0, x1 = phrase[0].x0, max(word.x1 for word in phrase)
    for candidate in phrases:
        if min(x1, max(w.x1 for w in candidate)) > max(x0, candidate[0].x0):
            return candidate
    return None


def _column_of_phrase(words: Sequence[Word]) -> Column | None:
    """Return the column a header phrase names, or None for one no label matches."""
    in_reading_order = sorted(words, key=lambda word: (round(word.top), word.x0))
    row = make_row(0, in_reading_order, ocr=False, reading_order=True)
    hits = COLUMN_LABEL_SET.find(row)
    if not hits:
        if any("%" in word.text for word in words):
            # A percent column no label names (OCR read "Btw %" as "Bin %", "Discount %" as
            # "ount %") holds rates or discounts, no one can say which: as a column of its
            # own it keeps them out of the amount column beside it.
            return Column(IGNORED_COLUMN, row.x0, max(w.x1 for w in words))
        return None
    longest = max(hits, key=lambda hit: hit.end - hit.start)
    field_name = max(longest.weights, key=lambda name: longest.weights[name])
    return Column(field_name, row.x0, max(w.x1 for w in words), longest.weights[field_name])


def _body_rows(
    rows: Sequence[TextRow], table: ItemTable, header_ids: set[int], total_net: Decimal | None
) -> list[TextRow]:
    """Return the rows of the table's body: after its header, before its totals."""
    start = next(index for index, row in enumerate(rows) if row is table.header)
    body: list[TextRow] = []
    previous = table.header
    for row in rows[start + 1 :]:
        if row in table.header_rows:
            continue
        if row.page != table.header.page or id(row) in header_ids:
            break
        if row.top - previous.bottom > MAX_TABLE_GAP * max(previous.height, row.height):
            break
        if _ends_table(row) or (total_net is not None and _prints_net_total(row, total_net, table)):
            break
        body.append(row)
        previous = row
    return body


def _ends_table(row: TextRow) -> bool:
    """Return True for a row holding the tax or gross total (or the amount due)."""
    return has_field_label(row, TABLE_ENDING_FIELDS)


def _prints_net_total(row: TextRow, total_net: Decimal, table: ItemTable) -> bool:
    """Return True for a row labelled as a net total, or with nothing under the table's
    description (a label no dictionary knows, "Warenwert netto:", sits further right), that
    prints ``total_net`` (in up to three words: "7 908,95")."""
    if not has_field_label(row, ("total_net",)) and "description" in _cells(table, row):
        return False
    texts = [word.text for word in row.words]
    return any(
        parse_amount(" ".join(texts[start : start + size])) == total_net
        for start in range(len(texts))
        for size in (1, 2, 3)
    )


def _is_not_a_line(row: TextRow) -> bool:
    """Return True for a subtotal or a carried-forward amount ("Übertrag", "Report")."""
    return has_field_label(row, ("total_net", CARRIED_FORWARD))


@dataclass
class _Draft:
    """A line being read: its description words and the values found so far."""

    description: list[str]
    values: dict[str, Decimal]
    bottom: float
    height: float

    def to_line(self) -> Line:
        description = " ".join(self.description).strip() or None
        return Line(description=description, **self.values)


def _read_body(table: ItemTable, body: Sequence[TextRow], *, strict: bool) -> list[Line]:
    """Return the lines of a table body: numeric rows start lines, text rows continue them.

    ``strict``: a row starts a line only with an amount and another number.
    """
    drafts: list[_Draft] = []
    current: _Draft | None = None
    for row in body:
        if _is_not_a_line(row):
            current = None
            continue
        cells = _cells(table, row)
        values = _values(cells)
        description = " ".join(cells.get("description", []))
        if _starts_line(values, strict=strict):
            if current is not None and not description and _fills_gaps(current, values):
                current.values.update(values)
                continue
            current = _Draft([description] if description else [], values, row.bottom, row.height)
            drafts.append(current)
        elif current is not None and description and _continues(current, row):
            current.description.append(description)
            current.bottom = row.bottom
        elif current is not None and values and not description and _fills_gaps(current, values):
            current.values.update(values)
    described = any(draft.description for draft in drafts)
    return [draft.to_line() for draft in drafts if draft.values and not _stray(draft, described)]


def _stray(draft: _Draft, described: bool) -> bool:
    """Return True for a lone number under the amount column, with no description where
    the table's lines have one: a page number or a note ("Fortsetzung auf Seite 2")."""
    return described and not draft.description and draft.values.keys() == {"net_amount"}


def _starts_line(values: dict[str, Decimal], *, strict: bool) -> bool:
    if strict:
        return "net_amount" in values and len(values) >= 2
    return "net_amount" in values or {"quantity", "unit_price"} <= values.keys()


def _fills_gaps(draft: _Draft, values: dict[str, Decimal]) -> bool:
    """Return True when ``values`` only adds fields the draft line lacks (a wrapped row)."""
    return not (values.keys() & draft.values.keys())


def _continues(draft: _Draft, row: TextRow) -> bool:
    return row.top - draft.bottom <= MAX_CONTINUATION_GAP * max(draft.height, row.height)


def _cells(table: ItemTable, row: TextRow) -> dict[str, list[str]]:
    """Return the row's words grouped by the column their centre falls in."""
    cells: dict[str, list[str]] = {}
    columns = table.columns
    for word in row.words:
        column = _column_at(columns, (word.x0 + word.x1) / 2, row.height)
        if column is not None:
            cells.setdefault(column.field, []).append(word.text)
    return cells


def _column_at(columns: Sequence[Column], x: float, height: float) -> Column | None:
    """Return the column whose span holds ``x``: header extents widened to the midpoints,
    except that the description, left-aligned and long, runs up to the next header."""
    for index, column in enumerate(columns):
        left = _boundary(columns[index - 1], column, height) if index > 0 else float("-inf")
        last = index + 1 == len(columns)
        right = float("inf") if last else _boundary(column, columns[index + 1], height)
        if left <= x < right:
            return column
    return None


def _boundary(left: Column, right: Column, height: float) -> float:
    """Return the x where column ``left`` ends and column ``right`` starts."""
    if left.field == "description":
        return right.x0 - DESCRIPTION_MARGIN * height
    return (left.x1 + right.x0) / 2


def _values(cells: dict[str, list[str]]) -> dict[str, Decimal]:
    """Return the numbers of the numeric cells, each parsed as its column expects."""
    values: dict[str, Decimal] = {}
    for field_name in NUMERIC_COLUMNS:
        words = cells.get(field_name)
        if not words:
            continue
        value = _rate(words) if field_name == "tax_rate" else _number(words)
        if value is not None:
            values[field_name] = value
    return values


_UNIT_SUFFIX = re.compile(r"^[^\W\d_][\w.()/]*$")


def _number(words: Sequence[str]) -> Decimal | None:
    """Return the number in a cell: the amount its words make, units and currency aside."""
    kept = [
        word for word in words if parse_currency(word) is None or parse_amount(word) is not None
    ]
    numeric = [word for word in kept if not _UNIT_SUFFIX.match(word)]
    if not numeric:
        return None
    joined = parse_cell_amount(" ".join(numeric))
    if joined is not None:
        return joined
    parsed = [value for value in map(parse_cell_amount, numeric) if value is not None]
    return parsed[-1] if parsed else None


def _rate(words: Sequence[str]) -> Decimal | None:
    """Return the tax rate in a cell: ``20%``, ``19 %``, or a plain small number.

    The percent sign belongs to the word it ends or to the word before it, not to the
    whole cell: a number of a neighbour column that ran into the cell ("6,00 19 %") is
    not glued onto the rate.
    """
    for index, word in enumerate(words):
        sign = word.rstrip(")];,")
        if not sign.endswith("%"):
            continue
        text = sign if sign != "%" or index == 0 else words[index - 1] + sign
        match = re.search(r"\d+(?:[.,]\d+)?%$", text)
        if match:
            return parse_percent(match.group(0))
    value = parse_amount(words[0]) if len(words) == 1 else None
    if value is not None and Decimal(0) <= value <= MAX_PLAIN_RATE:
        return parse_percent(f"{value}%")
    return None
