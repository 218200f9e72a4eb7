"""Opening a PDF with PDFium: the lock, the closing, and what a failure to open means."""

from __future__ import annotations

import pytest
from PIL import Image
from reportlab.lib.pdfencrypt import StandardEncryption

from extractors.base import PDFIUM_LOCK
from extractors.pdfium import only_grey_images, open_pdf
from invoicebot.model import DocumentError, ErrorCode
from tests.unit.extractors.test_text_layer import INVOICE_LINES, make_pdf, scanned_pdf


def lock_is_free() -> bool:
    """Return True when no one holds PDFium's lock (taken and given back at once)."""
    if not PDFIUM_LOCK.acquire(blocking=False):
        return False
    PDFIUM_LOCK.release()
    return True


def test_the_document_opens_and_the_lock_is_given_back_either_way() -> None:
    pdf = make_pdf([INVOICE_LINES, INVOICE_LINES])

    with open_pdf(pdf, source="two.pdf") as document:
        assert len(document) == 2
    assert lock_is_free()

    with open_pdf(pdf, source="two.pdf", lock_throughout=False) as document:
        assert len(document) == 2
    assert lock_is_free()


@pytest.mark.parametrize(
    ("cut", "encrypt", "code"),
    [
        (False, StandardEncryption("user-secret", "owner-secret"), ErrorCode.ENCRYPTED),
        (True, None, ErrorCode.UNREADABLE),
    ],
)
def test_a_pdf_that_cannot_be_opened_is_a_document_error(
    cut: bool, encrypt: StandardEncryption | None, code: ErrorCode
) -> None:
    pdf = make_pdf([INVOICE_LINES], encrypt=encrypt)

    with (
        pytest.raises(DocumentError) as raised,
        open_pdf(pdf[: len(pdf) // 2] if cut else pdf, source="bad.pdf"),
    ):
        pass

    assert raised.value.code is code
    assert raised.value.source == "bad.pdf"
    assert lock_is_free()


def test_only_a_page_of_grey_pictures_draws_only_grey_images() -> None:
    grey = Image.new("L", (300, 400), 230)
    colour = Image.new("RGB", (300, 400), (230, 200, 180))
    pdf = scanned_pdf([grey, colour, INVOICE_LINES])
    blank = make_pdf([[]])

    with open_pdf(pdf, source="scan.pdf") as document:
        assert [only_grey_images(page) for page in document] == [True, False, False]
    with open_pdf(blank, source="blank.pdf") as document:
        assert not only_grey_images(document[0])
