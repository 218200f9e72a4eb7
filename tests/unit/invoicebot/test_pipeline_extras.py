"""An e-invoice's extras reach the rules: in the pipeline, and when a review re-validates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from invoicebot.model import InvoiceStatus
from invoicebot.pipeline import PipelineContext, extract_options, process_document
from invoicebot.review import resolve_exception
from invoicebot.settings import Settings
from invoicebot.store import init_store, make_engine
from invoicebot.store.review import load_case
from tests.unit.extractors.test_einvoice import facturx_pdf
from tests.unit.extractors.test_einvoice_extras import Amounts, cii_with_extras


@pytest.fixture
def context(data_dir: Path) -> Iterator[PipelineContext]:
    settings = Settings()
    engine: Engine = make_engine(settings.resolved_database_url)
    init_store(engine)
    yield PipelineContext(settings, engine, None, extract_options(settings))
    SQLModel.metadata.drop_all(engine)
    engine.dispose()


def inbox_file(tmp_path: Path, name: str, data: bytes) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def test_an_einvoice_whose_allowances_and_prepaid_add_up_is_approved(
    context: PipelineContext, tmp_path: Path
) -> None:
    # Lines 300.00 - allowance 10.00 + charge 5.00 = net 295.00; gross 354.00 - prepaid
    # 100.00 = 254.00 due. Without its extras this invoice would fail BR-CO-10.
    path = inbox_file(tmp_path, "discounted.xml", cii_with_extras().encode())
    outcome = process_document(path, context)
    assert outcome is not None
    assert outcome.status is InvoiceStatus.APPROVED, outcome.exceptions


@pytest.mark.parametrize(
    ("amounts", "rule"),
    [
        (Amounts(net="300.00", tax="60.00", gross="360.00", due="260.00"), "BR-CO-13"),
        (Amounts(due="354.00"), "BR-CO-16"),
    ],
    ids=["allowances", "prepaid"],
)
def test_an_einvoice_whose_amounts_disagree_is_an_exception(
    context: PipelineContext, tmp_path: Path, amounts: Amounts, rule: str
) -> None:
    path = inbox_file(tmp_path, "wrong.xml", cii_with_extras(amounts).encode())
    outcome = process_document(path, context)
    assert outcome is not None and outcome.status is InvoiceStatus.EXCEPTION
    assert [item.rule for item in outcome.exceptions] == [rule]


def test_a_hybrid_facturx_pdf_carries_its_extras_too(
    context: PipelineContext, tmp_path: Path
) -> None:
    path = inbox_file(tmp_path, "wrong.pdf", facturx_pdf(cii_with_extras(Amounts(due="354.00"))))
    outcome = process_document(path, context)
    assert outcome is not None
    assert "BR-CO-16" in [item.rule for item in outcome.exceptions]


def test_a_review_re_validates_with_the_extras_of_the_archived_einvoice(
    context: PipelineContext, tmp_path: Path
) -> None:
    path = inbox_file(tmp_path, "prepaid.xml", cii_with_extras(Amounts(due="354.00")).encode())
    outcome = process_document(path, context)
    assert outcome is not None and outcome.status is InvoiceStatus.EXCEPTION
    with Session(context.engine) as session:
        decision = resolve_exception(
            session,
            invoice_id=1,
            decision="approve_with_corrections",
            corrections={"amount_due": "254.00"},
            reviewer="test",
            comment="",
            channel="terminal",
            settings=context.settings,
        )
        # Without the allowances read again, BR-CO-10 would fail on 300.00 against 295.00;
        # with the prepaid amount, 354.00 due would still fail BR-CO-16.
        assert decision.rules_after == []
        assert decision.status_after == "approved"
        assert load_case(session, invoice_id=1).fields.amount_due == 254
