"""An e-invoice's extras reach the rules: in the pipeline, and when a review re-validates.

The e-invoices here are the reader's minimal test XML, far from conformant: the official
rules (``EINVOICE-OFFICIAL``) are switched off, except in the last tests, which run them on
a committed Factur-X sample.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from invoicebot.model import ExceptionCategory, InvoiceStatus
from invoicebot.pipeline import PipelineContext, extract_options
from invoicebot.review import resolve_exception
from invoicebot.settings import Settings
from invoicebot.store import init_store, make_engine
from invoicebot.store.review_audit import load_case
from tests.einvoices import EN16931_SAMPLE, altered, embedded_xml
from tests.processing import process_document
from tests.unit.extractors.test_einvoice import facturx_pdf
from tests.unit.extractors.test_einvoice_extras import Amounts, cii_with_extras


@pytest.fixture
def context(data_dir: Path, tmp_path: Path) -> Iterator[PipelineContext]:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  EINVOICE-OFFICIAL:\n    enabled: false\n", encoding="utf-8")
    yield from pipeline_context(Settings(rules_config=rules))


@pytest.fixture
def official_context(data_dir: Path) -> Iterator[PipelineContext]:
    yield from pipeline_context(Settings())


def pipeline_context(settings: Settings) -> Iterator[PipelineContext]:
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


def test_a_valid_facturx_sample_passes_the_official_rules_and_is_approved(
    official_context: PipelineContext, tmp_path: Path
) -> None:
    path = inbox_file(tmp_path, "valid.pdf", EN16931_SAMPLE.read_bytes())
    outcome = process_document(path, official_context)
    assert outcome is not None
    assert outcome.status is InvoiceStatus.APPROVED, outcome.exceptions


def test_an_official_failure_is_one_exception_with_the_official_rule_id(
    official_context: PipelineContext, tmp_path: Path
) -> None:
    xml = embedded_xml(EN16931_SAMPLE)
    gross = re.search(r"<ram:GrandTotalAmount>([^<]+)<", xml)
    assert gross is not None
    broken = altered(xml, "GrandTotalAmount", f"{float(gross[1]) + 10:.2f}")
    path = inbox_file(tmp_path, "broken.xml", broken.encode())
    outcome = process_document(path, official_context)
    assert outcome is not None and outcome.status is InvoiceStatus.EXCEPTION
    br_co_15 = [item for item in outcome.exceptions if item.rule == "BR-CO-15"]
    assert [item.category for item in br_co_15] == [ExceptionCategory.EINVOICE_RULES]
