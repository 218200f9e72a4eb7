"""Draw a randomised invoice as a text PDF, following its family's layout choices.

Blocks (seller, title, header block, buyer, lines, totals, payment, footer) go where the
family puts them, with a few points of jitter per document.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

from reportlab.lib.colors import white
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from samples.randomised.content import Invoice
from samples.randomised.family import Family
from samples.randomised.formats import format_date, format_iban, format_vat_id
from samples.randomised.page import (
    FOOTER_TOP,
    INK,
    MARGIN,
    MUTED,
    PAGE_HEIGHT,
    SHADE,
    Page,
    draw_footer,
    draw_label_row,
    identifier_lines,
)
from samples.randomised.tables import draw_lines_table, draw_totals


def date_text(page: Page, day_name: str) -> str:
    """Return the invoice or due date as the family prints it, recorded as printed."""
    invoice, family = page.invoice, page.family
    day = invoice.issue_date if day_name == "invoice_date" else invoice.due_date
    if day is None:
        raise ValueError(f"{day_name} is not printed on this invoice")
    return page.record(day_name, format_date(day, family.date_format, family.language))


def meta_items(page: Page) -> list[tuple[str, str]]:
    """Return the (label, value) pairs of the header block: number, dates, PO, currency."""
    invoice, family = page.invoice, page.family
    items = [(page.label("date"), date_text(page, "invoice_date"))]
    if not family.title_with_number:
        items.insert(0, (page.label("number"), page.record("invoice_number", invoice.number)))
    if invoice.due_date is not None and family.due_mode != "sentence":
        items.append((page.label("due"), date_text(page, "due_date")))
    if invoice.po_number is not None:
        items.append((page.label("po"), page.record("po_number", invoice.po_number)))
    if invoice.customer_no is not None:
        items.insert(1, (page.label("customer_no"), invoice.customer_no))
    if invoice.delivery_date is not None:
        delivery = format_date(invoice.delivery_date, family.date_format, family.language)
        items.insert(-1 if len(items) > 3 else len(items), (page.label("delivery"), delivery))
    if family.numbers.currency_style == "header_only":
        items.append((page.label("currency"), page.record("currency", family.numbers.currency)))
    return items


def draw_meta(page: Page, x: float, y: float, width: float) -> float:
    """Draw the header block in the family's label style; return the y below it."""
    style = page.family.meta_style
    if style == "sentence":
        return draw_meta_sentences(page, x, y, width)
    items = meta_items(page)
    size, leading = page.size, page.leading
    small = size * 0.8
    widest_value = max(page.width(value, bold=True) for _, value in items)
    if style == "left" and max(page.width(label) for label, _ in items) + widest_value > width - 10:
        style = "above"  # the labels leave no room beside them: values go under
    if style == "inline" and any(page.width(f"{label} {value}") > width for label, value in items):
        style = "above"  # a label and its value do not fit on one line: the value goes under
    if style == "left":
        value_x = x + max(page.width(label) for label, _ in items) + 10
        if page.family.values_right:
            value_x = x + min(width, value_x - x + max(page.width(v, bold=True) for _, v in items))
        for label, value in items:
            page.text(x, y, label, color=MUTED)
            align = "right" if page.family.values_right else "left"
            page.text(value_x, y, value, bold=True, align=align)
            y -= leading
        return y
    if style == "inline":
        for label, value in items:
            page.text(x, y, f"{label} {value}")
            y -= leading
        return y
    if style in ("above", "below"):
        for label, value in items:
            first, second = (label, value) if style == "above" else (value, label)
            page.text(x, y, first, size=small if style == "above" else size,
                      color=MUTED if style == "above" else INK, bold=style == "below")  # fmt: skip
            page.text(x, y - leading, second, size=size if style == "above" else small,
                      color=INK if style == "above" else MUTED, bold=style == "above")  # fmt: skip
            y -= 2 * leading + 3
        return y
    if style == "boxes":
        per_row = 2 if width < 300 else 4
        # Fewer boxes a row where a value or its label would run over into its neighbour's
        # box (a long date: "dimanche 19 juillet 2026"), as a layout program sizes them.
        widest = max(widest_value, *(page.width(label, size=small) for label, _ in items))
        while per_row > 1 and widest + 8 > (width - 6 * (per_row - 1)) / per_row:
            per_row -= 1
        box_width = (width - 6 * (per_row - 1)) / per_row
        height = leading * 2 + 6
        for position, (label, value) in enumerate(items):
            column = position % per_row
            if column == 0 and position:
                y -= height + 6
            left = x + column * (box_width + 6)
            page.box(left, y - height, box_width, height)
            page.text(left + 4, y - small - 3, label, size=small, color=MUTED)
            page.text(left + 4, y - height + 6, value, bold=True)
        return y - height - 10
    # Header rows of labels over rows of values, split in two when they do not fit.
    rows = [items]
    needed = [max(page.width(label, size=small, bold=True), page.width(value)) + 12
              for label, value in items]  # fmt: skip
    if sum(needed) > width:
        half = (len(items) + 1) // 2
        rows = [items[:half], items[half:]]
    for row in rows:
        y = draw_label_row(page, row, x, y, width)
    return y


