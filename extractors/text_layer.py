"""The text-layer extractor: PDFs of which at least one page has usable text
(``extractors.page_source`` decides which pages), their words read by the field finder.

The words themselves come from ``extractors.pdf_text``.
"""

from __future__ import annotations

from extractors.base import DocumentKind, ExtractOptions, SourceDocument
from extractors.fields import read_invoice
from extractors.page_source import text_layer_pages, with_ocr_pages
from extractors.pdf_text import is_usable_text, read_text_pages
from invoicebot.model import Extraction, Method

__all__ = ["TextLayerExtractor", "is_usable_text", "read_text_pages"]


class TextLayerExtractor:
    """Reads PDFs that have a text layer on at least one page; OCRs their other pages."""

    name = "text"

    def extract(self, document: SourceDocument, options: ExtractOptions) -> Extraction | None:
        """Return the fields read from the PDF's words, or None for a PDF without usable text."""
        if document.kind is not DocumentKind.PDF:
            return None
        deadline = document.deadline(options)
        text_pages = text_layer_pages(document, deadline)
        if not any(text_pages):
            return None
        pages = with_ocr_pages(document, text_pages, options, deadline)
        reading = read_invoice(pages)
        return reading.to_extraction(
            document, method=Method.TEXT, pages=len(pages), page_words=pages
        )
