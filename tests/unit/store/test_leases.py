"""Claims as leases: renewed while a run works, taken over when lapsed, the takeover recorded,
and a run that lost its lease storing nothing. On SQLite and PostgreSQL, with a fake clock."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from invoicebot.archive import archive_file
from invoicebot.leases import LeaseKeeper
from invoicebot.model import Extraction, InvoiceStatus
from invoicebot.pipeline import PipelineContext, Skipped, extract_options, held_by_another_run
from invoicebot.settings import Settings
from invoicebot.store import init_store, make_engine
from invoicebot.store.claims import (
    Claim,
    ClaimOutcome,
    LeaseLostError,
    claim_document,
    hold_claim,
    release_claim,
    renew_lease,
    takeovers,
)
from invoicebot.store.repository import record_invoice
from invoicebot.store.review_audit import ReviewRun, ReviewRunConflictError, record_review_run
from invoicebot.store.tables import Document, Invoice
from tests.conftest import ROOT, drop_everything
from tests.processing import process_path
from tests.unit.store.test_claiming import FakeReader
from tests.unit.store.test_repository import sample_extraction

LEASE = timedelta(seconds=30)


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def claim(engine: Engine, clock: FakeClock, owner: str, sha: str = "a" * 64) -> Claim:
    with Session(engine) as session:
        return claim_document(
            session,
            sha256=sha,
            source=f"inbox/{sha[:8]}.pdf",
            file_name=f"{sha[:8]}.pdf",
            size_bytes=10,
            batch_id=None,
            stale_after=LEASE,
            owner=owner,
            clock=clock,
        )


def renew(engine: Engine, clock: FakeClock, owner: str, document_id: int) -> bool:
    with Session(engine) as session:
        return renew_lease(session, document_id=document_id, owner=owner, lease=LEASE, clock=clock)


def test_a_renewed_lease_is_kept_and_a_lapsed_one_taken_over_and_recorded(
    engine: Engine, clock: FakeClock
) -> None:
    first = claim(engine, clock, "worker-1")
    assert first.outcome is ClaimOutcome.CLAIMED
    clock.advance(20)
    assert renew(engine, clock, "worker-1", first.document_id)
    clock.advance(20)  # 40 s after the claim, 20 s after the renewal: still held
    assert claim(engine, clock, "worker-2").outcome is ClaimOutcome.IN_PROGRESS

    clock.advance(11)  # worker-1 died after its renewal: its lease lapsed 30 s after it
    taken = claim(engine, clock, "worker-2")

    assert (taken.outcome, taken.owner, taken.taken_over_from) == (
        ClaimOutcome.CLAIMED,
        "worker-2",
        "worker-1",
    )
    assert taken.document_id == first.document_id
    assert claim(engine, clock, "worker-3").outcome is ClaimOutcome.IN_PROGRESS
    with Session(engine) as session:
        [record] = takeovers(session, document_id=first.document_id)
        document = session.get_one(Document, first.document_id)
    assert (record.previous_owner, record.taken_by, record.sha256) == (
        "worker-1",
        "worker-2",
        "a" * 64,
    )
    assert record.previous_lease_expires_at is not None
    assert record.previous_lease_expires_at.replace(tzinfo=UTC) == clock.now - timedelta(seconds=1)
    assert record.taken_at.replace(tzinfo=UTC) == clock.now
    # The claim keeps the time the file was first taken (the KPIs' received time).
    assert document.claimed_at.replace(tzinfo=UTC) == clock.now - timedelta(seconds=51)


def test_a_batch_sees_a_file_another_run_holds_until_its_lease_lapses(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    path = tmp_path / "held.pdf"
    path.write_bytes(b"%PDF-1.7 held")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert not held_by_another_run(path, engine, clock=clock)  # nobody claimed it
    claim(engine, clock, "worker-1", sha)
    clock.advance(30)
    assert held_by_another_run(path, engine, clock=clock)  # the lease runs to its end
    clock.advance(1)
    assert not held_by_another_run(path, engine, clock=clock)  # lapsed: to take over
    assert not held_by_another_run(tmp_path / "gone.pdf", engine, clock=clock)


def test_a_run_whose_claim_was_taken_over_can_neither_renew_store_nor_release_it(
    engine: Engine, clock: FakeClock
) -> None:
    first = claim(engine, clock, "worker-1")
    clock.advance(31)
    taken = claim(engine, clock, "worker-2")
    assert taken.outcome is ClaimOutcome.CLAIMED

    assert not renew(engine, clock, "worker-1", first.document_id)
    with Session(engine) as session, pytest.raises(LeaseLostError) as lost:
        hold_claim(session, document_id=first.document_id, owner="worker-1")
    assert (lost.value.document_id, lost.value.owner) == (first.document_id, "worker-1")
    with Session(engine) as session:
        release_claim(session, document_id=first.document_id, owner="worker-1")
        document = session.get_one(Document, first.document_id)
        assert document.claimed_by == "worker-2"
        hold_claim(session, document_id=first.document_id, owner="worker-2")


def test_the_keeper_marks_a_lost_lease_and_stops_cleanly(engine: Engine, clock: FakeClock) -> None:
    first = claim(engine, clock, "worker-1")
    keeper = LeaseKeeper(
        engine,
        document_id=first.document_id,
        owner="worker-1",
        lease=LEASE,
        renew_every=timedelta(hours=1),  # the test renews by hand; the thread only waits
        clock=clock,
    )
    with keeper:
        assert keeper.renew() and not keeper.lost
        keeper.check()
        clock.advance(31)
        claim(engine, clock, "worker-2")
        assert not keeper.renew()
        assert keeper.lost
        with pytest.raises(LeaseLostError):
            keeper.check()


def test_a_lease_renewed_every_third_of_its_length_is_never_taken_over(
    engine: Engine, clock: FakeClock
) -> None:
    first = claim(engine, clock, "worker-1")
    for _ in range(10):
        clock.advance(10)
        assert renew(engine, clock, "worker-1", first.document_id)
        clock.advance(0.5)
        assert claim(engine, clock, "worker-2").outcome is ClaimOutcome.IN_PROGRESS
    with Session(engine) as session:
        assert takeovers(session) == []


class TakingOverReader(FakeReader):
    """Reads slowly: while it reads, the run's lease lapses and another run takes it over."""

    def __init__(self, engine: Engine, clock: FakeClock) -> None:
        super().__init__()
        self.engine = engine
        self.clock = clock

    def read(
        self, path: Path, options: object, *, source: str, data: bytes | None = None
    ) -> Extraction:
        extraction = super().read(path, options, source=source, data=data)
        self.clock.advance(31)
        assert claim(self.engine, self.clock, "other-run", extraction.sha256).outcome is (
            ClaimOutcome.CLAIMED
        )
        return extraction


