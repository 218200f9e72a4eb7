"""Tests of the sample invoice generator and of the committed sample set.

The checks re-derive every rule independently of the generator (stdnum for identifiers,
Decimal sums for totals), so a clean sample is one a correct validator would approve and a
faulty one fails exactly the rules its ``faults`` list.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import facturx
import pdfplumber
import pytest
from lxml import etree
from stdnum import iban
from stdnum.fr import siret
from stdnum.util import get_cc_module

from invoicebot.model import Extraction
from samples.invoices.generate import (
    ENGLISH_MONTHS,
    FRENCH_MONTHS,
    Fault,
    Kind,
    generate,
    plan_documents,
    sample_record,
)

COMMITTED = Path(__file__).resolve().parents[3] / "samples" / "invoices"
EXTRA_KEYS = ("kind", "faults", "duplicate_of")
METHODS = {"text-pdf": "text", "scanned-pdf": "ocr", "image": "ocr", "facturx": "einvoice"}
CII_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"

Record = dict[str, Any]


def load_records(directory: Path) -> list[Record]:
    """Return every sample JSON of ``directory``, sorted by file name."""
    return [
        json.loads(path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.json"))
    ]


def is_valid_vat_id(vat_id: str) -> bool:
    """Return True when a compact VAT number passes its own country's check."""
    module = get_cc_module(vat_id[:2].lower(), "vat")
    return module is not None and bool(module.is_valid(vat_id))


def failed_rules(record: Record, records: list[Record]) -> set[str]:
    """Return the rule ids a correct validator would fail on this sample."""
    fields = record["fields"]
    net, tax, gross = (Decimal(fields[key]) for key in ("total_net", "total_tax", "total_gross"))
    failed = set()
    if net + tax != gross:
        failed.add("BR-CO-15")
    if sum(Decimal(line["net_amount"]) for line in record["lines"]) != net:
        failed.add("BR-CO-10")
    if not iban.is_valid(fields["seller_iban"]):
        failed.add("IBAN-CHECK")
    vat_ids = [fields["seller_vat_id"], fields["buyer_vat_id"]]
    if not all(is_valid_vat_id(vat_id) for vat_id in vat_ids if vat_id is not None):
        failed.add("VAT-ID-CHECK")
    if fields["seller_siret"] is not None and not siret.is_valid(fields["seller_siret"]):
        failed.add("SIRET-CHECK")
    if date.fromisoformat(fields["due_date"]) < date.fromisoformat(fields["invoice_date"]):
        failed.add("DUE-DATE-ORDER")
    if any(repeats(record, earlier) for earlier in records if earlier["source"] < record["source"]):
        failed.add("DUPLICATE-INVOICE-NUMBER")
    return failed


def repeats(record: Record, earlier: Record) -> bool:
    """Return True when ``record`` is another file with the seller and number of ``earlier``."""
    same = ("seller_name", "invoice_number")
    return record["sha256"] != earlier["sha256"] and all(
        record["fields"][key] == earlier["fields"][key] for key in same
    )


def amount_forms(value: str) -> set[str]:
    """Return the usual printed forms of an amount (French, German, English, ungrouped)."""
    integer, fraction = f"{Decimal(value):.2f}".split(".")
    english = f"{int(integer):,}"
    return {
        f"{english.replace(',', ' ')},{fraction}",
        f"{english.replace(',', '.')},{fraction}",
        f"{english}.{fraction}",
        f"{integer},{fraction}",
    }


def date_forms(value: str) -> set[str]:
    """Return the usual printed forms of a date (numeric, French, English, ISO, German)."""
    day = date.fromisoformat(value)
    return {
        day.strftime("%d/%m/%Y"),
        f"{day.day} {FRENCH_MONTHS[day.month - 1]} {day.year}",
        f"{ENGLISH_MONTHS[day.month - 1]} {day.day}, {day.year}",
        day.isoformat(),
        day.strftime("%d.%m.%Y"),
    }


