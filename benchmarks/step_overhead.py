"""What running each step as a Prefect task run costs, per step, against calling it.

    uv run python benchmarks/step_overhead.py [--documents 100] [--steps 6]

Runs the batch flow's shape (one ``process-document``-like task per document, on the
flow's thread pool) twice over trivial steps: each step called directly, then each step a
nested task run as ``flows/step_tasks.py`` makes it; prints the milliseconds a step task adds.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from flows.step_tasks import run_step_as_task
from invoicebot.model import Extraction
from invoicebot.steps.document import (
    DocumentContext,
    PlannedStep,
    StepResult,
    call_directly,
)
from invoicebot.steps.testing import stored_document


class Nothing:
    """A step that does nothing: what is timed is the running of it."""

    needs = ()
    adds = ()

    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, doc: DocumentContext) -> StepResult:
        return StepResult()


@task(name="process-document", cache_policy=NO_CACHE)
def document_task(number: int, steps: int, as_tasks: bool) -> None:
    """Run ``steps`` trivial steps over one document."""
    doc = stored_document([Extraction(source=f"inbox/{number}.pdf", sha256="0" * 64)])
    call = run_step_as_task if as_tasks else call_directly
    for index in range(steps):
        call(PlannedStep(step=Nothing(f"step-{index}"), source="benchmark"), doc)


@flow(name="step-overhead", task_runner=ThreadPoolTaskRunner(max_workers=os.cpu_count() or 2))
def batch(documents: int, steps: int, as_tasks: bool) -> float:
    """Return the seconds the documents took."""
    started = time.perf_counter()
    futures = [document_task.submit(number, steps, as_tasks) for number in range(documents)]
    for future in futures:
        future.result()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100)
    parser.add_argument("--steps", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ.setdefault("INVOICEBOT_DATA_DIR", str(Path(home) / "data"))
        batch(2, args.steps, True)  # the server's start-up, left out
        direct = batch(args.documents, args.steps, False)
        nested = batch(args.documents, args.steps, True)
    per_step_ms = 1000 * (nested - direct) / (args.documents * args.steps)
    print(f"documents {args.documents}, steps {args.steps}")
    print(f"steps called directly: {1000 * direct / args.documents:7.1f} ms per document")
    print(f"steps as task runs:    {1000 * nested / args.documents:7.1f} ms per document")
    print(f"cost of a step's task run: {per_step_ms:.1f} ms")


if __name__ == "__main__":
    main()
