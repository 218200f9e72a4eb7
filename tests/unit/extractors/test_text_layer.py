"""The PDF text layer: words with positions, usable-text threshold, encrypted and broken PDFs."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from extractors import text_layer
from extractors.base import (
    DocumentKind,
    ExtractOptions,
    FieldReading,
    PageWords,
    SourceDocument,
    Word,
)
from extractors.fields import read_invoice
from extractors.text_layer import TextLayerExtractor, is_usable_text, read_text_pages
from invoicebot.model import DocumentError, ErrorCode, Method

INVOICE_LINES = (
    "FACTURE N° F2026-0042",
    "ACME Fournitures SAS - 12 rue de la République - 69002 Lyon",
    "Date : 02/03/2026",
    "Total TTC : 1 481,47 EUR",
)


def make_pdf(
    pages: Sequence[Sequence[str]],
    *,
    font_size: int = 12,
    encrypt: StandardEncryption | None = None,
) -> bytes:
    """Return an A4 PDF whose page ``i`` shows the lines ``pages[i]`` (an empty page: blank)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, encrypt=encrypt)
    for lines in pages:
        canvas.setFont("Helvetica", font_size)
        for row, line in enumerate(lines):
            canvas.drawString(72, 760 - row * font_size * 2, line)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def render_page(pdf: bytes, dpi: int = 200) -> Image.Image:
    """Return the first page of ``pdf`` as a grayscale image."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        bitmap = document[0].render(scale=dpi / 72, grayscale=True)
        image: Image.Image = bitmap.to_pil().copy()
        return image
    finally:
        document.close()


def scanned_pdf(pages: Sequence[Image.Image | Sequence[str]]) -> bytes:
    """Return a PDF whose pages are either typed lines or a picture with no text layer."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    width, height = A4
    for page in pages:
        if isinstance(page, Image.Image):
            canvas.drawImage(ImageReader(page), 0, 0, width=width, height=height)
        else:
            for row, line in enumerate(page):
                canvas.drawString(72, 760 - row * 24, line)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def pdf_document(data: bytes) -> SourceDocument:
    return SourceDocument(
        path=Path("in.pdf"), source="in.pdf", data=data, sha256="x", kind=DocumentKind.PDF
    )


def test_words_carry_their_position_on_the_page() -> None:
    (page,) = read_text_pages(make_pdf([INVOICE_LINES]))

    assert page is not None
    assert (page.number, page.method) == (1, "text")
    assert (round(page.width), round(page.height)) == (595, 842)
    texts = [word.text for word in page.words]
    assert texts[:3] == ["FACTURE", "N°", "F2026-0042"]
    assert "République" in texts
    number = page.words[2]
    assert 72 < number.x0 < number.x1 < page.width
    # 760 pt from the bottom is about 82 pt from the top.
    assert 70 < number.top < number.bottom < 90


def test_pages_without_usable_text_are_none() -> None:
    pages = read_text_pages(make_pdf([INVOICE_LINES, [], ["Page 2 / 2"]]))

    assert [page is not None for page in pages] == [True, False, False]


@pytest.mark.parametrize(
    ("texts", "usable"),
    [
        (["Facture", "F2026-0042", "Total", "1481,47"], True),
        (["Page", "1/2"], False),
        (["(cid:12)(cid:7)(cid:44)"] * 10 + ["Facture", "F2026-0042", "Total"], False),
        (["\ue001\ue002\ue003\ue004"] * 5 + ["Facture", "F2026-0042", "Total", "1481"], False),
    ],
)
def test_usable_text_needs_enough_real_characters(texts: list[str], usable: bool) -> None:
    words = [Word(text=text, x0=0, top=0, x1=1, bottom=1) for text in texts]

    assert is_usable_text(words) is usable


def test_an_encrypted_pdf_is_reported_as_such() -> None:
    pdf = make_pdf([INVOICE_LINES], encrypt=StandardEncryption("user-secret", "owner-secret"))

    with pytest.raises(DocumentError) as raised:
        read_text_pages(pdf, source="locked.pdf")

    assert raised.value.code is ErrorCode.ENCRYPTED
    assert raised.value.source == "locked.pdf"


def test_a_pdf_only_its_owner_may_edit_is_still_read() -> None:
    pdf = make_pdf([INVOICE_LINES], encrypt=StandardEncryption("", "owner-secret", canModify=0))

    (page,) = read_text_pages(pdf)

    assert page is not None
    assert "F2026-0042" in [word.text for word in page.words]


def test_a_truncated_pdf_is_unreadable() -> None:
    pdf = make_pdf([INVOICE_LINES])

    with pytest.raises(DocumentError) as raised:
        read_text_pages(pdf[: len(pdf) // 2], source="cut.pdf")

    assert raised.value.code is ErrorCode.UNREADABLE


def test_the_extractor_declines_a_pdf_without_text() -> None:
    scan = scanned_pdf([render_page(make_pdf([INVOICE_LINES]))])

    assert TextLayerExtractor().extract(pdf_document(scan), ExtractOptions()) is None


def test_pages_without_text_are_ocrd_in_a_mixed_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    scanned_page = render_page(make_pdf([["CONDITIONS GENERALES DE VENTE"]], font_size=28))
    pdf = scanned_pdf([list(INVOICE_LINES), scanned_page])
    options = ExtractOptions(ocr_languages="eng", ocr_dpi=150)
    read: list[Sequence[PageWords]] = []

    def recording_read_invoice(pages: Sequence[PageWords]) -> FieldReading:
        read.append(pages)
        return read_invoice(pages)

    monkeypatch.setattr(text_layer, "read_invoice", recording_read_invoice)
    extraction = TextLayerExtractor().extract(pdf_document(pdf), options)

    assert extraction is not None
    assert (extraction.method, extraction.pages) == (Method.TEXT, 2)
    (pages,) = read
    assert [(page.number, page.method) for page in pages] == [(1, "text"), (2, "ocr")]
    assert "CONDITIONS" in [word.text for word in pages[1].words]
