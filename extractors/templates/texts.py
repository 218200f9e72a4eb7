"""The texts a template's regexes run on: PDFium's text, a laid-out text (pdfplumber's, or
built from positioned words), OCR'd words for scans and images; each made once, when asked.
"""

from __future__ import annotations

import io
import logging
import statistics
from collections.abc import Iterator, Sequence

import pdfplumber

from extractors.base import DocumentKind, ExtractOptions, PageWords, SourceDocument, Word
from extractors.ocr import load_image_pages, ocr_images, ocr_pdf_pages
from extractors.pdfium import open_pdf
from extractors.templates.spec import MIN_TEXT_CHARS, Area
from invoicebot.model import DocumentError

logger = logging.getLogger(__name__)


class DocumentTexts:
    """The document's texts, each made once and only when asked for.

    PDFs: PDFium's text (invoice2data's default backend), then a laid-out text like
    ``pdftotext -layout``'s; scans and images: OCR'd words laid out the same way, those the
    extractor read (``page_words``) when it kept them.
    """

    def __init__(
        self,
        document: SourceDocument,
        options: ExtractOptions,
        page_words: Sequence[PageWords] = (),
    ) -> None:
        self.document = document
        self.options = options
        self.page_words = page_words
        self.deadline = document.deadline(options)
        self._texts: dict[str, str] = {}

    def backends(self) -> Iterator[str]:
        """Yield the names of the texts to try, in order."""
        if self.document.kind is DocumentKind.PDF and _is_text(self.text("pdfium")):
            yield from ("pdfium", "layout")
        elif self.document.kind in (DocumentKind.PDF, DocumentKind.IMAGE):
            yield "ocr"

    def text(self, backend: str) -> str:
        """Return the text ``backend`` gives."""
        if backend not in self._texts:
            self.deadline.remaining()
            self._texts[backend] = self._read(backend)
        return self._texts[backend]

    def _read(self, backend: str) -> str:
        if backend == "pdfium":
            return pdfium_text(self.document.data)
        if backend == "layout":
            return layout_text_of_pdf(self.document.data)
        if self.page_words:
            return layout_text_of_words(self.page_words)
        if self.document.kind is DocumentKind.IMAGE:
            images = load_image_pages(self.document.data, self.document.source)
            pages = ocr_images(images, self.options, self.deadline)
        else:
            pages = ocr_pdf_pages(self.document.data, None, self.options, self.deadline)
        return layout_text_of_words(pages)


def _is_text(text: str) -> bool:
    return sum(char.isalnum() for char in text) >= MIN_TEXT_CHARS


def pdfium_text(pdf: bytes, area: Area | None = None) -> str:
    """Return the PDF's text as PDFium reads it, pages joined by newlines (optionally only
    inside ``area``)."""
    texts: list[str] = []
    try:
        with open_pdf(pdf, source="<pdf>") as document:
            first, last = (area.f - 1, min(area.l, len(document))) if area else (0, len(document))
            for index in range(first, last):
                page = document[index]
                textpage = page.get_textpage()
                if area is None:
                    texts.append(textpage.get_text_bounded())
                else:
                    factor = 72.0 / area.r
                    height = page.get_size()[1]
                    texts.append(
                        textpage.get_text_bounded(
                            left=area.x * factor,
                            bottom=height - (area.y + area.H) * factor,
                            right=(area.x + area.W) * factor,
                            top=height - area.y * factor,
                        )
                    )
                textpage.close()
                page.close()
    except DocumentError:
        return ""
    text = "\n".join(texts).replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\ufeff", "").replace("\ufffe", "")


def layout_text_of_pdf(pdf: bytes) -> str:
    """Return the PDF's text laid out in columns with spaces, as ``pdftotext -layout`` does."""
    try:
        with pdfplumber.open(io.BytesIO(pdf), raise_unicode_errors=False) as document:
            pages = []
            for page in document.pages:
                pages.append(page.extract_text(layout=True) or "")
                page.close()
    except Exception as error:  # pdfminer raises many kinds; the text layer already read it
        logger.info("no laid-out text: %r", error)
        return ""
    return "\n".join(_strip_lines(text) for text in pages)


def _strip_lines(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines())


def layout_text_of_words(pages: Sequence[PageWords]) -> str:
    """Return positioned words as text: a line per row, the words of a phrase one space apart
    and the phrases at their column, as ``pdftotext -layout`` lays a page out."""
    lines: list[str] = []
    for page in pages:
        words = sorted(page.words, key=lambda word: (word.top, word.x0))
        widths = [(w.x1 - w.x0) / len(w.text) for w in words if w.text and w.x1 > w.x0]
        char_width = statistics.median(widths) if widths else 1.0
        rows: list[tuple[float, float, list[Word]]] = []
        for word in words:
            middle = (word.top + word.bottom) / 2
            if rows and rows[-1][0] <= middle <= rows[-1][1]:
                rows[-1][2].append(word)
            else:
                rows.append((word.top, word.bottom, [word]))
        for top, bottom, row in rows:
            # A gap wider than the row's height (about one em) separates columns.
            column_gap = max(bottom - top, 2 * char_width)
            line = ""
            previous: Word | None = None
            for word in sorted(row, key=lambda word: word.x0):
                if previous is not None and word.x0 - previous.x1 <= column_gap:
                    line += " " + word.text
                else:
                    column = round(word.x0 / char_width)
                    line += " " * max(column - len(line), 2 if line else 0) + word.text
                previous = word
            lines.append(line)
    return "\n".join(lines)
