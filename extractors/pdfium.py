"""Opening a PDF with PDFium: under its lock (PDFium is not thread-safe), closed after use,
and a failure to open told as the document error it means."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pypdfium2

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
