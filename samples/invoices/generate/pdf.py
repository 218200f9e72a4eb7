"""A text PDF of an invoice, drawn in its layout."""

from __future__ import annotations

import io
from collections.abc import Callable

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from samples.invoices.generate.formats import Formats, formats_for
from samples.invoices.generate.invoices import Invoice
from samples.invoices.generate.kinds import EN_DASH
from samples.invoices.generate.layouts_en_de import draw_de_standard, draw_en_ledger, draw_en_modern
from samples.invoices.generate.layouts_fr import draw_fr_boxed, draw_fr_classic, draw_fr_letter
from samples.invoices.generate.parties import LayoutName
from samples.invoices.generate.sheet import Sheet

LAYOUT_DRAWERS: dict[LayoutName, Callable[[Sheet, Invoice, Formats], None]] = {
    "fr-classic": draw_fr_classic,
    "fr-letter": draw_fr_letter,
    "fr-boxed": draw_fr_boxed,
    "en-modern": draw_en_modern,
    "en-ledger": draw_en_ledger,
    "de-standard": draw_de_standard,
}


def render_pdf(invoice: Invoice) -> bytes:
    """Return the invoice as a one-page text PDF (reportlab, invariant: no timestamps or IDs)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(f"{invoice.seller.name} {EN_DASH} {invoice.number}")
    canvas.setAuthor(invoice.seller.name)
    canvas.setCreator("invoicebot sample generator")
    LAYOUT_DRAWERS[invoice.layout](Sheet(canvas), invoice, formats_for(invoice))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
