"""The page view: an archived document's pages as PNG, outlined where its values were read.

The review form embeds a page (``invoicebot.docserver`` serves it), and
``invoicebot review show ID --page-image FILE`` writes the same image. A document is found
by its id in the store, never by a path from a request; its file must lie in the archive.
Pages render with PDFium (or are the image file's frames); a page read by OCR is turned
upright as OCR saw it, so its boxes sit on the words. Rendered pages are cached on disk by
the file's digest, the page, the width and a digest of the outline.

Links to the page view are signed (HMAC-SHA256 of the path, the invoice and an expiry)
with a key of the served stack: an ``<img>`` in the Prefect UI cannot send credentials.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from urllib.parse import urlencode

import pypdfium2
from PIL import Image, ImageDraw
from sqlmodel import Session, select

from extractors import sniff_kind
from extractors.base import PDFIUM_LOCK, DocumentKind
from extractors.ocr import upright_page
from invoicebot.model import Box, InvoiceError
from invoicebot.settings import Settings
from invoicebot.store.review_audit import StoredCase
from invoicebot.store.tables import Document, Invoice

# Change it when the drawing changes: cached pages of the old drawing are not served.
OUTLINE_VERSION: Final = 1
FAILED_COLOUR: Final = (220, 20, 60)  # crimson: the fields of the failed rules
READ_COLOUR: Final = (0, 140, 70)  # green: the other fields read
LINE_COLOUR: Final = (60, 110, 220)  # blue: the rows of the line items
FAILED_WIDTH: Final = 4
READ_WIDTH: Final = 2
# Pixels between a box and the words it surrounds, so the outline does not hide them.
MARGIN_PX: Final = 4
# A PDF page renders at no more than this many pixels (a poster-sized page).
MAX_PIXELS: Final = 12_000_000
MEDIA_TYPES: Final = {
    DocumentKind.PDF: "application/pdf",
    DocumentKind.XML: "application/xml",
}
IMAGE_MEDIA_TYPES: Final = {"PNG": "image/png", "JPEG": "image/jpeg", "TIFF": "image/tiff"}


class PageViewError(InvoiceError):
    """A page or file the page view cannot give."""


class DocumentNotFoundError(PageViewError):
    """No document with this id, or its file is no longer in the archive (purged, erased)."""

    def __init__(self, document_id: int, reason: str) -> None:
        super().__init__(f"document {document_id}: {reason}")
        self.document_id = document_id
        self.reason = reason


class PageNotFoundError(PageViewError):
    """The document has no such page (or no pages at all: an XML e-invoice)."""

    def __init__(self, document_id: int, page: int, pages: int) -> None:
        super().__init__(f"document {document_id} has {pages} page(s), not a page {page}")
        self.document_id = document_id
        self.page = page
        self.pages = pages


@dataclass(frozen=True)
class ArchivedDocument:
    """A document of the store whose file is in the archive."""

    document_id: int
    sha256: str
    file_name: str
    path: Path
    kind: DocumentKind
    # True when its invoices were read by OCR: the page is shown turned upright as OCR saw it.
    read_by_ocr: bool

    @property
    def media_type(self) -> str:
        """Return the file's media type."""
        if self.kind is DocumentKind.IMAGE:
            with Image.open(self.path) as image:
                return IMAGE_MEDIA_TYPES.get(image.format or "", "application/octet-stream")
        return MEDIA_TYPES[self.kind]

    def page_count(self) -> int:
        """Return how many pages the file has (0 for an XML e-invoice)."""
        if self.kind is DocumentKind.PDF:
            with PDFIUM_LOCK:
                pdf = pypdfium2.PdfDocument(self.path)
                try:
                    return len(pdf)
                finally:
                    pdf.close()
        if self.kind is DocumentKind.IMAGE:
            with Image.open(self.path) as image:
                return int(getattr(image, "n_frames", 1))
        return 0


