"""The path of one document, without Prefect: claim, extract, validate, store, archive.

The flow in ``flows/process_inbox.py`` runs ``process_file`` as one task per file; a file
holding several invoices (a scanned stack) gives one outcome per invoice.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError, StatementError
from sqlmodel import Session

from classifiers.cases import ExceptionCase
from classifiers.model import cached_model
from extractors.base import ExtractOptions
from extractors.isolation import DocumentReader, SetupError, shared_reader
from invoicebot.archive import archive_file, file_sha256, finish_interrupted_move
from invoicebot.inbox import (
    Clock,
    FileNotReadyError,
    InboxFile,
    SystemClock,
    read_once,
    stable_files,
)
from invoicebot.leases import LeaseKeeper
from invoicebot.lifecycle.outbox import record_stored, write_messages
from invoicebot.model import (
    DocumentError,
    ErrorCode,
    ExceptionCategory,
    ExceptionItem,
    Extraction,
    ExtractionError,
    InvoiceError,
    InvoiceFields,
    InvoiceOutcome,
    InvoiceStatus,
    Method,
    RuleResult,
    Suggestion,
    seller_key,
)
from invoicebot.privacy import mask_values
from invoicebot.settings import Settings
from invoicebot.store.claims import (
    Claim,
    ClaimOutcome,
    LeaseLostError,
    claim_document,
    release_claim,
)
from invoicebot.store.claims import Clock as LeaseClock
from invoicebot.store.labels import extraction_case, store_exception_case
from invoicebot.store.limits import fit_to_columns, storable_file_name, storable_text
from invoicebot.store.repository import (
    StoreHistory,
    add_invoice,
    begin_write,
    finish_document,
    lock_seller,
    record_quarantine,
    record_unclaimable,
    set_archived_path,
)
from invoicebot.store.retries import AttemptHistory, clear_attempts, record_attempt
from invoicebot.store.tables import utcnow
from validation import load_rule_config, validate

logger = logging.getLogger(__name__)

ARCHIVE_FOLDERS: dict[InvoiceStatus, str] = {
    InvoiceStatus.APPROVED: "approved",
    InvoiceStatus.EXCEPTION: "exceptions",
    InvoiceStatus.QUARANTINED: "quarantine",
    InvoiceStatus.DUPLICATE: "duplicates",
}

# Why the store refused a claim, as kept with the file's attempts.
UNCLAIMABLE = "unclaimable"

# Validation reads earlier invoices (duplicates) and storing adds one: in one process, do
# both under one lock so two invoices of a batch cannot miss each other.
_validate_and_store = threading.Lock()


@dataclass(frozen=True)
class PipelineContext:
    """What processing a document needs: settings, the store's engine, the batch, options.

    ``reader`` reads each document in a process of its own (default: the process's shared one);
    ``clock`` dates claims and their leases (a fake one in tests).
    """

    settings: Settings
    engine: Engine
    batch_id: int | None
    options: ExtractOptions
    reader: DocumentReader | None = None
    clock: LeaseClock = utcnow


class Skipped(StrEnum):
    """Why a file gave no outcome in this run."""

    NOT_READY = "not_ready"  # still being written: the next run takes it
    GONE = "gone"  # moved by another run meanwhile
    HELD_ELSEWHERE = "held_elsewhere"  # another run's lease holds it (or took it over)
    MOVE_FINISHED = "move_finished"  # stored by a run that died before moving it


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


def process_file(path: Path, context: PipelineContext) -> list[InvoiceOutcome] | Skipped:
    """Process one inbox file; return one outcome per invoice it holds (one for a file read
    as one invoice, an unreadable or a duplicate one), or why this run gave none
    (``Skipped``): a batch waits for the files other runs hold, to take them over should
    those runs die.

    A file holding several invoices (a scanned stack) is one document, claimed, archived or
    quarantined once; its invoices are stored together in one transaction (all or none, so
    a run that dies meanwhile leaves none, and the next run stores each once).
    """
    started = time.perf_counter()
    try:
        # Read once: these bytes are claimed, and these bytes are extracted.
        inbox_file = read_once(path, max_bytes=context.options.max_bytes)
    except FileNotReadyError as not_ready:
        logger.info("%s", not_ready)
        return Skipped.NOT_READY
    except FileNotFoundError:
        logger.info("%s: taken by another run", storable_file_name(str(path)))
        return Skipped.GONE
    sha256 = inbox_file.sha256
    try:
        with Session(context.engine) as session:
            claim = claim_document(
                session,
                sha256=sha256,
                source=storable_file_name(str(path)),
                file_name=storable_file_name(path.name),
                size_bytes=inbox_file.size,
                batch_id=context.batch_id,
                stale_after=timedelta(seconds=context.settings.claim_lease_s),
                clock=context.clock,
            )
    except (StatementError, UnicodeError, ValueError) as refused:
        if isinstance(refused, OperationalError | InterfaceError):
            raise  # the store is unavailable, not refusing this file
        return [_claim_refused(inbox_file, refused, context)]
    if claim.outcome is ClaimOutcome.IN_PROGRESS:
        return Skipped.HELD_ELSEWHERE
    if claim.outcome is ClaimOutcome.ALREADY_PROCESSED:
        known = _set_aside_known_bytes(path, sha256, claim, context)
        return [known] if isinstance(known, InvoiceOutcome) else known
    assert claim.owner is not None  # a claim this run holds
    if claim.taken_over_from is not None:
        logger.warning(
            "%s: taken over from %s, whose lease lapsed", inbox_file.path, claim.taken_over_from
        )
    stored = StoredFile(
        path=path,
        sha256=sha256,
        document_id=claim.document_id,
        data=inbox_file.data,
        owner=claim.owner,
    )
    keeper = LeaseKeeper(
        context.engine,
        document_id=claim.document_id,
        owner=claim.owner,
        lease=timedelta(seconds=context.settings.claim_lease_s),
        renew_every=timedelta(seconds=context.settings.lease_renew_every_s),
        clock=context.clock,
    )
    try:
        with keeper:
            return _process_claimed(stored, context, keeper, started)
    except LeaseLostError as lost:
        # Another run took the claim over and processes the file: nothing of ours is stored.
        logger.warning("%s: %s", stored.source, lost)
        return Skipped.HELD_ELSEWHERE
    except BaseException as failure:
        # A transient cause, or the store or the archive failed: give the claim back so that
        # the next run processes the file, which is still in the inbox.
        if isinstance(failure, SQLAlchemyError | OSError):
            _count_store_failure(stored, failure, context)
        with Session(context.engine) as session:
            release_claim(session, document_id=claim.document_id, owner=claim.owner)
        raise


def _process_claimed(
    stored: StoredFile, context: PipelineContext, keeper: LeaseKeeper, started: float
) -> list[InvoiceOutcome]:
    """Read, validate, store and archive a claimed file, stopping when the lease is lost."""
    invoices, transient = _read(stored, context, context.options, split=True)
    keeper.check()
    seconds = time.perf_counter() - started
    extraction = invoices[0]
    if transient:
        return [_retry_later(stored, extraction, context, seconds)]
    if extraction.error is not None:
        return [_quarantine(stored, extraction, context, seconds)]
    page_fields = _printed_page_fields(stored, extraction, context) if len(invoices) == 1 else None
    keeper.check()
    seconds = time.perf_counter() - started
    return _store_invoices(stored, invoices, context, seconds, page_fields)


def _read(
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
        return [_failed(file, error.code, error.reason)], True
    except DocumentError as error:  # hung past the hard limit, crashed, out of memory
        logger.error("%s", error)
        return [_failed(file, error.code, error.reason)], False
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


def _failed(file: StoredFile, code: ErrorCode, reason: str) -> Extraction:
    return Extraction(
        source=file.source,
        sha256=file.sha256,
        error=ExtractionError(code=code, message=reason),
    )


def _retry_later(
    file: StoredFile, extraction: Extraction, context: PipelineContext, seconds: float
) -> InvoiceOutcome:
    """Count a transient failure: raise ``TransientFailureError`` (the file stays in the inbox)
    until the ``max_attempts``-th, which quarantines the file with every reason."""
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
    return _quarantine(file, _every_reason(extraction, history), context, seconds)


def _every_reason(extraction: Extraction, history: AttemptHistory) -> Extraction:
    assert extraction.error is not None  # the caller checked
    message = f"failed in {history.attempts} runs for a transient cause: {history.describe()}"
    error = ExtractionError(code=extraction.error.code, message=message)
    return extraction.model_copy(update={"error": error})


def _count_store_failure(file: StoredFile, failure: Exception, context: PipelineContext) -> None:
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


def _printed_page_fields(
    file: StoredFile, extraction: Extraction, context: PipelineContext
) -> InvoiceFields | None:
    """Return what the page of a hybrid e-invoice says, for the page-versus-XML rule (None
    when the page cannot be read: the XML's fields stand)."""
    if extraction.method is not Method.EINVOICE or extraction.pages == 0:
        return None
    (page,), _transient = _read(
        file, context, replace(context.options, read_page=True), split=False
    )
    if page.error is not None:
        logger.warning("%s: the printed page is not compared: %s", file.path, page.error.message)
        return None
    return page.fields


@dataclass(frozen=True)
class StoredFile:
    """An inbox file claimed in the store."""

    path: Path
    sha256: str
    document_id: int
    # The bytes read when the file was claimed (None above the size limit: never read whole).
    data: bytes | None = None
    # This run's claim on it (None: finishing the move of a document already stored).
    owner: str | None = None

    @property
    def source(self) -> str:
        """Return the file's path as text every store and artifact accepts."""
        return storable_file_name(str(self.path))


def _store_invoices(
    file: StoredFile,
    invoices: list[Extraction],
    context: PipelineContext,
    seconds: float,
    page_fields: InvoiceFields | None,
) -> list[InvoiceOutcome]:
    """Validate, classify and store each invoice of a file in one transaction, finish the
    document (``exception`` when one of its invoices is), then archive the file once;
    return one outcome per invoice.

    The invoices of one file are validated in page order, each seeing those stored before
    it, but never as duplicates of each other (the duplicate look-ups leave out the
    document's own invoices): a stack's invoices are different invoices by construction.
    """
    # Values their columns cannot hold are set aside, each a FIELD-LIMIT exception.
    fitted = [fit_to_columns(extraction) for extraction in invoices]
    config = load_rule_config(context.settings.rules_config)
    stored: list[tuple[Extraction, InvoiceStatus, list[RuleResult], Suggestion | None]] = []
    with _validate_and_store, Session(context.engine) as session:
        # The write lock before the duplicate checks: another process's batch waits (SQLite).
        begin_write(session)
        # Every seller of the file, in one order for every run: two runs never wait on each
        # other's locks (PostgreSQL).
        for key in sorted({key for e, _ in fitted if (key := seller_key(e.fields)) is not None}):
            lock_seller(session, seller_key=key)
        for extraction, limit_results in fitted:
            # The file's invoices stored before this one count on a purchase order.
            store = StoreHistory(session, invoice_scoped=True)
            results = validate(
                extraction,
                history=store,
                master=store,
                config=config,
                reference_date=context.settings.rules_reference_date,
                document_id=file.document_id,
                page_fields=page_fields,
                extras=extraction.extras,
            )
            results = [*limit_results, *results]
            exceptions = [result for result in results if result.is_exception]
            status = InvoiceStatus.EXCEPTION if exceptions else InvoiceStatus.APPROVED
            # What the classifier sees now is kept: a review later overwrites the invoice.
            case = (
                extraction_case(session, extraction=extraction, results=results)
                if exceptions
                else None
            )
            suggestion = _suggest(case, context) if case is not None else None
            invoice_id = add_invoice(
                session,
                document_id=file.document_id,
                extraction=extraction,
                status=status,
                results=results,
                # A file read as one invoice keeps none, even when its cut was doubted.
                page_range=extraction.page_range if len(fitted) > 1 else None,
            )
            # Its lifecycle status (204 or 205) commits with it; the message follows.
            record_stored(session, invoice_id=invoice_id, status=status, method=extraction.method)
            if case is not None:
                store_exception_case(
                    session,
                    document_id=file.document_id,
                    invoice_id=invoice_id,
                    case=case,
                    suggestion=suggestion,
                    commit=False,
                )
            stored.append((extraction, status, exceptions, suggestion))
        file_status = (
            InvoiceStatus.EXCEPTION
            if any(status is InvoiceStatus.EXCEPTION for _, status, _, _ in stored)
            else InvoiceStatus.APPROVED
        )
        target = archive_target(file.path, file.sha256, file_status, context.settings)
        clear_attempts(session, sha256=file.sha256)
        # With the owner's check: a run that lost its claim stores none of the invoices.
        finish_document(
            session,
            document_id=file.document_id,
            status=file_status,
            archived_path=str(target),
            seconds=seconds,
            owner=file.owner,
        )
        session.commit()
    _archive(file, target, context)
    with Session(context.engine) as session:
        write_messages(session, context.settings)
    share = seconds / len(stored)
    return [
        InvoiceOutcome(
            source=file.source,
            status=status,
            exceptions=[_exception_item(result) for result in exceptions],
            suggestion=suggestion,
            invoice_number=extraction.fields.invoice_number,
            seller_name=extraction.fields.seller_name,
            total_gross=extraction.fields.total_gross,
            seconds=seconds if len(stored) == 1 else share,
            page_range=extraction.page_range if len(stored) > 1 else None,
            document_type=extraction.document_type,
            preceding_invoice=extraction.preceding_invoice,
        )
        for extraction, status, exceptions, suggestion in stored
    ]


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
    # The reason travels with the file, for whoever opens the quarantine folder; written
    # first, so that a run that dies after storing leaves it there for the move to finish.
    # Bank details masked: the quarantine folder is read by whoever opens it.
    reason = _write_reason(target, mask_values(extraction.to_contract()))
    with Session(context.engine) as session:
        clear_attempts(session, sha256=file.sha256)
        record_quarantine(
            session,
            document_id=file.document_id,
            error_code=extraction.error.code.value,
            message=message,
            archived_path=str(target),
            seconds=seconds,
            owner=file.owner,
        )
    final = _archive(file, target, context)
    if final != target:
        reason.rename(_reason_path(final))
    return InvoiceOutcome(
        source=file.source,
        status=InvoiceStatus.QUARANTINED,
        exceptions=[
            ExceptionItem(rule="UNREADABLE", category=ExceptionCategory.UNREADABLE, message=message)
        ],
        seconds=seconds,
    )


def _reason_path(archived: Path) -> Path:
    return archived.with_name(archived.name + ".reason.json")


def _write_reason(target: Path, reason: object) -> Path:
    path = _reason_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Bank details masked in every reason (a store error can quote the value it refused).
    masked = mask_values(reason)
    path.write_text(json.dumps(masked, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def _claim_refused(file: InboxFile, refused: Exception, context: PipelineContext) -> InvoiceOutcome:
    """Count a claim the store refused (a value it cannot hold); raise ``ClaimRefusedError``
    (the file stays in the inbox) until the ``max_attempts``-th, which quarantines the file
    with every reason."""
    source = storable_file_name(str(file.path))
    reason = storable_text(f"{type(refused).__name__}: {refused}")[:2000]
    logger.error("%s: the store refused the claim: %s", source, reason)
    with Session(context.engine) as session:
        history = record_attempt(
            session,
            sha256=file.sha256,
            file_name=storable_file_name(file.path.name),
            code=UNCLAIMABLE,
            message=reason,
        )
    limit = context.settings.max_attempts
    if history.attempts < limit:
        raise ClaimRefusedError(
            source, reason, attempts=history.attempts, max_attempts=limit
        ) from refused
    reasons = [message for _code, message in history.reasons]
    target = archive_target(file.path, file.sha256, InvoiceStatus.QUARANTINED, context.settings)
    _write_reason(target, {"source": source, "sha256": file.sha256, "unclaimable": reasons})
    final = archive_file(file.path, target, sha256=file.sha256)
    if final != target:
        _reason_path(target).rename(_reason_path(final))
    with Session(context.engine) as session:
        record_unclaimable(
            session,
            sha256=file.sha256,
            size_bytes=file.size,
            reasons=reasons,
            archived_path=str(final),
            batch_id=context.batch_id,
        )
        clear_attempts(session, sha256=file.sha256)
        session.commit()
    message = f"{UNCLAIMABLE}: refused {history.attempts} times: {history.describe()}"
    return InvoiceOutcome(
        source=source,
        status=InvoiceStatus.QUARANTINED,
        exceptions=[
            ExceptionItem(rule="UNREADABLE", category=ExceptionCategory.UNREADABLE, message=message)
        ],
    )


def _set_aside_known_bytes(
    path: Path, sha256: str, claim: Claim, context: PipelineContext
) -> InvoiceOutcome | Skipped:
    """Finish the move of a run that stored the document and died, or keep a re-sent copy
    of known bytes with the duplicates."""
    archived = Path(claim.archived_path) if claim.archived_path else None
    try:
        if archived is not None and not archived.exists():
            stored = StoredFile(path=path, sha256=sha256, document_id=claim.document_id)
            _archive(stored, archived, context)
            return Skipped.MOVE_FINISHED
        if archived is not None and finish_interrupted_move(path, archived, sha256):
            return Skipped.MOVE_FINISHED
        target = archive_target(path, sha256, InvoiceStatus.DUPLICATE, context.settings)
        archive_file(path, target, sha256=sha256)
    except FileNotFoundError:
        logger.info("%s: taken by another run", storable_file_name(str(path)))
        return Skipped.GONE
    return InvoiceOutcome(source=storable_file_name(str(path)), status=InvoiceStatus.DUPLICATE)


def archive_target(path: Path, sha256: str, status: InvoiceStatus, settings: Settings) -> Path:
    """Return where ``path`` goes in the archive for ``status`` (its name made storable),
    suffixed when the name is taken; ``archive_file`` suffixes again should it be taken by
    the time the file moves."""
    folder = settings.archive_dir / ARCHIVE_FOLDERS[status]
    target = folder / storable_file_name(path.name)
    if target.exists():
        target = folder / f"{target.stem}-{sha256[:12]}{target.suffix}"
    return target


def _archive(file: StoredFile, target: Path, context: PipelineContext) -> Path:
    """Move a stored document's file into the archive; record the name it took when
    another file took ``target`` meanwhile; return where it went."""
    try:
        final = archive_file(file.path, target, sha256=file.sha256)
    except FileNotFoundError:
        # Another run saw the document stored and finished this very move first.
        if target.exists() and file_sha256(target) == file.sha256:
            return target
        raise
    if final != target:
        with Session(context.engine) as session:
            set_archived_path(session, document_id=file.document_id, archived_path=str(final))
    return final


def _exception_item(result: RuleResult) -> ExceptionItem:
    return ExceptionItem(rule=result.rule, category=result.category, message=result.message)
