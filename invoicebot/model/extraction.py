"""An extraction result, the words of its pages and the boxes its values were read from."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr

from invoicebot.model.codes import DocumentType, ErrorCode, Method
from invoicebot.model.invoice import InvoiceExtras, InvoiceFields, InvoiceReference, Line


class Word(BaseModel):
    """A word on a page, in points (text layer) or pixels (OCR), origin at the top left."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    confidence: float = 1.0


class PageWords(BaseModel):
    """The words of one page and how they were read; ``number`` counts from 1."""

    number: int
    width: float
    height: float
    method: Literal["text", "ocr"]
    words: list[Word] = Field(default_factory=list)


class BoxSource(StrEnum):
    """What the boxes of an extraction were measured on: the PDF's text layer, OCR'd
    pixels, or nothing (an e-invoice's XML has no positions)."""

    TEXT = "text"
    OCR = "ocr"
    NONE = "none"


class Box(BaseModel):
    """Where a value is printed: its page of the file (1-based) and the rectangle of the
    words it was read from, as fractions (0-1) of the page's width and height from the top
    left, so that text-layer points and OCR pixels both map onto any rendering of the page."""

    page: int = Field(ge=1)
    x0: float
    top: float
    x1: float
    bottom: float

    def shifted(self, pages: int) -> Box:
        """Return this box ``pages`` pages further into the file."""
        return self.model_copy(update={"page": self.page + pages})


class ReadBoxes(BaseModel):
    """Where each field and line of an extraction was read from (``Extraction.boxes``).

    ``fields`` holds a box per field read from positioned words; a field read otherwise
    (a supplier template's pattern, the currency guessed from symbols) is in ``unboxed``
    with the reason. ``lines`` has one entry per line, None where its row was not found.
    With ``source`` ``none`` there is no box at all, and ``reason`` says why."""

    source: BoxSource
    reason: str | None = None
    fields: dict[str, Box] = Field(default_factory=dict)
    lines: list[Box | None] = Field(default_factory=list)
    unboxed: dict[str, str] = Field(default_factory=dict)

    def shifted(self, pages: int) -> ReadBoxes:
        """Return the boxes ``pages`` pages further into the file (an invoice cut from it)."""
        return self.model_copy(
            update={
                "fields": {name: box.shifted(pages) for name, box in self.fields.items()},
                "lines": [None if box is None else box.shifted(pages) for box in self.lines],
            }
        )

    def without(self, names: Sequence[str], reason: str) -> ReadBoxes:
        """Return the boxes with ``names`` moved to ``unboxed`` for ``reason``."""
        return self.model_copy(
            update={
                "fields": {n: box for n, box in self.fields.items() if n not in names},
                "unboxed": {**self.unboxed, **dict.fromkeys(names, reason)},
            }
        )


EINVOICE_BOXES_REASON = "an e-invoice's values come from its XML, which has no positions"


class ExtractionFailure(BaseModel):
    """Why a document could not be read."""

    code: ErrorCode
    message: str


class Extraction(BaseModel):
    """The result of reading one document (contract: extraction result)."""

    source: str
    sha256: str
    method: Method | None = None
    language: str | None = None
    pages: int = 0
    fields: InvoiceFields = Field(default_factory=InvoiceFields)
    lines: list[Line] = Field(default_factory=list)
    confidence: dict[str, float] = Field(default_factory=dict)
    error: ExtractionFailure | None = None
    # Pages [first, last] (1-based) of the file this invoice was read from, when the file
    # holds several invoices or may (its confidence is ``confidence["page_range"]``).
    page_range: list[int] | None = None
    # What the document states beyond the contract (e-invoices only), for the rules; it is
    # not part of the contract's extraction result.
    extras: InvoiceExtras | None = None
    # Why the cut into invoices is unsure (``extractors.splitting``), for the SPLIT-PAGES
    # rule's message; not part of the contract either.
    split_doubts: list[str] = Field(default_factory=list)
    # Where each field and line was read on the pages (``ReadBoxes``), for the review form's
    # outlined page; not part of the contract's extraction result.
    boxes: ReadBoxes | None = None
    # What kind of document it is (BT-3) and the invoice it refers to (BG-3, a credit note's
    # credited invoice): in the contract's result only when not a plain invoice / when stated.
    document_type: DocumentType = DocumentType.INVOICE
    preceding_invoice: InvoiceReference | None = None
    # The words the extractor read on each page, for the supplier templates to lay out instead
    # of OCR'ing a scan again. Private, so never dumped; the extraction cascade drops them
    # before it returns.
    _page_words: tuple[PageWords, ...] = PrivateAttr(default=())

    def to_contract(self) -> dict[str, Any]:
        """Return the contract's JSON-ready dict (every field key present, nulls kept;
        ``page_range`` only for a file that holds, or may hold, several invoices;
        ``document_type`` only for a document that is not a plain invoice,
        ``preceding_invoice`` only when the document names one)."""
        excluded = {"extras", "split_doubts", "boxes"}
        if self.page_range is None:
            excluded.add("page_range")
        if self.document_type is DocumentType.INVOICE:
            excluded.add("document_type")
        if self.preceding_invoice is None:
            excluded.add("preceding_invoice")
        return self.model_dump(mode="json", exclude=excluded)

    @property
    def page_words(self) -> tuple[PageWords, ...]:
        """Return the words the extractor read, page by page (empty once extraction is done)."""
        return self._page_words

    def with_page_words(self, pages: Sequence[PageWords]) -> Extraction:
        """Return a copy of this extraction carrying ``pages`` as its words (none: dropped)."""
        extraction = self.model_copy()
        extraction._page_words = tuple(pages)
        return extraction
