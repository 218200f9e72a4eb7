"""The scheduled batch flow: every inbox file through extract -> validate -> store -> archive."""

from __future__ import annotations

import math
import os
import random
import time
from collections import Counter, deque
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.tasks import TaskRunNameCallbackWithParameters
from sqlmodel import Session

from extractors.base import ExtractOptions
from extractors.isolation import shared_reader
from flows.lifecycle_events import emit_lifecycle_events
from flows.review import start_review_runs
from flows.runners import batch_parallelism, batch_task_runner
from flows.step_tasks import emit_prefect_event, run_step_as_task
from invoicebot.kpis import batch_kpis, status_counts
from invoicebot.model import (
    BatchKpis,
    BatchSummary,
    DocumentFailure,
    InvoiceOutcome,
    InvoiceStatus,
)
from invoicebot.pipeline import (
    PipelineContext,
    Skipped,
    configured_steps,
    discover_inbox,
    extract_options,
    held_by_another_run,
    process_file,
)
from invoicebot.privacy import mask_text
from invoicebot.settings import Settings
from invoicebot.steps.document import call_directly
from invoicebot.store.engine import shared_engine
from invoicebot.store.repository import finish_batch, other_running_batches, start_batch

# One document per core at a time (the cores this process may use: taskset, cpusets); inside
# a document, OCR shares out the remaining workers.
PARALLEL_DOCUMENTS = len(os.sched_getaffinity(0)) or 2
# Beyond the two hard limits of a document's readings (the e-invoice XML, then its printed
# page), what storing and archiving may take a live run.
STORE_ALLOWANCE_S = 120.0
# Batch runs over the same inbox started this recently and not finished share it.
SHARED_INBOX_WINDOW = timedelta(hours=24)
# A group of documents is sized to take about this long (at the pace of the batch's documents
# so far): short enough that a held file's next look, queued behind the groups in flight, comes
# well within a minute of its run's death, and that each task run shows progress in the UI.
GROUP_TARGET_S = 3.0
# How much the latest group weighs in the batch's pace (an exponential mean: a batch may go
# from text PDFs, a tenth of a second each, to scans of several seconds).
PACE_WEIGHT = 0.3
# The progress artifact is updated at most this often (and at the end): an update is an API
# call, and one per document cost the server more than the document's own task run.
PROGRESS_EVERY_S = 2.0


def longest_document_s(settings: Settings) -> float:
    """Return the longest a live run takes over one document. No Prefect timeout enforces
    it: the task runs in a worker thread, which a timeout cannot interrupt (Prefect says so
    in a warning on every task run); the reading process's hard limit stops a hung reading."""
    hard_limit_s = ExtractOptions(timeout_s=settings.document_timeout_s).hard_limit_s
    return 2 * hard_limit_s + STORE_ALLOWANCE_S


@dataclass(frozen=True)
class DocumentResult:
    """What a task run gave for one of its documents: its outcomes (one per invoice it
    holds), why this run gave none (``Skipped``), or the error that left it in the inbox."""

    path: Path
    outcome: list[InvoiceOutcome] | Skipped | DocumentFailure
    seconds: float


def group_run_name(parameters: dict[str, Any]) -> str:
    """Return a process-documents task run's name: its first file, and how many follow."""
    paths: list[Path] = parameters["paths"]
    more = f" and {len(paths) - 1} more" if len(paths) > 1 else ""
    return f"process {paths[0].name}{more}"


# No caching: processing moves files and writes the store, it must run every time.
# Cast: Prefect's protocol for a name from the parameters also lists its own class method.
@task(
    name="process-documents",
    task_run_name=cast(TaskRunNameCallbackWithParameters, group_run_name),
    cache_policy=NO_CACHE,
)
def process_documents_task(
    paths: list[Path], batch_id: int, settings: Settings
) -> list[DocumentResult]:
    """Return what each of ``paths`` gave, read one after the other, with the batch's
    ``settings`` (read once by the flow: reading them costs milliseconds, a tenth of a text
    PDF's cost to the flow). Several documents a task run: a task run costs the server and
    the flow more than a text PDF's reading. One document's failure does not stop the others."""
    logger = get_run_logger()
    context = PipelineContext(
        settings=settings,
        engine=shared_engine(settings.resolved_database_url),
        batch_id=batch_id,
        # A bad template is each document's transient failure (counted), not the task's.
        options=extract_options(
            settings, parallel_documents=PARALLEL_DOCUMENTS, check_templates=False
        ),
        # Each step a task run of its own (unless switched off); events on Prefect's bus.
        run_step=run_step_as_task if settings.step_task_runs else call_directly,
        emit=emit_prefect_event,
    )
    results: list[DocumentResult] = []
    for path in paths:
        started = time.perf_counter()
        try:
            outcome: list[InvoiceOutcome] | Skipped | DocumentFailure = process_file(path, context)
        except Exception as error:  # the document fails, the group goes on
            logger.exception("%s failed and stays in the inbox", path.name)
            outcome = DocumentFailure(source=str(path), error=f"{type(error).__name__}: {error}")
        results.append(DocumentResult(path, outcome, time.perf_counter() - started))
    return results


