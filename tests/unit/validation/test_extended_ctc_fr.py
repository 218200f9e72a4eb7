"""A Factur-X credit note of the French EXTENDED-CTC-FR profile (CII D22B): read as a credit
note of the invoice it names, and checked with that profile's official artefacts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import facturx

from extractors import extract_document
from invoicebot.model import DocumentType, InvoiceReference, Method
from tests.einvoices import french_credit_note
from tests.unit.extractors.test_einvoice import text_pdf
from validation.official import validate_file


def test_an_extended_ctc_fr_factur_x_credit_note_is_read_and_officially_valid(
    tmp_path: Path,
) -> None:
    pdf = facturx.generate_from_binary(
        text_pdf("AVOIR AV2026-0007 Traiteur Les Saveurs SARL 120,00 EUR"),
        french_credit_note(),
        flavor="factur-x",
        level="extended",
        check_xsd=False,
    )
    path = tmp_path / "AV2026-0007.pdf"
    path.write_bytes(pdf)

    extraction = extract_document(path)
    assert extraction.method is Method.EINVOICE
    assert extraction.document_type is DocumentType.CREDIT_NOTE
    assert extraction.preceding_invoice == InvoiceReference(
        number="F2026-0141", issue_date=date(2026, 3, 13)
    )
    assert extraction.fields.total_gross == Decimal("120.00")

    report = validate_file(path)
    assert (report.syntax, report.profile) == ("CII D22B", "extended-ctc-fr")
    assert report.french
    assert report.checked == [
        "CrossIndustryInvoice_100pD22B.xsd",
        "EXTENDED-CTC-FR-CII.xslt",
        "BR-FR-Flux2-Schematron-CII.xslt",
    ]
    assert report.valid, report.failures
