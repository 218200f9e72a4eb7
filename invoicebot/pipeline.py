"""The path of one document, without Prefect: claim, extract, validate, store, archive.

The flow in ``flows/process_inbox.py`` runs ``process_document`` as one task per file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import threading
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from classifiers.cases import ExceptionCase
from classifiers.model import cached_model
from extractors import extract_document
from extractors.base import ExtractOptions
from invoicebot.model import (
    ErrorCode,
    ExceptionCategory,
    ExceptionItem,
    Extraction,
    ExtractionError,
    InvoiceFields,
    InvoiceOutcome,
    InvoiceStatus,
    Method,
    RuleResult,
    Suggestion,
    seller_key,
)
from invoicebot.settings import Settings
from invoicebot.store.labels import extraction_case, store_exception_case
from invoicebot.store.repository import (
    Claim,
    ClaimOutcome,
    StoreHistory,
    claim_document,
    lock_seller,
    record_invoice,
    record_quarantine,
    release_claim,
)
from validation import load_rule_config, validate

logger = logging.getLogger(__name__)

ARCHIVE_FOLDERS: dict[InvoiceStatus, str] = {
    InvoiceStatus.APPROVED: "approved",
    InvoiceStatus.EXCEPTION: "exceptions",
    InvoiceStatus.QUARANTINED: "quarantine",
    InvoiceStatus.DUPLICATE: "duplicates",
}

# A claim that has not finished after this long belongs to a run that died: take it over.
STALE_CLAIM = timedelta(hours=1)

# Validation reads earlier invoices (duplicates) and storing adds one: in one process, do
# both under one lock so two invoices of a batch cannot miss each other.
_validate_and_store = threading.Lock()


@dataclass(frozen=True)
class PipelineContext:
    """What processing a document needs: settings, the store's engine, the batch, options."""

    settings: Settings
    engine: Engine
    batch_id: int | None
    options: ExtractOptions


def extract_options(
    settings: Settings, *, parallel_documents: int = 1, read_page: bool = False
) -> ExtractOptions:
    """Return extraction options from settings, sharing the OCR workers between documents.

    Loads the supplier templates once here, so that a bad one stops the batch before its first
    document (``TemplateError``) and documents reuse what was loaded.
    """
    if settings.templates_dir is not None:
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
    )


def discover_inbox(inbox: Path) -> list[Path]:
    """Return the inbox's files in name order, leaving out hidden and partial files."""
    return sorted(
        path
        for path in inbox.iterdir()
        if path.is_file() and not path.name.startswith(".") and not path.name.endswith(".part")
    )


def process_document(path: Path, context: PipelineContext) -> InvoiceOutcome | None:
    """Process one inbox file; return its outcome, or None when another run holds it."""
    started = time.perf_counter()
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    with Session(context.engine) as session:
        claim = claim_document(
            session,
            sha256=sha256,
            source=str(path),
            file_name=path.name,
            size_bytes=len(data),
            batch_id=context.batch_id,
            stale_after=STALE_CLAIM,
        )
    if claim.outcome is ClaimOutcome.IN_PROGRESS:
        return None
    if claim.outcome is ClaimOutcome.ALREADY_PROCESSED:
        return _set_aside_known_bytes(path, sha256, claim, context.settings)
    try:
        extraction = _extract_or_explain(path, sha256, context.options)
        seconds = time.perf_counter() - started
        stored = StoredFile(path=path, sha256=sha256, document_id=claim.document_id)
        if extraction.error is not None:
            return _quarantine(stored, extraction, context, seconds)
        page_fields = _printed_page_fields(stored, extraction, context.options)
        seconds = time.perf_counter() - started
        return _store_invoice(stored, extraction, context, seconds, page_fields)
    except BaseException:
        # The store or the archive failed: give the claim back so that the next run
        # processes the file, which is still in the inbox.
        with Session(context.engine) as session:
            release_claim(session, document_id=claim.document_id)
        raise


def _extract_or_explain(path: Path, sha256: str, options: ExtractOptions) -> Extraction:
    # extract_document turns bad documents into error results itself; anything raised here
    # is a defect in an extractor, and one defective document must not stop the batch nor
    # be lost: it is quarantined with the defect as its reason, and logged with its trace.
    try:
        return extract_document(path, options, source=str(path))
    except Exception as defect:
        logger.exception("extraction of %s failed", path)
        return Extraction(
            source=str(path),
            sha256=sha256,
            error=ExtractionError(
                code=ErrorCode.UNREADABLE,
                message=f"internal error while reading the document: {defect!r}",
            ),
        )


