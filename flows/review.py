"""One review flow run per exception invoice, suspended on a form in the Prefect UI.

The batch starts a run of the ``review-exception/review`` deployment for each exception
invoice. The run suspends (no process waits while the case sits in the queue) on a
``TakeForm``: an operator takes the case from the run's Resume dialog, which records who
started the review and when (the server's time of the resume, not the worker's pickup).
The decision form (``ReviewForm``) then follows in the same run. A worker starts the run
again after the take; that process keeps waiting for the decision for ``hold_seconds``
(a blocking pause: the decision is applied within seconds of the submit), then suspends
on the same form so that an operator who comes back hours later still finds it.
Escalations are taken again (by the senior reviewer); a correction that still fails, or a
form that could not be applied, goes straight back to the decision form of the same
operator. The invoice keeps waiting in the same run until a final decision.

Why not ``pause_flow_run(timeout=...)`` for the bounded wait: in Prefect 3.9 a pause that
times out raises ``FlowPauseTimeout`` in the flow, and the server then refuses any resume
of that pause (the run ends Failed, "paused and never resumed"); a paused run cannot be
suspended either (only a running one can). So the flow pauses without a server timeout,
watches the clock itself, and turns the pause into a suspension when the hold is over.
"""

from __future__ import annotations

import itertools
import time
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import State, StateType
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from prefect.input.actions import read_flow_run_input
from prefect.input.run_input import keyset_from_paused_state
from prefect.runtime import flow_run
from prefect.states import Paused, Running
from prefect.utilities.engine import propose_state_sync
from pydantic import Field, create_model
from sqlmodel import Session

from flows.lifecycle_events import emit_lifecycle_events
from invoicebot.model import FIELD_NAMES
from invoicebot.pageview import LinkSigner
from invoicebot.privacy import install_log_masking, mask_text, mask_values
from invoicebot.review import (
    DecisionName,
    ReviewInputError,
    ReviewNotPendingError,
    escape_markdown,
    fields_to_correct,
    record_refusal,
    resolve_exception,
    review_markdown,
    review_run_name,
    review_tags,
    start_review,
    suggested_decision,
    take_markdown,
)
from invoicebot.settings import Settings
from invoicebot.store.engine import shared_engine
from invoicebot.store.review_audit import (
    PERSON_NAME_MAX,
    WAITING_STATUSES,
    ReviewConflictError,
    ReviewDecision,
    ReviewStart,
    ReviewTakenError,
    StoredCase,
    invoices_without_review_run,
    load_case,
    record_review_run,
    review_history,
)

# No log record of a flow run (the Prefect database keeps them) carries an IBAN in clear.
install_log_masking()

REVIEW_DEPLOYMENT = "review-exception/review"
# How long the process started after a take waits for the decision before it suspends.
HOLD_SECONDS = 900
# How often that process asks the server whether the decision came.
HOLD_POLL_SECONDS = 2.0

FormT = TypeVar("FormT", bound=RunInput)
# What a form leaves in the Prefect database that may hold bank details (the schema holds
# the field titles and the pre-filled decision and reviewer only).
SCRUBBED_PARTS = ("description", "response")
PAUSE_STATE_NAMES = ("suspended", "paused")

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


class TakeForm(RunInput):
    """An operator taking the case: the first form of a review run."""

    operator: str = Field(default="", title="Your name", min_length=1, max_length=PERSON_NAME_MAX)


def take_form_for(case: StoredCase) -> type[TakeForm]:
    """Return the take form of a case, with the case in a few lines as its description."""
    signer = LinkSigner.from_settings(Settings())
    return TakeForm.with_initial_data(description=take_markdown(case, signer=signer))


class ReviewForm(RunInput):
    """The operator's decision on an exception invoice; ``form_for`` adds the corrections."""

    decision: DecisionName = Field(default="approve", title="Decision")
    reviewer: str = Field(
        default="operator",
        title="Reviewer (your name)",
        min_length=1,
        max_length=PERSON_NAME_MAX,
    )
    comment: str = Field(default="", title="Comment")

    def corrections(self) -> dict[str, str]:
        """Return the corrected values the form holds, by field name ("" = unchanged)."""
        return {
            name: getattr(self, name) for name in FIELD_NAMES if name in type(self).model_fields
        }


def form_for(case: StoredCase) -> type[ReviewForm]:
    """Return the form for a case: a corrected-value box for each field its failed rules
    concern, its markdown description, the decision starting on the suggestion and the
    reviewer on the operator who took the case."""
    boxes = {name: _correction_box(name) for name in fields_to_correct(case)}
    if case.taken is not None:
        # The operator who took the case decides; with_initial_data would drop the title.
        boxes["reviewer"] = (
            str,
            Field(
                default=case.taken.operator,
                title="Reviewer (your name)",
                min_length=1,
                max_length=PERSON_NAME_MAX,
            ),
        )
    form = create_model("ReviewForm", __base__=ReviewForm, **boxes)
    # The decision form shows a bank-detail exception's IBANs in full (the operator
    # confirms them with the supplier); scrub_form_inputs removes them once decided.
    return form.with_initial_data(
        description=review_markdown(
            case, reveal_bank_details=True, signer=LinkSigner.from_settings(Settings())
        ),
        decision=suggested_decision(case).value,
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
                *[f"- {escape_markdown(name)}" for name in names],
            ]
        )
        + "\n",
        description="The review runs this batch started.",
    )


