"""The lines table (paginated, header repeated on the next page) and the totals block."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from reportlab.lib.colors import white

from samples.randomised.content import InvoiceLine
from samples.randomised.formats import CURRENCY_SYMBOLS
from samples.randomised.page import FOOTER_TOP, INK, MUTED, SHADE, Page, draw_label_row

COLUMN_LABELS = {
    "code": "code",
    "description": "description",
    "quantity": "quantity",
    "unit": "unit",
    "unit_price": "unit_price",
    "discount": "discount",
    "rate": "rate",
    "net": "line_net",
}
COLUMN_WIDTHS = {
    "code": 55.0,
    "quantity": 38.0,
    "unit": 34.0,
    "unit_price": 62.0,
    "discount": 38.0,
    "rate": 40.0,
    "net": 68.0,
}
LEFT_ALIGNED = frozenset({"code", "description", "unit"})


@dataclass(frozen=True)
class TableGeometry:
    """The lines table's column widths and the font size that makes them fit."""

    widths: tuple[float, ...]
    size: float

    @property
    def leading(self) -> float:
        return self.size * 1.3


def table_geometry(page: Page) -> TableGeometry:
    """Return widths that fit every header and cell, the description taking the rest; the
    font shrinks (down to 70 %) until the description keeps a readable width."""
    available = page.right - page.left
    geometry = TableGeometry((), page.size)
    for scale in (1.0, 0.92, 0.84, 0.76, 0.7):
        size = page.size * scale
        widths = []
        for column in page.family.columns:
            if column == "description":
                widths.append(0.0)
                continue
            header = page.family.label(COLUMN_LABELS[column])
            cells = [cell_text(page, column, line) for line in page.invoice.lines]
            widest = max(page.width(text, size=size) for text in cells)
            header_width = page.width(header, size=size * 0.9, bold=True)
            widths.append(max(COLUMN_WIDTHS[column] * scale, header_width, widest) + 10)
        rest = available - sum(widths)
        geometry = TableGeometry(tuple(rest if w == 0 else w for w in widths), size)
        if rest >= 150:
            break
    return geometry


def cell_text(page: Page, column: str, line: InvoiceLine) -> str:
    """Return the text of one cell (the description is drawn apart, over several lines)."""
    numbers = page.family.numbers
    if column == "code":
        return line.code
    if column == "quantity":
        return numbers.quantity(line.quantity)
    if column == "unit":
        return line.unit
    if column == "unit_price":
        return (
            numbers.money(line.unit_price)
            if page.family.line_money
            else numbers.number(line.unit_price)
        )
    if column == "discount":
        return numbers.rate(line.discount) if line.discount else "-"
    if column == "rate":
        return numbers.rate(line.tax_rate)
    if page.family.line_money:
        return numbers.money(line.net_amount)
    return numbers.number(line.net_amount)


def draw_table_header(page: Page, y: float, geometry: TableGeometry) -> float:
    """Draw the header row in the family's table style; return the y below it."""
    style, small = page.family.table_style, geometry.size * 0.9
    height = geometry.leading + 6
    if style == "shaded":
        page.box(page.left, y - height, page.right - page.left, height, fill=page.accent)
    elif style == "grid":
        page.box(page.left, y - height, page.right - page.left, height, fill=SHADE)
        page.box(page.left, y - height, page.right - page.left, height)
    x = page.left
    for column, width in zip(page.family.columns, geometry.widths, strict=True):
        header = page.family.label(COLUMN_LABELS[column])
        color = white if style == "shaded" else INK
        if column in LEFT_ALIGNED:
            page.text(x + 4, y - height + 6, header, size=small, bold=True, color=color)
        else:
            page.text(x + width - 4, y - height + 6, header, size=small, bold=True,
                      color=color, align="right")  # fmt: skip
        x += width
    if style in ("rules", "plain"):
        page.rule(page.left, y - height, page.right, width=1.0)
    return y - height


