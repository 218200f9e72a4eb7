"""Reading a claimed file for the extract step: in a process of its own, the claimed bytes
only; transient failures counted against ``max_attempts``."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from sqlmodel import Session

from extractors.base import ExtractOptions
from extractors.isolation import SetupError, shared_reader
from invoicebot.inbox import Clock, FileNotReadyError, SystemClock, stable_files
from invoicebot.model import (
    DocumentError,
    ErrorCode,
    Extraction,
    ExtractionFailure,
    InvoiceError,
    InvoiceFields,
    Method,
)
from invoicebot.settings import Settings
from invoicebot.steps.document import PipelineContext, StoredFile
from invoicebot.store.limits import storable_file_name, storable_text
from invoicebot.store.retries import AttemptHistory, record_attempt

logger = logging.getLogger(__name__)


class TransientFailureError(InvoiceError):
    """A document failed for a cause outside it: it stays in the inbox for the next run.

    Carries the error code, the reason and the attempts so far (the file is quarantined with
    every reason at ``max_attempts``).
    """

    def __init__(
        self, source: str, code: ErrorCode, reason: str, *, attempts: int, max_attempts: int
    ) -> None:
        super().__init__(
            f"{source}: {code.value}: {reason} (attempt {attempts} of {max_attempts}; "
            "the file stays in the inbox for the next run)"
        )
        self.source = source
        self.code = code
        self.reason = reason
        self.attempts = attempts
        self.max_attempts = max_attempts


def extract_options(
    settings: Settings,
    *,
    parallel_documents: int = 1,
    read_page: bool = False,
    check_templates: bool = True,
) -> ExtractOptions:
    """Return extraction options from settings, sharing the OCR workers between documents.

    With ``check_templates``, loads the supplier templates once here, so that a bad one stops
    the command before its first document (``TemplateError``). The batch leaves the check to
    the reading of each document: there a bad template is a transient failure, counted, and the
    files stay in the inbox until it is fixed (or quarantined, to be requeued).
    """
    if check_templates and settings.templates_dir is not None:
        from extractors.templates import load_templates

        load_templates(settings.templates_dir)
    return ExtractOptions(
        ocr_languages=settings.ocr_languages,
        ocr_dpi=settings.ocr_dpi,
        ocr_workers=max(1, settings.ocr_workers // parallel_documents),
        timeout_s=settings.document_timeout_s,
        max_bytes=int(settings.max_file_mb * 1024 * 1024),
        read_page=read_page,
        templates_dir=settings.templates_dir,
        max_image_pixels=settings.max_image_pixels,
        max_image_frames=settings.max_image_frames,
        memory_mb=settings.document_memory_mb,
        plugins=tuple(settings.extractor_plugins),
    )


def discover_inbox(
    inbox: Path, *, stable_seconds: float | None = None, clock: Clock | None = None
) -> list[Path]:
    """Return the inbox's complete files in name order: not hidden, not ``.part``, not empty,
    and unchanged across ``stable_seconds`` (default: ``INVOICEBOT_STABLE_SECONDS``)."""
    seconds = Settings().stable_seconds if stable_seconds is None else stable_seconds
    return stable_files(inbox, stable_seconds=seconds, clock=clock or SystemClock())


def read_document(
    file: StoredFile, context: PipelineContext, options: ExtractOptions, *, split: bool
) -> tuple[list[Extraction], bool]:
    """Return the document's extractions, one per invoice it holds with ``split`` (an error:
    one extraction, as a result), and whether its error is transient, read in a process of
    its own under the hard time limit and memory cap."""
    reader = context.reader if context.reader is not None else shared_reader()
    try:
        if split:
            invoices = reader.read_invoices(file.path, options, source=file.source, data=file.data)
        else:
            invoices = [reader.read(file.path, options, source=file.source, data=file.data)]
    except SetupError as error:  # a missing OCR language, a bad template
        return [failed_extraction(file, error.code, error.reason)], True
    except DocumentError as error:  # hung past the hard limit, crashed, out of memory
        logger.error("%s", error)
        return [failed_extraction(file, error.code, error.reason)], False
    return _checked(file, invoices)


def _checked(file: StoredFile, invoices: list[Extraction]) -> tuple[list[Extraction], bool]:
    """Return the extractions of the claimed bytes (an error result carries the claimed
    sha256) and whether an error is transient; raise when other bytes were extracted."""
    first = invoices[0]
    if first.error is not None:
        # The extractor stopped at the cooperative time limit: a slow reading under load.
        failed = first.model_copy(update={"sha256": file.sha256})
        return [failed], first.error.code.transient
    if any(extraction.sha256 != file.sha256 for extraction in invoices):
        # Hash what is extracted: never store fields read from other bytes than claimed.
        raise FileNotReadyError(file.path, "the bytes extracted are not the bytes claimed")
    return invoices, False


def failed_extraction(file: StoredFile, code: ErrorCode, reason: str) -> Extraction:
    return Extraction(
        source=file.source,
        sha256=file.sha256,
        error=ExtractionFailure(code=code, message=reason),
    )


def printed_page_fields(
    file: StoredFile, extraction: Extraction, context: PipelineContext
) -> InvoiceFields | None:
    """Return what the page of a hybrid e-invoice says, for the page-versus-XML rule (None
    when the page cannot be read: the XML's fields stand)."""
    if extraction.method is not Method.EINVOICE or extraction.pages == 0:
        return None
    (page,), _transient = read_document(
        file, context, replace(context.options, read_page=True), split=False
    )
    if page.error is not None:
        logger.warning("%s: the printed page is not compared: %s", file.path, page.error.message)
        return None
    return page.fields


def count_transient_failure(
    file: StoredFile, extraction: Extraction, context: PipelineContext
) -> Extraction:
    """Count a transient failure: raise ``TransientFailureError`` (the file stays in the inbox)
    until the ``max_attempts``-th, whose extraction, with every reason, is returned for the
    file to be quarantined."""
    assert extraction.error is not None  # the caller checked
    error = extraction.error
    with Session(context.engine) as session:
        history = record_attempt(
            session,
            sha256=file.sha256,
            file_name=storable_file_name(file.path.name),
            code=error.code.value,
            message=error.message,
        )
    limit = context.settings.max_attempts
    if history.attempts < limit:
        raise TransientFailureError(
            file.source, error.code, error.message, attempts=history.attempts, max_attempts=limit
        )
    return _every_reason(extraction, history)


def _every_reason(extraction: Extraction, history: AttemptHistory) -> Extraction:
    assert extraction.error is not None  # the caller checked
    message = f"failed in {history.attempts} runs for a transient cause: {history.describe()}"
    error = ExtractionFailure(code=extraction.error.code, message=message)
    return extraction.model_copy(update={"error": error})


def count_store_failure(file: StoredFile, failure: Exception, context: PipelineContext) -> None:
    """Count a store or archive failure as a transient attempt, when the store can record it."""
    try:
        with Session(context.engine) as session:
            record_attempt(
                session,
                sha256=file.sha256,
                file_name=storable_file_name(file.path.name),
                code=ErrorCode.STORE_UNAVAILABLE.value,
                message=storable_text(repr(failure)),
            )
    except Exception as unrecorded:
        logger.error("%s: the failure %r could not be counted: %r", file.path, failure, unrecorded)


class ClaimRefusedError(InvoiceError):
    """The store refused to claim a file (not for being unavailable): it stays in the inbox
    until ``max_attempts`` refusals, then it is quarantined with every reason."""

    def __init__(self, source: str, reason: str, *, attempts: int, max_attempts: int) -> None:
        super().__init__(
            f"{source}: the store refused the claim: {reason} (attempt {attempts} of "
            f"{max_attempts}; the file stays in the inbox for the next run)"
        )
        self.source = source
        self.reason = reason
        self.attempts = attempts
        self.max_attempts = max_attempts


class StepFailedError(InvoiceError):
    """A step failed on a file not claimed yet: it stays in the inbox for the next run."""

    def __init__(self, source: str, step: str, reason: str) -> None:
        super().__init__(f"{source}: {reason} (the file stays in the inbox)")
        self.source = source
        self.step = step
        self.reason = reason
