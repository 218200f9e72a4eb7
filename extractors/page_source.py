"""Where each page's words come from: the one place that decides text layer or OCR.

A PDF page is read from its text layer when that text is usable
(``extractors.pdf_text.is_usable_text``); every other PDF page, and every page of an image
file, is OCR'd. A PDF of which some page has usable text is the text-layer extractor's, its
other pages OCR'd here; a PDF of which none has is a scan, read whole by the OCR extractor.
"""

from __future__ import annotations

import logging

from extractors.base import Deadline, DocumentKind, ExtractOptions, PageWords, SourceDocument
from extractors.ocr import ocr_pdf_pages
from extractors.pdf_text import read_text_pages

logger = logging.getLogger(__name__)


def text_layer_pages(document: SourceDocument, deadline: Deadline) -> list[PageWords | None]:
    """Return each page's words from the text layer, None for a page to OCR."""
    return read_text_pages(document.data, source=document.source, deadline=deadline)


def is_scan(document: SourceDocument, deadline: Deadline) -> bool:
    """Return True for a PDF none of whose pages has usable text."""
    return document.kind is DocumentKind.PDF and not any(text_layer_pages(document, deadline))


def with_ocr_pages(
    document: SourceDocument,
    text_pages: list[PageWords | None],
    options: ExtractOptions,
    deadline: Deadline,
) -> list[PageWords]:
    """Return every page's words: the text layer's where usable, OCR's elsewhere."""
    missing = [number for number, page in enumerate(text_pages, start=1) if page is None]
    if not missing:
        return [page for page in text_pages if page is not None]
    logger.info("%s: OCR of pages %s, which have no usable text", document.source, missing)
    ocr_pages = {
        page.number: page for page in ocr_pdf_pages(document.data, missing, options, deadline)
    }
    return [
        page if page is not None else ocr_pages[number]
        for number, page in enumerate(text_pages, start=1)
    ]
