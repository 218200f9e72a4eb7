"""`invoicebot purge` and `invoicebot erase`: the store, the archive files, the audit."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import text as sql_text
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select
from typer.testing import CliRunner

from invoicebot.cli import app
from invoicebot.model import Extraction, InvoiceStatus
from invoicebot.retention import PrefectSide, erase, purge
from invoicebot.settings import Settings
from invoicebot.store import master
from invoicebot.store.claims import claim_document
from invoicebot.store.engine import init_store, make_engine
from invoicebot.store.repository import StoreHistory, record_invoice
from invoicebot.store.retention import PrivacyAction, UnknownSupplierError
from invoicebot.store.review_audit import ReviewRun
from invoicebot.store.tables import Document, ExceptionRecord, Invoice, RuleResultRow
from tests.conftest import SAMPLES
from tests.inbox import pick_samples
from validation import validate

CONTRACT_KEYS = set(Extraction.model_fields)
# Traiteur Les Saveurs SARL (SUP-003 in the sample vendor master), with a SIRET fault.
[(TRAITEUR_PDF, TRAITEUR)] = pick_samples(lambda t: t["source"] == "fr-classic-0026.pdf", 1)
[(OTHER_PDF, OTHER)] = pick_samples(
    lambda t: not t["faults"] and t["kind"] == "text-pdf" and "Traiteur" not in str(t), 1
)
[(WAITING_PDF, WAITING)] = pick_samples(lambda t: t["faults"] == ["BR-CO-15"], 1)


class FakePrefect:
    """Records what a purge or an erasure asks of the Prefect server."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], list[str]]] = []

    def __call__(self, runs: list[str], artifacts_of: list[str]) -> PrefectSide:
        self.calls.append((runs, artifacts_of))
        return PrefectSide("fake: nothing", {"prefect_flow_runs": len(runs)})


