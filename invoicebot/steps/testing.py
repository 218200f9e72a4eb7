"""A document for a step's unit test: no inbox, no store, no Prefect."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import create_engine

from extractors.base import ExtractOptions
from invoicebot.model import Extraction, InvoiceOutcome, InvoiceStatus
from invoicebot.settings import Settings
from invoicebot.steps.document import (
    DocumentContext,
    EventEmitter,
    InvoiceState,
    PipelineContext,
    StoredFile,
    no_events,
)


def stored_document(
    extractions: Sequence[Extraction],
    *,
    status: InvoiceStatus = InvoiceStatus.APPROVED,
    settings: Settings | None = None,
    emit: EventEmitter = no_events,
) -> DocumentContext:
    """Return a document as the built-in steps leave it once routed: claimed, its
    ``extractions`` validated with ``status``, stored (invoice ids from 1) and archived,
    with one outcome each."""
    settings = settings or Settings()
    path = Path(extractions[0].source)
    context = PipelineContext(
        settings=settings,
        engine=create_engine("sqlite://"),
        batch_id=None,
        options=ExtractOptions(),
        emit=emit,
    )
    doc = DocumentContext(path=path, pipeline=context)
    doc.file = StoredFile(path=path, sha256=extractions[0].sha256, document_id=1)
    for number, extraction in enumerate(extractions, start=1):
        state = InvoiceState(extraction=extraction, status=status, invoice_id=number)
        state.present |= {"results", "suggestion", "stored"}
        doc.invoices.append(state)
    doc.outcomes = [
        InvoiceOutcome(
            source=doc.source,
            status=status,
            invoice_number=extraction.fields.invoice_number,
            seller_name=extraction.fields.seller_name,
            total_gross=extraction.fields.total_gross,
        )
        for extraction in extractions
    ]
    doc.present |= {"claimed", "extractions", "archived", "outcomes"}
    return doc
