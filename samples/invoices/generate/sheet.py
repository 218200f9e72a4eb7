"""The drawing toolkit (reportlab): a page, its fonts and colours, the table of lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape

from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle

from samples.invoices.generate.formats import COUNTRY_NAMES, Formats, format_vat_id, formats_for
from samples.invoices.generate.invoices import Invoice, InvoiceLine
from samples.invoices.generate.parties import LANGUAGE_BY_LAYOUT, Seller

# ----------------------------------------------------------------------------------------
# Drawing toolkit (reportlab)
# ----------------------------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = A4
TOP = PAGE_HEIGHT
MARGIN = 42.0
RIGHT = PAGE_WIDTH - MARGIN
CONTENT_WIDTH = RIGHT - MARGIN
INK = HexColor("#1f2328")
MUTED = HexColor("#5b6470")
RULE = HexColor("#c5ccd6")
SHADE = HexColor("#eef1f5")
SANS, SANS_BOLD = "Helvetica", "Helvetica-Bold"
SERIF, SERIF_BOLD = "Times-Roman", "Times-Bold"
MONO = "Courier"

Align = Literal["left", "right", "center"]
Command = tuple[object, ...]


def table_style(
    commands: Sequence[Command],
    *,
    right: Sequence[int] = (),
    padding: tuple[float, float] = (4, 5),
) -> list[Command]:
    """Return table commands plus uniform (vertical, horizontal) padding and right-aligned
    columns."""
    vertical, horizontal = padding
    return [
        *commands,
        *(("ALIGN", (column, 0), (column, -1), "RIGHT") for column in right),
        ("TOPPADDING", (0, 0), (-1, -1), vertical),
        ("BOTTOMPADDING", (0, 0), (-1, -1), vertical),
        ("LEFTPADDING", (0, 0), (-1, -1), horizontal),
        ("RIGHTPADDING", (0, 0), (-1, -1), horizontal),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]


def initials(name: str) -> str:
    """Return up to two initials of a company name, skipping legal forms and small words."""
    skipped = {"SAS", "SARL", "SA", "SRL", "Ltd", "GmbH", "&", "du", "de", "Les"}
    words = [word for word in name.replace("-", " ").split() if word not in skipped]
    return "".join(word[0] for word in words[:2]).upper()


class Sheet:
    """One page being drawn: the reportlab canvas and the primitives the layouts share.

    Coordinates are reportlab's (points, origin bottom-left); layouts write ``TOP - n``.
    """

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = 9,
        font: str = SANS,
        color: Color = INK,
        align: Align = "left",
    ) -> None:
        """Draw one line of text anchored at ``x`` by its left, right or centre."""
        self.canvas.setFont(font, size)
        self.canvas.setFillColor(color)
        draw = {
            "left": self.canvas.drawString,
            "right": self.canvas.drawRightString,
            "center": self.canvas.drawCentredString,
        }[align]
        draw(x, y, text)

    def stack(
        self,
        x: float,
        y: float,
        rows: Sequence[str],
        *,
        size: float = 9,
        leading: float = 12,
        font: str = SANS,
        color: Color = INK,
        align: Align = "left",
    ) -> float:
        """Draw rows downwards from baseline ``y``; return the baseline after the last."""
        for row in rows:
            self.text(x, y, row, size=size, font=font, color=color, align=align)
            y -= leading
        return y

    def pairs(
        self,
        x: float,
        y: float,
        rows: Sequence[tuple[str, str]],
        *,
        value_x: float,
        size: float = 9,
        leading: float = 13,
        label_font: str = SANS,
        label_color: Color = MUTED,
        value_font: str = SANS_BOLD,
        value_align: Align = "left",
    ) -> float:
        """Draw ``label  value`` rows on shared baselines; return the baseline after the last."""
        for label, value in rows:
            self.text(x, y, label, size=size, font=label_font, color=label_color)
            self.text(value_x, y, value, size=size, font=value_font, align=value_align)
            y -= leading
        return y

    def table(
        self,
        x: float,
        top: float,
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        style: Sequence[Command],
    ) -> float:
        """Draw a table whose top edge is at ``top``; return the y of its bottom edge."""
        table = Table([list(row) for row in rows], colWidths=list(widths))
        table.setStyle(TableStyle(list(style)))
        _, height = table.wrapOn(self.canvas, sum(widths), PAGE_HEIGHT)
        table.drawOn(self.canvas, x, top - height)
        return float(top - height)

    def paragraph(
        self,
        x: float,
        top: float,
        width: float,
        text: str,
        *,
        size: float = 7,
        font: str = SANS,
        color: Color = MUTED,
        centred: bool = True,
    ) -> float:
        """Draw wrapped text whose first line starts at ``top``; return the y below it."""
        style = ParagraphStyle(
            "paragraph",
            fontName=font,
            fontSize=size,
            leading=size * 1.3,
            textColor=color,
            alignment=TA_CENTER if centred else TA_LEFT,
        )
        paragraph = Paragraph(escape(text), style)
        _, height = paragraph.wrapOn(self.canvas, width, PAGE_HEIGHT)
        paragraph.drawOn(self.canvas, x, top - height)
        return float(top - height)

    def fill(self, x: float, y: float, width: float, height: float, color: Color) -> None:
        """Paint a rectangle whose bottom-left corner is (x, y)."""
        self.canvas.setFillColor(color)
        self.canvas.rect(x, y, width, height, stroke=0, fill=1)

    def frame(self, x: float, y: float, width: float, height: float, line_width: float) -> None:
        """Outline a rectangle whose bottom-left corner is (x, y)."""
        self.canvas.setStrokeColor(INK)
        self.canvas.setLineWidth(line_width)
        self.canvas.rect(x, y, width, height, stroke=1, fill=0)

    def rule(
        self, x0: float, y: float, x1: float, *, color: Color = RULE, width: float = 0.6
    ) -> None:
        """Draw a horizontal rule."""
        self.canvas.setStrokeColor(color)
        self.canvas.setLineWidth(width)
        self.canvas.line(x0, y, x1, y)

    def logo(self, x: float, y: float, size: float, seller: Seller, *, disc: bool) -> None:
        """Draw a brand mark: the seller's initials in a coloured square or disc."""
        self.canvas.setFillColor(seller.color)
        if disc:
            self.canvas.circle(x + size / 2, y + size / 2, size / 2, stroke=0, fill=1)
        else:
            self.canvas.roundRect(x, y, size, size, size / 6, stroke=0, fill=1)
        middle, baseline = x + size / 2, y + size * 0.32
        mark = initials(seller.name)
        self.text(
            middle, baseline, mark, size=size * 0.42, font=SANS_BOLD, color=white, align="center"
        )


