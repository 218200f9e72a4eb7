"""Where each value was read: the boxes an extraction keeps for the review form's outline."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pdfplumber

from extractors import extract_document, extract_invoices
from extractors.base import ExtractOptions, FieldReading, PageWords, Word
from extractors.boxes import box_of_words
from invoicebot.model import EINVOICE_BOXES_REASON, Box, BoxSource, InvoiceFields, Method
from tests.conftest import SAMPLES
from tests.inbox import concatenated_pdf

TEXT_PDF = SAMPLES / "de-standard-0005.pdf"
FACTURX = SAMPLES / "fr-classic-0004-facturx.pdf"


def test_a_box_is_the_words_extent_as_fractions_of_the_page() -> None:
    page = PageWords(number=2, width=200, height=400, method="ocr")
    words = [
        Word(text="12,00", x0=100, top=100, x1=150, bottom=120),
        Word(text="€", x0=152, top=98, x1=160, bottom=118),
    ]
    assert box_of_words(page, words) == Box(page=2, x0=0.5, top=0.245, x1=0.8, bottom=0.3)
    assert box_of_words(page, []) is None


def test_the_total_of_a_text_pdf_is_boxed_where_it_is_printed() -> None:
    extraction = extract_document(TEXT_PDF, ExtractOptions())
    assert extraction.boxes is not None and extraction.boxes.source is BoxSource.TEXT
    box = extraction.boxes.fields["total_gross"]
    total = extraction.fields.total_gross
    assert total is not None
    with pdfplumber.open(TEXT_PDF) as pdf:
        page = pdf.pages[box.page - 1]
        inside = page.crop(
            (
                box.x0 * page.width - 1,
                box.top * page.height - 1,
                box.x1 * page.width + 1,
                box.bottom * page.height + 1,
            )
        ).extract_text()
    digits = "".join(ch for ch in inside if ch.isdigit())
    assert digits.endswith(str(total.quantize(Decimal("0.01"))).replace(".", ""))
    # Every line found its row; the boxes stay out of the contract's JSON.
    assert len(extraction.boxes.lines) == len(extraction.lines)
    assert "boxes" not in extraction.to_contract()


def test_an_einvoice_says_it_has_no_box() -> None:
    extraction = extract_document(FACTURX, ExtractOptions())
    assert extraction.method is Method.EINVOICE
    assert extraction.boxes is not None
    assert extraction.boxes.source is BoxSource.NONE
    assert extraction.boxes.reason == EINVOICE_BOXES_REASON and not extraction.boxes.fields


def test_a_field_read_without_a_box_is_listed_as_such() -> None:
    reading = FieldReading(
        fields=InvoiceFields(currency="EUR", invoice_number="F-1"),
        boxes={"invoice_number": Box(page=1, x0=0, top=0, x1=1, bottom=1)},
    )
    boxes = reading.read_boxes(Method.TEXT)
    assert set(boxes.fields) == {"invoice_number"} and set(boxes.unboxed) == {"currency"}
    templated = boxes.without(["invoice_number"], "read by the supplier template acme")
    assert not templated.fields
    assert templated.unboxed["invoice_number"] == "read by the supplier template acme"
    assert templated.shifted(2).unboxed == templated.unboxed


def test_the_boxes_of_an_invoice_cut_from_a_stack_are_on_its_pages_of_the_file(
    tmp_path: Path,
) -> None:
    second = SAMPLES / "en-ledger-0007.pdf"
    stack = tmp_path / "stack.pdf"
    stack.write_bytes(concatenated_pdf([TEXT_PDF.read_bytes(), second.read_bytes()]))
    invoices = extract_invoices(stack, ExtractOptions())
    assert [invoice.page_range for invoice in invoices] == [[1, 1], [2, 2]]
    for invoice in invoices:
        assert invoice.boxes is not None and invoice.page_range is not None
        pages = {box.page for box in invoice.boxes.fields.values()}
        assert pages == {invoice.page_range[0]}
