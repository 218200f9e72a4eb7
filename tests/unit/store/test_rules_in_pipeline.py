"""The pipeline validates with the store's master data, the configured rules and the
configured "today" (``INVOICEBOT_RULES_CONFIG``, ``INVOICEBOT_RULES_REFERENCE_DATE``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from invoicebot.model import ExceptionCategory, InvoiceStatus
from invoicebot.pipeline import PipelineContext, extract_options
from invoicebot.settings import Settings
from invoicebot.store import init_store, make_engine
from invoicebot.store import master as master_data
from tests.inbox import copy_into, pick_samples
from tests.processing import process_document

SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "invoices"
# Another supplier's (valid) IBAN, put in the master for the supplier of the chosen sample.
DIVERTED_IBAN = "FR7630004000287924743080697"


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    copy_into(folder, pick_samples(lambda t: t["kind"] == "text-pdf" and not t["faults"], 1))
    return folder


@pytest.fixture
def engine(data_dir: Path, tmp_path: Path) -> Iterator[Engine]:
    """The data dir's SQLite store, holding the samples' master data with one change: the
    supplier of the first clean text PDF has another IBAN on file."""
    engine = make_engine(Settings().resolved_database_url)
    init_store(engine)
    [(_path, truth)] = pick_samples(lambda t: t["kind"] == "text-pdf" and not t["faults"], 1)
    vendors = (SAMPLES / "vendors.csv").read_text(encoding="utf-8")
    changed = vendors.replace(truth["fields"]["seller_iban"], DIVERTED_IBAN)
    assert changed != vendors
    (tmp_path / "vendors.csv").write_text(changed, encoding="utf-8")
    with Session(engine) as session:
        master_data.import_vendors(session, path=tmp_path / "vendors.csv")
    yield engine
    engine.dispose()


def process(inbox: Path, engine: Engine) -> tuple[InvoiceStatus, dict[str, ExceptionCategory]]:
    settings = Settings()
    context = PipelineContext(settings, engine, None, extract_options(settings))
    [path] = sorted(inbox.iterdir())
    outcome = process_document(path, context)
    assert outcome is not None
    return outcome.status, {item.rule: item.category for item in outcome.exceptions}


def test_bank_details_that_differ_from_the_master_stop_the_invoice(
    inbox: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INVOICEBOT_RULES_REFERENCE_DATE", "2026-11-26")
    status, exceptions = process(inbox, engine)
    assert status is InvoiceStatus.EXCEPTION
    assert exceptions == {"VENDOR-BANK-DETAILS": ExceptionCategory.VENDOR}


def test_the_configuration_and_the_reference_date_reach_the_rules(
    inbox: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "rules.yaml"
    config.write_text("rules:\n  VENDOR-BANK-DETAILS: {enabled: false}\n")
    monkeypatch.setenv("INVOICEBOT_RULES_CONFIG", str(config))
    monkeypatch.setenv("INVOICEBOT_RULES_REFERENCE_DATE", "2028-01-01")
    status, exceptions = process(inbox, engine)
    assert status is InvoiceStatus.EXCEPTION
    assert exceptions == {"INVOICE-DATE-AGE": ExceptionCategory.DATE}
