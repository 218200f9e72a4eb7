"""The cascade: the registry, loading and sniffing files, and errors as results."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from extractors import EXTRACTORS, extract_document, load_document, sniff_kind
from extractors.base import DocumentKind, ExtractOptions
from invoicebot.model import FIELD_NAMES, DocumentError, ErrorCode, Extraction, Method
from tests.unit.extractors.test_einvoice import UBL_INVOICE, cii_invoice
from tests.unit.extractors.test_text_layer import (
    INVOICE_LINES,
    make_pdf,
    render_page,
    scanned_pdf,
)

FAST_OCR = ExtractOptions(ocr_languages="eng", ocr_dpi=150)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def assert_failed(extraction: Extraction, code: ErrorCode) -> None:
    assert extraction.error is not None
    assert extraction.error.code is code
    assert extraction.error.message
    assert extraction.method is None
    assert all(value is None for _, value in extraction.fields)
    contract = extraction.to_contract()
    assert set(contract["fields"]) == set(FIELD_NAMES)
    assert contract["error"]["code"] == code.value


def test_the_registry_tries_structured_data_first() -> None:
    assert [extractor.name for extractor in EXTRACTORS] == ["einvoice", "text", "ocr"]


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3", DocumentKind.PDF),
        (b"\r\n\r\n%PDF-1.4\n", DocumentKind.PDF),
        (b"\x89PNG\r\n\x1a\n\x00\x00", DocumentKind.IMAGE),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", DocumentKind.IMAGE),
        (b"II*\x00\x08\x00", DocumentKind.IMAGE),
        (b"MM\x00*\x00\x00", DocumentKind.IMAGE),
        (b'<?xml version="1.0"?><Invoice/>', DocumentKind.XML),
        (b"\xef\xbb\xbf  <Invoice xmlns='x'/>", DocumentKind.XML),
        (b"<!-- exported --><rsm:CrossIndustryInvoice/>", DocumentKind.XML),
        (b"Invoice 42, total 12.00 EUR", None),
        (b"GIF89a\x01\x00", None),
        (b"PK\x03\x04", None),
    ],
)
def test_kind_is_sniffed_from_the_first_bytes(head: bytes, kind: DocumentKind | None) -> None:
    assert sniff_kind(head) == kind


def test_a_document_is_loaded_with_its_digest(tmp_path: Path) -> None:
    pdf = make_pdf([INVOICE_LINES])
    path = write(tmp_path, "invoice.bin", pdf)

    document = load_document(path, ExtractOptions())

    assert (document.kind, document.source, document.data) == (DocumentKind.PDF, str(path), pdf)
    assert document.sha256 == hashlib.sha256(pdf).hexdigest()


@pytest.mark.parametrize(
    ("name", "data", "options", "code"),
    [
        ("empty.pdf", b"", ExtractOptions(), ErrorCode.EMPTY),
        (
            "notes.pdf",
            b"Invoice 42, total 12.00 EUR\n",
            ExtractOptions(),
            ErrorCode.UNSUPPORTED_FORMAT,
        ),
        (
            "big.pdf",
            b"%PDF-1.7\n" + b"0" * 2000,
            ExtractOptions(max_bytes=1000),
            ErrorCode.TOO_LARGE,
        ),
    ],
)
def test_refused_files_raise_a_document_error(
    tmp_path: Path, name: str, data: bytes, options: ExtractOptions, code: ErrorCode
) -> None:
    with pytest.raises(DocumentError) as raised:
        load_document(write(tmp_path, name, data), options)

    assert raised.value.code is code


def test_a_truncated_pdf_gives_an_unreadable_result(tmp_path: Path) -> None:
    pdf = make_pdf([INVOICE_LINES])
    path = write(tmp_path, "cut.pdf", pdf[: len(pdf) * 2 // 3])

    extraction = extract_document(path)

    assert_failed(extraction, ErrorCode.UNREADABLE)
    assert extraction.source == str(path)
    assert extraction.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_renamed_text_file_gives_an_unsupported_result(tmp_path: Path) -> None:
    path = write(tmp_path, "invoice.pdf", b"Invoice 42, total 12.00 EUR\n")

    assert_failed(extract_document(path, source="inbox/invoice.pdf"), ErrorCode.UNSUPPORTED_FORMAT)


def test_a_missing_file_gives_an_unreadable_result(tmp_path: Path) -> None:
    extraction = extract_document(tmp_path / "gone.pdf", source="inbox/gone.pdf")

    assert_failed(extraction, ErrorCode.UNREADABLE)
    assert (extraction.source, extraction.sha256) == ("inbox/gone.pdf", "")


def test_an_empty_file_gives_an_empty_result(tmp_path: Path) -> None:
    assert_failed(extract_document(write(tmp_path, "empty.pdf", b"")), ErrorCode.EMPTY)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (cii_invoice().encode()[:-30], ErrorCode.UNREADABLE),
        (b"<html><body>Invoice</body></html>", ErrorCode.UNSUPPORTED_FORMAT),
    ],
)
def test_xml_that_is_no_einvoice_gives_an_error_result(
    tmp_path: Path, data: bytes, code: ErrorCode
) -> None:
    assert_failed(extract_document(write(tmp_path, "invoice.xml", data)), code)


@pytest.mark.parametrize("xml", [cii_invoice(), UBL_INVOICE])
def test_an_xml_file_is_read_as_an_einvoice(tmp_path: Path, xml: str) -> None:
    extraction = extract_document(write(tmp_path, "invoice.xml", xml.encode()))

    assert extraction.error is None
    assert (extraction.method, extraction.pages) == (Method.EINVOICE, 0)
    assert extraction.fields.invoice_number is not None


def test_a_text_pdf_is_read_from_its_text_layer(tmp_path: Path) -> None:
    path = write(tmp_path, "invoice.pdf", make_pdf([INVOICE_LINES]))

    extraction = extract_document(path, source="inbox/invoice.pdf")

    assert extraction.error is None
    assert (extraction.method, extraction.pages, extraction.source) == (
        Method.TEXT,
        1,
        "inbox/invoice.pdf",
    )


def test_a_scanned_pdf_is_read_by_ocr(tmp_path: Path) -> None:
    scan = scanned_pdf([render_page(make_pdf([INVOICE_LINES], font_size=20), dpi=150)])

    extraction = extract_document(write(tmp_path, "scan.pdf", scan), FAST_OCR)

    assert extraction.error is None
    assert (extraction.method, extraction.pages) == (Method.OCR, 1)


def test_running_out_of_time_gives_a_timeout_result(tmp_path: Path) -> None:
    scan = scanned_pdf([render_page(make_pdf([INVOICE_LINES]), dpi=150)])
    # Too short for tesseract's reading: a limit passing only in the second engine's reading
    # keeps tesseract's (tests/unit/extractors/test_ocr_engines.py).
    options = ExtractOptions(timeout_s=0.01)

    assert_failed(extract_document(write(tmp_path, "scan.pdf", scan), options), ErrorCode.TIMEOUT)
