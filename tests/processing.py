"""One inbox file through the pipeline, for tests whose files each hold one invoice.

``invoicebot.pipeline.process_file`` gives one outcome per invoice a file holds; these
unpack the one outcome and fail the test on a file that held several."""

from __future__ import annotations

from pathlib import Path

from invoicebot.model import InvoiceOutcome
from invoicebot.pipeline import PipelineContext, Skipped, process_file


def process_path(path: Path, context: PipelineContext) -> InvoiceOutcome | Skipped:
    """Return the outcome of the one invoice ``path`` holds, or why this run gave none."""
    outcomes = process_file(path, context)
    if isinstance(outcomes, Skipped):
        return outcomes
    (outcome,) = outcomes
    return outcome


def process_document(path: Path, context: PipelineContext) -> InvoiceOutcome | None:
    """Return the outcome of the one invoice ``path`` holds, or None when this run gave
    none (another run holds the file, or it is not ready)."""
    outcome = process_path(path, context)
    return outcome if isinstance(outcome, InvoiceOutcome) else None
