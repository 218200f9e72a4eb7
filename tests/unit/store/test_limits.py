"""Values checked against their columns before insert: the golden set and hostile values
through the real store, on SQLite and on PostgreSQL (which refuses what SQLite accepts)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from invoicebot.model import Extraction, InvoiceFields, InvoiceStatus, Line
from invoicebot.store import StoreHistory
from invoicebot.store.claims import claim_document
from invoicebot.store.limits import (
    ColumnLimitError,
    fit_to_columns,
    storable_file_name,
    storable_text,
)
from invoicebot.store.repository import record_invoice
from invoicebot.store.tables import Document, Invoice, InvoiceLine
from tests.conftest import SAMPLES
from validation import validate

EXTRA_KEYS = ("kind", "faults", "duplicate_of")
REFERENCE_DATE = date(2026, 11, 26)


def golden_set() -> list[Extraction]:
    extractions = []
    for path in sorted(SAMPLES.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        fields = {key: value for key, value in record.items() if key not in EXTRA_KEYS}
        extractions.append(Extraction.model_validate(fields))
    return extractions


def store(engine: Engine, extraction: Extraction, file_name: str | None = None) -> int:
    """Claim, fit, validate and store ``extraction`` as the pipeline does; return its id."""
    fitted, limit_results = fit_to_columns(extraction)
    with Session(engine) as session:
        claim = claim_document(
            session,
            sha256=extraction.sha256,
            source=storable_file_name(file_name or extraction.source),
            file_name=storable_file_name(file_name or extraction.source),
            size_bytes=1,
            batch_id=None,
            stale_after=timedelta(hours=1),
        )
        history = StoreHistory(session)
        results = [
            *limit_results,
            *validate(
                fitted,
                history=history,
                master=history,
                reference_date=REFERENCE_DATE,
                document_id=claim.document_id,
            ),
        ]
        failed = any(result.is_exception for result in results)
        return record_invoice(
            session,
            document_id=claim.document_id,
            extraction=fitted,
            status=InvoiceStatus.EXCEPTION if failed else InvoiceStatus.APPROVED,
            results=results,
            archived_path=f"archive/{claim.document_id}",
            seconds=0.0,
        )


def test_the_golden_set_goes_through_the_store_unchanged(engine: Engine) -> None:
    golden = golden_set()
    assert len(golden) == 40
    for extraction in golden:
        fitted, problems = fit_to_columns(extraction)
        assert problems == [] and fitted == extraction, extraction.source
        invoice_id = store(engine, extraction)
        with Session(engine) as session:
            invoice = session.get_one(Invoice, invoice_id)
            stored = InvoiceFields.model_validate(
                {name: getattr(invoice, name) for name in InvoiceFields.model_fields}
            )
            assert stored == extraction.fields, extraction.source
            lines = session.exec(
                select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id)
            ).all()
            assert [line.net_amount for line in lines] == [
                line.net_amount for line in extraction.lines
            ]


def hostile(number: int, **fields: Any) -> Extraction:
    return Extraction(
        source=f"hostile-{number}.pdf",
        sha256=f"{number:064x}",
        language="x" * 30,
        fields=InvoiceFields(
            invoice_number=fields.pop("invoice_number", f"H-{number}"),
            seller_vat_id=fields.pop("seller_vat_id", "FR44732829320"),
            total_gross=Decimal("10.00"),
            **fields,
        ),
        lines=[Line(description="\x00" * 3 + "d" * 20_000, net_amount=Decimal("10.00"))],
    )


HOSTILE = [
    hostile(1, currency="EURO"),
    hostile(2, currency="eu"),
    hostile(3, seller_vat_id="DE" + "9" * 200),
    hostile(4, seller_siret="1234567890123456789"),
    hostile(5, seller_iban="FR76" + "3" * 60),
    hostile(6, buyer_vat_id="X" * 41),
    hostile(7, invoice_number="N" * 5000),
    hostile(8, seller_vat_id=None, seller_name="Acme " * 2000),
    hostile(9, seller_name="Nul\x00 Byte\udce9 SARL", buyer_name="\ud800lone"),
    hostile(10, total_net=Decimal("1e15"), total_tax=Decimal("-1e18")),
    hostile(11, amount_due=Decimal("123456789012345.5")),
]
EXPECTED_FIELDS = [
    {"currency"},
    {"currency"},
    {"seller_vat_id"},
    {"seller_siret"},
    {"seller_iban"},
    {"buyer_vat_id"},
    {"invoice_number"},
    {"seller_name"},
    set(),
    {"total_net", "total_tax"},
    {"amount_due"},
]


def test_hostile_values_are_set_aside_as_field_limit_exceptions(engine: Engine) -> None:
    for extraction, expected in zip(HOSTILE, EXPECTED_FIELDS, strict=True):
        fitted, results = fit_to_columns(extraction)
        assert {r.values["field"] for r in results} == expected, extraction.source
        assert all(r.rule == "FIELD-LIMIT" and r.is_exception for r in results)
        assert fitted.language is None
        invoice_id = store(engine, extraction, file_name=f"h\udce9-{extraction.source}")
        with Session(engine) as session:
            invoice = session.get_one(Invoice, invoice_id)
            assert invoice.status == ("exception" if expected else invoice.status)
            for name in expected:
                assert getattr(invoice, name) is None, (extraction.source, name)
    with Session(engine) as session:
        names = session.exec(select(Document.file_name)).all()
        assert "h\\xe9-hostile-1.pdf" in names
        nul = session.exec(select(Invoice).where(Invoice.invoice_number == "H-9")).one()
        assert nul.seller_name == "Nul\ufffd Byte\ufffd SARL"
        assert nul.buyer_name == "\ufffdlone"


def test_a_bank_detail_over_its_length_is_not_repeated_in_the_message() -> None:
    _fitted, [result] = fit_to_columns(hostile(5, seller_iban="FR76" + "3" * 60))
    assert "3333" not in result.message and "64 characters" in result.message


def test_record_invoice_refuses_a_value_too_long_with_a_typed_error(engine: Engine) -> None:
    unfit = hostile(1, currency="EURO")
    with Session(engine) as session:
        claim = claim_document(
            session, sha256=unfit.sha256, source="a", file_name="a", size_bytes=1,
            batch_id=None, stale_after=timedelta(hours=1),
        )  # fmt: skip
        with pytest.raises(ColumnLimitError) as refused:
            record_invoice(
                session, document_id=claim.document_id, extraction=unfit,
                status=InvoiceStatus.APPROVED, results=[], archived_path="a", seconds=0.0,
            )  # fmt: skip
    assert (refused.value.field, refused.value.limit) == ("currency", 3)


def test_storable_text_keeps_ordinary_text() -> None:
    assert storable_text("Société Générale — 東京 ✓") == "Société Générale — 東京 ✓"
    assert storable_file_name("caf\udce9.pdf") == "caf\\xe9.pdf"
