"""Opening a PDF with PDFium: under its lock (PDFium is not thread-safe), closed after use,
and a failure to open told as the document error it means; and whether a page draws nothing
but grey images (``only_grey_images``)."""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager

import pypdfium2
import pypdfium2.raw as pdfium_c

from extractors.base import PDFIUM_LOCK
from invoicebot.model import DocumentError, ErrorCode


@contextmanager
def open_pdf(
    pdf: bytes, *, source: str, lock_throughout: bool = True
) -> Iterator[pypdfium2.PdfDocument]:
    """Yield ``pdf`` opened by PDFium, and close it after.

    PDFium's lock is held while the document is in use; with ``lock_throughout`` False only
    while it is opened and closed, for a caller that takes the lock around each use itself
    (a generator that renders page by page, letting other threads use PDFium in between).

    Raises ``DocumentError``: ``encrypted`` when a password is needed, ``unreadable`` when the
    PDF cannot be parsed.
    """
    with PDFIUM_LOCK:
        try:
            document = pypdfium2.PdfDocument(pdf)
        except pypdfium2.PdfiumError as error:
            raise _open_error(source, error) from error
        if lock_throughout:
            try:
                yield document
            finally:
                document.close()
            return
    try:
        yield document
    finally:
        with PDFIUM_LOCK:
            document.close()


def _open_error(source: str, error: pypdfium2.PdfiumError) -> DocumentError:
    """Return the document error a PDFium failure to open means: encrypted, or unreadable."""
    if "password" in str(error).lower():
        return DocumentError(source, ErrorCode.ENCRYPTED, f"the PDF needs a password ({error})")
    return DocumentError(source, ErrorCode.UNREADABLE, f"cannot parse the PDF: {error}")


def only_grey_images(page: pypdfium2.PdfPage) -> bool:
    """Return True when all ``page`` draws is opaque 8-bit DeviceGray images (a grey scan),
    with no annotation, nothing transparent, no Form XObject: then PDFium's grayscale mode
    changes none of its pixels in a grey bitmap.

    In grayscale mode (``FPDF_GRAYSCALE``) PDFium copies each image and maps its colours
    to greys before drawing it (``ConvertColorScale``); a grey image's greys map to
    themselves, so the mode only costs the copy and a palette lookup per pixel (35 ms of
    the 52 a 200-dpi A4 scan takes to render). A colour image, a path or a text drawn in
    that mode may come out different in a grey bitmap, so any other page keeps the mode.
    """
    if pdfium_c.FPDFPage_HasTransparency(page) or pdfium_c.FPDFPage_GetAnnotCount(page):
        return False
    count = pdfium_c.FPDFPage_CountObjects(page)
    if count <= 0:
        return False
    metadata = pdfium_c.FPDF_IMAGEOBJ_METADATA()
    for index in range(count):
        image = pdfium_c.FPDFPage_GetObject(page, index)
        if (
            not image
            or pdfium_c.FPDFPageObj_GetType(image) != pdfium_c.FPDF_PAGEOBJ_IMAGE
            or pdfium_c.FPDFPageObj_HasTransparency(image)
            or not pdfium_c.FPDFImageObj_GetImageMetadata(image, page, ctypes.byref(metadata))
            or metadata.colorspace != pdfium_c.FPDF_COLORSPACE_DEVICEGRAY
            or metadata.bits_per_pixel != 8
        ):
            return False
    return True