def draw_meta_sentences(page: Page, x: float, y: float, width: float) -> float:
    """Draw the number and date inside a sentence, then the PO and due date likewise."""
    invoice, family = page.invoice, page.family
    template = family.sentence_number or "{number} {date}"
    number = page.record("invoice_number", invoice.number)
    sentence = template.format(number=number, date=date_text(page, "invoice_date"))
    for line in page.wrap(sentence, width, size=page.size + 1):
        page.text(x, y, line, size=page.size + 1, bold=True)
        y -= page.leading + 1
    if invoice.po_number is not None and family.sentence_po:
        po = page.record("po_number", invoice.po_number)
        page.text(x, y, family.sentence_po.format(po=po))
        y -= page.leading
    if invoice.due_date is not None and family.due_mode != "sentence":
        page.text(x, y, f"{page.label('due')} {date_text(page, 'due_date')}")
        y -= page.leading
    if family.numbers.currency_style == "header_only":
        page.text(
            x, y, f"{page.label('currency')} {page.record('currency', family.numbers.currency)}"
        )
        y -= page.leading
    return y - 4


def draw_seller(page: Page, x: float, y: float, width: float, *, align: str = "left") -> float:
    """Draw the seller's name and address (and identifiers when they sit there)."""
    seller, family = page.invoice.seller, page.family
    name = page.record("seller_name", seller.name)
    size = page.size + (5 if family.seller_place != "side" else 2)
    if family.logo != "none":
        logo_x = {"left": x, "right": x - 34, "center": x - 17}[align]
        draw_logo(page, logo_x, y - 24, 34)
        y -= 40
    for line in page.wrap(name, width, size=size):
        page.text(x, y, line, size=size, bold=True, color=page.accent, align=align)
        y -= size * 1.25
    rows = [*seller.address, seller.phone, seller.email]
    if family.ids_place in ("under_seller", "side"):
        rows += identifier_lines(page)
    for line, size in fitted_lines(page, rows, width, page.size * 0.9):
        page.text(x, y, line, size=size, color=MUTED, align=align)
        y -= page.leading * 0.9
    return y - 6


def fitted_lines(page: Page, rows: list[str], width: float, size: float) -> list[tuple[str, float]]:
    """Return ``rows`` as lines that fit ``width``: a row ending with a printed value too
    wide for it breaks between label and value (the value shrunk if need be), never inside
    the value, as an identifier is not split over two lines; other rows wrap by words."""
    values = sorted(page.printed.values(), key=len, reverse=True)
    lines: list[tuple[str, float]] = []
    for row in rows:
        if page.width(row, size=size) <= width:
            lines.append((row, size))
            continue
        value = next((v for v in values if len(v) > 6 and row.endswith(v)), None)
        if value is None:
            lines += [(line, size) for line in page.wrap(row, width, size=size)]
            continue
        label = row[: -len(value)].strip()
        if label:
            lines.append((label, size))
        value_size = min(size, size * width / page.width(value, size=size))
        lines.append((value, value_size))
    return lines


