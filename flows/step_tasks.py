"""The steps of a document's path as Prefect tasks of their own, and their events.

``invoicebot.pipeline.process_file`` runs each step through ``PipelineContext.run_step`` and
gives steps ``PipelineContext.emit`` to publish events: the batch flow passes these two, so
the UI shows each step of each document as a task run (nested in the ``process-documents``
task run), and the steps' events go to Prefect's event bus, where automations can act on
them. The steps themselves import no Prefect.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event
from prefect.utilities.annotations import quote

from invoicebot.steps.document import DocumentContext, PlannedStep, StepResult

# The task name of a step's task runs: the prefix tells their log records apart.
TASK_PREFIX = "step-"


class QuietStepRuns(logging.Filter):
    """Drop the step task runs' records below WARNING ("Finished in state Completed()"):
    writing them costs two thirds of a step task run (8.6 ms against 3.0 ms, measured by
    benchmarks/step_overhead.py); failures are still logged, and the UI shows each state."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Return False for a step task run's record below WARNING."""
        name = getattr(record, "task_name", None)
        quiet = isinstance(name, str) and name.startswith(TASK_PREFIX)
        return record.levelno >= logging.WARNING or not quiet


QUIET = QuietStepRuns()


def quiet_step_runs() -> None:
    """Install the filter on Prefect's task-run logger (once; Prefect's logging set-up
    replaces handlers, not filters)."""
    logger = logging.getLogger("prefect.task_runs")
    if QUIET not in logger.filters:
        logger.addFilter(QUIET)


# No caching: steps claim, move files and write the store; they must run every time.
@task(name="step", cache_policy=NO_CACHE)
def step_task(step: PlannedStep, doc: DocumentContext) -> StepResult:
    """Return what ``step`` added to ``doc``."""
    return step.run(doc)


def run_step_as_task(step: PlannedStep, doc: DocumentContext) -> StepResult:
    """Run ``step`` on ``doc`` as a task run named after both (a ``StepCaller``)."""
    quiet_step_runs()
    named = step_task.with_options(
        name=f"{TASK_PREFIX}{step.name}", task_run_name=f"{step.name} {doc.path.name}"
    )
    # Quoted: Prefect leaves the document (a store session, the file's bytes) unvisited.
    result: StepResult = named(quote(step), quote(doc))
    return result


def emit_prefect_event(event: str, resource: Mapping[str, str], payload: Mapping[str, Any]) -> None:
    """Publish a step's event on Prefect's event bus (an ``EventEmitter``)."""
    emit_event(event=event, resource=dict(resource), payload=dict(payload))
