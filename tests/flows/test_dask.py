"""The batch flow on a real Dask LocalCluster.

The cluster of the test runs its worker in threads of this process: a worker process costs
tens of seconds to start here (it imports the extractors, then starts its reading
processes). ``batch_task_runner``'s own cluster, of processes, is checked for its settings;
``benchmarks/workers.py --dask 2`` runs it on a thousand invoices.
"""

from __future__ import annotations

from pathlib import Path

import dask
from prefect_dask.task_runners import DaskTaskRunner
from sqlmodel import Session, select

from flows.process_inbox import PARALLEL_DOCUMENTS, process_inbox
from flows.runners import batch_task_runner
from invoicebot.model import InvoiceStatus
from invoicebot.settings import Settings
from invoicebot.store.engine import make_engine
from invoicebot.store.tables import Document
from tests.inbox import copy_into, pick_samples


def test_the_dask_setting_gives_a_local_cluster_of_processes_that_may_have_children(
    data_dir: Path,
) -> None:
    runner = batch_task_runner(
        Settings(task_runner="dask", dask_workers=3), parallel_documents=PARALLEL_DOCUMENTS
    )
    assert isinstance(runner, DaskTaskRunner)
    assert runner.cluster_kwargs == {"n_workers": 3, "threads_per_worker": 1, "processes": True}
    assert dask.config.get("distributed.worker.daemon") is False
    remote = batch_task_runner(
        Settings(task_runner="dask", dask_address="tcp://127.0.0.1:8786"),
        parallel_documents=PARALLEL_DOCUMENTS,
    )
    assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://127.0.0.1:8786"


def test_a_batch_on_a_local_dask_cluster_processes_each_document_once(
    data_dir: Path, tmp_path: Path
) -> None:
    clean = pick_samples(lambda t: t["kind"] == "text-pdf" and not t["faults"], 3)
    inbox = tmp_path / "inbox"
    copy_into(inbox, clean)
    runner = DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={"n_workers": 2, "threads_per_worker": 1, "processes": False},
    )

    summary = process_inbox.with_options(task_runner=runner)(inbox=str(inbox))

    assert not summary.failures
    assert sorted(Path(o.source).name for o in summary.invoices) == sorted(
        path.name for path, _truth in clean
    )
    assert {o.status for o in summary.invoices} == {InvoiceStatus.APPROVED}
    assert list(inbox.iterdir()) == []
    engine = make_engine(Settings().resolved_database_url)
    with Session(engine) as session:
        assert len(session.exec(select(Document)).all()) == 3
    engine.dispose()