def page_text(path: Path) -> str:
    """Return the text layer of a PDF's first page with whitespace runs made single spaces."""
    with pdfplumber.open(path) as pdf:
        return re.sub(r"\s+", " ", pdf.pages[0].extract_text() or "")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a folder holding a small generated set (6 documents, seed 7)."""
    folder = tmp_path_factory.mktemp("samples")
    generate(folder, count=6, seed=7)
    return folder


@pytest.fixture(params=["generated", "committed"])
def sample_dir(request: pytest.FixtureRequest, generated: Path) -> Path:
    """Return the small generated set, then the committed set."""
    return generated if request.param == "generated" else COMMITTED


def test_same_seed_gives_identical_files(generated: Path, tmp_path: Path) -> None:
    paths = generate(tmp_path, count=6, seed=7)

    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == sorted(path.name for path in generated.iterdir())
    for name in names:
        assert (tmp_path / name).read_bytes() == (generated / name).read_bytes(), name
    assert len(paths) == 6
    assert all(path.with_suffix(".json").exists() for path in paths)


def test_a_small_set_has_every_kind_of_document(generated: Path) -> None:
    kinds = {record["kind"] for record in load_records(generated)}

    assert kinds == {kind.value for kind in Kind}


def test_every_json_is_an_extraction_of_its_document(sample_dir: Path) -> None:
    for record in load_records(sample_dir):
        extraction = Extraction.model_validate(
            {key: value for key, value in record.items() if key not in EXTRA_KEYS}
        )
        document = (sample_dir / extraction.source).read_bytes()
        assert extraction.sha256 == hashlib.sha256(document).hexdigest(), extraction.source
        assert extraction.method == METHODS[record["kind"]]
        assert extraction.language in ("fr", "en", "de")
        assert extraction.error is None and extraction.confidence == {}
        assert 1 <= len(extraction.lines) <= 10


def test_faults_are_exactly_the_rules_that_fail(sample_dir: Path) -> None:
    records = load_records(sample_dir)

    for record in records:
        assert failed_rules(record, records) == set(record["faults"]), record["source"]


def test_amount_due_is_the_gross_less_any_deposit(sample_dir: Path) -> None:
    for record in load_records(sample_dir):
        gross, due = (
            Decimal(record["fields"]["total_gross"]),
            Decimal(record["fields"]["amount_due"]),
        )
        assert Decimal(0) < due <= gross, record["source"]


def test_a_duplicate_names_the_earlier_file_it_repeats(sample_dir: Path) -> None:
    records = {record["source"]: record for record in load_records(sample_dir)}

    for record in records.values():
        if "DUPLICATE-INVOICE-NUMBER" in record["faults"]:
            original = records[record["duplicate_of"]]
            assert original["source"] < record["source"]
            assert repeats(record, original)
            assert original["faults"] == []


def test_text_layer_prints_the_expected_values(generated: Path) -> None:
    for record in load_records(generated):
        if record["kind"] not in ("text-pdf", "facturx"):
            continue
        text = page_text(generated / record["source"])
        fields = record["fields"]
        for key in ("total_net", "total_tax", "total_gross", "amount_due"):
            assert any(form in text for form in amount_forms(fields[key])), key
        for key in ("invoice_date", "due_date"):
            assert any(form in text for form in date_forms(fields[key])), key
        for key in ("invoice_number", "seller_name", "buyer_name"):
            assert fields[key] in text, key
        assert fields["seller_iban"] in text.replace(" ", "")


def test_scans_have_no_text_layer(generated: Path) -> None:
    scans = [r for r in load_records(generated) if r["kind"] == "scanned-pdf"]

    assert scans
    for record in scans:
        assert page_text(generated / record["source"]) == ""


def test_facturx_embeds_a_valid_xml_matching_the_json(generated: Path) -> None:
    hybrids = [r for r in load_records(generated) if r["kind"] == "facturx"]

    assert hybrids
    for record in hybrids:
        document = (generated / record["source"]).read_bytes()
        name, xml = facturx.get_xml_from_pdf(document, check_xsd=True)
        root = etree.fromstring(xml)
        assert name == "factur-x.xml"
        assert root.findtext(f".//{{{CII_RAM}}}GrandTotalAmount") == record["fields"]["total_gross"]
        assert root.findtext(f".//{{{CII_RAM}}}IBANID") == record["fields"]["seller_iban"]


def test_a_set_of_forty_carries_every_fault_once_or_more() -> None:
    plans = plan_documents(40, 2026)

    faults = Counter(fault for plan in plans for fault in plan.faults)
    kinds = Counter(plan.kind for plan in plans)
    assert set(faults) == set(Fault)
    assert faults[Fault.DUPLICATE] == 2
    assert kinds == {Kind.TEXT_PDF: 25, Kind.SCANNED_PDF: 8, Kind.IMAGE: 5, Kind.FACTURX: 2}
    assert len({plan.invoice.layout for plan in plans}) == 6


def test_committed_set_is_what_the_generator_plans() -> None:
    """The committed JSON matches a fresh plan (seed 2026, 40 documents), so it is not stale."""
    for plan in plan_documents(40, 2026):
        document = (COMMITTED / plan.file_name).read_bytes()
        committed = json.loads((COMMITTED / f"{plan.stem}.json").read_text(encoding="utf-8"))
        assert committed == sample_record(plan, document), plan.file_name


def test_committed_set_stays_small() -> None:
    documents = [path for path in COMMITTED.iterdir() if path.suffix in (".pdf", ".png", ".jpg")]

    assert len(documents) == 40
    assert sum(path.stat().st_size for path in documents) < 15 * 1024 * 1024
