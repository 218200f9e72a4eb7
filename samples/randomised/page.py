"""The page being drawn: fonts, text primitives, pagination, footer and identifiers.

Every contract field a primitive prints is recorded (``Page.printed``: the exact string on
the page), so the truth never claims a value the page does not show.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import reportlab
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import registerFont, stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from samples.randomised.content import Invoice
from samples.randomised.family import Family
from samples.randomised.formats import format_iban, format_siret, format_vat_id

# Bitstream Vera ships with reportlab itself, so every machine embeds the same font.
FONT_DIRECTORY = Path(reportlab.__file__).parent / "fonts"
registerFont(TTFont("Vera", str(FONT_DIRECTORY / "Vera.ttf")))
registerFont(TTFont("VeraBd", str(FONT_DIRECTORY / "VeraBd.ttf")))

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 40.0
FOOTER_TOP = 70.0
INK = HexColor("#1f2328")
MUTED = HexColor("#5b6470")
RULE = HexColor("#b8c0cc")
SHADE = HexColor("#eef1f5")


@dataclass
class Page:
    """The canvas being drawn, the family's fonts and what has been printed so far."""

    canvas: Canvas
    family: Family
    invoice: Invoice
    rng: random.Random
    total_pages: int
    printed: dict[str, str] = field(default_factory=dict)
    field_pages: dict[str, int] = field(default_factory=dict)
    line_pages: list[int] = field(default_factory=list)
    page_number: int = 1
    left: float = MARGIN
    right: float = PAGE_WIDTH - MARGIN

    @property
    def regular(self) -> str:
        return self.family.font[0]

    @property
    def bold(self) -> str:
        return self.family.font[1]

    @property
    def size(self) -> float:
        return self.family.size

    @property
    def leading(self) -> float:
        return self.family.size * 1.35

    @property
    def accent(self) -> Color:
        return HexColor(self.family.colour)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float | None = None,
        bold: bool = False,
        color: Color = INK,
        align: str = "left",
    ) -> None:
        """Draw one line of text anchored at ``x`` by its left, right or centre."""
        self.canvas.setFont(self.bold if bold else self.regular, size or self.size)
        self.canvas.setFillColor(color)
        if align == "right":
            self.canvas.drawRightString(x, y, text)
        elif align == "center":
            self.canvas.drawCentredString(x, y, text)
        else:
            self.canvas.drawString(x, y, text)

    def width(self, text: str, *, size: float | None = None, bold: bool = False) -> float:
        """Return the width of ``text`` in the family's font."""
        return float(stringWidth(text, self.bold if bold else self.regular, size or self.size))

    def wrap(self, text: str, width: float, *, size: float | None = None) -> list[str]:
        """Return ``text`` split into lines no wider than ``width``."""
        lines: list[str] = []
        current = ""
        for word in text.split():
            candidate = f"{current} {word}".strip()
            if current and self.width(candidate, size=size) > width:
                lines.append(current)
                current = word
            else:
                current = candidate
        return [*lines, current] if current else lines

    def rule(self, x0: float, y: float, x1: float, *, width: float = 0.6) -> None:
        """Draw a horizontal rule."""
        self.canvas.setStrokeColor(RULE)
        self.canvas.setLineWidth(width)
        self.canvas.line(x0, y, x1, y)

    def box(self, x: float, y: float, w: float, h: float, *, fill: Color | None = None) -> None:
        """Draw a rectangle whose bottom-left corner is (x, y), outlined or filled."""
        if fill is not None:
            self.canvas.setFillColor(fill)
            self.canvas.rect(x, y, w, h, stroke=0, fill=1)
            return
        self.canvas.setStrokeColor(INK)
        self.canvas.setLineWidth(0.6)
        self.canvas.rect(x, y, w, h, stroke=1, fill=0)

    def jitter(self) -> float:
        """Return a small random offset, the family's jitter at most."""
        return self.rng.uniform(-self.family.jitter, self.family.jitter)

    def label(self, concept: str) -> str:
        """Return the label of ``concept`` with the family's punctuation."""
        return self.family.label(concept) + self.family.words["colon"]

    def record(self, name: str, text: str) -> str:
        """Note that field ``name`` is printed as ``text``; return ``text``."""
        self.printed.setdefault(name, text)
        self.field_pages.setdefault(name, self.page_number)
        return text

    def moved_here(self, names: set[str]) -> None:
        """Note that fields ``names``, recorded before the page broke, print on this page."""
        for name in names:
            self.field_pages[name] = self.page_number

    def new_page(self) -> float:
        """Finish the page (footer), start the next; return the y where content resumes."""
        draw_footer(self)
        self.canvas.showPage()
        self.page_number += 1
        if self.family.seller_place == "side":
            self.left = MARGIN
        y = float(PAGE_HEIGHT - MARGIN - 10)
        invoice = self.invoice
        self.text(self.left, y, invoice.seller.name, bold=True)
        number = self.label("number") + " " + invoice.number
        self.text(self.right, y, number, align="right")
        self.rule(self.left, y - 6, self.right)
        return y - 24


