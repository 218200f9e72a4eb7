"""One review flow run per exception invoice, suspended on a form in the Prefect UI.

The batch starts a run of the ``review-exception/review`` deployment for each exception
invoice. The run suspends (no process waits) with a ``ReviewForm``; the operator submits it
from the run's Resume dialog, a worker runs the flow again, and the decision is applied.
Escalations and corrections that still fail suspend it again, so the invoice keeps waiting
in the same run until a final decision.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from prefect.runtime import flow_run
from pydantic import Field, create_model
from sqlmodel import Session

from invoicebot.model import FIELD_NAMES
from invoicebot.review import (
    DecisionName,
    ReviewInputError,
    fields_to_correct,
    record_refusal,
    resolve_exception,
    review_markdown,
    review_run_name,
    review_tags,
    suggested_decision,
)
from invoicebot.settings import Settings
from invoicebot.store.engine import shared_engine
from invoicebot.store.review import (
    WAITING_STATUSES,
    ReviewDecision,
    StoredCase,
    invoices_without_review_run,
    load_case,
    record_review_run,
    review_history,
)

REVIEW_DEPLOYMENT = "review-exception/review"

# Patterns the server checks before it resumes a run, so that a mistyped date or amount is
# refused in the dialog and the run keeps waiting. Blank means "keep what was read".
DATE_TEXT = r"^(\d{4}-\d{2}-\d{2})?$"
AMOUNT_TEXT = r"^(-?\d+(\.\d+)?)?$"
CURRENCY_TEXT = r"^([A-Za-z]{3})?$"


CORRECTION_TITLES: dict[str, tuple[str, str | None]] = {
    "invoice_number": ("invoice number", None),
    "invoice_date": ("invoice date (YYYY-MM-DD)", DATE_TEXT),
    "due_date": ("due date (YYYY-MM-DD)", DATE_TEXT),
    "currency": ("currency (EUR)", CURRENCY_TEXT),
    "seller_name": ("seller name", None),
    "seller_vat_id": ("seller VAT number", None),
    "seller_siret": ("seller SIRET/SIREN", None),
    "seller_iban": ("seller IBAN", None),
    "buyer_name": ("buyer name", None),
    "buyer_vat_id": ("buyer VAT number", None),
    "po_number": ("PO number", None),
    "total_net": ("total net (1234.56)", AMOUNT_TEXT),
    "total_tax": ("total VAT (1234.56)", AMOUNT_TEXT),
    "total_gross": ("total gross (1234.56)", AMOUNT_TEXT),
    "amount_due": ("amount due (1234.56)", AMOUNT_TEXT),
}


class ReviewForm(RunInput):
    """The operator's decision on an exception invoice; ``form_for`` adds the corrections."""

    decision: DecisionName = Field(default="approve", title="Decision")
    reviewer: str = Field(default="operator", title="Reviewer (your name)")
    comment: str = Field(default="", title="Comment")

    def corrections(self) -> dict[str, str]:
        """Return the corrected values the form holds, by field name ("" = unchanged)."""
        return {
            name: getattr(self, name) for name in FIELD_NAMES if name in type(self).model_fields
        }


def form_for(case: StoredCase) -> type[ReviewForm]:
    """Return the form for a case: a corrected-value box for each field its failed rules
    concern, its markdown description, and the decision starting on the suggestion."""
    boxes = {name: _correction_box(name) for name in fields_to_correct(case)}
    form = create_model("ReviewForm", __base__=ReviewForm, **boxes)
    return form.with_initial_data(
        description=review_markdown(case), decision=suggested_decision(case).value
    )


def _correction_box(name: str) -> Any:
    title, pattern = CORRECTION_TITLES[name]
    return (str, Field(default="", title=f"Corrected {title}", pattern=pattern))


def review_idempotency_key(case: StoredCase) -> str:
    """Return the key that makes starting the review of this invoice happen once.

    Invoice ids restart in a new store (a reset demo, a test) while the server keeps its
    runs, so the key also carries the instant the invoice was stored.
    """
    return f"review-{case.invoice_id}-{case.created_at:%Y%m%d%H%M%S%f}"