def draw_lines_table(page: Page, y: float) -> float:
    """Draw every line, breaking onto a new page (header repeated) when the page is full."""
    geometry = table_geometry(page)
    size, leading = geometry.size, geometry.leading
    description_width = geometry.widths[page.family.columns.index("description")] - 8
    y = draw_table_header(page, y, geometry)
    running = Decimal("0")
    for line in page.invoice.lines:
        descriptions = [
            part
            for text in line.description
            for part in page.wrap(text, description_width, size=size)
        ]
        height = len(descriptions) * leading + 6
        if y - height < FOOTER_TOP + 24:
            page.text(page.right, y - leading, page.family.label("continued"),
                      size=size * 0.9, color=MUTED, align="right")  # fmt: skip
            if page.family.carry_forward:
                carried = f"{page.label('carried')} {page.family.numbers.number(running)}"
                page.text(page.left + 4, y - leading, carried, size=size, bold=True)
            y = draw_table_header(page, page.new_page(), geometry)
            if page.family.carry_forward:
                page.text(page.left + 4, y - leading, page.label("carried"), size=size, bold=True)
                text = page.family.numbers.number(running)
                page.text(page.right - 4, y - leading, text, size=size, bold=True, align="right")
                y -= leading + 6
        running += line.net_amount
        page.line_pages.append(page.page_number)
        x = page.left
        baseline = y - leading - 1
        for column, width in zip(page.family.columns, geometry.widths, strict=True):
            if column == "description":
                for offset, part in enumerate(descriptions):
                    page.text(x + 4, baseline - offset * leading, part, size=size)
            elif column in LEFT_ALIGNED:
                page.text(x + 4, baseline, cell_text(page, column, line), size=size)
            else:
                text = cell_text(page, column, line)
                page.text(x + width - 4, baseline, text, size=size, align="right")
            x += width
        if page.family.table_style == "grid":
            page.box(page.left, y - height, page.right - page.left, height)
        elif page.family.table_style in ("rules", "shaded"):
            page.rule(page.left, y - height, page.right, width=0.4)
        y -= height
    if page.family.table_style == "plain":
        page.rule(page.left, y, page.right)
    return y


def money(page: Page, value: Decimal, field: str | None = None) -> str:
    """Return a total as money; record it as field ``field`` when given."""
    text = page.family.numbers.money(value, total=True)
    return page.record(field, text) if field else text


def record_currency(page: Page) -> None:
    """Record how the currency shows on the totals (symbol or ISO code)."""
    numbers = page.family.numbers
    if numbers.currency_style == "header_only":
        return
    symbol = "symbol" in numbers.currency_style
    page.record("currency", CURRENCY_SYMBOLS[numbers.currency] if symbol else numbers.currency)


def total_rows(page: Page) -> list[tuple[str, str, bool]]:
    """Return the totals rows: (label, amount, bold)."""
    invoice, family = page.invoice, page.family
    numbers = family.numbers
    rows = [(page.label("net"), money(page, invoice.net, "total_net"), False)]
    if len(invoice.vat) > 1 and not family.breakdown:
        for entry in invoice.vat:
            label = f"{family.label('rate')} {numbers.rate(entry.rate)}"
            rows.append((label, money(page, entry.tax), False))
    tax_label = page.label("tax")
    if len(invoice.vat) == 1:
        tax_label = (
            f"{family.label('tax')} {numbers.rate(invoice.vat[0].rate)}{family.words['colon']}"
        )
    rows.append((tax_label, money(page, invoice.tax, "total_tax"), False))
    gross = money(page, invoice.gross, "total_gross")
    rows.append((page.label("gross"), gross, True))
    if invoice.deposit:
        rows.append((page.label("deposit"), money(page, -invoice.deposit), False))
    if invoice.deposit or family.amount_due_line:
        rows.append((page.label("amount_due"), money(page, invoice.amount_due, "amount_due"), True))
    else:
        page.record("amount_due", gross)
    record_currency(page)
    return rows


