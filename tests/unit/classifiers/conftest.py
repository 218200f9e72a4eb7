"""Fixtures of the classifier tests: a small simulated history, a model trained on it once,
and a store with invoices that operators decided on."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from classifiers.cases import LabelledCase
from classifiers.simulate import simulate_cases
from classifiers.train import TrainingResult, train
from invoicebot.model import (
    ExceptionCategory,
    Extraction,
    InvoiceFields,
    InvoiceStatus,
    Method,
    RuleResult,
    Severity,
    Suggestion,
)
from invoicebot.store.claims import claim_document
from invoicebot.store.engine import init_store, make_engine
from invoicebot.store.repository import record_invoice
from invoicebot.store.training_labels import extraction_case, store_exception_case

# Small enough to train in a few seconds, large enough to beat the baseline clearly.
SMALL_HISTORY = 3000


@pytest.fixture(scope="session")
def simulated() -> list[LabelledCase]:
    return simulate_cases(SMALL_HISTORY, seed=7)


@pytest.fixture(scope="session")
def trained(simulated: list[LabelledCase]) -> TrainingResult:
    return train(simulated, seed=7)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    init_store(engine)
    yield engine
    engine.dispose()


def gap_result(gross: Decimal, gap: Decimal) -> RuleResult:
    """Return a failed BR-CO-15 as the arithmetic rule reports it."""
    net = (gross / Decimal("1.2")).quantize(Decimal("0.01"))
    tax = gross - gap - net
    return RuleResult(
        rule="BR-CO-15",
        category=ExceptionCategory.ARITHMETIC,
        severity=Severity.ERROR,
        passed=False,
        message=f"Net {net} + VAT {tax} = {gross - gap}, but the invoice says {gross} "
        f"(difference {gap}).",
        values={
            "total_net": str(net),
            "total_tax": str(tax),
            "total_gross": str(gross),
            "expected_gross": str(gross - gap),
            "difference": str(gap),
        },
    )


def gap_extraction(number: int, *, vat_id: str, gross: Decimal) -> Extraction:
    """Return a text-layer reading of a supplier's invoice, read with confidence."""
    fields = InvoiceFields(
        invoice_number=f"F-{number:05d}",
        invoice_date=date(2026, 1, 1) + timedelta(days=number % 300),
        currency="EUR",
        seller_name=f"Seller {vat_id}",
        seller_vat_id=vat_id,
        total_gross=gross,
    )
    confidence = {name: 0.97 for name, value in fields if value is not None}
    return Extraction(
        source=f"inbox/{vat_id}-{number}.pdf",
        sha256=hashlib.sha256(f"{vat_id}-{number}".encode()).hexdigest(),
        method=Method.TEXT,
        language="fr",
        pages=1,
        fields=fields,
        confidence=confidence,
    )


def store_exception_invoice(
    session: Session,
    number: int,
    *,
    vat_id: str,
    gross: Decimal,
    gap: Decimal,
    snapshot: bool = True,
    suggestion: Suggestion | None = None,
) -> int:
    """Store an exception invoice with a BR-CO-15 gap as the pipeline does (with the
    classifier's view of it unless ``snapshot`` is False); return its document id."""
    extraction = gap_extraction(number, vat_id=vat_id, gross=gross)
    results = [gap_result(gross, gap)]
    case = extraction_case(session, extraction=extraction, results=results)
    claim = claim_document(
        session,
        sha256=extraction.sha256,
        source=extraction.source,
        file_name=Path(extraction.source).name,
        size_bytes=1000,
        batch_id=None,
        stale_after=timedelta(hours=1),
    )
    record_invoice(
        session,
        document_id=claim.document_id,
        extraction=extraction,
        status=InvoiceStatus.EXCEPTION,
        results=results,
        archived_path=f"archive/exceptions/{number}.pdf",
        seconds=0.1,
    )
    if snapshot:
        store_exception_case(
            session, document_id=claim.document_id, case=case, suggestion=suggestion
        )
    return claim.document_id
