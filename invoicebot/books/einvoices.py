"""Approved invoices leave as e-invoices: CII XML files, or Factur-X PDF/A-3 files.

Each invoice's CII (``invoicebot.books.cii``) is checked with the official rules
(``validation.official``: the Factur-X EN16931 XSD and schematron, and the French CTC rules
where a party is French) before anything is written. A file is written only when no EN 16931
rule fails fatally; the French CTC rules (``BR-FR-*``, the reform's platform rules: parties'
electronic addresses, the legal mentions as notes, the business process) ask for what a paper
invoice rarely prints and the store does not hold, so their failures are reported with the
file, as information, not as a refusal.

A Factur-X file is the archived PDF rewritten as PDF/A-3b by Ghostscript
(``invoicebot.books.pdfa``), then given the XML by factur-x; it is written only when it also
passes our structural PDF/A-3 checks (fonts embedded, OutputIntent, XMP identification, the
XML associated with the document); a file failing them is listed with the checks it fails.

Writing is safe to re-run: one file name per invoice (its id and number), written to a
temporary file beside it and renamed over it; the XML of the same invoice is the same bytes,
and a Factur-X PDF whose embedded XML is already the one to write is left as it is (the
factur-x library dates the PDF's metadata with the time of writing).

No Prefect, no store: the CLI gives the invoices and the folder.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

import facturx
from PIL import Image
from pydantic import BaseModel, Field
from pypdf import PdfReader, PdfWriter

from extractors.einvoice import find_embedded_xml
from invoicebot.books.cii import (
    ExportInvoice,
    ExportSource,
    MissingTermsError,
    build_cii,
    term_order,
)
from invoicebot.books.pdfa import (
    GhostscriptMissingError,
    PdfaConversionError,
    check_pdfa3,
    convert_to_pdfa3,
    find_ghostscript,
)
from invoicebot.model import InvoiceError
from validation.official import CII_FR_CTC, Flag, NotAnEInvoiceError, Report, validate_document

FRENCH_CTC_ARTEFACT = Path(CII_FR_CTC).name
FACTURX_LEVEL = "en16931"
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"})
# A photo or an image scan becomes a PDF page at this resolution (dots per inch).
IMAGE_DPI = 200.0
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class EInvoiceFormat(StrEnum):
    """What is written per invoice: the CII XML alone, or the archived PDF carrying it."""

    CII = "cii"
    FACTURX = "facturx"


class WrittenFile(BaseModel):
    """An e-invoice file written (or already there with the same content)."""

    invoice_id: int
    invoice_number: str | None
    path: str
    unchanged: bool = False
    # Fatal failures of the French CTC rules (BR-FR-*), reported as information.
    french_ctc_rules: list[str] = Field(default_factory=list)


class NotExported(BaseModel):
    """An approved invoice no valid e-invoice could be written for, and why."""

    invoice_id: int
    invoice_number: str | None
    missing_terms: list[str] = Field(default_factory=list)
    failed_rules: list[str] = Field(default_factory=list)
    # The PDF/A-3 checks (``invoicebot.books.pdfa.PdfaCheck``) a Factur-X file failed.
    failed_pdfa_checks: list[str] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)


class EInvoiceExport(BaseModel):
    """What one export wrote and what it left out."""

    format: EInvoiceFormat
    out: str
    written: list[WrittenFile] = Field(default_factory=list)
    not_exported: list[NotExported] = Field(default_factory=list)


class SourceFileError(InvoiceError):
    """The archived file of an invoice cannot carry its Factur-X XML; carries the reason."""

    def __init__(self, path: str | None, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def export_einvoices(
    sources: Sequence[ExportSource],
    out: Path,
    kind: EInvoiceFormat,
    *,
    buyer_country: str | None = None,
) -> EInvoiceExport:
    """Write one e-invoice file per invoice into the folder ``out`` (made when missing);
    return what was written and the invoices left out with their missing BT ids or the
    official rules their XML fails. Raises ``GhostscriptMissingError`` for Factur-X without
    Ghostscript, before writing anything: never a file that is not PDF/A."""
    if kind is EInvoiceFormat.FACTURX:
        find_ghostscript()
    out.mkdir(parents=True, exist_ok=True)
    export = EInvoiceExport(format=kind, out=str(out))
    for source in sources:
        result = export_one(source, out, kind, buyer_country=buyer_country)
        if isinstance(result, WrittenFile):
            export.written.append(result)
        else:
            export.not_exported.append(result)
    return export


def export_one(
    source: ExportSource, out: Path, kind: EInvoiceFormat, *, buyer_country: str | None = None
) -> WrittenFile | NotExported:
    """Write the e-invoice of one invoice into ``out``; return the file, or why there is none."""
    invoice = source.invoice
    try:
        xml = build_cii(invoice, buyer_country=buyer_country)
    except MissingTermsError as error:
        return NotExported(
            invoice_id=invoice.invoice_id,
            invoice_number=invoice.invoice_number,
            missing_terms=sorted({term.term for term in error.missing}, key=term_order),
            reasons=[term.reason for term in error.missing],
        )
    path = out / file_name(invoice, kind)
    try:
        data = xml if kind is EInvoiceFormat.CII else facturx_pdf(source, xml)
        report = validate_document(data, file=str(path))
    except (SourceFileError, NotAnEInvoiceError) as error:
        return NotExported(
            invoice_id=invoice.invoice_id,
            invoice_number=invoice.invoice_number,
            reasons=[error.reason],
        )
    if kind is EInvoiceFormat.FACTURX:
        pdfa = check_pdfa3(data)
        if not pdfa.passed:
            return NotExported(
                invoice_id=invoice.invoice_id,
                invoice_number=invoice.invoice_number,
                failed_pdfa_checks=pdfa.failed_checks(),
                reasons=[
                    "fails the PDF/A-3 checks: "
                    + "; ".join(problem.detail for problem in pdfa.problems)
                ],
            )
    blocking, french = split_failures(report)
    if blocking:
        return NotExported(
            invoice_id=invoice.invoice_id,
            invoice_number=invoice.invoice_number,
            failed_rules=blocking,
            reasons=[f"fails the official EN 16931 rules: {', '.join(blocking)}"],
        )
    unchanged = _same_content(path, data, xml, kind)
    if not unchanged:
        write_atomically(path, data)
    return WrittenFile(
        invoice_id=invoice.invoice_id,
        invoice_number=invoice.invoice_number,
        path=str(path),
        unchanged=unchanged,
        french_ctc_rules=french,
    )


def split_failures(report: Report) -> tuple[list[str], list[str]]:
    """Return the rule ids of the fatal failures that refuse the file (XSD, EN 16931 and
    Factur-X rules) and of those of the French CTC rules, each sorted and once."""
    blocking = {f.rule_id for f in report.failures if f.flag is Flag.FATAL}
    french = {
        f.rule_id
        for f in report.failures
        if f.flag is Flag.FATAL and f.artefact == FRENCH_CTC_ARTEFACT
    }
    return sorted(blocking - french), sorted(french)


def file_name(invoice: ExportInvoice, kind: EInvoiceFormat) -> str:
    """Return the file name of an invoice's e-invoice: its store id, then its number made
    safe for any file system (``000042_F2026-0141.xml``)."""
    number = _UNSAFE.sub("_", invoice.invoice_number or "").strip("._")[:80] or "no-number"
    suffix = ".xml" if kind is EInvoiceFormat.CII else ".pdf"
    return f"{invoice.invoice_id:06d}_{number}{suffix}"


def facturx_pdf(source: ExportSource, xml: bytes) -> bytes:
    """Return the archived file of ``source`` (``source_pdf``) rewritten as PDF/A-3b, as a
    Factur-X carrying ``xml``. Raises ``SourceFileError`` when the file is gone, unreadable or
    cannot be made PDF/A, ``GhostscriptMissingError`` without Ghostscript."""
    pdf = source_pdf(source)
    invoice = source.invoice
    metadata = {
        "author": invoice.seller_name or "",
        "keywords": "Factur-X, Invoice",
        "title": f"{invoice.seller_name}: Invoice {invoice.invoice_number}",
        "subject": f"Factur-X invoice {invoice.invoice_number} dated "
        f"{invoice.invoice_date} issued by {invoice.seller_name}",
    }
    try:
        result: bytes = facturx.generate_from_binary(
            convert_to_pdfa3(pdf),
            xml,
            flavor="factur-x",
            level=FACTURX_LEVEL,
            check_xsd=False,  # the official validation of the result does it
            pdf_metadata=metadata,
        )
    except PdfaConversionError as error:
        raise SourceFileError(source.archived_path, error.reason) from error
    except GhostscriptMissingError:
        raise
    except Exception as error:  # the many kinds pypdf raises
        raise SourceFileError(
            source.archived_path, f"cannot make a PDF of it: {error!r}"
        ) from error
    return result


def source_pdf(source: ExportSource) -> bytes:
    """Return the archived file of ``source`` as a PDF, before any conversion: its own pages
    (those of the invoice when the file holds several), a photo or image scan made a
    one-page PDF. Raises ``SourceFileError`` when the file is gone or unreadable."""
    path = Path(source.archived_path) if source.archived_path else None
    if path is None or not path.is_file():
        raise SourceFileError(
            source.archived_path, "the archived file is missing (purged or erased?)"
        )
    try:
        if path.suffix.lower() in IMAGE_SUFFIXES:
            return _image_pdf(path)
        return _pages(path.read_bytes(), source.first_page, source.last_page)
    except Exception as error:  # OSError, and the many kinds pypdf and Pillow raise
        raise SourceFileError(str(path), f"cannot make a PDF of it: {error!r}") from error


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, renamed over
    it: a reader sees the old file or the new one, never half of one."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _same_content(path: Path, data: bytes, xml: bytes, kind: EInvoiceFormat) -> bool:
    """Return True when ``path`` already holds this content: the same bytes for a CII file,
    the same embedded XML for a Factur-X PDF that passes the PDF/A-3 checks (one written
    before the PDF/A conversion existed is replaced)."""
    try:
        existing = path.read_bytes()
    except OSError:
        return False
    if kind is EInvoiceFormat.CII:
        return existing == data
    try:
        embedded = find_embedded_xml(existing, source=str(path))
    except Exception:  # a damaged file there is simply replaced
        return False
    return embedded is not None and embedded[1] == xml and check_pdfa3(existing).passed


def _image_pdf(path: Path) -> bytes:
    """Return a one-page PDF of an image file (RGB, at ``IMAGE_DPI``)."""
    with Image.open(path) as image:
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="PDF", resolution=IMAGE_DPI)
    return buffer.getvalue()


def _pages(pdf: bytes, first: int | None, last: int | None) -> bytes:
    """Return the PDF itself, or a PDF of its pages first..last (1-based, inclusive)."""
    if first is None or last is None:
        return pdf
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter()
    for number in range(first, last + 1):
        writer.add_page(reader.pages[number - 1])
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