@dataclass(frozen=True)
class Outline:
    """The boxes to draw on a document's pages: the failed rules' fields in one colour, the
    other fields read in another, the line items' rows in a third."""

    failed: dict[str, Box] = field(default_factory=dict)
    read: dict[str, Box] = field(default_factory=dict)
    lines: tuple[Box, ...] = ()

    def digest(self) -> str:
        """Return a short digest of what is drawn (a part of the cache key)."""
        text = repr((OUTLINE_VERSION, sorted(self.failed.items()), sorted(self.read.items())))
        text += repr(self.lines)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def on_page(self, page: int) -> Outline:
        """Return the boxes of ``page`` only."""
        return Outline(
            failed={name: box for name, box in self.failed.items() if box.page == page},
            read={name: box for name, box in self.read.items() if box.page == page},
            lines=tuple(box for box in self.lines if box.page == page),
        )

    @property
    def pages(self) -> list[int]:
        """Return the pages a box is on, in order."""
        boxes = [*self.failed.values(), *self.read.values(), *self.lines]
        return sorted({box.page for box in boxes})


def outline_of(case: StoredCase, failed_fields: set[str]) -> Outline:
    """Return the outline of an invoice: ``failed_fields`` (those its failed rules concern)
    apart from the others read; none when the invoice keeps no boxes."""
    if case.boxes is None:
        return Outline()
    boxes = case.boxes.fields
    return Outline(
        failed={name: box for name, box in boxes.items() if name in failed_fields},
        read={name: box for name, box in boxes.items() if name not in failed_fields},
        lines=tuple(box for box in case.boxes.lines if box is not None),
    )


def find_document(session: Session, settings: Settings, document_id: int) -> ArchivedDocument:
    """Return the archived document with this id; raise ``DocumentNotFoundError`` when the
    store has none, or its file is gone or lies outside the archive."""
    document = session.get(Document, document_id)
    if document is None:
        raise DocumentNotFoundError(document_id, "no such document (unknown, or purged)")
    if not document.archived_path:
        raise DocumentNotFoundError(document_id, "its file was not archived")
    path = Path(document.archived_path).resolve()
    if not path.is_relative_to(settings.archive_dir.resolve()):
        raise DocumentNotFoundError(document_id, "its file is not in the archive")
    try:
        with path.open("rb") as handle:
            head = handle.read(1024)
    except OSError:
        raise DocumentNotFoundError(document_id, "its file is no longer in the archive") from None
    kind = sniff_kind(head)
    if kind is None:
        raise DocumentNotFoundError(document_id, "its file is not a document the view shows")
    methods = session.exec(select(Invoice.method).where(Invoice.document_id == document_id)).all()
    return ArchivedDocument(
        document_id=document_id,
        sha256=document.sha256,
        file_name=document.file_name,
        path=path,
        kind=kind,
        read_by_ocr="ocr" in methods,
    )


def render_page(document: ArchivedDocument, page: int, width: int) -> Image.Image:
    """Return page ``page`` (1-based) of the document in RGB, ``width`` pixels wide; raise
    ``PageNotFoundError`` for a page it does not have."""
    pages = document.page_count()
    if not 1 <= page <= pages:
        raise PageNotFoundError(document.document_id, page, pages)
    if document.kind is DocumentKind.PDF:
        image = _render_pdf_page(document.path, page, width)
    else:
        with Image.open(document.path) as frames:
            frames.seek(page - 1)
            image = frames.convert("RGB")
        if image.width != width:
            height = max(1, round(image.height * width / image.width))
            image = image.resize((width, height), Image.Resampling.LANCZOS)
    if document.read_by_ocr:
        # Flattened and deskewed as OCR read it: the boxes were measured on that image.
        image = upright_page(image.convert("L")).convert("RGB")
    return image


def _render_pdf_page(path: Path, page: int, width: int) -> Image.Image:
    with PDFIUM_LOCK:
        pdf = pypdfium2.PdfDocument(path)
        try:
            handle = pdf[page - 1]
            try:
                page_width, page_height = handle.get_size()
                scale = width / max(page_width, 1.0)
                scale = min(scale, (MAX_PIXELS / max(page_width * page_height, 1.0)) ** 0.5)
                bitmap = handle.render(scale=scale)
                image: Image.Image = bitmap.to_pil().convert("RGB")
                bitmap.close()
            finally:
                handle.close()
        finally:
            pdf.close()
    return image


