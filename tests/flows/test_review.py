"""The review flow under a real (test) Prefect server: suspend, take, decide, apply.

The batch starts the review run through the deployment; the test plays the worker's part by
running the flow run in this process, as a process worker would in a fresh one. The runs
here wait for the decision without holding the process (``hold_seconds=0``) except in the
test of the hold, where a second thread plays the operator.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
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
from invoicebot.kpis import handling_seconds, read_snapshot
from invoicebot.review import resolve_exception
from invoicebot.settings import Settings
from invoicebot.store.engine import make_engine
from invoicebot.store.review_audit import ReviewDecision, ReviewRun, ReviewStart
from invoicebot.store.tables import ExceptionRecord, Invoice
from invoicebot.store.training_labels import OperatorDecision
from tests.inbox import copy_into, pick_samples

FAULTY = pick_samples(lambda t: t["faults"] == ["BR-CO-15"] and t["kind"] == "text-pdf", 1)


@pytest.fixture(scope="module")
def review_deployment() -> Iterator[UUID]:
    """Register the review deployment on the test server (suspending needs one)."""
    deployment_id = review_exception.to_deployment(name="review").apply()
    yield deployment_id
    with get_client(sync_client=True) as client:
        client.delete_deployment(deployment_id)


def run_as_worker(flow_run_id: UUID, *, hold_seconds: int = 0) -> FlowRun:
    """Run a scheduled or resumed flow run here, as a worker would; return it afterwards."""
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(flow_run_id)
        parameters = {**flow_run.parameters, "hold_seconds": hold_seconds}
        # A suspending run ends its process with Pause; the worker's engine exits quietly.
        with contextlib.suppress(Pause):
            run_flow(review_exception, flow_run=flow_run, parameters=parameters)
        return client.read_flow_run(flow_run_id)


def pause_key(flow_run: FlowRun) -> str | None:
    assert flow_run.state is not None and flow_run.state.is_paused(), flow_run.state
    return flow_run.state.state_details.pause_key


@pytest.fixture
def queued_review(data_dir: Path, tmp_path: Path, review_deployment: UUID) -> FlowRun:
    """Return the review run of a batch with one invoice whose totals are wrong, suspended
    on its take form."""
    inbox = tmp_path / "inbox"
    copy_into(inbox, FAULTY)
    summary = process_inbox(inbox=str(inbox))
    assert [outcome.status.value for outcome in summary.invoices] == ["exception"]
    with Session(store_engine()) as session:
        review_run = session.exec(select(ReviewRun)).one()
    flow_run = run_as_worker(UUID(review_run.flow_run_id))
    assert pause_key(flow_run) == "take-0" and flow_run.state is not None
    assert flow_run.state.name == "Suspended"
    assert flow_run.deployment_id == review_deployment
    return flow_run


@pytest.fixture
def suspended_review(queued_review: FlowRun) -> FlowRun:
    """Return the review run taken by Ana, suspended on its decision form."""
    flow_run = resume(queued_review.id, operator="Ana")
    assert pause_key(flow_run) == "decision-0"
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
    # The form's reviewer starts on the operator who took the case.
    assert audit.rules_after == [] and audit.reviewer == "Ana"
    assert label.resolution == "correct_capture"
    with Session(store_engine()) as session:
        states = set(session.exec(select(ExceptionRecord.state)).all())
    assert states == {"corrected"}


def test_a_correction_that_still_fails_asks_again(suspended_review: FlowRun) -> None:
    flow_run = resume(suspended_review.id, decision="approve_with_corrections", total_net="1.00")

    # Still Ana's case: straight back to the decision form, no second take.
    assert pause_key(flow_run) == "decision-1"
    invoice, [audit], [label] = stored(1)
    assert invoice.status == "exception" and audit.rules_after
    assert label.resolution == "correct_capture"


def test_escalation_keeps_the_invoice_waiting_in_the_same_run(suspended_review: FlowRun) -> None:
    flow_run = resume(suspended_review.id, decision="escalate", comment="IBAN looks new")

    # The senior reviewer takes it anew.
    assert pause_key(flow_run) == "take-1"
    invoice, [_escalation], [label] = stored(1)
    assert invoice.status == "escalated" and label.resolution == "fraud_review"

    flow_run = resume(suspended_review.id, operator="Lead")
    assert pause_key(flow_run) == "decision-1"
    flow_run = resume(suspended_review.id, decision="approve")
    assert flow_run.state is not None and flow_run.state.is_completed(), flow_run.state
    invoice, audits, labels = stored(1)
    assert invoice.status == "approved"
    assert [(a.decision, a.reviewer) for a in audits] == [("escalate", "Ana"), ("approve", "Lead")]
    assert [lab.resolution for lab in labels] == ["fraud_review", "approve_anyway"]
    starts = review_starts()
    assert [(s.operator, s.pause_key, s.decision_id) for s in starts] == [
        ("Ana", "take-0", audits[0].id),
        ("Lead", "take-1", audits[1].id),
    ]


def review_starts() -> list[ReviewStart]:
    with Session(store_engine()) as session:
        starts = list(session.exec(select(ReviewStart).order_by(col(ReviewStart.id))).all())
        session.expunge_all()
    return starts


def test_the_take_records_who_and_when_and_times_the_decision(queued_review: FlowRun) -> None:
    took = datetime.now(UTC)
    resume_flow_run(queued_review.id, run_input={"operator": "  Camille "})
    submitted = datetime.now(UTC)
    time.sleep(1)
    flow_run = run_as_worker(queued_review.id)
    assert pause_key(flow_run) == "decision-0"
    [start] = review_starts()
    assert (start.operator, start.channel, start.flow_run_id, start.decision_id) == (
        "Camille", "prefect-ui", str(queued_review.id), None,
    )  # fmt: skip
    # The server's time of the take, not the time the worker ran the flow again.
    assert took <= start.started_at.replace(tzinfo=UTC) <= submitted

    time.sleep(2)
    flow_run = resume(queued_review.id, decision="reject", comment="duplicate")
    assert flow_run.state is not None and flow_run.state.is_completed(), flow_run.state
    _invoice, [audit], _labels = stored(1)
    [start] = review_starts()
    assert start.decision_id == audit.id and audit.reviewer == "Camille"
    with Session(store_engine()) as session:
        snapshot = read_snapshot(session, start=took.replace(year=2000), end=datetime.now(UTC))
    [handled] = handling_seconds(snapshot.reviews).values()
    assert handled == (audit.decided_at - start.started_at).total_seconds() and handled >= 2


def test_the_taken_run_holds_the_decision_and_applies_it_at_once(queued_review: FlowRun) -> None:
    resume_flow_run(queued_review.id, run_input={"operator": "Ana"})

    def operator_decides() -> None:
        # Waits for the live pause, then submits the decision as the Resume dialog would.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with get_client(sync_client=True) as client:
                state = client.read_flow_run(queued_review.id).state
            if state is not None and state.state_details.pause_key == "decision-0-live":
                resume_flow_run(queued_review.id, run_input={"decision": "approve"})
                return
            time.sleep(0.5)

    operator = threading.Thread(target=operator_decides)
    operator.start()
    flow_run = run_as_worker(queued_review.id, hold_seconds=120)
    operator.join()

    # One process: taken, decided and applied without suspending again.
    assert flow_run.state is not None and flow_run.state.is_completed(), flow_run.state
    invoice, [audit], _labels = stored(1)
    assert invoice.status == "approved" and audit.reviewer == "Ana"
    [start] = review_starts()
    assert start.decision_id == audit.id


def test_a_hold_without_a_decision_suspends_and_a_late_decision_still_applies(
    queued_review: FlowRun,
) -> None:
    resume_flow_run(queued_review.id, run_input={"operator": "Ana"})
    flow_run = run_as_worker(queued_review.id, hold_seconds=3)
    # Nobody decided within the hold: suspended on the same form, no process waits.
    assert pause_key(flow_run) == "decision-0" and flow_run.state is not None
    assert flow_run.state.name == "Suspended"

    flow_run = resume(queued_review.id, decision="send_back_to_supplier")
    assert flow_run.state is not None and flow_run.state.is_completed(), flow_run.state
    invoice, [audit], _labels = stored(1)
    assert invoice.status == "sent_back" and audit.reviewer == "Ana"


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


def test_a_decision_on_the_terminal_first_makes_the_forms_answer_a_refusal(
    suspended_review: FlowRun,
) -> None:
    with Session(store_engine()) as session:
        resolve_exception(
            session, invoice_id=1, decision="reject", corrections={}, reviewer="Ben",
            comment="", channel="terminal",
        )  # fmt: skip
    flow_run = resume(suspended_review.id, decision="approve", reviewer="Ana")

    assert flow_run.state is not None and flow_run.state.is_completed(), flow_run.state
    invoice, audits, labels = stored(1)
    assert invoice.status == "rejected" and [lab.decided_by for lab in labels] == ["Ben"]
    assert [(a.reviewer, a.channel, a.decision) for a in audits] == [
        ("Ben", "terminal", "reject"),
        ("Ana", "prefect-ui", "approve"),
    ]
    assert audits[0].refused_reason is None
    assert "decided meanwhile by Ben (terminal)" in str(audits[1].refused_reason)
    assert decision_inputs(suspended_review.id) == []


def test_four_eyes_in_the_review_run_then_nothing_of_the_forms_is_left(
    suspended_review: FlowRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INVOICEBOT_FOUR_EYES", "arithmetic")
    flow_run = resume(suspended_review.id, decision="approve")  # Ana, alone

    assert pause_key(flow_run) == "decision-1"
    _invoice, [refused], _labels = stored(1)
    assert "four-eyes rule" in str(refused.refused_reason)
    flow_run = resume(suspended_review.id, decision="escalate", comment="call the supplier")
    assert pause_key(flow_run) == "take-2"
    flow_run = resume(suspended_review.id, operator="Lead")
    flow_run = resume(suspended_review.id, decision="approve")

    assert flow_run.state is not None and flow_run.state.is_completed(), flow_run.state
    invoice, audits, _labels = stored(1)
    assert invoice.status == "approved"
    assert [(a.reviewer, a.decision, a.refused_reason is None) for a in audits] == [
        ("Ana", "approve", False),
        ("Ana", "escalate", True),
        ("Lead", "approve", True),
    ]
    # The decision forms' text and answers are deleted once applied.
    assert decision_inputs(suspended_review.id) == []


def decision_inputs(flow_run_id: UUID) -> list[str]:
    """Return the keys of the decision forms' descriptions and answers left on the server."""
    with get_client(sync_client=True) as client:
        return sorted(
            item.key
            for state in ("suspended", "paused")
            for item in client.filter_flow_run_input(
                flow_run_id=flow_run_id, key_prefix=f"{state}-decision-", limit=50,
                exclude_keys=set(),
            )
            if item.key.endswith(("-description", "-response"))
        )  # fmt: skip