def draw_logo(page: Page, x: float, y: float, size: float) -> None:
    """Draw a brand mark: the seller's initials in a coloured square or disc."""
    canvas = page.canvas
    canvas.setFillColor(page.accent)
    if page.family.logo == "disc":
        canvas.circle(x + size / 2, y + size / 2, size / 2, stroke=0, fill=1)
    else:
        canvas.roundRect(x, y, size, size, size / 6, stroke=0, fill=1)
    words = [word for word in page.invoice.seller.name.split() if word[:1].isupper()]
    initials = "".join(word[0] for word in words[:2])
    page.text(x + size / 2, y + size * 0.32, initials, size=size * 0.42, bold=True,
              color=white, align="center")  # fmt: skip


def draw_buyer(page: Page, x: float, y: float, width: float) -> float:
    """Draw the buyer's block: optional label, name, address and VAT number."""
    buyer, family = page.invoice.buyer, page.family
    top = y
    if family.buyer_labelled:
        page.text(x, y, page.label("buyer"), size=page.size * 0.85, color=MUTED, bold=True)
        y -= page.leading
    rows = [*buyer.address]
    if page.invoice.show_buyer_vat and buyer.vat_id:
        vat = page.record("buyer_vat_id", format_vat_id(buyer.vat_id, family.spaced_ids))
        rows.append(f"{page.label('buyer_vat')} {vat}".replace("::", ":"))
    for line in page.wrap(page.record("buyer_name", buyer.name), width - 8):
        page.text(x, y, line, bold=True)
        y -= page.leading
    for line, size in fitted_lines(page, rows, width - 8, page.size):
        page.text(x, y, line, size=size)
        y -= page.leading
    if family.buyer_boxed:
        page.box(x - 6, y + page.leading - 6, width, top - y + 4)
        y -= 4
    return y - 6


def draw_ship_to(page: Page, x: float, y: float) -> float:
    """Draw the delivery address block, a name near the buyer's that is not the buyer."""
    page.text(x, y, page.label("ship_to"), size=page.size * 0.85, color=MUTED, bold=True)
    y -= page.leading
    for row in page.invoice.ship_to or ():
        page.text(x, y, row)
        y -= page.leading
    return y - 6


def draw_title(page: Page, x: float, y: float, width: float, *, align: str = "left") -> float:
    """Draw the document title within ``width``; return the y below it."""
    family = page.family
    size = page.size * (2.2 if family.title_big else 1.4)
    title = family.label("title")
    if family.title_with_number and family.meta_style != "sentence":
        title = f"{title} {page.record('invoice_number', page.invoice.number)}"
        size = min(size, page.size * 1.6)
    # A title too long for its column is set smaller, as a layout program fits it, rather
    # than run off the page.
    size = min(size, size * width / page.width(title, size=size, bold=True))
    page.text(x, y, title, size=size, bold=True, color=page.accent, align=align)
    return y - size - 8


