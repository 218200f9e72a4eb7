"""The batch flow under a real (test) Prefect server, on real sample PDFs and bad files."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import pytest
from sqlmodel import Session, col, func, select

import flows.process_inbox as batch_flow
from flows.process_inbox import group_size, process_inbox
from invoicebot.model import BatchSummary, DocumentFailure, InvoiceOutcome, InvoiceStatus
from invoicebot.pipeline import PipelineContext, Skipped
from invoicebot.settings import Settings
from invoicebot.store.engine import make_engine
from invoicebot.store.tables import BatchRun, Document, ExceptionRecord, Invoice
from samples.randomised import TUNING_FAMILIES, generate_document
from tests.flows.runs import task_run_names
from tests.inbox import concatenated_pdf, copy_into, duplicate_pair, pick_samples, write_bad_files


def by_name(summary: BatchSummary) -> dict[str, InvoiceStatus]:
    return {Path(outcome.source).name: outcome.status for outcome in summary.invoices}


def test_batch_routes_stores_archives_and_reruns_safely(data_dir: Path, tmp_path: Path) -> None:
    clean = pick_samples(lambda t: t["kind"] == "text-pdf" and not t["faults"], 3)
    scanned = pick_samples(lambda t: t["kind"] == "scanned-pdf" and not t["faults"], 1)
    faulty = pick_samples(lambda t: "BR-CO-15" in t["faults"], 1)
    pair = duplicate_pair()
    inbox = tmp_path / "inbox"
    copy_into(inbox, clean + scanned + faulty + pair)
    bad = write_bad_files(inbox, clean[0][0])
    documents = sorted(p.name for p in inbox.iterdir() if p.stat().st_size)

    summary = process_inbox(inbox=str(inbox))

    statuses = by_name(summary)
    assert summary.documents == len(documents) == len(statuses)
    assert not summary.failures
    for path, _truth in clean:
        assert statuses[path.name] is InvoiceStatus.APPROVED, path.name
    assert statuses[scanned[0][0].name] is not InvoiceStatus.QUARANTINED
    faulty_outcome = next(o for o in summary.invoices if o.source.endswith(faulty[0][0].name))
    assert faulty_outcome.status is InvoiceStatus.EXCEPTION
    assert "arithmetic" in {e.category.value for e in faulty_outcome.exceptions}
    pair_rules = [
        {e.rule for e in o.exceptions}
        for o in summary.invoices
        if Path(o.source).name in {p.name for p, _ in pair}
    ]
    assert sum("DUPLICATE-INVOICE-NUMBER" in rules for rules in pair_rules) == 1
    for name, code in bad.items():
        assert statuses[name] is InvoiceStatus.QUARANTINED
        outcome = next(o for o in summary.invoices if o.source.endswith(name))
        assert [e.category.value for e in outcome.exceptions] == ["unreadable"]
        assert outcome.exceptions[0].message.startswith(code)
    assert 0 < summary.kpis.straight_through_rate < 1

    settings = Settings()
    archive = settings.archive_dir
    # Every complete file leaves the inbox; an empty one is a copy in progress: never taken.
    assert [p.name for p in inbox.iterdir()] == ["empty.pdf"]
    archived = sorted(p.name for p in archive.rglob("*") if p.is_file() and "reason" not in p.name)
    assert archived == documents
    for name in bad:
        assert (archive / "quarantine" / name).exists()
        assert (archive / "quarantine" / f"{name}.reason.json").exists()

    engine = make_engine(settings.resolved_database_url)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Document)).one() == len(documents)
        assert session.exec(select(func.count()).select_from(Invoice)).one() == len(documents) - 2
        quarantined = session.exec(
            select(Document).where(col(Document.status) == "quarantined")
        ).all()
        assert {d.file_name: d.error_code for d in quarantined} == bad
        assert (
            session.exec(
                select(func.count())
                .select_from(ExceptionRecord)
                .where(col(ExceptionRecord.category) == "unreadable")
            ).one()
            == 2
        )
        batch = session.exec(select(BatchRun)).one()
        assert batch.documents == len(documents) and batch.finished_at is not None

    rerun = process_inbox(inbox=str(inbox))
    assert rerun.documents == 0 and rerun.invoices == []

    shutil.copy2(clean[0][0], inbox / clean[0][0].name)
    resent = process_inbox(inbox=str(inbox))
    assert by_name(resent) == {clean[0][0].name: InvoiceStatus.DUPLICATE}
    assert (archive / "duplicates" / clean[0][0].name).exists()
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Invoice)).one() == len(documents) - 2
    engine.dispose()


def test_a_stack_gives_one_summary_entry_per_invoice_and_one_document(
    data_dir: Path, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    parts = [generate_document(TUNING_FAMILIES[n], 2000 + n).data for n in (0, 5, 9)]
    (inbox / "stack.pdf").write_bytes(concatenated_pdf(parts))
    copy_into(inbox, pick_samples(lambda t: t["kind"] == "text-pdf" and not t["faults"], 1))

    summary = process_inbox(inbox=str(inbox))

    assert summary.documents == 2 and len(summary.invoices) == 4
    entries = summary.model_dump(mode="json")["invoices"]
    stack = [entry for entry in entries if entry["source"].endswith("stack.pdf")]
    assert [entry["page_range"] for entry in stack] == [[1, 1], [2, 2], [3, 3]]
    (single,) = [entry for entry in entries if not entry["source"].endswith("stack.pdf")]
    assert "page_range" not in single
    engine = make_engine(Settings().resolved_database_url)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Invoice)).one() == 4
        assert session.exec(select(BatchRun)).one().documents == 2
    engine.dispose()


def test_documents_share_task_runs_and_one_failing_stops_none_of_the_others(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(12):
        document = generate_document(TUNING_FAMILIES[n % len(TUNING_FAMILIES)], 3000 + n)
        (inbox / f"g{n:02}.pdf").write_bytes(document.data)
    # Two task runs in flight: the groups grow once the first has given the batch's pace.
    monkeypatch.setattr(batch_flow, "PARALLEL_DOCUMENTS", 1)
    reading = batch_flow.process_file

    def failing_on_g01(path: Path, context: PipelineContext) -> list[InvoiceOutcome] | Skipped:
        if path.name == "g01.pdf":
            raise OSError("disk gone")
        return reading(path, context)

    monkeypatch.setattr(batch_flow, "process_file", failing_on_g01)

    summary = process_inbox(inbox=str(inbox))

    failure = DocumentFailure(source=str(inbox / "g01.pdf"), error="OSError: disk gone")
    assert summary.failures == [failure]
    assert sorted(by_name(summary)) == [f"g{n:02}.pdf" for n in range(12) if n != 1]
    assert [p.name for p in inbox.iterdir()] == ["g01.pdf"]
    names = asyncio.run(task_run_names(summary.run_id))
    assert any(re.fullmatch(r"process g\d\d\.pdf and \d+ more", name) for name in names)
    assert len([name for name in names if name.startswith("process ")]) < 12


def test_groups_take_a_few_seconds_of_work_and_shrink_as_the_batch_ends() -> None:
    assert group_size(500, 4, 16, None) == 1  # the batch's pace not known yet
    assert group_size(500, 4, 16, 0.1) == 16
    assert group_size(500, 4, 16, 1.0) == 3  # scans: a group is about GROUP_TARGET_S
    assert group_size(500, 4, 16, 10.0) == 1
    assert group_size(40, 4, 16, 0.1) == 5
    assert group_size(7, 4, 16, 0.1) == 1
    assert group_size(0, 4, 16, 0.1) == 1
    assert group_size(500, 4, 1, 0.1) == 1