def breakdown_headers(page: Page) -> tuple[str, str, str]:
    """Return the VAT breakdown's column headers."""
    family = page.family
    return family.label("rate"), family.label("base"), family.label("vat_amount")


def breakdown_widths(page: Page) -> tuple[float, float, float]:
    """Return the widths of the VAT breakdown's three columns."""
    small = page.size * 0.9
    rate, base, tax = (page.width(header, size=small) for header in breakdown_headers(page))
    return max(rate, 40) + 10, max(base, 60) + 10, max(tax, 55) + 10


def draw_breakdown(page: Page, x: float, y: float) -> float:
    """Draw the VAT breakdown table (rate, base, VAT) at ``x``; return the y below it."""
    numbers, family = page.family.numbers, page.family
    small = page.size * 0.9
    page.text(x, y, family.label("breakdown"), size=small, bold=True)
    y -= page.leading + 2
    headers = breakdown_headers(page)
    first, second, third = breakdown_widths(page)
    columns = (x, x + first + second, x + first + second + third)
    page.text(columns[0], y, headers[0], size=small, color=MUTED)
    page.text(columns[1], y, headers[1], size=small, color=MUTED, align="right")
    page.text(columns[2], y, headers[2], size=small, color=MUTED, align="right")
    page.rule(x, y - 3, columns[2] + 2)
    y -= page.leading + 2
    for entry in page.invoice.vat:
        page.text(columns[0], y, numbers.rate(entry.rate), size=small)
        page.text(columns[1], y, numbers.number(entry.base), size=small, align="right")
        page.text(columns[2], y, numbers.number(entry.tax), size=small, align="right")
        y -= page.leading
    return y


def draw_totals(page: Page, y: float) -> float:
    """Draw the totals block at the right (and the VAT breakdown at the left), or as a
    header row of labels over a row of amounts."""
    family = page.family
    recorded = set(page.field_pages)
    # The rows record the totals before they are drawn, maybe on the next page.
    rows = total_rows(page)
    breakdown_height = (len(page.invoice.vat) + 2) * (page.leading + 2) if family.breakdown else 0
    if family.totals_style == "row":
        needed = breakdown_height + 2 * (2 * page.leading + 18) + 16
        if y - needed < FOOTER_TOP + 16:
            y = page.new_page()
            page.moved_here(set(page.field_pages) - recorded)
        if family.breakdown:
            y = draw_breakdown(page, page.left, y - page.leading) - 6
        items = [(label.rstrip(" :"), value) for label, value, _ in rows]
        width = page.right - page.left
        needed_width = sum(
            max(page.width(label, size=page.size * 0.8, bold=True), page.width(value)) + 12
            for label, value in items
        )
        halves = (
            [items]
            if needed_width <= width
            else [items[: len(items) // 2], items[len(items) // 2 :]]
        )
        for half in halves:
            y = draw_label_row(page, half, page.left, y, width)
        return y
    needed = max(len(rows) * (page.leading + 2), breakdown_height) + 16
    if y - needed < FOOTER_TOP + 16:
        y = page.new_page()
        page.moved_here(set(page.field_pages) - recorded)
    top = y + page.jitter() / 2
    label_x = page.right - max(page.width(label) for label, _, _ in rows) - 95
    label_x = min(label_x, page.right - 190)
    bottom = top
    for label, value, bold in rows:
        bottom -= page.leading + 2
        page.text(label_x, bottom, label, bold=bold)
        page.text(page.right - 4, bottom, value, bold=bold, align="right")
    if family.totals_style == "boxed":
        page.box(label_x - 6, bottom - 6, page.right - label_x + 6, top - bottom + 4)
    if family.breakdown and label_x - 16 > page.left + sum(breakdown_widths(page)):
        bottom = min(bottom, draw_breakdown(page, page.left, top - page.leading))
    elif family.breakdown:
        if bottom - breakdown_height - 20 < FOOTER_TOP + 16:
            bottom = page.new_page() + page.leading
        bottom = draw_breakdown(page, page.left, bottom - 2 * page.leading)
    return bottom - 10