@flow(name="review-exception")
def review_exception(invoice_id: int, hold_seconds: int = HOLD_SECONDS) -> str:
    """Wait for an operator to take one exception invoice, then for their decision; return
    the invoice's final status."""
    logger = get_run_logger()
    engine = shared_engine(Settings().resolved_database_url)
    while True:
        with Session(engine) as session:
            case = load_case(session, invoice_id=invoice_id)
        if case.status not in WAITING_STATUSES:
            # Decided elsewhere (the terminal) while a decision form was submitted here.
            _refuse_unapplied_answers(case)
            break
        # Keys count the decisions already taken: on the re-run after a resume, the keys of
        # earlier forms are past and each returns its submitted form at once.
        step = case.decisions
        if case.taken is None:
            take_key = f"take-{step}"
            take = suspend_flow_run(wait_for_input=take_form_for(case), key=take_key, timeout=None)
            case = _take(case, take.operator, pause_key=take_key)
        decision_key = f"decision-{step}"
        form, decided_at = wait_for_form(
            form_for(case), key=decision_key, hold_seconds=hold_seconds
        )
        audit = _apply(invoice_id, form, decided_at=decided_at)
        emit_lifecycle_events()
        scrub_form_inputs(_run_id(), decision_key)
        logger.info("%s by %s: now %s", audit.decision, audit.reviewer, audit.status_after)
    _publish_summary(invoice_id)
    return case.status


def _take(case: StoredCase, operator: str, *, pause_key: str) -> StoredCase:
    """Record the take submitted on the form ``pause_key``; return the case as taken."""
    run_id = _run_id()
    engine = shared_engine(Settings().resolved_database_url)
    with Session(engine) as session:
        try:
            start: ReviewStart = start_review(
                session,
                invoice_id=case.invoice_id,
                operator=operator,
                channel="prefect-ui",
                started_at=resumed_at(run_id, pause_key),
                flow_run_id=str(run_id),
                pause_key=pause_key,
            )
        except ReviewTakenError as error:
            # Taken on the terminal meanwhile: the decision form says by whom.
            get_run_logger().warning("%s; the decision form shows it", error)
        else:
            get_run_logger().info(
                "taken by %s at %s", start.operator, f"{start.started_at:%H:%M:%S} UTC"
            )
        return load_case(session, invoice_id=case.invoice_id)


def wait_for_form(
    form: type[FormT], *, key: str, hold_seconds: int
) -> tuple[FormT, datetime | None]:
    """Return the submitted ``form`` and when it was submitted (the server's time).

    The process waits up to ``hold_seconds`` in a pause without a server-side timeout
    (key ``{key}-live``), so a decision submitted meanwhile is applied at once; then it
    resumes itself and suspends on the same form (key ``key``, no timeout): the process
    ends, and the worker runs the flow again whenever the operator submits it.
    """
    run_id = _run_id()
    live_key = f"{key}-live"
    if hold_seconds > 0:
        submitted = _hold(form, run_id=run_id, key=live_key, hold_seconds=hold_seconds)
        if submitted is not None:
            return submitted, resumed_at(run_id, live_key)
    answer = suspend_flow_run(wait_for_input=form, key=key, timeout=None)
    return answer, resumed_at(run_id, key)


def _hold(form: type[FormT], *, run_id: UUID, key: str, hold_seconds: int) -> FormT | None:
    """Pause on ``form`` for up to ``hold_seconds``; return the submitted form, or None
    when nobody submitted it (the run is Running again then)."""
    logger = get_run_logger()
    proposed: State[Any] = Paused(timeout_seconds=None, reschedule=False, pause_key=key)
    keyset = keyset_from_paused_state(proposed)
    proposed.state_details.run_input_keyset = dict(keyset.items())
    with get_client(sync_client=True) as client:
        state = propose_state_sync(client=client, state=proposed, flow_run_id=run_id)
        if state.is_paused():
            form.save(keyset, flow_run_id=run_id)
            logger.info("Waiting up to %d s for the decision", hold_seconds)
            deadline = time.monotonic() + hold_seconds
            while time.monotonic() < deadline:
                time.sleep(HOLD_POLL_SECONDS)
                current = client.read_flow_run(run_id).state
                if current is None or not current.is_paused():
                    break
            else:
                # Nobody came: resume the run ourselves so that it can suspend.
                propose_state_sync(client=client, state=Running(), flow_run_id=run_id)
        # Submitted in time, or this pause fired in an earlier process of the run (the
        # server refused to pause again): its answer, if any, is stored under the keyset.
        value: Any = read_flow_run_input(keyset["response"], flow_run_id=run_id)
    return None if value is None else form.model_validate(value)