def context_for(engine: Engine, reader: FakeReader, clock: FakeClock) -> PipelineContext:
    settings = Settings()
    return PipelineContext(
        settings,
        engine,
        None,
        extract_options(settings),
        reader,  # type: ignore[arg-type]
        clock=clock,
    )


def test_a_run_that_lost_its_lease_stores_nothing_and_the_taker_stores_once(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    path = inbox / "a.pdf"
    path.write_bytes(b"%PDF-1.7 invoice a")

    slow = context_for(engine, TakingOverReader(engine, clock), clock)
    assert process_path(path, slow) is Skipped.HELD_ELSEWHERE

    assert path.exists()
    with Session(engine) as session:
        [document] = session.exec(select(Document)).all()
        assert (document.status, document.claimed_by) == ("processing", "other-run")
        assert session.exec(select(Invoice)).all() == []
    # The other run dies too; the next run takes the file over and stores it once.
    clock.advance(31)
    outcome = process_path(path, context_for(engine, FakeReader(), clock))
    assert not isinstance(outcome, Skipped) and outcome.status is InvoiceStatus.APPROVED
    assert not path.exists()
    archive = slow.settings.archive_dir
    assert sorted(p.name for p in archive.rglob("*") if p.is_file()) == ["a.pdf"]
    with Session(engine) as session:
        assert len(session.exec(select(Invoice)).all()) == 1
        first, second = takeovers(session)
    assert (first.taken_by, second.previous_owner) == ("other-run", "other-run")


def test_a_killed_runs_file_waits_for_its_lease_then_is_taken_over(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    path = inbox / "a.pdf"
    path.write_bytes(b"%PDF-1.7 invoice a")
    # A run claimed it and was killed: the claim is there, nobody renews it.
    claim(engine, clock, "killed-run", hashlib.sha256(path.read_bytes()).hexdigest())
    context = context_for(engine, FakeReader(), clock)

    clock.advance(29)
    assert process_path(path, context) is Skipped.HELD_ELSEWHERE
    clock.advance(2)
    outcome = process_path(path, context)

    assert not isinstance(outcome, Skipped) and outcome.status is InvoiceStatus.APPROVED
    with Session(engine) as session:
        [record] = takeovers(session)
        assert record.previous_owner == "killed-run"


def test_two_runs_finishing_the_same_move_archive_one_copy(tmp_path: Path) -> None:
    source = tmp_path / "inbox" / "a.pdf"
    source.parent.mkdir()
    source.write_bytes(b"%PDF a")
    target = tmp_path / "archive" / "approved" / "a.pdf"
    target.parent.mkdir(parents=True)
    # The other run linked it in place and has not removed it from the inbox yet.
    target.hardlink_to(source)

    assert archive_file(source, target, sha256=hashlib.sha256(b"%PDF a").hexdigest()) == target

    assert not source.exists()
    assert [p.name for p in target.parent.iterdir()] == ["a.pdf"]


def test_a_review_run_recorded_twice_is_recorded_once(engine: Engine, clock: FakeClock) -> None:
    first = claim(engine, clock, "worker-1")
    with Session(engine) as session:
        invoice_id = record_invoice(
            session,
            document_id=first.document_id,
            extraction=sample_extraction(),
            status=InvoiceStatus.EXCEPTION,
            results=[],
            archived_path="archive/exceptions/a.pdf",
            seconds=0.1,
            owner="worker-1",
        )
        record_review_run(session, invoice_id=invoice_id, flow_run_id="run-1", flow_run_name="r")
        record_review_run(session, invoice_id=invoice_id, flow_run_id="run-1", flow_run_name="r")
        with pytest.raises(ReviewRunConflictError):
            record_review_run(
                session, invoice_id=invoice_id, flow_run_id="run-2", flow_run_name="r"
            )
        assert len(session.exec(select(ReviewRun)).all()) == 1


def test_a_lease_is_renewed_at_least_three_times_in_its_length(data_dir: Path) -> None:
    assert Settings(claim_lease_s=30, lease_renew_s=10).lease_renew_every_s == 10
    assert Settings(claim_lease_s=1, lease_renew_s=10).lease_renew_every_s == pytest.approx(1 / 3)
    assert Settings().claim_lease_s <= 60 / 2


@pytest.mark.postgres
def test_two_processes_over_one_inbox_store_and_archive_each_file_once(
    postgres_url: str, data_dir: Path, tmp_path: Path
) -> None:
    engine = make_engine(postgres_url)
    drop_everything(engine)
    init_store(engine)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(8):
        (inbox / f"invoice-{n:02d}.pdf").write_bytes(f"%PDF-1.7 invoice {n}".encode())
    env = os.environ | {
        "INVOICEBOT_DATA_DIR": str(data_dir),
        "INVOICEBOT_DATABASE_URL": postgres_url,
    }
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.lease_worker", str(inbox)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300)[0] for run in runs]

    assert [run.returncode for run in runs] == [0, 0]
    lines = [line.split() for output in outputs for line in output.splitlines()]
    stored = [name for name, status in lines if status in {"approved", "exception"}]
    assert sorted(stored) == sorted(f"invoice-{n:02d}.pdf" for n in range(8))
    assert list(inbox.iterdir()) == []
    archived = [p.name for p in Settings().archive_dir.rglob("*.pdf")]
    assert sorted(archived) == sorted(stored)
    with Session(engine) as session:
        assert len(session.exec(select(Document)).all()) == 8
        assert len(session.exec(select(Invoice)).all()) == 8
    drop_everything(engine)
    engine.dispose()
