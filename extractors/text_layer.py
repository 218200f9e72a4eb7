"""The PDF text layer: pdfplumber words with their positions, one pass per page.

Pages without usable text (scans, or glyphs with no Unicode mapping) are OCR'd, so a PDF that
mixes typed and scanned pages is read whole.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from collections.abc import Sequence

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError
from pdfminer.psexceptions import PSException
from pdfplumber.page import Page
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

from extractors.base import (
    Deadline,
    DocumentKind,
    ExtractOptions,
    PageWords,
    SourceDocument,
    Word,
)
from extractors.fields import read_invoice
from extractors.ocr import ocr_pdf_pages
from invoicebot.model import DocumentError, ErrorCode, Extraction, Method

logger = logging.getLogger(__name__)

# A page is read from its text layer when it holds at least this many letters and digits (of
# the 171 pages of the ZUGFeRD, invoice2data and sample PDFs, scans hold none and the sparsest
# text page 55)...
MIN_ALNUM_CHARS = 20
# ...and at most this share of its characters are unmapped glyphs: "(cid:12)", U+FFFD,
# private-use or control characters, which is what a font without a Unicode map gives.
MAX_GARBAGE_SHARE = 0.2

# Measured on the ZUGFeRD and invoice2data pages: pdfplumber's default x_tolerance of 3 pt glues
# words set with narrow spaces ("88802Spielkreis", "RechnungssummeohneUSt."); 1 pt splits
# kerned words and lost 4 invoice numbers and 5 dates of 71; 1.5 pt does neither.
WORD_OPTIONS = {"x_tolerance": 1.5, "y_tolerance": 3.0, "keep_blank_chars": False}

CID_GLYPH = re.compile(r"\(cid:\d+\)")
GARBAGE_CATEGORIES = frozenset({"Co", "Cc", "Cs", "Cn"})

# What pdfminer raises on a PDF it cannot parse; pdfplumber wraps most of it as
# PdfminerException, but not everything raised while a page is laid out.
PDF_PARSE_ERRORS = (PdfminerException, MalformedPDFException, PSException)


class TextLayerExtractor:
    """Reads PDFs that have a text layer on at least one page; OCRs their other pages."""

    name = "text"

    def extract(self, document: SourceDocument, options: ExtractOptions) -> Extraction | None:
        """Return the fields read from the PDF's words, or None for a PDF without usable text."""
        if document.kind is not DocumentKind.PDF:
            return None
        deadline = document.deadline(options)
        text_pages = read_text_pages(document.data, source=document.source, deadline=deadline)
        if not any(text_pages):
            return None
        pages = _ocr_missing_pages(document, text_pages, options, deadline)
        reading = read_invoice(pages)
        return reading.to_extraction(document, method=Method.TEXT, pages=len(pages))


def read_text_pages(
    pdf: bytes, *, source: str = "<pdf>", deadline: Deadline | None = None
) -> list[PageWords | None]:
    """Return each page's words from the text layer, None for a page without usable text.

    Raises ``DocumentError``: ``encrypted`` when a password is needed, ``unreadable`` when the
    PDF cannot be parsed, ``timeout`` when ``deadline`` passes.
    """
    try:
        with pdfplumber.open(io.BytesIO(pdf), raise_unicode_errors=False) as document:
            pages: list[PageWords | None] = []
            for page in document.pages:
                if deadline is not None:
                    deadline.remaining()
                pages.append(_page_words(page))
                page.close()
            return pages
    except PDF_PARSE_ERRORS as error:
        raise _parse_error(source, error) from error


def is_usable_text(words: Sequence[Word]) -> bool:
    """Return True when ``words`` are real text rather than an empty or garbled layer."""
    text = "".join(word.text for word in words)
    unmapped_glyphs = CID_GLYPH.findall(text)
    characters = CID_GLYPH.sub("", text)
    if sum(char.isalnum() for char in characters) < MIN_ALNUM_CHARS:
        return False
    garbage = sum(len(glyph) for glyph in unmapped_glyphs) + sum(
        unicodedata.category(char) in GARBAGE_CATEGORIES or char == "\ufffd" for char in characters
    )
    return garbage <= MAX_GARBAGE_SHARE * len(text)


def _page_words(page: Page) -> PageWords | None:
    words = [
        Word(
            text=word["text"],
            x0=float(word["x0"]),
            top=float(word["top"]),
            x1=float(word["x1"]),
            bottom=float(word["bottom"]),
        )
        for word in page.extract_words(**WORD_OPTIONS)
        if word["text"].strip()
    ]
    if not is_usable_text(words):
        return None
    return PageWords(
        number=page.page_number,
        width=float(page.width),
        height=float(page.height),
        method="text",
        words=words,
    )


def _parse_error(source: str, error: Exception) -> DocumentError:
    """Return the document error a pdfminer failure means: encrypted, or unreadable."""
    cause = error.args[0] if isinstance(error, PdfminerException) and error.args else error
    if isinstance(cause, PDFEncryptionError):
        return DocumentError(source, ErrorCode.ENCRYPTED, f"the PDF needs a password ({cause})")
    return DocumentError(source, ErrorCode.UNREADABLE, f"cannot parse the PDF: {cause!r}")


def _ocr_missing_pages(
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