def resumed_at(run_id: UUID, key: str) -> datetime | None:
    """Return when the run left its pause ``key`` (the form's submit), None if it did not."""
    with get_client(sync_client=True) as client:
        states = sorted(client.read_flow_run_states(run_id), key=lambda state: state.timestamp)
    for paused, after in itertools.pairwise(states):
        if paused.type is StateType.PAUSED and paused.state_details.pause_key == key:
            return after.timestamp
    return None


def _run_id() -> UUID:
    run_id = flow_run.get_id()
    if run_id is None:
        raise RuntimeError("a review form needs a flow run")
    return UUID(str(run_id))


def _apply(invoice_id: int, form: ReviewForm, *, decided_at: datetime | None) -> ReviewDecision:
    engine = shared_engine(Settings().resolved_database_url)
    run_id = str(_run_id())
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
                decided_at=decided_at,
            )
        except (ReviewInputError, ReviewNotPendingError, ReviewConflictError) as error:
            # Bad input, the four-eyes rule, or a decision taken meanwhile on the terminal
            # (or by another run): nothing changed; audited, and the run asks again or ends.
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
        f"| {d.decided_at:%Y-%m-%d %H:%M} UTC | {escape_markdown(d.reviewer)} | "
        f"{escape_markdown(d.decision)} | {d.status_before} -> {d.status_after} | "
        f"{_changes(d)} | {escape_markdown(mask_text(d.comment or ''))} |"
        for d in history
    ]
    title = escape_markdown(
        f"{case.fields.seller_name or case.file_name} {case.fields.invoice_number or ''}"
    )
    create_markdown_artifact(
        key=f"review-invoice-{invoice_id}",
        markdown="\n".join(
            [
                f"# Review of {title}",
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
    """Return a decision's changes for the artifact: escaped, bank details masked."""
    if decision.refused_reason:
        return f"not applied: {escape_markdown(mask_text(decision.refused_reason))}"
    masked = mask_values(decision.changes)
    return ", ".join(
        escape_markdown(f"{name}: {old} -> {new}") for name, (old, new) in masked.items()
    )


def _refuse_unapplied_answers(case: StoredCase) -> None:
    """Audit as refused every decision form answered on this run but never applied (the
    invoice was decided meanwhile on the terminal), then scrub it. An applied answer is
    scrubbed as soon as it is applied, so what is left was not."""
    run_id = _run_id()
    with get_client(sync_client=True) as client:
        answered = [
            item
            for state in PAUSE_STATE_NAMES
            for item in client.filter_flow_run_input(
                flow_run_id=run_id, key_prefix=f"{state}-decision-", limit=50, exclude_keys=set()
            )
            if item.key.endswith("-response")
        ]
    if not answered:
        return
    engine = shared_engine(Settings().resolved_database_url)
    with Session(engine) as session:
        last = review_history(session, invoice_id=case.invoice_id)[-1:]
        by = f" by {last[0].reviewer} ({last[0].channel})" if last else ""
        for item in answered:
            answer = ReviewForm.model_validate(item.decoded_value)
            audit = record_refusal(
                session,
                invoice_id=case.invoice_id,
                decision=answer.decision,
                reviewer=answer.reviewer,
                comment=answer.comment,
                reason=f"invoice {case.invoice_id} was decided meanwhile{by}: it is "
                f"{case.status} now; nothing changed",
                channel="prefect-ui",
                flow_run_id=str(run_id),
            )
            get_run_logger().warning("form not applied: %s", audit.refused_reason)
    for item in answered:
        key = item.key.removesuffix("-response").split("-", 1)[1].removesuffix("-live")
        scrub_form_inputs(run_id, key)


def scrub_form_inputs(run_id: UUID, key: str) -> list[str]:
    """Delete from the Prefect database the description and the answer of the decision
    form ``key`` (and of its live pause) once the decision is in the store: a bank-detail
    form shows IBANs in full, and a corrected IBAN is typed in full. Return the keys deleted.
    """
    # Prefect names a form's inputs after the pause's state: "suspended-decision-0-...",
    # "paused-decision-0-live-..." (prefect.input.run_input.keyset_from_paused_state).
    bases = [f"{state}-{pause}" for state in PAUSE_STATE_NAMES for pause in (key, f"{key}-live")]
    wanted = {f"{base}-{part}" for base in bases for part in SCRUBBED_PARTS}
    deleted: list[str] = []
    with get_client(sync_client=True) as client:
        for prefix in PAUSE_STATE_NAMES:
            stored = client.filter_flow_run_input(
                flow_run_id=run_id, key_prefix=f"{prefix}-{key}", limit=50, exclude_keys=set()
            )
            for item in stored:
                if item.key in wanted:
                    client.delete_flow_run_input(flow_run_id=run_id, key=item.key)
                    deleted.append(item.key)
    return deleted
