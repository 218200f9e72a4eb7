"""Bank details in the Prefect database, and purge/erase on the Prefect side (real server).

The scenario is ``benchmarks/privacy.py``'s: a batch with a bank-detail exception and an
invalid IBAN, the review runs suspended, the bank-detail case decided by two people.
"""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL
from sqlmodel import Session, select

from benchmarks.privacy import TARGETS, run_scenario
from flows.retention import delete_runs_and_artifacts
from invoicebot import retention
from invoicebot.settings import Settings
from invoicebot.store.engine import shared_engine
from invoicebot.store.retention import PrivacyAction
from invoicebot.store.review_audit import ReviewDecision, ReviewRun
from invoicebot.store.tables import Invoice


def server_database() -> Path:
    url = str(PREFECT_SERVER_DATABASE_CONNECTION_URL.value())
    return Path(url.split("///", 1)[1])


def prefect_cleaner(runs: list[str], artifacts_of: list[str]) -> retention.PrefectSide:
    return delete_runs_and_artifacts(delete_runs=runs, strip_artifacts_of=artifacts_of)


def run_exists(run_id: str) -> bool:
    with get_client(sync_client=True) as client:
        try:
            client.read_flow_run(UUID(run_id))
        except ObjectNotFound:
            return False
    return True


def artifacts_of(run_id: str) -> list[str]:
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(run_id)]))
        )
    return sorted(str(artifact.key) for artifact in artifacts)


def test_no_iban_in_clear_in_the_prefect_database_then_purge_and_erase_it(
    data_dir: Path, tmp_path: Path
) -> None:
    stages = run_scenario(server_database, data_dir, tmp_path)

    counts = {stage.name: (stage.total, dict(stage.hits)) for stage in stages}
    assert counts["after the batch"] == (0, {}), counts
    assert counts["after the decisions"] == (0, {}), counts
    assert [name for name, target in TARGETS.items() if target is not None] == [
        "after the batch",
        "after the decisions",
    ]
    # Shown in full while the decision form waits, on that form only, by design.
    waiting_total, waiting_where = counts["decision form of the bank-detail case waiting"]
    assert waiting_total == 1
    assert list(waiting_where) == ["flow_run_input.value[suspended-decision-0-description]"]

    engine = shared_engine(Settings().resolved_database_url)
    with Session(engine) as session:
        audits = session.exec(select(ReviewDecision).order_by(ReviewDecision.id)).all()
        refused = [a for a in audits if a.refused_reason]
        assert [(a.reviewer, a.decision) for a in refused] == [("Ana", "approve")]
        assert "four-eyes" in str(refused[0].refused_reason)
        runs = {run.invoice_id: run.flow_run_id for run in session.exec(select(ReviewRun))}
        invoices = {invoice.id: invoice for invoice in session.exec(select(Invoice))}
    waiting = [i for i, invoice in invoices.items() if invoice.status == "exception"]
    [waiting_id] = waiting
    decided_run = next(run for i, run in runs.items() if i != waiting_id)
    waiting_run = runs[waiting_id]
    assert run_exists(decided_run) and artifacts_of(decided_run)

    # Erase the supplier of the waiting invoice: its review run goes, and the batch's
    # artifacts that named it.
    supplier = invoices[waiting_id].seller_vat_id or invoices[waiting_id].seller_key
    assert supplier
    with Session(engine) as session:
        erased = retention.erase(
            session, Settings(), supplier_key=supplier, operator="DPO", prefect=prefect_cleaner
        )
    assert erased.audit.counts["prefect_flow_runs"] == 1 and not run_exists(waiting_run)
    [batch_run] = erased.selection.touched_batch_runs
    assert "process-inbox-invoices" not in artifacts_of(batch_run)
    assert "process-inbox-kpis" in artifacts_of(batch_run)

    # Purge everything decided: the decided invoices' review run and artifacts go; the batch
    # run stays while it holds the waiting invoice.
    with Session(engine) as session:
        purged = retention.purge(
            session, Settings(), older_than_days=0, operator="Ana", prefect=prefect_cleaner
        )
        assert [row.action for row in session.exec(select(PrivacyAction))] == ["erase", "purge"]
        assert [invoice.id for invoice in session.exec(select(Invoice))] == [waiting_id]
    assert not run_exists(decided_run) and artifacts_of(decided_run) == []
    assert purged.audit.counts["prefect_flow_runs"] == 1 and run_exists(batch_run)
    assert "1 flow run(s)" in purged.audit.prefect
