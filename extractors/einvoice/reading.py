"""Reading an e-invoice: the extractor, the XML embedded in a PDF, and the reading of an XML
in whichever syntax it is written.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from pathlib import Path

import facturx
from pypdf.errors import PyPdfError

from extractors.base import DocumentKind, ExtractOptions, FieldReading, SourceDocument
from extractors.einvoice.cii import read_cii
from extractors.einvoice.common import (
    CII_SYNTAXES,
    EMBEDDED_XML_NAMES,
    UBL_NAMESPACES,
    UBL_ROOTS,
    EInvoiceReading,
    MalformedEInvoiceError,
    UnsupportedEInvoiceError,
    XmlReader,
    parse_xml,
)
from extractors.einvoice.ubl import read_ubl
from extractors.pdfium import open_pdf
from invoicebot.model import DocumentError, ErrorCode, Extraction, InvoiceExtras

logger = logging.getLogger(__name__)


class EInvoiceExtractor:
    """Reads XML files, and PDFs that carry an e-invoice XML (unless the page must be read)."""

    name = "einvoice"

    def extract(self, document: SourceDocument, options: ExtractOptions) -> Extraction | None:
        """Return the fields of the document's e-invoice XML, or None when it has none."""
        if document.kind is DocumentKind.XML:
            return self._extract_xml_file(document)
        if document.kind is DocumentKind.PDF and not options.read_page:
            return self._extract_embedded(document)
        return None

    def _extract_xml_file(self, document: SourceDocument) -> Extraction:
        try:
            read = read_einvoice(document.data, source=document.source)
        except MalformedEInvoiceError as error:
            raise DocumentError(document.source, ErrorCode.UNREADABLE, error.reason) from error
        except UnsupportedEInvoiceError as error:
            raise DocumentError(
                document.source, ErrorCode.UNSUPPORTED_FORMAT, str(error)
            ) from error
        return read.to_extraction(document, pages=0, xml=document.data)

    def _extract_embedded(self, document: SourceDocument) -> Extraction | None:
        embedded = find_embedded_xml(document.data, source=document.source)
        if embedded is None:
            return None
        name, xml = embedded
        try:
            read = read_einvoice(xml, source=document.source)
        except (MalformedEInvoiceError, UnsupportedEInvoiceError) as error:
            # The page still shows the invoice: let the text layer or OCR read it instead.
            logger.warning("%s: ignoring its embedded %s: %s", document.source, name, error)
            return None
        pages = count_pdf_pages(document.data, document.source)
        return read.to_extraction(document, pages=pages, xml=xml)


def read_stated_extras(path: Path, *, sha256: str) -> InvoiceExtras | None:
    """Return the extras the e-invoice at ``path`` states (its XML, or a PDF's embedded XML),
    read again with that XML for the official rules; None when the file is gone or changed
    (not ``sha256``) or holds none.

    The store keeps the contract's fields only: a review that re-validates an e-invoice
    after an operator's correction reads its extras again from the archived file.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        logger.warning("%s: cannot read the e-invoice's extras again: %s", path, error)
        return None
    if hashlib.sha256(data).hexdigest() != sha256:
        logger.warning("%s: not the file that was processed; its extras are ignored", path)
        return None
    xml: bytes | None = data
    if b"%PDF-" in data[:1024]:
        embedded = find_embedded_xml(data, source=str(path))
        xml = embedded[1] if embedded is not None else None
    if xml is None:
        return None
    try:
        return replace(read_einvoice(xml, source=str(path)).extras, einvoice_xml=xml)
    except (MalformedEInvoiceError, UnsupportedEInvoiceError) as error:
        logger.warning("%s: cannot read the e-invoice's extras again: %s", path, error)
        return None


def find_embedded_xml(pdf: bytes, *, source: str) -> tuple[str, bytes] | None:
    """Return the name and bytes of the e-invoice XML attached to ``pdf``, or None.

    A PDF whose structure pypdf cannot read is not an error here: the page readers that come
    next decide whether it is unreadable (pdfium repairs some files pypdf refuses).
    """
    try:
        name, xml = facturx.get_xml_from_pdf(
            pdf, check_xsd=False, filenames=list(EMBEDDED_XML_NAMES)
        )
    except PyPdfError as error:
        logger.warning("%s: cannot look for an embedded e-invoice: %s", source, error)
        return None
    # factur-x answers (False, False) when no attachment is a well-formed invoice XML; it logs
    # the name and parse error of any attachment it had to skip.
    if not name or not xml:
        return None
    return str(name), bytes(xml)


def count_pdf_pages(pdf: bytes, source: str) -> int:
    """Return the number of pages of ``pdf``."""
    with open_pdf(pdf, source=source) as document:
        return len(document)


def read_einvoice_xml(xml: bytes, *, source: str = "<xml>") -> FieldReading:
    """Return the fields, lines and language of a CII or UBL e-invoice.

    A value that cannot be read (an amount ``19.00e``, a date ``20141332``) is logged and left
    null. Raises ``MalformedEInvoiceError`` for XML that is not well-formed or has no invoice
    number, and ``UnsupportedEInvoiceError`` for well-formed XML of another kind.
    """
    return read_einvoice(xml, source=source).reading


def read_einvoice(xml: bytes, *, source: str = "<xml>") -> EInvoiceReading:
    """Return the fields, lines and language of a CII or UBL e-invoice, and its extras
    (BIC, sum of the lines, allowances, charges, prepaid and rounding amounts, VAT breakdown).

    Reads and raises as ``read_einvoice_xml`` does.
    """
    root = parse_xml(xml)
    syntax = CII_SYNTAXES.get(root.tag)
    if syntax is not None:
        parsed = read_cii(root, syntax, XmlReader(source, syntax.namespaces))
    elif root.tag in UBL_ROOTS:
        parsed = read_ubl(root, XmlReader(source, UBL_NAMESPACES))
    else:
        raise UnsupportedEInvoiceError(root.tag)
    fields = parsed.fields
    if fields.invoice_number is None:
        raise MalformedEInvoiceError("the XML has no invoice number (BT-1)")
    confidence = {name: 1.0 for name, value in fields if value is not None}
    reading = FieldReading(
        fields=fields, lines=parsed.lines, confidence=confidence, language=parsed.language
    )
    return EInvoiceReading(reading, parsed.extras, parsed.document)