# Started from the batch with run_deployment rather than by an automation on an
# ``invoice.exception`` event: the batch learns each run's id at once and records it in the
# store (an event gives no answer), the idempotency key keeps a retried batch from opening a
# second review, it behaves the same under prefect_test_harness (no automations service),
# and without a deployment (the ephemeral demo) the batch sees it and leaves the exceptions
# waiting in the store, where the next batch on a served stack picks them up.
@task(name="start-review-runs", cache_policy=NO_CACHE)
def start_review_runs() -> list[str]:
    """Start a review run for each waiting invoice that has none; return the runs' names."""
    logger = get_run_logger()
    engine = shared_engine(Settings().resolved_database_url)
    with Session(engine) as session:
        waiting = invoices_without_review_run(session)
    if not waiting:
        return []
    if not review_deployment_exists():
        logger.info(
            "No %s deployment: %d exception(s) wait in the store (invoicebot review list)",
            REVIEW_DEPLOYMENT,
            len(waiting),
        )
        return []
    started = []
    for invoice_id in waiting:
        with Session(engine) as session:
            case = load_case(session, invoice_id=invoice_id)
            run = run_deployment(
                REVIEW_DEPLOYMENT,
                parameters={"invoice_id": invoice_id},
                flow_run_name=review_run_name(case),
                tags=review_tags(case),
                idempotency_key=review_idempotency_key(case),
                timeout=0,
                # The review outlives the batch: it is not a subflow the batch waits on.
                as_subflow=False,
            )
            record_review_run(
                session, invoice_id=invoice_id, flow_run_id=str(run.id), flow_run_name=run.name
            )
        started.append(run.name)
    _publish_started(started)
    return started


def review_deployment_exists() -> bool:
    """Return True when the server knows the review deployment."""
    with get_client(sync_client=True) as client:
        try:
            client.read_deployment_by_name(REVIEW_DEPLOYMENT)
        except ObjectNotFound:
            return False
    return True


def _publish_started(names: list[str]) -> None:
    create_markdown_artifact(
        key="process-inbox-reviews",
        markdown="\n".join(
            [
                "# Exceptions waiting for review",
                "",
                "In the UI: Runs, filter on the tag `review` (state Suspended), open a run "
                "and press Resume.",
                "",
                *[f"- {name}" for name in names],
            ]
        )
        + "\n",
        description="The review runs this batch started.",
    )


@flow(name="review-exception")
def review_exception(invoice_id: int) -> str:
    """Wait for an operator's decision on one exception invoice; return its final status."""
    logger = get_run_logger()
    engine = shared_engine(Settings().resolved_database_url)
    while True:
        with Session(engine) as session:
            case = load_case(session, invoice_id=invoice_id)
        if case.status not in WAITING_STATUSES:
            break
        # One key per decision already taken: on the re-run after a resume, the keys of
        # earlier decisions are past and this one returns the submitted form at once.
        form = suspend_flow_run(
            wait_for_input=form_for(case), key=f"decision-{case.decisions}", timeout=None
        )
        audit = _apply(invoice_id, form)
        logger.info("%s by %s: now %s", audit.decision, audit.reviewer, audit.status_after)
    _publish_summary(invoice_id)
    return case.status


def _apply(invoice_id: int, form: ReviewForm) -> ReviewDecision:
    engine = shared_engine(Settings().resolved_database_url)
    run_id = str(flow_run.get_id() or "")
    with Session(engine) as session:
        try:
            return resolve_exception(
                session,
                invoice_id=invoice_id,
                decision=form.decision,
                corrections=form.corrections(),
                reviewer=form.reviewer,
                comment=form.comment,
                channel="prefect-ui",
                flow_run_id=run_id,
            )
        except ReviewInputError as error:
            session.rollback()
            get_run_logger().warning("form not applied: %s", error)
            return record_refusal(
                session,
                invoice_id=invoice_id,
                decision=form.decision,
                reviewer=form.reviewer,
                comment=form.comment,
                reason=str(error),
                channel="prefect-ui",
                flow_run_id=run_id,
            )


def _publish_summary(invoice_id: int) -> None:
    engine = shared_engine(Settings().resolved_database_url)
    with Session(engine) as session:
        case = load_case(session, invoice_id=invoice_id)
        history = review_history(session, invoice_id=invoice_id)
    rows = [
        f"| {d.decided_at:%Y-%m-%d %H:%M} UTC | {d.reviewer} | {d.decision} | "
        f"{d.status_before} -> {d.status_after} | {_changes(d)} | {d.comment or ''} |"
        for d in history
    ]
    create_markdown_artifact(
        key=f"review-invoice-{invoice_id}",
        markdown="\n".join(
            [
                f"# Review of {case.fields.seller_name or case.file_name} "
                f"{case.fields.invoice_number or ''}",
                "",
                f"Final status: **{case.status}**",
                "",
                "| when | who | decision | status | changes | comment |",
                "|---|---|---|---|---|---|",
                *rows,
            ]
        )
        + "\n",
        description="The operator's decisions on this exception invoice.",
    )


def _changes(decision: ReviewDecision) -> str:
    if decision.refused_reason:
        return f"not applied: {decision.refused_reason}"
    return ", ".join(f"{name}: {old} -> {new}" for name, (old, new) in decision.changes.items())