def draw_header(page: Page) -> float:
    """Draw seller, title, header block and buyer where the family puts them."""
    family = page.family
    top = PAGE_HEIGHT - MARGIN - 12 + page.jitter()
    if family.seller_place == "side":
        page.box(0, 0, 165, PAGE_HEIGHT, fill=SHADE)
        draw_seller(page, 20, top, 130)
        page.left = 185.0
    left, right = page.left, page.right
    half = (right - left) / 2
    if family.seller_place == "top_center":
        y = draw_seller(page, (left + right) / 2, top, right - left, align="center")
        y = min(y, draw_title(page, left, y - 4, right - left))
        seller_bottom, column_top = y, y
    elif family.seller_place in ("top_left", "side"):
        seller_bottom = (
            draw_seller(page, left, top, half - 10) if family.seller_place != "side" else top
        )
        column_top = top
    else:
        seller_bottom = draw_seller(page, right, top, half - 10, align="right")
        column_top = top
    # The column opposite the seller holds the title and maybe the header block.
    opposite = left if family.seller_place == "top_right" else left + half + 10
    if family.seller_place == "side":
        opposite = left
    y = column_top
    if family.seller_place != "top_center":
        y = draw_title(
            page, opposite, y, right - left if family.seller_place == "side" else half - 10
        )
    meta_here = family.meta_place in ("top_right", "top_left") and family.meta_style != "table"
    if meta_here:
        y = draw_meta(page, opposite, y, half - 10 if family.seller_place != "side" else half)
    y = min(y, seller_bottom) - 10 + page.jitter()
    # Parties row: buyer on one side, the header block maybe on the other.
    buyer_x = left + half + 10 if family.buyer_right else left
    other_x = left if family.buyer_right else left + half + 10
    bottom = draw_buyer(page, buyer_x, y, half - 10)
    beside = family.meta_place == "beside_buyer" and family.meta_style != "table"
    if beside:
        bottom = min(bottom, draw_meta(page, other_x, y, half - 10))
    if page.invoice.ship_to is not None:
        ship_x, ship_y = (buyer_x, bottom - 4) if beside else (other_x, y)
        bottom = min(bottom, draw_ship_to(page, ship_x, ship_y))
    y = bottom - 6
    if not page.printed.get("invoice_date"):
        y = draw_meta(page, left, y, right - left) - 4
    return y


def draw_payment(page: Page, y: float) -> float:
    """Draw the payment block: due-date sentence, bank details, identifiers if there."""
    invoice, family = page.invoice, page.family
    recorded = set(page.field_pages)
    rows: list[str] = []
    if invoice.due_date is not None and family.due_mode == "sentence" and family.sentence_due:
        rows.append(family.sentence_due.format(due=date_text(page, "due_date")))
    if family.sentence_terms and invoice.payment_days:
        rows.append(family.sentence_terms.format(days=invoice.payment_days))
    if family.ids_place == "payment_block":
        rows += identifier_lines(page)
        if family.shows_bank and invoice.seller.iban:
            iban = page.record("seller_iban", format_iban(invoice.seller.iban, family.spaced_ids))
            rows.append(f"{page.label('bank')} {page.label('iban')} {iban}".replace("::", ":"))
            if invoice.seller.bic:
                rows.append(f"{page.label('bic')} {invoice.seller.bic}")
    if family.sentence_thanks:
        rows.append(family.sentence_thanks)
    needed = len(rows) * page.leading + 10
    if rows and y - needed < FOOTER_TOP + 10:
        y = page.new_page()
        page.moved_here(set(page.field_pages) - recorded)
    for row in rows:
        for line in page.wrap(row, page.right - page.left):
            page.text(page.left, y, line)
            y -= page.leading
    return y


@dataclass(frozen=True)
class Rendered:
    """A rendered invoice: the PDF, each printed field's text and page, each line's page."""

    pdf: bytes
    printed: dict[str, str]
    field_pages: dict[str, int]
    line_pages: tuple[int, ...]
    pages: int


def render_invoice(family: Family, invoice: Invoice, seed: int) -> Rendered:
    """Return the invoice drawn as a text PDF, with what it printed where."""
    rendered = _render(family, invoice, seed, total_pages=1)
    if rendered.pages > 1:
        rendered = _render(family, invoice, seed, total_pages=rendered.pages)
    return rendered


def _render(family: Family, invoice: Invoice, seed: int, *, total_pages: int) -> Rendered:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(f"{invoice.seller.name} {invoice.number}")
    canvas.setCreator("invoicebot randomised generator")
    rng = random.Random(f"layout/{seed}/{family.number}/{invoice.number}")
    page = Page(canvas, family, invoice, rng, total_pages)
    y = draw_header(page)
    y = draw_lines_table(page, y - 4)
    y = draw_totals(page, y - 8)
    draw_payment(page, y - 10)
    draw_footer(page)
    canvas.showPage()
    canvas.save()
    return Rendered(
        buffer.getvalue(), page.printed, page.field_pages, tuple(page.line_pages), page.page_number
    )
