"""The batch flow on a real Dask LocalCluster: its documents spread over worker processes."""

from __future__ import annotations

import os
from pathlib import Path

from sqlmodel import Session, select

from flows.process_inbox import PARALLEL_DOCUMENTS, process_inbox
from flows.runners import batch_task_runner
from invoicebot.model import InvoiceStatus
from invoicebot.settings import Settings
from invoicebot.store.engine import make_engine
from invoicebot.store.tables import Document
from tests.inbox import copy_into, pick_samples


def test_a_batch_on_a_local_dask_cluster_processes_each_document_once(
    data_dir: Path, tmp_path: Path
) -> None:
    clean = pick_samples(lambda t: t["kind"] == "text-pdf" and not t["faults"], 4)
    inbox = tmp_path / "inbox"
    copy_into(inbox, clean)
    settings = Settings(task_runner="dask", dask_workers=2)
    runner = batch_task_runner(settings, parallel_documents=PARALLEL_DOCUMENTS)

    summary = process_inbox.with_options(task_runner=runner)(inbox=str(inbox))

    assert not summary.failures
    assert sorted(Path(o.source).name for o in summary.invoices) == sorted(
        path.name for path, _truth in clean
    )
    assert {o.status for o in summary.invoices} == {InvoiceStatus.APPROVED}
    assert list(inbox.iterdir()) == []
    engine = make_engine(Settings().resolved_database_url)
    with Session(engine) as session:
        owners = session.exec(select(Document.claimed_by)).all()
    engine.dispose()
    # Claimed in the cluster's worker processes, not in the flow's.
    pids = {int(owner.split(":")[1]) for owner in owners if owner is not None}
    assert len(owners) == 4 and os.getpid() not in pids