def store_invoice(
    engine: Engine, pdf: Path, truth: dict[str, Any], status: InvoiceStatus, *, age_days: int
) -> tuple[int, Path]:
    """Store a sample as the batch would, its file archived; return the invoice id and file."""
    archive = Settings().archive_dir / status.value
    archive.mkdir(parents=True, exist_ok=True)
    archived = archive / pdf.name
    shutil.copy2(pdf, archived)
    (archived.parent / (archived.name + ".reason.json")).write_text("{}")
    extraction = Extraction.model_validate(
        {key: value for key, value in truth.items() if key in CONTRACT_KEYS}
    )
    with Session(engine) as session:
        claim = claim_document(
            session,
            sha256=extraction.sha256,
            source=str(pdf),
            file_name=pdf.name,
            size_bytes=pdf.stat().st_size,
            batch_id=None,
            stale_after=timedelta(hours=1),
        )
        store = StoreHistory(session)
        invoice_id = record_invoice(
            session,
            document_id=claim.document_id,
            extraction=extraction,
            status=status,
            results=validate(extraction, history=store, master=store),
            archived_path=str(archived),
            seconds=0.1,
        )
        session.execute(
            update(Document)
            .where(col(Document.id) == claim.document_id)
            .values(claimed_at=datetime.now(UTC) - timedelta(days=age_days))
        )
        session.add(
            ReviewRun(invoice_id=invoice_id, flow_run_id=f"run-{invoice_id}", flow_run_name="x")
        )
        session.commit()
    return invoice_id, archived


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(
    request: pytest.FixtureRequest, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """Return a store holding the sample vendor master, on SQLite and on PostgreSQL."""
    if request.param == "postgresql":
        monkeypatch.setenv("INVOICEBOT_DATABASE_URL", request.getfixturevalue("postgres_url"))
    store = make_engine(Settings().resolved_database_url)
    init_store(store)
    with Session(store) as session:
        master.import_vendors(session, path=SAMPLES / "vendors.csv")
    yield store
    if request.param == "postgresql":
        SQLModel.metadata.drop_all(store)
        with store.begin() as connection:
            connection.execute(sql_text("DROP TABLE IF EXISTS alembic_version"))
    store.dispose()


def test_purge_deletes_old_documents_everywhere_but_keeps_waiting_ones(engine: Engine) -> None:
    old, old_file = store_invoice(engine, OTHER_PDF, OTHER, InvoiceStatus.APPROVED, age_days=40)
    waiting, waiting_file = store_invoice(
        engine, WAITING_PDF, WAITING, InvoiceStatus.EXCEPTION, age_days=40
    )
    new, new_file = store_invoice(
        engine, TRAITEUR_PDF, TRAITEUR, InvoiceStatus.APPROVED, age_days=1
    )
    prefect = FakePrefect()

    with Session(engine) as session:
        done = purge(session, Settings(), older_than_days=30, operator="Ana", prefect=prefect)

    assert prefect.calls == [([f"run-{old}"], [])]
    assert not old_file.exists() and not Path(f"{old_file}.reason.json").exists()
    assert waiting_file.exists() and new_file.exists()
    with Session(engine) as session:
        assert sorted(session.exec(select(Invoice.id)).all()) == [waiting, new]
        assert (
            session.exec(select(RuleResultRow).where(RuleResultRow.invoice_id == old)).all() == []
        )
        assert [run.invoice_id for run in session.exec(select(ReviewRun)).all()] == [waiting, new]
        audit = session.exec(select(PrivacyAction)).one()
    assert (audit.action, audit.operator, audit.prefect) == ("purge", "Ana", "fake: nothing")
    assert audit.counts["document"] == 1 and audit.counts["invoice"] == 1
    assert audit.counts["files"] == 2 and audit.counts["prefect_flow_runs"] == 1
    assert "30 days" in audit.criterion and done.selection.invoice_ids == [old]


def test_erase_replaces_a_suppliers_personal_data_and_deletes_its_files(engine: Engine) -> None:
    erased, erased_file = store_invoice(
        engine, TRAITEUR_PDF, TRAITEUR, InvoiceStatus.APPROVED, age_days=1
    )
    kept, kept_file = store_invoice(engine, OTHER_PDF, OTHER, InvoiceStatus.APPROVED, age_days=1)
    prefect = FakePrefect()

    with Session(engine) as session:
        erase(session, Settings(), supplier_key="SUP-003", operator="DPO", prefect=prefect)

    assert prefect.calls == [([f"run-{erased}"], [])]
    assert not erased_file.exists() and kept_file.exists()
    iban = TRAITEUR["fields"]["seller_iban"]
    with Session(engine) as session:
        invoice = session.get_one(Invoice, erased)
        assert (invoice.seller_name, invoice.seller_iban, invoice.seller_siret) == (
            "[erased]", None, None,
        )  # fmt: skip
        # The books keep the amounts and the number.
        assert str(invoice.total_gross).startswith(str(TRAITEUR["fields"]["total_gross"]))
        assert invoice.invoice_number == TRAITEUR["fields"]["invoice_number"]
        document = session.get_one(Document, invoice.document_id)
        assert document.file_name == f"erased-{document.id}.pdf"
        assert document.archived_path is None
        for row in session.exec(select(RuleResultRow).where(RuleResultRow.invoice_id == erased)):
            assert row.message == "[erased]" and row.compared == {}
        exceptions = session.exec(
            select(ExceptionRecord).where(ExceptionRecord.invoice_id == erased)
        ).all()
        assert exceptions and {row.message for row in exceptions} == {"[erased]"}
        assert (
            session.exec(select(master.Vendor).where(master.Vendor.vendor_id == "SUP-003")).first()
            is None
        )
        other = session.get_one(Invoice, kept)
        assert other.seller_name == OTHER["fields"]["seller_name"]
        audit = session.exec(select(PrivacyAction)).one()
    assert (audit.action, audit.criterion, audit.operator) == ("erase", "supplier SUP-003", "DPO")
    assert iban not in repr(audit.model_dump())

    with Session(engine) as session, pytest.raises(UnknownSupplierError):
        erase(session, Settings(), supplier_key="SUP-404", operator="DPO", prefect=prefect)


def test_the_commands_purge_and_erase_without_a_prefect_api(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    store_invoice(engine, OTHER_PDF, OTHER, InvoiceStatus.APPROVED, age_days=40)
    store_invoice(engine, TRAITEUR_PDF, TRAITEUR, InvoiceStatus.APPROVED, age_days=1)
    runner = CliRunner()
    # A Prefect test server started by another test of the session sets the API in-process.
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        run_purge_and_erase(runner, engine)


def run_purge_and_erase(runner: CliRunner, engine: Engine) -> None:
    purged = runner.invoke(app, ["purge", "--older-than", "30", "--yes", "--operator", "Ana"])
    assert purged.exit_code == 0, purged.output
    assert "purge #1: received before" in purged.stdout and "1 document(s)" in purged.stdout
    assert "no Prefect API configured" in purged.stdout

    erased = runner.invoke(app, ["erase", "--supplier", "FR50464556810", "--yes"])
    assert erased.exit_code == 0, erased.output
    assert "erase #2: supplier FR50464556810: 1 document(s)" in erased.stdout
    unknown = runner.invoke(app, ["erase", "--supplier", "nobody", "--yes"])
    assert unknown.exit_code == 1 and "no supplier matches" in unknown.output
    # Asked, and refused: nothing happens.
    refused = runner.invoke(app, ["purge", "--older-than", "1"], input="n\n")
    assert refused.exit_code == 1
    with Session(engine) as session:
        assert len(session.exec(select(PrivacyAction)).all()) == 2
