"""The extraction cascade: e-invoice XML first, then the PDF text layer, then OCR.

``EXTRACTORS`` is the registry, tried in order; the first extractor that applies to a document
reads it. Plug-ins named in ``ExtractOptions.plugins`` (``module:attribute``) are tried first.
``extract_document`` never raises for a bad document: it returns an ``Extraction`` whose
``error`` says why the document could not be read. The batch reads each document in a process
of its own, with a hard time limit and a memory cap: ``extractors.isolation``. A page read as
a credit note by its printed title is one (``extractors.printed_type``); an e-invoice states
its type.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import logging
from pathlib import Path

from extractors.base import DocumentKind, ExtractOptions, Extractor, SourceDocument
from extractors.einvoice import EInvoiceExtractor
from extractors.ocr_reading import OcrExtractor
from extractors.printed_mentions import with_printed_mentions
from extractors.printed_type import with_printed_type
from extractors.splitting import held_whole, split_extraction
from extractors.templates import apply_templates
from extractors.text_layer import TextLayerExtractor
from invoicebot.model import DocumentError, ErrorCode, Extraction, ExtractionFailure, InvoiceError

__all__ = [
    "EXTRACTORS",
    "ExtractorPluginError",
    "extract_document",
    "extract_invoices",
    "extractor_chain",
    "load_document",
    "sniff_kind",
]

logger = logging.getLogger(__name__)

EXTRACTORS: tuple[Extractor, ...] = (
    EInvoiceExtractor(),
    TextLayerExtractor(),
    OcrExtractor(),
)

# How far into a file its kind is looked for: PDF readers accept a header that follows up to
# 1 KiB of junk, and an XML declaration may come after a byte order mark and blank lines.
SNIFF_WINDOW = 1024
IMAGE_SIGNATURES = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"II*\x00",  # TIFF, little-endian
    b"MM\x00*",  # TIFF, big-endian
)
BYTE_ORDER_MARKS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


class ExtractorPluginError(InvoiceError):
    """An extractor plug-in (``module:attribute``) cannot be imported or is no extractor."""

    def __init__(self, plugin: str, reason: str) -> None:
        super().__init__(f"extractor plug-in {plugin!r}: {reason}")
        self.plugin = plugin
        self.reason = reason


def extractor_chain(options: ExtractOptions) -> tuple[Extractor, ...]:
    """Return the extractors to try, in order: the options' plug-ins, then ``EXTRACTORS``."""
    return tuple(load_plugin(plugin) for plugin in options.plugins) + EXTRACTORS


@functools.cache
def load_plugin(plugin: str) -> Extractor:
    """Return the extractor a ``module:attribute`` path names (a class is instantiated)."""
    module_name, _, attribute = plugin.partition(":")
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as error:
        raise ExtractorPluginError(plugin, f"cannot be imported: {error}") from error
    extractor = found() if isinstance(found, type) else found
    if not callable(getattr(extractor, "extract", None)) or not hasattr(extractor, "name"):
        raise ExtractorPluginError(plugin, "has no name and extract(document, options)")
    plugged: Extractor = extractor
    return plugged


def extract_document(
    path: Path,
    options: ExtractOptions | None = None,
    *,
    source: str | None = None,
    data: bytes | None = None,
) -> Extraction:
    """Return what the first applicable extractor reads from the file at ``path``.

    ``source`` names the document in the result (default: ``path`` as given). A document that
    cannot be read gives an extraction with ``error`` set and every field null. A missing OCR
    engine is a setup problem, not the document's: it raises ``OcrEngineUnavailableError``; so
    is an invalid folder of supplier templates (``options.templates_dir``): ``TemplateError``.
    ``data``, when given, is the file's bytes as already read (the batch reads a file once, when
    it claims it): the file is not read again. A file that holds several invoices gives one
    result for the whole file, its ``page_range`` confidence 0 and its doubt saying where the
    invoices are (``extract_invoices`` gives one result per invoice).
    """
    (extraction,) = _extract(path, options, source=source, data=data, split=False)
    return extraction


def extract_invoices(
    path: Path,
    options: ExtractOptions | None = None,
    *,
    source: str | None = None,
    data: bytes | None = None,
) -> list[Extraction]:
    """Return one extraction per invoice the file holds (``extract_document``'s arguments).

    A PDF of several pages may hold several invoices (a scanned stack, concatenated files):
    it is split at the pages where one ends and the next starts (``extractors.splitting``),
    each result with the same ``source`` and its ``page_range``. A document that cannot be
    read gives one result, with ``error`` set.
    """
    return _extract(path, options, source=source, data=data, split=True)