def _printed_page_fields(
    file: StoredFile, extraction: Extraction, options: ExtractOptions
) -> InvoiceFields | None:
    """Return what the page of a hybrid e-invoice says, for the page-versus-XML rule."""
    if extraction.method is not Method.EINVOICE or extraction.pages == 0:
        return None
    page = _extract_or_explain(file.path, file.sha256, replace(options, read_page=True))
    return page.fields if page.error is None else None


@dataclass(frozen=True)
class StoredFile:
    """An inbox file claimed in the store."""

    path: Path
    sha256: str
    document_id: int


def _store_invoice(
    file: StoredFile,
    extraction: Extraction,
    context: PipelineContext,
    seconds: float,
    page_fields: InvoiceFields | None,
) -> InvoiceOutcome:
    with _validate_and_store, Session(context.engine) as session:
        key = seller_key(extraction.fields)
        if key is not None:
            lock_seller(session, seller_key=key)
        store = StoreHistory(session)
        results = validate(
            extraction,
            history=store,
            master=store,
            config=load_rule_config(context.settings.rules_config),
            reference_date=context.settings.rules_reference_date,
            document_id=file.document_id,
            page_fields=page_fields,
            extras=extraction.extras,
        )
        exceptions = [result for result in results if result.is_exception]
        status = InvoiceStatus.EXCEPTION if exceptions else InvoiceStatus.APPROVED
        # What the classifier sees now is kept: a review later overwrites the invoice.
        case = (
            extraction_case(session, extraction=extraction, results=results) if exceptions else None
        )
        suggestion = _suggest(case, context) if case is not None else None
        target = archive_target(file.path, file.sha256, status, context.settings)
        record_invoice(
            session,
            document_id=file.document_id,
            extraction=extraction,
            status=status,
            results=results,
            archived_path=str(target),
            seconds=seconds,
        )
        if case is not None:
            store_exception_case(
                session, document_id=file.document_id, case=case, suggestion=suggestion
            )
    _move(file.path, target)
    fields = extraction.fields
    return InvoiceOutcome(
        source=str(file.path),
        status=status,
        exceptions=[_exception_item(result) for result in exceptions],
        suggestion=suggestion,
        invoice_number=fields.invoice_number,
        seller_name=fields.seller_name,
        total_gross=fields.total_gross,
        seconds=seconds,
    )


def _suggest(case: ExceptionCase, context: PipelineContext) -> Suggestion | None:
    # No trained model yet (or one for other features): the exception goes without one.
    model = cached_model(context.settings.resolution_model_dir)
    return model.suggest(case) if model is not None else None


def _quarantine(
    file: StoredFile, extraction: Extraction, context: PipelineContext, seconds: float
) -> InvoiceOutcome:
    assert extraction.error is not None  # the caller checked
    message = f"{extraction.error.code.value}: {extraction.error.message}"
    target = archive_target(file.path, file.sha256, InvoiceStatus.QUARANTINED, context.settings)
    with Session(context.engine) as session:
        record_quarantine(
            session,
            document_id=file.document_id,
            error_code=extraction.error.code.value,
            message=message,
            archived_path=str(target),
            seconds=seconds,
        )
    _move(file.path, target)
    # The reason travels with the file, for whoever opens the quarantine folder.
    reason = target.with_name(target.name + ".reason.json")
    reason.write_text(json.dumps(extraction.to_contract(), indent=2, ensure_ascii=False))
    return InvoiceOutcome(
        source=str(file.path),
        status=InvoiceStatus.QUARANTINED,
        exceptions=[
            ExceptionItem(rule="UNREADABLE", category=ExceptionCategory.UNREADABLE, message=message)
        ],
        seconds=seconds,
    )


def _set_aside_known_bytes(
    path: Path, sha256: str, claim: Claim, settings: Settings
) -> InvoiceOutcome:
    # A run that stored the row but died before moving the file: finish its move. Otherwise
    # the file is a re-sent copy of known bytes: keep it with the duplicates.
    if claim.archived_path and not Path(claim.archived_path).exists():
        _move(path, Path(claim.archived_path))
    else:
        _move(path, archive_target(path, sha256, InvoiceStatus.DUPLICATE, settings))
    return InvoiceOutcome(source=str(path), status=InvoiceStatus.DUPLICATE)


def archive_target(path: Path, sha256: str, status: InvoiceStatus, settings: Settings) -> Path:
    """Return where ``path`` goes in the archive for ``status``, never over another file."""
    folder = settings.archive_dir / ARCHIVE_FOLDERS[status]
    target = folder / path.name
    if target.exists():
        target = folder / f"{path.stem}-{sha256[:12]}{path.suffix}"
    return target


def _move(path: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(path, target)


def _exception_item(result: RuleResult) -> ExceptionItem:
    return ExceptionItem(rule=result.rule, category=result.category, message=result.message)
