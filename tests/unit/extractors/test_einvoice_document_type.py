"""The document type (BT-3) and the preceding invoice (BG-3) of CII and UBL e-invoices."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from extractors import extract_document
from extractors.einvoice import read_einvoice
from invoicebot.model import DocumentType, InvoiceReference
from tests.unit.extractors.test_einvoice import (
    UBL_CREDIT_NOTE,
    UBL_INVOICE,
    ZUGFERD_DATASET,
    cii_invoice,
)

CII_REFERENCE = """
      <ram:InvoiceReferencedDocument>
        <ram:IssuerAssignedID>F2026-0042</ram:IssuerAssignedID>
        <ram:FormattedIssueDateTime>
          <qdt:DateTimeString xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
            format="102">20260302</qdt:DateTimeString>
        </ram:FormattedIssueDateTime>
      </ram:InvoiceReferencedDocument>
    </ram:ApplicableHeaderTradeSettlement>"""
UBL_REFERENCE = """<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:BillingReference><cac:InvoiceDocumentReference>
    <cbc:ID>R-2024-17</cbc:ID><cbc:IssueDate>2024-05-02</cbc:IssueDate>
  </cac:InvoiceDocumentReference></cac:BillingReference>"""


def cii_credit_note(type_code: str = "381") -> str:
    """Return the small CII invoice as a credit note of F2026-0042 (amounts stay positive)."""
    xml = cii_invoice(number="AV2026-0007").replace(
        "<ram:TypeCode>380</ram:TypeCode>", f"<ram:TypeCode>{type_code}</ram:TypeCode>"
    )
    return xml.replace("</ram:ApplicableHeaderTradeSettlement>", CII_REFERENCE, 1)


def test_a_cii_credit_note_is_read_as_one_with_the_invoice_it_credits() -> None:
    read = read_einvoice(cii_credit_note().encode())
    assert read.document.document_type is DocumentType.CREDIT_NOTE
    assert read.document.preceding_invoice == InvoiceReference(
        number="F2026-0042", issue_date=date(2026, 3, 2)
    )
    assert read.reading.fields.total_gross is not None and read.reading.fields.total_gross > 0


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("380", DocumentType.INVOICE),
        ("384", DocumentType.CORRECTED_INVOICE),
        ("389", DocumentType.SELF_BILLED_INVOICE),
        ("261", DocumentType.SELF_BILLED_CREDIT_NOTE),
        ("396", DocumentType.CREDIT_NOTE),
        ("386", DocumentType.PREPAYMENT_INVOICE),
        ("751", DocumentType.INVOICE),
    ],
)
def test_the_cii_type_code_gives_the_document_type(code: str, kind: DocumentType) -> None:
    assert read_einvoice(cii_credit_note(code).encode()).document.document_type is kind


def test_a_cii_invoice_naming_no_preceding_invoice_has_none() -> None:
    read = read_einvoice(cii_invoice().encode())
    assert read.document.document_type is DocumentType.INVOICE
    assert read.document.preceding_invoice is None


def test_a_ubl_credit_note_is_a_credit_note_even_without_its_type_code() -> None:
    read = read_einvoice(UBL_CREDIT_NOTE.encode())
    assert read.document.document_type is DocumentType.CREDIT_NOTE
    typed = UBL_CREDIT_NOTE.replace(
        "<cbc:IssueDate>2024-05-10</cbc:IssueDate>",
        "<cbc:IssueDate>2024-05-10</cbc:IssueDate><cbc:CreditNoteTypeCode>261</cbc:CreditNoteTypeCode>",
    )
    assert read_einvoice(typed.encode()).document.document_type is (
        DocumentType.SELF_BILLED_CREDIT_NOTE
    )


def test_a_ubl_credit_note_names_the_invoice_it_credits() -> None:
    xml = UBL_CREDIT_NOTE.replace(
        "<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>", UBL_REFERENCE
    )
    read = read_einvoice(xml.encode())
    assert read.document.preceding_invoice == InvoiceReference(
        number="R-2024-17", issue_date=date(2024, 5, 2)
    )


def test_a_ubl_invoice_states_its_type_code() -> None:
    assert read_einvoice(UBL_INVOICE.encode()).document.document_type is DocumentType.INVOICE
    corrected = UBL_INVOICE.replace(
        "<cbc:DueDate>", "<cbc:InvoiceTypeCode>384</cbc:InvoiceTypeCode><cbc:DueDate>"
    )
    kind = read_einvoice(corrected.encode()).document.document_type
    assert kind is DocumentType.CORRECTED_INVOICE


def test_the_extraction_result_shows_a_credit_note_and_its_invoice(tmp_path: Path) -> None:
    (tmp_path / "AV2026-0007.xml").write_text(cii_credit_note(), encoding="utf-8")
    (tmp_path / "F2026-0042.xml").write_text(cii_invoice(), encoding="utf-8")

    credit_note = extract_document(tmp_path / "AV2026-0007.xml").to_contract()
    invoice = extract_document(tmp_path / "F2026-0042.xml").to_contract()

    assert credit_note["document_type"] == "credit_note"
    assert credit_note["preceding_invoice"] == {"number": "F2026-0042", "issue_date": "2026-03-02"}
    assert "document_type" not in invoice and "preceding_invoice" not in invoice


@pytest.mark.shared
def test_a_real_factur_x_credit_note_names_the_invoice_it_credits() -> None:
    name = "ZUGFeRDv2__fail__FNFE-factur-x-examples__Avoir_FR_type381_MINIMUM.pdf"
    path = Path(ZUGFERD_DATASET) / name
    if not path.is_file():
        pytest.skip(f"the shared ZUGFeRD corpus is not at {ZUGFERD_DATASET}")
    extraction = extract_document(path)
    assert extraction.document_type is DocumentType.CREDIT_NOTE
    assert extraction.preceding_invoice == InvoiceReference(
        number="FA-2017-0010", issue_date=date(2017, 11, 13)
    )
    assert extraction.fields.invoice_number == "AV-2017-0005"