def group_size(remaining: int, in_flight: int, most: int, seconds_each: float | None) -> int:
    """Return how many of the ``remaining`` documents the next task run takes: at most
    ``most``; about ``GROUP_TARGET_S`` of work at ``seconds_each`` a document (one while the
    batch's pace is not known); and fewer as the batch's end nears (guided scheduling), so
    that each of the ``in_flight`` task runs at a time still gets about two more and none
    runs on alone."""
    if seconds_each is None:
        return 1
    timed = int(GROUP_TARGET_S / max(seconds_each, 1e-3))
    return max(1, min(most, timed, remaining // (2 * in_flight)))


def held_wait_rounds(settings: Settings) -> int:
    """Return how many times a batch looks again at the files other runs hold: enough for
    a live run to finish any document and a dead one's lease to lapse."""
    waited_s = longest_document_s(settings) + settings.claim_lease_s
    return math.ceil(waited_s / settings.lease_renew_every_s) + 1


# Chosen when the module is imported: a deployment's run and `invoicebot run` import it with
# their settings in the environment.
@flow(
    name="process-inbox",
    task_runner=batch_task_runner(Settings(), parallel_documents=PARALLEL_DOCUMENTS),
    log_prints=True,
)
def process_inbox(inbox: str, batch_size: int | None = None) -> BatchSummary:
    """Process the files of ``inbox`` (at most ``batch_size``) and return the batch summary."""
    logger = get_run_logger()
    settings = Settings()
    engine = shared_engine(settings.resolved_database_url)
    # A wrong steps configuration stops the batch here, before any file is claimed.
    configured_steps(settings)
    if settings.task_runner == "thread":
        # The documents are read by this process's reading processes: their fork server
        # starts while the inbox is listed and the batch recorded.
        shared_reader().start()
    paths = discover_inbox(Path(inbox))[:batch_size]
    with Session(engine) as session:
        batch_id = start_batch(session, inbox=inbox, flow_run_id=flow_run.get_id())
        sharing = other_running_batches(
            session, inbox=inbox, batch_id=batch_id, started_within=SHARED_INBOX_WINDOW
        )
    if sharing and paths:
        # Runs over one inbox walking it in the same order would meet at every file, each
        # a claim lost and a task run for nothing: this one starts somewhere else in it.
        start = random.randrange(len(paths))
        paths = paths[start:] + paths[:start]
    logger.info("%d documents in %s (batch %d)", len(paths), inbox, batch_id)
    started = time.perf_counter()
    outcomes, failures = _process_all(paths, batch_id, settings, shared=bool(sharing))
    machine_seconds = time.perf_counter() - started
    kpis = batch_kpis(
        outcomes,
        machine_seconds=machine_seconds,
        manual_minutes_per_invoice=settings.manual_minutes_per_invoice,
    )
    with Session(engine) as session:
        finish_batch(
            session,
            batch_id=batch_id,
            counts=status_counts(outcomes),
            machine_seconds=machine_seconds,
            documents=len({outcome.source for outcome in outcomes}),
        )
    _publish_artifacts(outcomes, kpis, machine_seconds, settings)
    # The lifecycle statuses of this batch (and any left by a run without a server).
    emit_lifecycle_events()
    # After storing: one review run per exception invoice (none without a deployment).
    start_review_runs()
    return BatchSummary(
        run_id=str(flow_run.get_id() or ""),
        documents=len(paths),
        invoices=outcomes,
        kpis=kpis,
        failures=failures,
    )


@dataclass(frozen=True)
class _Held:
    """A file another run holds, to look at again at ``due`` (``time.monotonic``)."""

    path: Path
    due: float
    looks: int


def _process_all(
    paths: list[Path], batch_id: int, settings: Settings, *, shared: bool
) -> tuple[list[InvoiceOutcome], list[DocumentFailure]]:
    """Return the outcomes and failures of ``paths``; one failure never stops the batch.

    A few task runs per worker are in flight at a time, each over a group of documents, not
    the whole batch: a file another run holds is looked at again every lease renewal, ahead
    of the files not started yet, until that run finishes it, or dies and its lease lapses,
    when this run takes it over (within a lease and a renewal of the death). So several
    batches share one inbox, and a dead worker's documents do not wait for the end of the
    others' batches: a document is claimed when its reading starts, not when its group is
    formed. ``shared`` (other runs work over the inbox): on meeting another run's file, this
    one goes on elsewhere.
    """
    logger = get_run_logger()

    def submit(group: list[Path]) -> PrefectFuture[list[DocumentResult]]:
        # Not quoted: a Dask worker would get the quote, not the settings.
        return process_documents_task.submit(group, batch_id, settings)

    window = 2 * batch_parallelism(settings, parallel_documents=PARALLEL_DOCUMENTS)
    max_looks = held_wait_rounds(settings)
    waiting = deque(paths)
    held: deque[_Held] = deque()
    in_flight: deque[tuple[dict[Path, int], PrefectFuture[list[DocumentResult]]]] = deque()
    outcomes: list[InvoiceOutcome] = []
    failures: list[DocumentFailure] = []
    left_held: list[Path] = []
    progress = create_progress_artifact(
        progress=0.0, key="process-inbox-progress", description=f"0 of {len(paths)} documents"
    )
    engine = shared_engine(settings.resolved_database_url)
    done = 0
    shown_at = time.monotonic()
    seconds_each: float | None = None  # the batch's pace: a document's seconds in a task run

    def finished() -> None:
        nonlocal done, shown_at
        done += 1
        if time.monotonic() - shown_at >= PROGRESS_EVERY_S or done == len(paths):
            shown_at = time.monotonic()
            update_progress_artifact(
                artifact_id=progress,
                progress=100.0 * done / max(len(paths), 1),
                description=f"{done} of {len(paths)} documents",
            )

    def held_elsewhere(path: Path, looks: int) -> None:
        if shared and waiting:
            # Another run works here: go on somewhere else rather than behind it.
            waiting.rotate(random.randrange(len(waiting)))
        if looks < max_looks:
            due = time.monotonic() + settings.lease_renew_every_s
            held.append(_Held(path, due, looks + 1))
        else:
            left_held.append(path)
            finished()

    def next_group() -> dict[Path, int]:
        """Return the next files to read with how often each was looked at: the held ones
        due first, then those not started; the ones another run holds or moved left out."""
        size = group_size(
            len(waiting) + len(held), window, settings.documents_per_task, seconds_each
        )
        group: dict[Path, int] = {}
        while len(group) < size:
            if held and held[0].due <= time.monotonic():
                again = held.popleft()
                path, looks = again.path, again.looks
            elif waiting:
                path, looks = waiting.popleft(), 0
            else:
                break
            # Checked here, not by a task: a task run costs the server more than the check.
            if not path.exists():
                finished()  # another run processed and moved it
            elif held_by_another_run(path, engine):
                held_elsewhere(path, looks)
            else:
                group[path] = looks
        return group

    while waiting or held or in_flight:
        while len(in_flight) < window and (group := next_group()):
            in_flight.append((group, submit(list(group))))
        if not in_flight:
            if held:
                time.sleep(max(0.0, held[0].due - time.monotonic()))
            continue
        group, future = in_flight.popleft()
        future.wait()
        if future.state.is_completed():
            results = future.result()
            read = [result.seconds for result in results if isinstance(result.outcome, list)]
            if read:
                mean = sum(read) / len(read)
                seconds_each = (
                    mean
                    if seconds_each is None
                    else PACE_WEIGHT * mean + (1 - PACE_WEIGHT) * seconds_each
                )
        else:
            # The task run itself failed (its worker died, say): all its documents with it.
            error = future.state.message or future.state.name
            results = [
                DocumentResult(path, DocumentFailure(source=str(path), error=error), 0.0)
                for path in group
            ]
        for result in results:
            if result.outcome is Skipped.HELD_ELSEWHERE:
                held_elsewhere(result.path, group[result.path])
                continue
            if isinstance(result.outcome, list):
                outcomes.extend(result.outcome)
            elif isinstance(result.outcome, DocumentFailure):
                logger.error(
                    "%s failed and stays in the inbox: %s", result.path.name, result.outcome.error
                )
                failures.append(result.outcome)
            finished()
    if left_held:
        logger.warning(
            "%d documents still held by other runs stay in the inbox: %s",
            len(left_held),
            ", ".join(path.name for path in left_held),
        )
    return outcomes, failures


def _publish_artifacts(
    outcomes: list[InvoiceOutcome], kpis: BatchKpis, machine_seconds: float, settings: Settings
) -> None:
    create_table_artifact(
        key="process-inbox-invoices",
        table=[
            {
                "file": Path(outcome.source).name,
                # A file holding several invoices has one row per invoice, with its pages.
                "pages": "{}-{}".format(*outcome.page_range) if outcome.page_range else "",
                "status": outcome.status.value,
                "number": mask_text(outcome.invoice_number or ""),
                "seller": mask_text(outcome.seller_name or ""),
                "gross": str(outcome.total_gross) if outcome.total_gross is not None else "",
                # Bank details masked: artifacts live in the Prefect database, kept and shown.
                "exceptions": mask_text(
                    "; ".join(f"{e.rule}: {e.message}" for e in outcome.exceptions)
                ),
            }
            for outcome in outcomes
        ],
        description="One row per invoice of this batch (one per document read as one).",
    )
    create_markdown_artifact(
        key="process-inbox-kpis",
        markdown=kpi_markdown(outcomes, kpis, machine_seconds, settings),
        description="The batch's KPIs.",
    )


def kpi_markdown(
    outcomes: list[InvoiceOutcome], kpis: BatchKpis, machine_seconds: float, settings: Settings
) -> str:
    """Return the batch KPIs as a markdown table, with the counts behind each rate."""
    counts = status_counts(outcomes)
    invoices = len(outcomes) - counts[InvoiceStatus.DUPLICATE]
    categories = Counter(e.category.value for o in outcomes for e in o.exceptions)
    rows = [
        ("Time saved vs manual keying", f"{kpis.time_saved_ratio:.0%}"),
        ("Documents", str(len({outcome.source for outcome in outcomes}))),
        ("Invoices processed (exact duplicates left out)", str(invoices)),
        ("Approved straight through", str(counts[InvoiceStatus.APPROVED])),
        ("Exceptions for review", str(counts[InvoiceStatus.EXCEPTION])),
        ("Quarantined (unreadable)", str(counts[InvoiceStatus.QUARANTINED])),
        ("Exact duplicates skipped", str(counts[InvoiceStatus.DUPLICATE])),
        ("Straight-through rate", f"{kpis.straight_through_rate:.1%}"),
        ("Exception rate", f"{kpis.exception_rate:.1%}"),
        ("Invoices per hour of machine time", f"{kpis.throughput_per_hour:,.0f}"),
        ("Machine time", f"{machine_seconds:.1f} s"),
    ]
    touched = counts[InvoiceStatus.EXCEPTION] + counts[InvoiceStatus.QUARANTINED]
    manual = settings.manual_minutes_per_invoice
    # Managers read the first line only: the headline, with the inputs it rests on.
    headline = (
        f"**Processing time cut by {kpis.time_saved_ratio:.0%} vs manual keying** — "
        f"{machine_seconds:.0f} s machine + {touched} touched invoices x {manual:g} min, "
        f"against {invoices} invoices x {manual:g} min of manual keying."
    )
    lines = ["# Batch KPIs", "", headline, "", "| KPI | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    lines += [
        "",
        f"Time saved = 1 - (machine time + {settings.manual_minutes_per_invoice:g} min for each "
        "exception or quarantined document) / (invoices x "
        f"{settings.manual_minutes_per_invoice:g} min of manual keying).",
    ]
    if categories:
        lines += ["", "| exception category | count |", "|---|---|"]
        lines += [f"| {name} | {count} |" for name, count in categories.most_common()]
    return "\n".join(lines) + "\n"
