"""Writing e-invoice files: checked with the official rules first, atomic, safe to re-run;
Factur-X PDFs from a text PDF, a photo and the pages of a stack, PDF/A-3 and read back by our
reader; none at all without Ghostscript."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import facturx
import pypdfium2
import pytest

from extractors import extract_document
from invoicebot.books.cii import ExportInvoice, ExportLine, ExportSource, build_cii
from invoicebot.books.einvoices import (
    EInvoiceFormat,
    NotExported,
    WrittenFile,
    export_einvoices,
    export_one,
    file_name,
    split_failures,
)
from invoicebot.books.pdfa import GhostscriptMissingError, check_pdfa3
from invoicebot.model import Method
from tests.conftest import SAMPLES
from tests.inbox import concatenated_pdf
from validation.official import validate_file


def approved(**changes: object) -> ExportInvoice:
    """Return the approved invoice of sample fr-classic-0001 as the store holds it."""
    values: dict[str, object] = {
        "invoice_id": 42,
        "invoice_number": "F2026-0141",
        "invoice_date": date(2026, 3, 13),
        "due_date": date(2026, 4, 12),
        "currency": "EUR",
        "seller_name": "Traiteur Les Saveurs SARL",
        "seller_vat_id": "FR50464556810",
        "seller_siret": "46455681000065",
        "seller_iban": "FR7630004730664096567606071",
        "buyer_name": "Aurora Tech SAS",
        "total_net": Decimal("1720.72"),
        "total_tax": Decimal("329.61"),
        "total_gross": Decimal("2050.33"),
        "amount_due": Decimal("2050.33"),
        "lines": tuple(
            ExportLine(
                description=name,
                quantity=Decimal(quantity),
                unit_price=Decimal(price),
                net_amount=Decimal(net),
                tax_rate=Decimal(rate),
            )
            for name, quantity, price, net, rate in (
                ("Livraison et installation", "12", "95.82", "1149.84", "20"),
                ("Service en salle (heure)", "8.5", "37.96", "322.66", "20"),
                ("Vin rouge AOC (bouteille)", "4", "25.72", "102.88", "20"),
                ("Plateau-repas déjeuner", "5", "19.18", "95.90", "10"),
                ("Petit-déjeuner d'accueil (par personne)", "6", "8.24", "49.44", "10"),
            )
        ),
    }
    return ExportInvoice.model_validate(values | changes)


def source(archived: Path | None = None, **changes: object) -> ExportSource:
    return ExportSource(
        invoice=approved(**changes), archived_path=str(archived) if archived else None
    )


def assert_official_pass(path: Path) -> None:
    blocking, _french = split_failures(validate_file(path))
    assert blocking == []


def assert_pdfa3(path: Path) -> None:
    report = check_pdfa3(path.read_bytes())
    assert report.passed, report.problems


def test_a_cii_file_is_written_valid_and_rewriting_it_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "cii"
    export = export_einvoices([source()], out, EInvoiceFormat.CII, buyer_country="FR")
    (written,) = export.written
    assert export.not_exported == []
    path = out / "000042_F2026-0141.xml"
    assert written.path == str(path) and not written.unchanged
    assert_official_pass(path)
    # The French CTC rules ask for what a paper invoice does not carry: information only.
    assert "BR-FR-12_BT-49" in written.french_ctc_rules
    content = path.read_bytes()
    again = export_einvoices([source()], out, EInvoiceFormat.CII, buyer_country="FR")
    assert again.written[0].unchanged
    assert path.read_bytes() == content
    assert sorted(p.name for p in out.iterdir()) == ["000042_F2026-0141.xml"]  # no temp left


def test_an_invoice_missing_its_buyer_is_listed_and_no_file_is_written(tmp_path: Path) -> None:
    out = tmp_path / "cii"
    export = export_einvoices(
        [source(buyer_name=None)], out, EInvoiceFormat.CII, buyer_country="FR"
    )
    assert export.written == []
    (left,) = export.not_exported
    assert (left.invoice_id, left.missing_terms, left.failed_rules) == (42, ["BT-44"], [])
    assert left.reasons == ["no buyer name (BT-44)"]
    assert list(out.iterdir()) == []


def test_an_invoice_failing_the_official_rules_is_listed_with_them_and_not_written(
    tmp_path: Path,
) -> None:
    # The lines add up to 1720.72, the stated net is 1700.00: BR-CO-13 fails.
    wrong = source(
        total_net=Decimal("1700.00"), total_gross=Decimal("2029.61"), amount_due=Decimal("2029.61")
    )
    result = export_one(wrong, tmp_path, EInvoiceFormat.CII, buyer_country="FR")
    assert isinstance(result, NotExported)
    assert "BR-CO-13" in result.failed_rules and result.missing_terms == []
    assert not any(rule.startswith("BR-FR") for rule in result.failed_rules)
    assert list(tmp_path.iterdir()) == []


def test_file_names_are_the_id_and_the_number_made_safe() -> None:
    assert file_name(approved(invoice_number="F/2026 0141"), EInvoiceFormat.FACTURX) == (
        "000042_F_2026_0141.pdf"
    )
    assert file_name(approved(invoice_number="../.."), EInvoiceFormat.CII) == "000042_no-number.xml"


def read_back(path: Path) -> tuple[object, ...]:
    """Return what our e-invoice reader reads from a Factur-X PDF's embedded XML."""
    extraction = extract_document(path)
    assert extraction.method is Method.EINVOICE
    fields = extraction.fields
    return (
        fields.invoice_number,
        fields.seller_name,
        fields.seller_vat_id,
        fields.total_net,
        fields.total_tax,
        fields.total_gross,
    )


