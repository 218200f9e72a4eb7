"""One inbox file through the pipeline, for tests whose files each hold one invoice.

``invoicebot.pipeline.process_file`` gives one outcome per invoice a file holds; these
unpack the one outcome and fail the test on a file that held several. ``store_exception``
stores a reading as an exception invoice without the pipeline."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from invoicebot.model import Extraction, InvoiceOutcome, InvoiceStatus
from invoicebot.pipeline import PipelineContext, Skipped, process_file
from invoicebot.store.claims import claim_document
from invoicebot.store.repository import StoreHistory, record_invoice
from validation import validate


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


def store_exception(store: Engine, extraction: Extraction, source: Path, archived: Path) -> None:
    """Store ``extraction``, read from ``source`` and archived at ``archived``, as an
    exception invoice with the rules' results: what the review tests start from."""
    with Session(store) as session:
        claim = claim_document(
            session,
            sha256=extraction.sha256,
            source=str(source),
            file_name=source.name,
            size_bytes=source.stat().st_size,
            batch_id=None,
            stale_after=timedelta(hours=1),
        )
        record_invoice(
            session,
            document_id=claim.document_id,
            extraction=extraction,
            status=InvoiceStatus.EXCEPTION,
            results=validate(extraction, history=StoreHistory(session)),
            archived_path=str(archived),
            seconds=0.1,
        )
