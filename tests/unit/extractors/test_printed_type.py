"""A paper credit note is told by its printed title, conservatively."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from extractors import extract_document
from extractors.base import PageWords, Word
from extractors.printed_type import printed_document_type, with_printed_type
from invoicebot.model import DocumentType, Extraction, InvoiceFields


def page(*lines: tuple[float, str]) -> PageWords:
    """Return an A4 page (points) with each text printed as words at its top."""
    words = []
    for top, text in lines:
        x = 50.0
        for token in text.split():
            words.append(Word(text=token, x0=x, top=top, x1=x + 8 * len(token), bottom=top + 12))
            x += 8 * len(token) + 4
    return PageWords(number=1, width=595, height=842, method="text", words=words)


@pytest.mark.parametrize(
    "title",
    ["AVOIR", "Avoir N° AV-2026-0007", "FACTURE D'AVOIR", "Note de crédit 12", "CREDIT NOTE"],
)
def test_a_credit_note_title_near_the_top_makes_a_credit_note(title: str) -> None:
    pages = [page((60, "ACME Fournitures SAS"), (120, title), (300, "Total TTC 120,00"))]
    assert printed_document_type(pages) is DocumentType.CREDIT_NOTE


@pytest.mark.parametrize(
    "lines",
    [
        [(120, "FACTURE F2026-0042")],
        # An invoice title beside an "avoir" line: unsure, so an invoice.
        [(100, "FACTURE"), (120, "Avoir n° AV-1")],
        # Low on the page: a note, not the title.
        [(120, "FACTURE"), (700, "AVOIR")],
        # A sentence, or a lower-case word, is no title.
        [(120, "Avoir recours au médiateur de la consommation en cas de litige")],
        [(120, "avoir")],
        # Gutschrift is also a self-billed invoice in German.
        [(120, "GUTSCHRIFT")],
    ],
)
def test_anything_else_stays_an_invoice(lines: list[tuple[float, str]]) -> None:
    assert printed_document_type([page(*lines)]) is DocumentType.INVOICE


def test_a_credit_note_printed_negative_stays_an_invoice_its_sign_reverses() -> None:
    titled = [page((120, "AVOIR"))]
    positive = Extraction(
        source="a.pdf", sha256="0", fields=InvoiceFields(total_gross=Decimal("120.00"))
    ).with_page_words(titled)
    negative = positive.model_copy(
        update={"fields": InvoiceFields(total_gross=Decimal("-120.00"))}
    ).with_page_words(titled)
    assert with_printed_type(positive).document_type is DocumentType.CREDIT_NOTE
    assert with_printed_type(negative).document_type is DocumentType.INVOICE


def text_pdf(*lines: str) -> bytes:
    """Return a one-page PDF printing ``lines`` from the top."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    for number, text in enumerate(lines):
        canvas.drawString(72, 780 - 18 * number, text)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def test_a_text_pdf_titled_avoir_is_read_as_a_credit_note(tmp_path: Path) -> None:
    body = ("ACME Fournitures SAS", "Date : 20/03/2026", "Total HT 100,00", "Total TTC 120,00")
    (tmp_path / "avoir.pdf").write_bytes(text_pdf("AVOIR N° AV-2026-0007", *body))
    (tmp_path / "facture.pdf").write_bytes(text_pdf("FACTURE N° F-2026-0042", *body))

    credit_note = extract_document(tmp_path / "avoir.pdf")
    invoice = extract_document(tmp_path / "facture.pdf")

    assert credit_note.document_type is DocumentType.CREDIT_NOTE
    assert credit_note.to_contract()["document_type"] == "credit_note"
    assert invoice.document_type is DocumentType.INVOICE
