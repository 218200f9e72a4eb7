"""The review flow under a real (test) Prefect server: suspend, resume with a form, apply.

The batch starts the review run through the deployment; the test plays the worker's part by
running the flow run in this process, as a process worker would in a fresh one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
from prefect.client.schemas.objects import FlowRun
from prefect.exceptions import Pause
from prefect.flow_engine import run_flow
from prefect.flow_runs import resume_flow_run
from sqlmodel import Session, col, select

from flows.process_inbox import process_inbox
from flows.review import review_exception
from invoicebot.settings import Settings
from invoicebot.store.engine import make_engine
from invoicebot.store.labels import OperatorDecision
from invoicebot.store.review import ReviewDecision, ReviewRun
from invoicebot.store.tables import ExceptionRecord, Invoice
from tests.inbox import copy_into, pick_samples

FAULTY = pick_samples(lambda t: t["faults"] == ["BR-CO-15"] and t["kind"] == "text-pdf", 1)


@pytest.fixture(scope="module")
def review_deployment() -> Iterator[UUID]:
    """Register the review deployment on the test server (suspending needs one)."""
    deployment_id = review_exception.to_deployment(name="review").apply()
    yield deployment_id
    with get_client(sync_client=True) as client:
        client.delete_deployment(deployment_id)


def run_as_worker(flow_run_id: UUID) -> FlowRun:
    """Run a scheduled or resumed flow run here, as a worker would; return it afterwards."""
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(flow_run_id)
        # A suspending run ends its process with Pause; the worker's engine exits quietly.
        with contextlib.suppress(Pause):
            run_flow(review_exception, flow_run=flow_run, parameters=flow_run.parameters)
        return client.read_flow_run(flow_run_id)


@pytest.fixture
def suspended_review(data_dir: Path, tmp_path: Path, review_deployment: UUID) -> FlowRun:
    """Return the suspended review run of a batch with one invoice whose totals are wrong."""
    inbox = tmp_path / "inbox"
    copy_into(inbox, FAULTY)
    summary = process_inbox(inbox=str(inbox))
    assert [outcome.status.value for outcome in summary.invoices] == ["exception"]
    with Session(store_engine()) as session:
        review_run = session.exec(select(ReviewRun)).one()
    flow_run = run_as_worker(UUID(review_run.flow_run_id))
    assert flow_run.state is not None and flow_run.state.is_paused(), flow_run.state
    assert flow_run.deployment_id == review_deployment
    return flow_run


def store_engine() -> Any:
    return make_engine(Settings().resolved_database_url)


def resume(flow_run_id: UUID, **form: str) -> FlowRun:
    resume_flow_run(flow_run_id, run_input=form)
    return run_as_worker(flow_run_id)


def stored(invoice_id: int) -> tuple[Invoice, list[ReviewDecision], list[OperatorDecision]]:
    with Session(store_engine()) as session:
        invoice = session.get_one(Invoice, invoice_id)
        audits = list(session.exec(select(ReviewDecision).order_by(col(ReviewDecision.id))).all())
        labels = list(session.exec(select(OperatorDecision)).all())
        session.expunge_all()
    return invoice, audits, labels


def test_the_batch_starts_one_named_tagged_review_run(suspended_review: FlowRun) -> None:
    truth = FAULTY[0][1]
    assert (
        suspended_review.name
        == f"{truth['fields']['seller_name']} {truth['fields']['invoice_number']}"
    )
    assert set(suspended_review.tags) == {"review", "arithmetic"}
    assert suspended_review.parameters == {"invoice_id": 1}
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(
                id=DeploymentFilterId(any_=[suspended_review.deployment_id])
            )
        )
    assert suspended_review.id in {run.id for run in runs}


@pytest.mark.parametrize(
    ("decision", "status", "label"),
    [
        ("approve", "approved", "approve_anyway"),
        ("reject", "rejected", "reject_duplicate"),
        ("send_back_to_supplier", "sent_back", "request_credit_note"),
    ],
)
def test_a_final_decision_completes_the_run(
    suspended_review: FlowRun, decision: str, status: str, label: str
) -> None:
    flow_run = resume(suspended_review.id, decision=decision, reviewer="Ana", comment="checked")

    assert flow_run.state is not None and flow_run.state.is_completed(), flow_run.state
    invoice, audits, labels = stored(1)
    assert invoice.status == status
    [audit] = audits
    assert (audit.decision, audit.reviewer, audit.comment) == (decision, "Ana", "checked")
    assert (audit.status_before, audit.status_after, audit.changes) == ("exception", status, {})
    assert audit.flow_run_id == str(suspended_review.id) and audit.channel == "prefect-ui"
    assert audit.rules_before == ["BR-CO-15"]
    assert [(lab.resolution, lab.decided_by) for lab in labels] == [(label, "Ana")]


def test_a_correction_is_revalidated_and_approves(suspended_review: FlowRun) -> None:
    with Session(store_engine()) as session:
        read = session.get_one(Invoice, 1)
        assert read.total_net is not None and read.total_tax is not None
        right_gross = f"{read.total_net + read.total_tax:.2f}"
    assert read.total_gross != Decimal(right_gross)  # the fault: the gross does not add up

    flow_run = resume(
        suspended_review.id,
        decision="approve_with_corrections",
        total_gross=right_gross,
        amount_due=right_gross,
    )

    assert flow_run.state is not None and flow_run.state.is_completed(), flow_run.state
    invoice, [audit], [label] = stored(1)
    assert invoice.status == "approved" and invoice.total_gross == Decimal(right_gross)
    assert audit.changes["total_gross"] == [f"{read.total_gross:.2f}", right_gross]
    assert audit.rules_after == [] and audit.reviewer == "operator"
    assert label.resolution == "correct_capture"
    with Session(store_engine()) as session:
        states = set(session.exec(select(ExceptionRecord.state)).all())
    assert states == {"corrected"}


def test_a_correction_that_still_fails_asks_again(suspended_review: FlowRun) -> None:
    flow_run = resume(suspended_review.id, decision="approve_with_corrections", total_net="1.00")

    assert flow_run.state is not None and flow_run.state.is_paused(), flow_run.state
    invoice, [audit], [label] = stored(1)
    assert invoice.status == "exception" and audit.rules_after
    assert label.resolution == "correct_capture"


def test_escalation_keeps_the_invoice_waiting_in_the_same_run(suspended_review: FlowRun) -> None:
    flow_run = resume(suspended_review.id, decision="escalate", comment="IBAN looks new")

    assert flow_run.state is not None and flow_run.state.is_paused(), flow_run.state
    invoice, [_escalation], [label] = stored(1)
    assert invoice.status == "escalated" and label.resolution == "fraud_review"

    flow_run = resume(suspended_review.id, decision="approve", reviewer="Lead")
    assert flow_run.state is not None and flow_run.state.is_completed(), flow_run.state
    invoice, audits, labels = stored(1)
    assert invoice.status == "approved"
    assert [a.decision for a in audits] == ["escalate", "approve"]
    assert [lab.resolution for lab in labels] == ["fraud_review", "approve_anyway"]


@pytest.mark.parametrize(
    "form",
    [
        {"decision": "pay_twice"},
        {"decision": "approve_with_corrections", "total_gross": "12,50"},
        {"decision": "approve_with_corrections", "total_tax": "four hundred"},
    ],
)
def test_invalid_input_is_refused_and_the_run_keeps_waiting(
    suspended_review: FlowRun, form: dict[str, str]
) -> None:
    with pytest.raises(RuntimeError, match="Validation failed"):
        resume_flow_run(suspended_review.id, run_input=form)

    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(suspended_review.id)
    assert flow_run.state is not None and flow_run.state.is_paused()
    invoice, audits, labels = stored(1)
    assert invoice.status == "exception" and audits == [] and labels == []


def test_a_form_that_cannot_apply_is_audited_and_asked_again(suspended_review: FlowRun) -> None:
    # Passes the schema, but corrections without the decision that applies them are refused.
    flow_run = resume(suspended_review.id, decision="approve", total_net="1.00")

    assert flow_run.state is not None and flow_run.state.is_paused(), flow_run.state
    invoice, [audit], labels = stored(1)
    assert invoice.status == "exception" and labels == []
    assert audit.refused_reason and "approve_with_corrections" in audit.refused_reason