def draw_outline(image: Image.Image, outline: Outline) -> Image.Image:
    """Return ``image`` with the outline's boxes (of its page) drawn over it."""
    drawn = image.copy()
    pen = ImageDraw.Draw(drawn)
    for box in outline.lines:
        pen.rectangle(_pixels(box, drawn), outline=LINE_COLOUR, width=1)
    for box in outline.read.values():
        pen.rectangle(_pixels(box, drawn), outline=READ_COLOUR, width=READ_WIDTH)
    for box in outline.failed.values():
        pen.rectangle(_pixels(box, drawn), outline=FAILED_COLOUR, width=FAILED_WIDTH)
    return drawn


def _pixels(box: Box, image: Image.Image) -> tuple[int, int, int, int]:
    left = max(0, round(box.x0 * image.width) - MARGIN_PX)
    top = max(0, round(box.top * image.height) - MARGIN_PX)
    right = min(image.width - 1, round(box.x1 * image.width) + MARGIN_PX)
    bottom = min(image.height - 1, round(box.bottom * image.height) + MARGIN_PX)
    return left, top, max(left, right), max(top, bottom)


def page_png(settings: Settings, document: ArchivedDocument, page: int, outline: Outline) -> Path:
    """Return the cached PNG of a page with ``outline`` drawn (rendered on a miss)."""
    width = settings.page_view_width
    on_page = outline.on_page(page)
    upright = "u" if document.read_by_ocr else "p"
    name = f"{document.sha256}-p{page}-w{width}-{upright}-{on_page.digest()}.png"
    cached = settings.page_cache_dir / name
    if cached.is_file():
        return cached
    image = draw_outline(render_page(document, page, width), on_page)
    write_png(image, cached)
    return cached


def write_png(image: Image.Image, target: Path) -> None:
    """Write ``image`` as a PNG to ``target`` atomically (a reader never sees half a file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".png")
    try:
        with os.fdopen(handle, "wb") as stream:
            image.save(stream, format="PNG", compress_level=3)
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def clear_page_cache(settings: Settings, sha256s: list[str]) -> int:
    """Delete the cached pages of these files (a purge, an erasure); return how many."""
    deleted = 0
    for sha256 in sha256s:
        for cached in settings.page_cache_dir.glob(f"{sha256}-p*.png"):
            cached.unlink(missing_ok=True)
            deleted += 1
    return deleted


# --------------------------------------------------------------------------------------
# Signed links
# --------------------------------------------------------------------------------------


def page_path(document_id: int, page: int) -> str:
    """Return the page view's path of a page."""
    return f"/documents/{document_id}/pages/{page}"


def file_path(document_id: int) -> str:
    """Return the page view's path of a document's original file."""
    return f"/documents/{document_id}/file"


def signature(key: bytes, path: str, invoice_id: int | None, expires: int) -> str:
    """Return the signature of a link to ``path`` (for ``invoice_id``) valid until
    ``expires`` (a Unix time)."""
    message = f"{path}\n{invoice_id if invoice_id is not None else ''}\n{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def signature_valid(
    key: bytes, path: str, invoice_id: int | None, expires: int, given: str, now: float
) -> bool:
    """Return True when ``given`` signs this link and it has not expired."""
    expected = signature(key, path, invoice_id, expires)
    return expires > now and hmac.compare_digest(expected, given)


@dataclass(frozen=True)
class LinkSigner:
    """Makes signed links to the page view at ``base_url``."""

    key: bytes
    base_url: str
    valid_s: float

    @classmethod
    def from_settings(cls, settings: Settings) -> LinkSigner | None:
        """Return the signer of the served stack, None when it has no key (not served)."""
        key = settings.page_view_key()
        if key is None:
            return None
        return cls(key, settings.page_view_base_url, settings.page_view_link_days * 86_400)

    def link(self, path: str, invoice_id: int | None = None, now: float | None = None) -> str:
        """Return the signed address of ``path``, for ``invoice_id``'s outline."""
        expires = int((time.time() if now is None else now) + self.valid_s)
        query: dict[str, str | int] = {} if invoice_id is None else {"invoice": invoice_id}
        query |= {"expires": expires, "signature": signature(self.key, path, invoice_id, expires)}
        return f"{self.base_url}{path}?{urlencode(query)}"
