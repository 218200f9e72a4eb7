"""The PDF/A-3 checks on small hand-built PDFs (a font not embedded, a JavaScript action, a
Type0 font whose descendant is not embedded, encryption), and Ghostscript's conversion of a
sample text PDF, which makes it pass them once factur-x has embedded the XML."""

from __future__ import annotations

import io
from pathlib import Path

import facturx
import pytest
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from invoicebot.books.cii import build_cii
from invoicebot.books.pdfa import (
    GhostscriptMissingError,
    PdfaCheck,
    PdfaConversionError,
    check_pdfa3,
    convert_to_pdfa3,
    find_ghostscript,
)
from tests.conftest import SAMPLES
from tests.unit.books.test_einvoices import approved


def one_page_pdf(font: DictionaryObject | None = None, **catalog: DictionaryObject) -> bytes:
    """Return a blank one-page PDF, its page using ``font`` as /F1, with ``catalog`` entries."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    if font is not None:
        resources = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
        )
        page[NameObject("/Resources")] = resources
    for key, value in catalog.items():
        writer._root_object[NameObject(f"/{key}")] = writer._add_object(value)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def helvetica() -> DictionaryObject:
    """Return a standard Type1 font, which a PDF may use without embedding its program."""
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )


def failed(data: bytes, *, facturx: bool = False) -> set[PdfaCheck]:
    return {problem.check for problem in check_pdfa3(data, facturx=facturx).problems}


def test_a_plain_pdf_with_a_font_not_embedded_fails_each_check_it_lacks() -> None:
    report = check_pdfa3(one_page_pdf(helvetica()))
    assert not report.passed
    assert report.failed_checks() == [
        "facturx-attachment",
        "fonts-embedded",
        "output-intent",
        "xmp-pdfa-id",
    ]
    assert any("Helvetica is not embedded" in problem.detail for problem in report.problems)


def test_a_type0_font_is_judged_by_its_descendant_font() -> None:
    descendant = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/CIDFontType2"),
            NameObject("/BaseFont"): NameObject("/Arial"),
            NameObject("/FontDescriptor"): DictionaryObject(
                {NameObject("/Type"): NameObject("/FontDescriptor")}
            ),
        }
    )
    type0 = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type0"),
            NameObject("/BaseFont"): NameObject("/Arial"),
            NameObject("/DescendantFonts"): ArrayObject([descendant]),
        }
    )
    report = check_pdfa3(one_page_pdf(type0), facturx=False)
    fonts = [p.detail for p in report.problems if p.check is PdfaCheck.FONTS_EMBEDDED]
    assert fonts == ["/CIDFontType2 font /Arial is not embedded"]


def test_a_javascript_open_action_is_refused() -> None:
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert(1)"),
        }
    )
    assert PdfaCheck.NO_FORBIDDEN_ACTIONS in failed(one_page_pdf(OpenAction=action))


def test_an_encrypted_pdf_is_refused() -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("", "owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert failed(buffer.getvalue()) == {PdfaCheck.NOT_ENCRYPTED}


def test_an_xml_merely_attached_is_not_associated_with_the_document() -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_attachment("factur-x.xml", b"<rsm:CrossIndustryInvoice/>")
    buffer = io.BytesIO()
    writer.write(buffer)
    details = [
        problem.detail
        for problem in check_pdfa3(buffer.getvalue()).problems
        if problem.check is PdfaCheck.FACTURX_ATTACHMENT
    ]
    assert details == [
        "factur-x.xml has no /AFRelationship",
        "factur-x.xml is not in the catalog's /AF",
    ]


def test_what_is_not_a_pdf_is_reported_unreadable() -> None:
    assert failed(b"not a PDF") == {PdfaCheck.READABLE}


def test_a_text_pdf_converted_then_given_its_xml_passes_every_check() -> None:
    original = (SAMPLES / "fr-classic-0001.pdf").read_bytes()
    assert PdfaCheck.FONTS_EMBEDDED in failed(original)
    converted = convert_to_pdfa3(original)
    # Ghostscript alone: fonts embedded, the sRGB OutputIntent, a PDF/A-3b XMP.
    assert check_pdfa3(converted, facturx=False).passed
    xml = build_cii(approved(), buyer_country="FR")
    result = facturx.generate_from_binary(converted, xml, flavor="factur-x", level="en16931")
    report = check_pdfa3(result)
    assert report.passed, report.problems


def test_a_damaged_pdf_is_a_typed_conversion_error() -> None:
    # Ghostscript exits 0 on it, with a blank page: the missing pages are caught.
    with pytest.raises(PdfaConversionError, match="page"):
        convert_to_pdfa3(b"%PDF-1.4 this is no PDF")


def test_without_ghostscript_nothing_is_converted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GhostscriptMissingError, match="apt-get install ghostscript"):
        find_ghostscript()
    with pytest.raises(GhostscriptMissingError):
        convert_to_pdfa3(b"%PDF-1.4")