LineCell = Literal["position", "reference", "description", "quantity", "price", "rate", "net"]
NUMERIC_CELLS: frozenset[LineCell] = frozenset({"quantity", "price", "rate", "net"})


@dataclass(frozen=True)
class LineColumn:
    """One column of a lines table: its header, what it shows and its width (0 = the rest)."""

    header: str
    cell: LineCell
    width: float = 0


def line_cell(cell: LineCell, position: int, line: InvoiceLine, formats: Formats) -> str:
    """Return the text of one cell of the lines table."""
    if cell == "position":
        return str(position)
    if cell == "reference":
        return line.reference
    if cell == "description":
        return line.description
    if cell == "quantity":
        return formats.quantity(line.quantity)
    if cell == "price":
        return formats.number(line.unit_price)
    if cell == "rate":
        return formats.rate(line.tax_rate)
    return formats.number(line.net_amount)


def draw_lines_table(
    sheet: Sheet,
    top: float,
    invoice: Invoice,
    columns: Sequence[LineColumn],
    commands: Sequence[Command],
    padding: tuple[float, float] = (4, 5),
) -> float:
    """Draw the full-width table of invoice lines under a header row; return its bottom."""
    spare = CONTENT_WIDTH - sum(column.width for column in columns)
    widths = [column.width or spare for column in columns]
    formats = formats_for(invoice)
    rows = [[column.header for column in columns]]
    for position, line in enumerate(invoice.lines, start=1):
        rows.append([line_cell(column.cell, position, line, formats) for column in columns])
    numeric = [i for i, column in enumerate(columns) if column.cell in NUMERIC_CELLS]
    style = table_style(commands, right=numeric, padding=padding)
    return sheet.table(MARGIN, top, rows, widths, style)


def buyer_rows(invoice: Invoice, vat_label: str) -> list[str]:
    """Return the buyer's address lines, with its VAT number when the layout prints it."""
    address = invoice.buyer.address
    rows = [address.street, address.city_line]
    if address.country != invoice.seller.country:
        rows.append(COUNTRY_NAMES[LANGUAGE_BY_LAYOUT[invoice.layout]][address.country])
    if invoice.show_buyer_vat:
        rows.append(f"{vat_label} {format_vat_id(invoice.buyer.vat_id)}")
    return rows