def identifier_lines(page: Page) -> list[str]:
    """Return the seller's identifiers as printed: VAT number, SIRET, register, bank."""
    seller, family = page.invoice.seller, page.family
    spaced = family.spaced_ids
    lines = []
    if seller.vat_id:
        vat = page.record("seller_vat_id", format_vat_id(seller.vat_id, spaced))
        lines.append(f"{page.label('seller_vat')} {vat}")
    if seller.siret:
        siret = page.record("seller_siret", format_siret(seller.siret, spaced))
        lines.append(f"{page.label('siret')} {siret}")
    if seller.register:
        lines.append(seller.register)
    if family.shows_bank and seller.iban and family.ids_place != "payment_block":
        lines.append(
            f"{page.label('iban')} {page.record('seller_iban', format_iban(seller.iban, spaced))}"
        )
        if seller.bic:
            lines.append(f"{page.label('bic')} {seller.bic}")
    return [line.replace("::", ":") for line in lines]


def draw_footer(page: Page) -> None:
    """Draw the page footer: identifiers when the family puts them there, page number."""
    family = page.family
    y = FOOTER_TOP - 12
    page.rule(MARGIN, FOOTER_TOP - 2, PAGE_WIDTH - MARGIN)
    if family.ids_place == "footer":
        seller = page.invoice.seller
        parts = [seller.name, *seller.address[:2], *identifier_lines(page)]
        if family.footer_columns:
            width = (PAGE_WIDTH - 2 * MARGIN) / 3
            per_column = -(-len(parts) // 3)
            for column in range(3):
                x = MARGIN + column * width
                for row, part in enumerate(parts[column * per_column : (column + 1) * per_column]):
                    page.text(x, y - row * 8.5, part, size=6.5, color=MUTED)
        else:
            for line in pack(page, parts, PAGE_WIDTH - 2 * MARGIN - 50, size=6.5):
                page.text(MARGIN, y, line, size=6.5, color=MUTED)
                y -= 8.5
    if page.total_pages > 1:
        label = f"{family.label('page')} {page.page_number}/{page.total_pages}"
        page.text(PAGE_WIDTH - MARGIN, 22, label, size=7, color=MUTED, align="right")


def pack(page: Page, parts: list[str], width: float, *, size: float) -> list[str]:
    """Return ``parts`` joined by dots into lines no wider than ``width``, breaking only
    between parts (an IBAN is never split over two lines)."""
    lines: list[str] = []
    for part in parts:
        candidate = f"{lines[-1]}  ·  {part}" if lines else part
        if lines and page.width(candidate, size=size) <= width:
            lines[-1] = candidate
        else:
            lines.append(part)
    return lines


def draw_label_row(
    page: Page, items: list[tuple[str, str]], x: float, y: float, width: float
) -> float:
    """Draw one header row of labels (shaded) over its row of values."""
    small, leading = page.size * 0.8, page.leading
    needed = [max(page.width(label, size=small, bold=True), page.width(value)) + 12
              for label, value in items]  # fmt: skip
    spare = max(0.0, width - sum(needed)) / len(items)
    page.box(x, y - leading - 4, width, leading + 4, fill=SHADE)
    left = x
    for (label, value), column in zip(items, needed, strict=True):
        page.text(left + 4, y - leading + 1, label, size=small, bold=True)
        page.text(left + 4, y - 2 * leading - 4, value)
        left += column + spare
    page.rule(x, y - 2 * leading - 9, x + width)
    return y - 2 * leading - 18