def _extract(
    path: Path,
    options: ExtractOptions | None,
    *,
    source: str | None,
    data: bytes | None,
    split: bool,
) -> list[Extraction]:
    options = options or ExtractOptions()
    source = str(path) if source is None else source
    sha256 = ""
    try:
        document = load_document(path, options, source=source, data=data)
        sha256 = document.sha256
        return _run_extractors(document, options, split=split)
    except DocumentError as error:
        logger.info("%s", error)
        return [
            Extraction(
                source=source,
                sha256=sha256,
                error=ExtractionFailure(code=error.code, message=error.reason),
            )
        ]


def load_document(
    path: Path, options: ExtractOptions, *, source: str | None = None, data: bytes | None = None
) -> SourceDocument:
    """Return the file's bytes (``data`` when already read), digest and kind; raise
    ``DocumentError`` when it is refused."""
    source = str(path) if source is None else source
    if data is not None:
        if len(data) > options.max_bytes:
            raise DocumentError(
                source, ErrorCode.TOO_LARGE, f"{len(data)} bytes, more than {options.max_bytes}"
            )
        return _source_document(path, source, data)
    try:
        size = path.stat().st_size
        if size > options.max_bytes:
            raise DocumentError(
                source, ErrorCode.TOO_LARGE, f"{size} bytes, more than {options.max_bytes}"
            )
        # At most one byte over the limit is read, should the file have grown since.
        with path.open("rb") as file:
            data = file.read(options.max_bytes + 1)
        if len(data) > options.max_bytes:
            raise DocumentError(source, ErrorCode.TOO_LARGE, f"more than {options.max_bytes} bytes")
    except OSError as error:
        raise DocumentError(
            source, ErrorCode.UNREADABLE, f"cannot read the file: {error}"
        ) from error
    return _source_document(path, source, data)


def _source_document(path: Path, source: str, data: bytes) -> SourceDocument:
    if not data:
        raise DocumentError(source, ErrorCode.EMPTY, "the file is empty")
    kind = sniff_kind(data)
    if kind is None:
        raise DocumentError(
            source, ErrorCode.UNSUPPORTED_FORMAT, "not a PDF, PNG, JPEG, TIFF or XML file"
        )
    return SourceDocument(
        path=path, source=source, data=data, sha256=hashlib.sha256(data).hexdigest(), kind=kind
    )


def sniff_kind(data: bytes) -> DocumentKind | None:
    """Return what ``data`` is from its first bytes, or None for a kind we do not read."""
    if b"%PDF-" in data[:SNIFF_WINDOW]:
        return DocumentKind.PDF
    if data.startswith(IMAGE_SIGNATURES):
        return DocumentKind.IMAGE
    if _looks_like_xml(data):
        return DocumentKind.XML
    return None


def _looks_like_xml(data: bytes) -> bool:
    """Return True when ``data`` opens like an XML document."""
    head = data[:SNIFF_WINDOW]
    for mark in BYTE_ORDER_MARKS:
        head = head.removeprefix(mark)
    if head[:2] in (b"<\x00", b"\x00<"):  # UTF-16: drop the zero byte of each ASCII character
        head = head.replace(b"\x00", b"")
    head = head.lstrip()
    # A declaration, a comment or doctype, or straight away an element.
    return head.startswith((b"<?xml", b"<!")) or (head[:1] == b"<" and head[1:2].isalpha())


def _run_extractors(
    document: SourceDocument, options: ExtractOptions, *, split: bool
) -> list[Extraction]:
    """Return the first applicable extractor's reading, one per invoice; without ``split``,
    one for the whole file, marked when it holds several invoices."""
    for extractor in extractor_chain(options):
        extraction = extractor.extract(document, options)
        if extraction is not None:
            invoices = split_extraction(document, extraction, extraction.page_words)
            if not split and len(invoices) > 1:
                invoices = [held_whole(extraction, invoices)]
            # The words were kept for the templates, the printed title and the printed
            # mentions only: they do not leave the cascade.
            read = [
                with_printed_type(apply_templates(document, invoice, options))
                for invoice in invoices
            ]
            return [with_printed_mentions(invoice).with_page_words(()) for invoice in read]
    raise DocumentError(
        document.source, ErrorCode.UNSUPPORTED_FORMAT, "no extractor could read this document"
    )
