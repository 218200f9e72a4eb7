"""The store's repository functions, on SQLite and on the local PostgreSQL server."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from invoicebot.model import Extraction, InvoiceFields, InvoiceStatus, Line, Method
from invoicebot.store import init_store, make_engine
from invoicebot.store.claims import ClaimOutcome, claim_document, release_claim
from invoicebot.store.repository import (
    StoreUsageError,
    begin_write,
    finish_batch,
    other_running_batches,
    record_invoice,
    record_quarantine,
    same_seller_and_number,
    start_batch,
)
from invoicebot.store.tables import (
    BatchRun,
    Document,
    ExceptionRecord,
    Invoice,
    InvoiceLine,
    RuleResultRow,
    utcnow,
)
from validation import validate

HOUR = timedelta(hours=1)


def claim(session: Session, sha: str, stale_after: timedelta = HOUR) -> ClaimOutcome:
    return claim_document(
        session,
        sha256=sha,
        source=f"inbox/{sha}.pdf",
        file_name=f"{sha}.pdf",
        size_bytes=10,
        batch_id=None,
        stale_after=stale_after,
    ).outcome


def sample_extraction() -> Extraction:
    return Extraction(
        source="inbox/a.pdf",
        sha256="a" * 64,
        method=Method.TEXT,
        pages=1,
        fields=InvoiceFields(
            invoice_number="F-0042",
            invoice_date=date(2026, 11, 14),
            seller_name="ACME",
            seller_vat_id="FR44732829320",
            total_net=Decimal("1234.56"),
            total_tax=Decimal("246.91"),
            total_gross=Decimal("1481.47"),
        ),
        lines=[Line(description="Papier", net_amount=Decimal("1234.56"), tax_rate=Decimal(20))],
        confidence={"invoice_number": 0.9},
    )


def test_a_file_is_claimed_once(engine: Engine) -> None:
    with Session(engine) as session:
        assert claim(session, "a") is ClaimOutcome.CLAIMED
        assert claim(session, "a") is ClaimOutcome.IN_PROGRESS


def test_a_stale_claim_of_an_older_invoicebot_is_taken_over(engine: Engine) -> None:
    with Session(engine) as session:
        claim(session, "a")
        # Claims made before leases have no expiry: they lapse an hour after claimed_at.
        session.execute(
            update(Document).values(claimed_at=utcnow() - 2 * HOUR, lease_expires_at=None)
        )
        session.commit()
        assert claim(session, "a") is ClaimOutcome.CLAIMED
        assert claim(session, "a") is ClaimOutcome.IN_PROGRESS


def test_released_claim_can_be_claimed_again(engine: Engine) -> None:
    with Session(engine) as session:
        claim(session, "a")
        document = session.exec(select(Document)).one()
        assert document.id is not None
        release_claim(session, document_id=document.id)
        assert claim(session, "a") is ClaimOutcome.CLAIMED


def test_invoice_is_stored_with_lines_results_and_exceptions(engine: Engine) -> None:
    extraction = sample_extraction()
    with Session(engine) as session:
        claim(session, "a")
        document = session.exec(select(Document)).one()
        assert document.id is not None
        results = validate(extraction)
        record_invoice(
            session,
            document_id=document.id,
            extraction=extraction,
            status=InvoiceStatus.EXCEPTION,
            results=results,
            archived_path="archive/exceptions/a.pdf",
            seconds=0.5,
        )
        assert claim(session, "a") is ClaimOutcome.ALREADY_PROCESSED
        invoice = session.exec(select(Invoice)).one()
        assert invoice.total_gross == Decimal("1481.47")
        assert invoice.invoice_number_key == "F0042"
        assert invoice.confidence == {"invoice_number": 0.9}
        line = session.exec(select(InvoiceLine)).one()
        assert line.net_amount == Decimal("1234.56")
        assert len(session.exec(select(RuleResultRow)).all()) == len(results)
        failed = {r.rule for r in results if r.is_exception}
        stored = {e.rule for e in session.exec(select(ExceptionRecord)).all()}
        assert stored == failed
        document = session.get_one(Document, document.id)
        assert document.status == "exception"
        found = same_seller_and_number(
            session, seller_key="vat:FR44732829320", invoice_number_key="F0042",
            exclude_document_id=None,
        )  # fmt: skip
        assert [p.source for p in found] == ["a.pdf"]
        assert not same_seller_and_number(
            session, seller_key="vat:FR44732829320", invoice_number_key="F0042",
            exclude_document_id=document.id,
        )  # fmt: skip


def test_quarantine_records_the_reason(engine: Engine) -> None:
    with Session(engine) as session:
        claim(session, "b")
        document = session.exec(select(Document)).one()
        assert document.id is not None
        record_quarantine(
            session,
            document_id=document.id,
            error_code="unreadable",
            message="unreadable: truncated PDF",
            archived_path="archive/quarantine/b.pdf",
            seconds=0.1,
        )
        document = session.get_one(Document, document.id)
        assert (document.status, document.error_code) == ("quarantined", "unreadable")
        exception = session.exec(
            select(ExceptionRecord).where(col(ExceptionRecord.document_id) == document.id)
        ).one()
        assert exception.category == "unreadable"


def test_sqlite_takes_the_write_lock_before_the_duplicate_check(tmp_path: Path) -> None:
    """Two processes' batches (two engines here): the second cannot read for its duplicate
    check while the first holds the write transaction, and then sees the first's invoice."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    scheduled = make_engine(url)
    init_store(scheduled)
    # Another process that does not wait at all for a lock (so the test never waits either).
    manual = create_engine(url, connect_args={"timeout": 0})
    extraction = sample_extraction()
    with Session(scheduled) as session:
        claim(session, "a")
        document_id = session.exec(select(Document.id)).one()
        begin_write(session)

        with Session(manual) as other, pytest.raises(OperationalError, match="locked"):
            begin_write(other)

        record_invoice(
            session, document_id=document_id, extraction=extraction,
            status=InvoiceStatus.APPROVED, results=[], archived_path="a.pdf", seconds=0.1,
        )  # fmt: skip
    with Session(manual) as other:
        begin_write(other)
        found = same_seller_and_number(
            other, seller_key="vat:FR44732829320", invoice_number_key="F0042",
            exclude_document_id=None,
        )  # fmt: skip
        assert [prior.document_id for prior in found] == [document_id]
    manual.dispose()
    scheduled.dispose()


def test_the_write_lock_must_come_before_the_first_write(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    init_store(engine)
    with Session(engine) as session:
        session.add(Document(sha256="b", source="b", file_name="b", size_bytes=1))
        session.flush()
        with pytest.raises(StoreUsageError):
            begin_write(session)
    engine.dispose()


def test_a_batch_knows_the_other_unfinished_batches_over_its_inbox(engine: Engine) -> None:
    with Session(engine) as session:
        first = start_batch(session, inbox="/in", flow_run_id=None)
        second = start_batch(session, inbox="/in", flow_run_id=None)
        start_batch(session, inbox="/elsewhere", flow_run_id=None)
        old = start_batch(session, inbox="/in", flow_run_id=None)
        session.execute(
            update(BatchRun)
            .where(col(BatchRun.id) == old)
            .values(started_at=utcnow() - timedelta(days=2))
        )
        session.commit()
        day = timedelta(days=1)
        assert other_running_batches(session, inbox="/in", batch_id=second, started_within=day) == 1
        finish_batch(session, batch_id=first, counts={}, machine_seconds=1.0)
        assert other_running_batches(session, inbox="/in", batch_id=second, started_within=day) == 0
