"""The extractor protocol and the types that pass between extraction stages."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, Field

from invoicebot.model import (
    EINVOICE_BOXES_REASON,
    Box,
    BoxSource,
    DocumentError,
    ErrorCode,
    Extraction,
    InvoiceFields,
    Line,
    Method,
    ReadBoxes,
)

# Domain types, re-exported for the extraction stages that read words off a page.
from invoicebot.model import PageWords as PageWords
from invoicebot.model import Word as Word

# PDFium is not thread-safe, not even across documents: every pypdfium2 call (opening, rendering,
# closing) holds this lock, in whichever thread it runs. Each document is read in a process of
# its own (``extractors.isolation``), so the lock serialises the threads of one document only.
PDFIUM_LOCK = threading.RLock()


class DocumentKind(StrEnum):
    """What a file is, judged from its first bytes rather than its name."""

    PDF = "pdf"
    IMAGE = "image"
    XML = "xml"


class FieldReading(BaseModel):
    """Fields, lines, per-field confidence and language read from positioned words, with
    the box each field and line was read from (none for an e-invoice)."""

    fields: InvoiceFields
    lines: list[Line] = Field(default_factory=list)
    confidence: dict[str, float] = Field(default_factory=dict)
    language: str | None = None
    boxes: dict[str, Box] = Field(default_factory=dict)
    line_boxes: list[Box | None] = Field(default_factory=list)

    def to_extraction(
        self,
        document: SourceDocument,
        *,
        method: Method,
        pages: int,
        page_words: Sequence[PageWords] = (),
    ) -> Extraction:
        """Return the extraction of ``document`` that this reading makes, carrying the
        ``page_words`` it was read from for the supplier templates."""
        extraction = Extraction(
            source=document.source,
            sha256=document.sha256,
            method=method,
            language=self.language,
            pages=pages,
            fields=self.fields,
            lines=self.lines,
            confidence=self.confidence,
            boxes=self.read_boxes(method),
        )
        return extraction.with_page_words(page_words)

    def read_boxes(self, method: Method) -> ReadBoxes:
        """Return where the fields and lines were read, as an extraction by ``method``
        keeps it: a field read without a box (by a second OCR engine, or from symbols
        only) is listed as such."""
        if method is Method.EINVOICE:
            return ReadBoxes(source=BoxSource.NONE, reason=EINVOICE_BOXES_REASON)
        read = [name for name, value in self.fields.model_dump().items() if value is not None]
        return ReadBoxes(
            source=BoxSource.OCR if method is Method.OCR else BoxSource.TEXT,
            fields={name: box for name, box in self.boxes.items() if name in read},
            lines=self.line_boxes if len(self.line_boxes) == len(self.lines) else [],
            unboxed=dict.fromkeys(
                (name for name in read if name not in self.boxes), "not read from one place"
            ),
        )


@dataclass(frozen=True)
class ExtractOptions:
    """How to read documents: OCR languages, resolution, parallelism and time limit.

    ``templates_dir`` is a folder of supplier templates in invoice2data's format whose fields,
    for the supplier they match, override the generic ones (``extractors.templates``).

    ``ocr_dpi`` is the resolution PDF pages are rendered at for OCR. 200 dpi, measured on 24
    generated noisy scans, finds 92.5 % of the expected values in the OCR text against 83.2 % at
    300 dpi (downsampling averages the noise out) in 2.2 s a page instead of 3.2 s; on clean
    renders it stays within 3 points of 300 dpi, where 150 dpi starts to lose small print.
    """

    ocr_languages: str = "fra+eng+deu"
    ocr_dpi: int = 200
    ocr_workers: int = 2
    timeout_s: float = 120.0
    max_bytes: int = 50 * 1024 * 1024
    read_page: bool = False
    templates_dir: Path | None = None
    # Image files: more pixels in a frame, or more frames, and they are refused undecoded.
    max_image_pixels: int = 50_000_000
    max_image_frames: int = 50
    # Address-space cap (MB) of the process that reads a document (``extractors.isolation``).
    memory_mb: int = 3072
    # Extra extractors tried before the built-in ones, as ``module:attribute`` import paths:
    # strings, so that the reading process (``extractors.isolation``) finds them too.
    plugins: tuple[str, ...] = ()

    @property
    def hard_limit_s(self) -> float:
        """Return the wall-clock limit after which the process reading a document is killed.

        ``timeout_s`` is checked by the extractors between steps (and handed to tesseract); the
        hard limit leaves them a quarter of it, and at least a second, to notice it themselves.
        """
        return self.timeout_s + max(1.0, self.timeout_s / 4)


@dataclass(frozen=True)
class Deadline:
    """The ``time.monotonic()`` moment by which a document must have been read."""

    at: float
    source: str

    def remaining(self) -> float:
        """Return the seconds left, or raise ``DocumentError(TIMEOUT)`` when none are."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise self.expired()
        return left

    def expired(self) -> DocumentError:
        """Return the error that says this document ran out of time."""
        return DocumentError(self.source, ErrorCode.TIMEOUT, "the document's time limit passed")


@dataclass(frozen=True)
class SourceDocument:
    """A file to read, with its bytes, digest and detected kind.

    ``started_at`` (``time.monotonic()``) is when reading began: the document's time limit
    (``ExtractOptions.timeout_s``) counts from there, across every extractor.
    """

    path: Path
    source: str
    data: bytes
    sha256: str
    kind: DocumentKind
    started_at: float = field(default_factory=time.monotonic)

    def deadline(self, options: ExtractOptions) -> Deadline:
        """Return the moment by which this document must have been read."""
        return Deadline(at=self.started_at + options.timeout_s, source=self.source)


class Extractor(Protocol):
    """One way of reading a document; returns ``None`` when it does not apply to it."""

    name: str

    def extract(self, document: SourceDocument, options: ExtractOptions) -> Extraction | None:
        """Return the extraction, ``None`` if this extractor does not apply, or raise
        ``DocumentError`` when the document cannot be read."""
        ...
