"""The path of one document, without Prefect: the built-in steps claim, extract, validate,
classify, store and route, and ``process_file``, which runs the configured steps over a file.

The flow in ``flows/process_inbox.py`` runs ``process_file`` as one task per file, and each
step as a task of its own; a file holding several invoices (a scanned stack) gives one
outcome per invoice. The steps' protocol, registry and configuration: ``invoicebot.steps``.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError, StatementError
from sqlmodel import Session

from classifiers.cases import ExceptionCase
from classifiers.resolution_model import cached_model
from invoicebot.archive import archive_file, file_sha256, finish_interrupted_move
from invoicebot.inbox import FileNotReadyError, InboxFile, read_once
from invoicebot.leases import LeaseKeeper
from invoicebot.lifecycle.outbox import record_stored, write_messages
from invoicebot.model import (
    ErrorCode,
    ExceptionCategory,
    ExceptionItem,
    Extraction,
    InvoiceOutcome,
    InvoiceStatus,
    RuleResult,
    StepFailure,
    Suggestion,
)
from invoicebot.privacy import mask_values
from invoicebot.settings import Settings
from invoicebot.steps.config import builtin_planner
from invoicebot.steps.document import (
    BuiltinStep,
    DocumentContext,
    InvoiceState,
    PipelineContext,
    PlannedStep,
    Scope,
    Skipped,
    StepContractError,
    StepResult,
    StoredFile,
    WriteTransaction,
)
from invoicebot.steps.reading import (
    ClaimRefusedError,
    StepFailedError,
    TransientFailureError,
    count_store_failure,
    count_transient_failure,
    discover_inbox,
    extract_options,
    failed_extraction,
    printed_page_fields,
    read_document,
)
from invoicebot.steps.runner import run_steps
from invoicebot.steps.transaction import open_transaction
from invoicebot.store.claims import (
    Claim,
    ClaimOutcome,
    Clock,
    LeaseLostError,
    claim_document,
    held_under_lease,
    release_claim,
)
from invoicebot.store.limits import storable_file_name, storable_text
from invoicebot.store.repository import (
    StoreHistory,
    add_invoice,
    finish_document,
    record_quarantine,
    record_unclaimable,
    set_archived_path,
)
from invoicebot.store.retries import clear_attempts, record_attempt
from invoicebot.store.tables import utcnow
from invoicebot.store.training_labels import extraction_case, store_exception_case
from validation import validate

# Imported by the flow, the CLI and the tests from here.
__all__ = [
    "BUILTIN_STEPS",
    "ClaimRefusedError",
    "PipelineContext",
    "Skipped",
    "StepFailedError",
    "StoredFile",
    "TransientFailureError",
    "archive_target",
    "configured_steps",
    "discover_inbox",
    "extract_options",
    "held_by_another_run",
    "process_file",
]

logger = logging.getLogger(__name__)

ARCHIVE_FOLDERS: dict[InvoiceStatus, str] = {
    InvoiceStatus.APPROVED: "approved",
    InvoiceStatus.EXCEPTION: "exceptions",
    InvoiceStatus.QUARANTINED: "quarantine",
    InvoiceStatus.DUPLICATE: "duplicates",
}

# Why the store refused a claim, as kept with the file's attempts.
UNCLAIMABLE = "unclaimable"


def held_by_another_run(path: Path, engine: Engine, *, clock: Clock = utcnow) -> bool:
    """Return True when a run holds the file's bytes under a running lease: a batch looks
    again after a renewal instead of starting a task, which would only find it held (with
    several runs over one inbox, most files are another run's)."""
    try:
        sha256 = file_sha256(path)
    except OSError:
        return False  # gone or unreadable: the document's task says which
    with Session(engine) as session:
        return held_under_lease(session, sha256=sha256, clock=clock)


def process_file(path: Path, context: PipelineContext) -> list[InvoiceOutcome] | Skipped:
    """Process one inbox file through the configured steps (``invoicebot.steps``); return
    one outcome per invoice it holds (one for a file read as one invoice, an unreadable or a
    duplicate one), or why this run gave none (``Skipped``): a batch waits for the files
    other runs hold, to take them over should those runs die.

    A file holding several invoices (a scanned stack) is one document, claimed, archived or
    quarantined once; its invoices are stored together in one transaction (all or none, so
    a run that dies meanwhile leaves none, and the next run stores each once).
    """
    plan = context.steps if context.steps is not None else configured_steps(context.settings)
    doc = DocumentContext(path=path, pipeline=context)
    try:
        with doc.resources:
            run_steps(plan, doc, call=context.run_step, contain=contain_step_failure)
    except LeaseLostError as lost:
        # Another run took the claim over and processes the file: nothing of ours is stored.
        logger.warning("%s: %s", doc.source, lost)
        return Skipped.HELD_ELSEWHERE
    except BaseException as failure:
        stored = doc.file
        if doc.keeper is None or stored is None or stored.owner is None:
            raise  # before the claim: nothing to give back
        # A transient cause, or the store or the archive failed: give the claim back so that
        # the next run processes the file, which is still in the inbox.
        if isinstance(failure, SQLAlchemyError | OSError):
            count_store_failure(stored, failure, context)
        with Session(context.engine) as session:
            release_claim(session, document_id=stored.document_id, owner=stored.owner)
        raise
    if doc.skipped is not None:
        return doc.skipped
    if doc.outcomes is None:
        raise StepContractError("route", f"left {doc.source} without an outcome")
    return doc.outcomes


def configured_steps(settings: Settings) -> tuple[PlannedStep, ...]:
    """Return the path of a document ``INVOICEBOT_STEPS_CONFIG`` configures (default: the
    built-in steps); raise ``StepConfigError``."""
    return PLANNER.plan(settings.steps_config)


def contain_step_failure(step: PlannedStep, failure: Exception, doc: DocumentContext) -> None:
    """Contain a step's failure as an extractor's is: quarantine a document not stored yet
    (the failure its reason); flag the outcomes of a document already decided; a failure
    before the claim leaves the file in the inbox."""
    reason = f"internal error in step {step.name!r}: {failure!r}"
    if doc.outcomes is not None:
        flag = StepFailure(step=step.name, message=storable_text(reason))
        doc.outcomes = [
            outcome.model_copy(update={"step_failures": [*outcome.step_failures, flag]})
            for outcome in doc.outcomes
        ]
        return
    stored = doc.file
    if doc.keeper is None or stored is None:
        raise StepFailedError(doc.source, step.name, reason) from failure
    if doc.transaction is not None:
        doc.transaction.close()  # rolled back: none of the invoices is stored
    extraction = failed_extraction(stored, ErrorCode.STEP_FAILED, reason)
    seconds = time.perf_counter() - doc.started
    doc.finish([_quarantine(stored, extraction, doc.pipeline, seconds)])


def _claim_step(doc: DocumentContext) -> StepResult:
    """Read the file once and claim those bytes; a file known or refused is decided here."""
    context, path = doc.pipeline, doc.path
    try:
        # Read once: these bytes are claimed, and these bytes are extracted.
        inbox_file = read_once(path, max_bytes=context.options.max_bytes)
    except FileNotReadyError as not_ready:
        logger.info("%s", not_ready)
        doc.skipped = Skipped.NOT_READY
        return StepResult()
    except FileNotFoundError:
        logger.info("%s: taken by another run", storable_file_name(str(path)))
        doc.skipped = Skipped.GONE
        return StepResult()
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
        doc.outcomes = [_claim_refused(inbox_file, refused, context)]
        return StepResult(added=("outcomes",))
    if claim.outcome is ClaimOutcome.IN_PROGRESS:
        doc.skipped = Skipped.HELD_ELSEWHERE
        return StepResult()
    if claim.outcome is ClaimOutcome.ALREADY_PROCESSED:
        known = _set_aside_known_bytes(path, sha256, claim, context)
        if isinstance(known, Skipped):
            doc.skipped = known
            return StepResult()
        doc.outcomes = [known]
        return StepResult(added=("outcomes",))
    assert claim.owner is not None  # a claim this run holds
    if claim.taken_over_from is not None:
        logger.warning(
            "%s: taken over from %s, whose lease lapsed", inbox_file.path, claim.taken_over_from
        )
    doc.file = StoredFile(
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
    doc.keeper = doc.resources.enter_context(keeper)
    return StepResult(added=("claimed",))


def _extract_step(doc: DocumentContext) -> StepResult:
    """Read the claimed file, one extraction per invoice it holds; an unreadable one is
    quarantined (or left for the next run, for a transient cause)."""
    stored, keeper, context = _claimed(doc)
    invoices, transient = read_document(stored, context, context.options, split=True)
    keeper.check()
    seconds = time.perf_counter() - doc.started
    extraction = invoices[0]
    if transient:
        every_reason = count_transient_failure(stored, extraction, context)
        doc.outcomes = [_quarantine(stored, every_reason, context, seconds)]
        return StepResult(added=("outcomes",))
    if extraction.error is not None:
        doc.outcomes = [_quarantine(stored, extraction, context, seconds)]
        return StepResult(added=("outcomes",))
    doc.page_fields = (
        printed_page_fields(stored, extraction, context) if len(invoices) == 1 else None
    )
    keeper.check()
    doc.seconds = time.perf_counter() - doc.started
    doc.invoices = [InvoiceState(extraction=invoice) for invoice in invoices]
    return StepResult(added=("extractions",))


def _claimed(doc: DocumentContext) -> tuple[StoredFile, LeaseKeeper, PipelineContext]:
    if doc.file is None or doc.keeper is None:
        raise StepContractError("claim", f"gave no claim on {doc.source}")
    return doc.file, doc.keeper, doc.pipeline


def _validate_step(doc: DocumentContext) -> StepResult:
    """Validate the current invoice against the rules, with the store's history and master
    data, in the document's write transaction (opened for its first invoice).

    The invoices of one file are validated in page order, each seeing those stored before
    it, but never as duplicates of each other (the duplicate look-ups leave out the
    document's own invoices): a stack's invoices are different invoices by construction.
    """
    stored, _keeper, context = _claimed(doc)
    transaction = doc.transaction or open_transaction(doc)
    state = _current(doc)
    # The file's invoices stored before this one count on a purchase order.
    store = StoreHistory(transaction.session, invoice_scoped=True)
    results = validate(
        state.extraction,
        history=store,
        master=store,
        config=transaction.config,
        reference_date=context.settings.rules_reference_date,
        document_id=stored.document_id,
        page_fields=doc.page_fields,
        extras=state.extraction.extras,
    )
    state.results = [*state.limit_results, *results]
    state.status = InvoiceStatus.EXCEPTION if state.exceptions else InvoiceStatus.APPROVED
    return StepResult(added=("results",))


def _current(doc: DocumentContext) -> InvoiceState:
    if doc.invoice is None:
        raise StepContractError("validate", "runs for one invoice at a time")
    return doc.invoice


def _transaction(doc: DocumentContext) -> WriteTransaction:
    if doc.transaction is None:
        raise StepContractError("validate", f"opened no transaction for {doc.source}")
    return doc.transaction


def _validated(state: InvoiceState) -> InvoiceStatus:
    if state.status is None:
        raise StepContractError("validate", "left an invoice without a status")
    return state.status


def _classify_step(doc: DocumentContext) -> StepResult:
    """Suggest how to resolve the current invoice's exceptions (the trained classifier)."""
    state = _current(doc)
    if state.exceptions:
        # What the classifier sees now is kept: a review later overwrites the invoice.
        session = _transaction(doc).session
        state.case = extraction_case(session, extraction=state.extraction, results=state.results)
        state.suggestion = _suggest(state.case, doc.pipeline)
    return StepResult(added=("suggestion",))


def _store_step(doc: DocumentContext) -> StepResult:
    """Add the current invoice, its rule results and its exception case to the transaction."""
    stored, _keeper, _context = _claimed(doc)
    state, session = _current(doc), _transaction(doc).session
    several = len(doc.invoices) > 1
    state.invoice_id = add_invoice(
        session,
        document_id=stored.document_id,
        extraction=state.extraction,
        status=_validated(state),
        results=state.results,
        # A file read as one invoice keeps none, even when its cut was doubted.
        page_range=state.extraction.page_range if several else None,
    )
    # Its lifecycle status (204 or 205) commits with it; the message follows.
    record_stored(
        session,
        invoice_id=state.invoice_id,
        status=_validated(state),
        method=state.extraction.method,
    )
    if state.case is not None:
        store_exception_case(
            session,
            document_id=stored.document_id,
            invoice_id=state.invoice_id,
            case=state.case,
            suggestion=state.suggestion,
            commit=False,
        )
    return StepResult(added=("stored",))


def _route_step(doc: DocumentContext) -> StepResult:
    """Finish the document (``exception`` when one of its invoices is) and commit, then
    archive the file once; one outcome per invoice."""
    file, _keeper, context = _claimed(doc)
    transaction = _transaction(doc)
    session, seconds, states = transaction.session, doc.seconds, doc.invoices
    file_status = (
        InvoiceStatus.EXCEPTION
        if any(state.status is InvoiceStatus.EXCEPTION for state in states)
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
    transaction.close()
    _archive(file, target, context)
    with Session(context.engine) as session:
        write_messages(session, context.settings)
    share = seconds / len(states)
    doc.outcomes = [
        InvoiceOutcome(
            source=file.source,
            status=_validated(state),
            exceptions=[_exception_item(result) for result in state.exceptions],
            suggestion=state.suggestion,
            invoice_number=state.extraction.fields.invoice_number,
            seller_name=state.extraction.fields.seller_name,
            total_gross=state.extraction.fields.total_gross,
            seconds=seconds if len(states) == 1 else share,
            page_range=state.extraction.page_range if len(states) > 1 else None,
            document_type=state.extraction.document_type,
            preceding_invoice=state.extraction.preceding_invoice,
        )
        for state in states
    ]
    return StepResult(added=("archived", "outcomes"))


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


# The path of every document, in order. A file known or refused is decided at the claim
# (``outcomes``), an unreadable one at the extraction.
BUILTIN_STEPS: tuple[BuiltinStep, ...] = (
    BuiltinStep("claim", (), ("claimed", "outcomes"), _claim_step),
    BuiltinStep("extract", ("claimed",), ("extractions", "outcomes"), _extract_step),
    BuiltinStep("validate", ("extractions",), ("results",), _validate_step, Scope.INVOICE),
    BuiltinStep("classify", ("results",), ("suggestion",), _classify_step, Scope.INVOICE),
    BuiltinStep("store", ("results", "suggestion"), ("stored",), _store_step, Scope.INVOICE),
    BuiltinStep("route", ("stored",), ("archived", "outcomes"), _route_step),
)

PLANNER = builtin_planner(BUILTIN_STEPS)
