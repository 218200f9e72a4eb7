"""The PDF text layer: words with positions, usable-text threshold, encrypted and broken PDFs."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path

import pypdf
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


def draw_pdf(draw: Callable[[Canvas], None], *, rotation: int = 0) -> bytes:
    """Return a one-page A4 PDF drawn by ``draw``, shown turned ``rotation`` degrees clockwise."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    draw(canvas)
    canvas.showPage()
    canvas.save()
    if not rotation:
        return buffer.getvalue()
    writer = pypdf.PdfWriter()
    for page in pypdf.PdfReader(buffer).pages:
        writer.add_page(page.rotate(rotation))
    rotated = io.BytesIO()
    writer.write(rotated)
    return rotated.getvalue()


def test_a_word_box_is_one_font_size_tall() -> None:
    (page,) = read_text_pages(make_pdf([INVOICE_LINES], font_size=12))

    assert page is not None
    for word in page.words:
        assert word.bottom - word.top == pytest.approx(12, abs=0.01)


def test_words_are_split_at_spaces_and_lines_but_not_inside_a_word() -> None:
    def draw(canvas: Canvas) -> None:
        canvas.setFont("Helvetica", 10)
        canvas.drawString(72, 760, "Rechnungsnummer RE-2026/0042 vom 05.03.2026")
        # A second text object right after the first, on the same line: one word.
        canvas.drawString(72, 740, "Summe")
        canvas.drawString(72 + canvas.stringWidth("Summe", "Helvetica", 10), 740, "12,50")
        canvas.drawString(72, 720, "Seite 1 von 1 mit Rechnungssumme und Datum")

    (page,) = read_text_pages(draw_pdf(draw))

    assert page is not None
    assert [word.text for word in page.words][:5] == [
        "Rechnungsnummer",
        "RE-2026/0042",
        "vom",
        "05.03.2026",
        "Summe12,50",
    ]


def test_letter_spaced_labels_read_as_words() -> None:
    def draw(canvas: Canvas) -> None:
        canvas.setFont("Helvetica", 10)
        # Spaced with spaces, and spread by character spacing with none.
        canvas.drawString(72, 760, "R e c h n u n g s - N r .:   RE-2026/0042")
        text = canvas.beginText(72, 730)
        text.setFont("Helvetica-Bold", 14)
        text.setCharSpace(6)
        text.textOut("RECHNUNG")
        canvas.drawText(text)
        canvas.drawString(72, 700, "Seite 1 / 1 mit Rechnungssumme und Datum und mehr")

    (page,) = read_text_pages(draw_pdf(draw))

    assert page is not None
    assert [word.text for word in page.words][:5] == [
        "Rechnungs-Nr.:",
        "RE-2026/0042",
        "RECHNUNG",
        "Seite",
        "1",
    ]


def test_text_drawn_twice_for_a_bold_look_is_read_once() -> None:
    def draw(canvas: Canvas) -> None:
        canvas.setFont("Helvetica", 12)
        for offset in (0, 0.3):
            canvas.drawString(72 + offset, 760, "Rechnungsnummer 2026-0042 Summe 1234,56 EUR")

    (page,) = read_text_pages(draw_pdf(draw))

    assert page is not None
    assert [word.text for word in page.words] == [
        "Rechnungsnummer",
        "2026-0042",
        "Summe",
        "1234,56",
        "EUR",
    ]


def test_a_hyphen_ending_a_line_is_kept() -> None:
    def draw(canvas: Canvas) -> None:
        canvas.setFont("Helvetica", 12)
        canvas.drawString(72, 760, "Facture F2026-0042 pour les Positions-")
        canvas.drawString(72, 746, "nummer 12 et suivantes, Total 1 481,47 EUR")

    (page,) = read_text_pages(draw_pdf(draw))

    assert page is not None
    assert "Positions-" in [word.text for word in page.words]


def test_an_amount_after_a_euro_sign_starts_after_it() -> None:
    def draw(canvas: Canvas) -> None:
        canvas.setFont("Helvetica", 12)
        canvas.drawString(72, 760, "Montant total €1234.56 pour la facture numéro 42")

    (page,) = read_text_pages(draw_pdf(draw))

    assert page is not None
    amount = next(word for word in page.words if word.text == "€1234.56")
    digits = Canvas(io.BytesIO()).stringWidth("1234.56", "Helvetica", 12)
    # pdfminer gave the euro sign no width, so the digits after it overlapped it.
    assert amount.x1 - amount.x0 > digits + 5


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_words_are_placed_on_the_page_as_it_is_shown(rotation: int) -> None:
    def draw(canvas: Canvas) -> None:
        # Text turned against the page's rotation, so that it reads upright when shown.
        width, height = A4
        origin = {0: (0, 0), 90: (width, 0), 180: (width, height), 270: (0, height)}
        canvas.translate(*origin[rotation])
        canvas.rotate(rotation)
        canvas.setFont("Helvetica", 12)
        shown_height = height if rotation in (0, 180) else width
        for row, line in enumerate(INVOICE_LINES):
            canvas.drawString(72, shown_height - 100 - row * 24, line)

    (page,) = read_text_pages(draw_pdf(draw, rotation=rotation))

    assert page is not None
    shown = (595, 842) if rotation in (0, 180) else (842, 595)
    assert (round(page.width), round(page.height)) == shown
    assert [word.text for word in page.words][:3] == ["FACTURE", "N°", "F2026-0042"]
    first = page.words[0]
    assert first.x0 == pytest.approx(72, abs=0.5)
    # The baseline is 100 pt from the top; the box spans the font's descent to an em above.
    assert 88 < first.top < 92 < 100 < first.bottom < 104


def pdf_with_unnamed_glyphs(count: int = 60) -> bytes:
    """Return a PDF showing ``count`` glyphs of a font whose glyph names (``/g0``...) map to
    no Unicode character: text a viewer draws but cannot copy."""
    codes = bytes(range(33, 33 + count))
    content = b"BT /F1 12 Tf 72 760 Td <" + codes.hex().encode() + b"> Tj ET"
    names = b" ".join(b"/g%d" % index for index in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
        b"/Encoding << /Type /Encoding /Differences [33 " + names + b"] >> >>",
    ]
    pdf = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(pdf)


def test_a_page_of_glyphs_without_unicode_is_not_usable_text() -> None:
    assert read_text_pages(pdf_with_unnamed_glyphs()) == [None]