EXPECTED = (
    "F2026-0141",
    "Traiteur Les Saveurs SARL",
    "FR50464556810",
    Decimal("1720.72"),
    Decimal("329.61"),
    Decimal("2050.33"),
)


def test_a_text_pdf_becomes_a_factur_x_pdf_read_back_the_same(tmp_path: Path) -> None:
    pdf = SAMPLES / "fr-classic-0001.pdf"
    result = export_one(source(pdf), tmp_path, EInvoiceFormat.FACTURX, buyer_country="FR")
    assert isinstance(result, WrittenFile) and not result.unchanged
    path = Path(result.path)
    assert path.read_bytes().startswith(b"%PDF-")
    assert_official_pass(path)
    assert_pdfa3(path)
    assert read_back(path) == EXPECTED
    # The same XML is already embedded: the file is left as it is.
    before = path.read_bytes()
    again = export_one(source(pdf), tmp_path, EInvoiceFormat.FACTURX, buyer_country="FR")
    assert isinstance(again, WrittenFile) and again.unchanged
    assert path.read_bytes() == before


def test_a_photo_becomes_a_one_page_factur_x_pdf(tmp_path: Path) -> None:
    photo = SAMPLES / "fr-boxed-0030.jpg"
    result = export_one(source(photo), tmp_path, EInvoiceFormat.FACTURX, buyer_country="FR")
    assert isinstance(result, WrittenFile)
    path = Path(result.path)
    assert len(pypdfium2.PdfDocument(path)) == 1
    assert_official_pass(path)
    assert_pdfa3(path)
    assert read_back(path) == EXPECTED


def test_an_invoice_of_a_stack_keeps_its_own_pages(tmp_path: Path) -> None:
    first = (SAMPLES / "fr-classic-0001.pdf").read_bytes()
    second = (SAMPLES / "fr-letter-0016.pdf").read_bytes()
    stack = tmp_path / "stack.pdf"
    stack.write_bytes(concatenated_pdf([first, second]))
    pages_before = len(pypdfium2.PdfDocument(first))
    total = len(pypdfium2.PdfDocument(stack))
    second_invoice = ExportSource(
        invoice=approved(),
        archived_path=str(stack),
        first_page=pages_before + 1,
        last_page=total,
    )
    out = tmp_path / "out"
    out.mkdir()
    result = export_one(second_invoice, out, EInvoiceFormat.FACTURX, buyer_country="FR")
    assert isinstance(result, WrittenFile)
    assert len(pypdfium2.PdfDocument(Path(result.path))) == total - pages_before
    assert_pdfa3(Path(result.path))


def test_an_archived_file_gone_is_listed(tmp_path: Path) -> None:
    gone = source(tmp_path / "purged.pdf")
    result = export_one(gone, tmp_path, EInvoiceFormat.FACTURX, buyer_country="FR")
    assert isinstance(result, NotExported)
    assert result.reasons == ["the archived file is missing (purged or erased?)"]
    assert list(tmp_path.iterdir()) == []


def test_a_factur_x_pdf_written_before_the_pdfa_conversion_is_replaced(tmp_path: Path) -> None:
    pdf = SAMPLES / "fr-classic-0001.pdf"
    invoice = source(pdf)
    # The same XML embedded in the PDF as it is: not PDF/A (its fonts are not embedded).
    old = facturx.generate_from_binary(
        pdf.read_bytes(), build_cii(invoice.invoice, buyer_country="FR"), level="en16931"
    )
    path = tmp_path / file_name(invoice.invoice, EInvoiceFormat.FACTURX)
    path.write_bytes(old)
    result = export_one(invoice, tmp_path, EInvoiceFormat.FACTURX, buyer_country="FR")
    assert isinstance(result, WrittenFile) and not result.unchanged
    assert_pdfa3(path)


def test_without_ghostscript_no_factur_x_file_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    out = tmp_path / "out"
    with pytest.raises(GhostscriptMissingError):
        export_einvoices([source(SAMPLES / "fr-classic-0001.pdf")], out, EInvoiceFormat.FACTURX)
    assert not out.exists()
