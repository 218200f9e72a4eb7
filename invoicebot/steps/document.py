"""What a step sees and returns: the document in progress, the step protocol, its result.

A step is a small typed unit with a name, the names it ``needs`` (added by earlier steps)
and the names it ``adds``; ``run(doc)`` does its work on the ``DocumentContext`` and
returns a ``StepResult``. Nothing here imports Prefect: the flow runs each step as a task
through ``PipelineContext.run_step``, and gives steps its event bus through
``PipelineContext.emit``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.engine import Engine

from extractors.base import ExtractOptions
from extractors.isolation import DocumentReader
from invoicebot.model import (
    Extraction,
    InvoiceError,
    InvoiceFields,
    InvoiceOutcome,
    InvoiceStatus,
    RuleResult,
    Suggestion,
)
from invoicebot.settings import Settings
from invoicebot.store.claims import Clock as LeaseClock
from invoicebot.store.limits import storable_file_name
from invoicebot.store.tables import utcnow

if TYPE_CHECKING:
    from sqlmodel import Session

    from classifiers.cases import ExceptionCase
    from invoicebot.leases import LeaseKeeper
    from validation import RuleConfig


class Scope(StrEnum):
    """What one run of a step covers: the whole file, or one of the invoices it holds."""

    DOCUMENT = "document"
    # Consecutive invoice steps run invoice by invoice (validate, classify, store the first
    # invoice of a stack, then the second, which sees the first as stored).
    INVOICE = "invoice"


@dataclass(frozen=True)
class StepResult:
    """What a run of a step added: names (each one the step declares in ``adds``), with a
    value for those that carry one (kept in ``doc.values``), and a note for the log."""

    added: tuple[str, ...] = ()
    values: Mapping[str, object] = field(default_factory=dict)
    note: str = ""

    @property
    def names(self) -> frozenset[str]:
        """Return every name this run added."""
        return frozenset(self.added) | frozenset(self.values)


class Step(Protocol):
    """A unit of the path of a document: class attributes ``name``, ``needs``, ``adds`` and
    optionally ``scope`` (default: the document), and ``run``."""

    @property
    def name(self) -> str:
        """Return the step's name, as the configuration gives it."""
        ...

    @property
    def needs(self) -> tuple[str, ...]:
        """Return the names earlier steps must have added."""
        ...

    @property
    def adds(self) -> tuple[str, ...]:
        """Return the names the step may add."""
        ...

    def run(self, doc: DocumentContext) -> StepResult:
        """Do the step's work on ``doc``; return what it added."""
        ...


# Publishes an event (name, resource, payload): Prefect's event bus in the flow.
EventEmitter = Callable[[str, Mapping[str, str], Mapping[str, Any]], None]


class StepCaller(Protocol):
    """Runs one step on a document: directly, or as a Prefect task (the flow's)."""

    def __call__(self, step: PlannedStep, doc: DocumentContext) -> StepResult: ...


@dataclass(frozen=True)
class PlannedStep:
    """A step as the configuration places it: its object, where it came from, its settings."""

    step: Step
    source: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    builtin: bool = False

    @property
    def name(self) -> str:
        """Return the step's name."""
        return str(self.step.name)

    @property
    def needs(self) -> tuple[str, ...]:
        """Return the names the step needs."""
        return tuple(self.step.needs)

    @property
    def adds(self) -> tuple[str, ...]:
        """Return the names the step may add."""
        return tuple(self.step.adds)

    @property
    def scope(self) -> Scope:
        """Return what one run of the step covers (default: the document)."""
        return Scope(getattr(self.step, "scope", Scope.DOCUMENT))

    def run(self, doc: DocumentContext) -> StepResult:
        """Run the step on ``doc``."""
        return self.step.run(doc)


def call_directly(step: PlannedStep, doc: DocumentContext) -> StepResult:
    """Run ``step`` in this thread, without Prefect (the default ``StepCaller``)."""
    return step.run(doc)


def no_events(event: str, resource: Mapping[str, str], payload: Mapping[str, Any]) -> None:
    """Publish nothing: outside a flow there is no event bus (the default ``EventEmitter``)."""


@dataclass(frozen=True)
class PipelineContext:
    """What processing a document needs: settings, the store's engine, the batch, options.

    ``reader`` reads each document in a process of its own (default: the process's shared one);
    ``clock`` dates claims and their leases (a fake one in tests); ``run_step`` runs each
    step (the flow: as a Prefect task); ``emit`` publishes the steps' events (the flow:
    Prefect events); ``steps`` is the path of a document (default: the one
    ``INVOICEBOT_STEPS_CONFIG`` configures).
    """

    settings: Settings
    engine: Engine
    batch_id: int | None
    options: ExtractOptions
    reader: DocumentReader | None = None
    clock: LeaseClock = utcnow
    run_step: StepCaller = call_directly
    emit: EventEmitter = no_events
    steps: tuple[PlannedStep, ...] | None = None


class Skipped(StrEnum):
    """Why a file gave no outcome in this run."""

    NOT_READY = "not_ready"  # still being written: the next run takes it
    GONE = "gone"  # moved by another run meanwhile
    HELD_ELSEWHERE = "held_elsewhere"  # another run's lease holds it (or took it over)
    MOVE_FINISHED = "move_finished"  # stored by a run that died before moving it


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


@dataclass
class InvoiceState:
    """One invoice of the document as the steps build it up."""

    extraction: Extraction
    # Values their columns cannot hold, set aside (FIELD-LIMIT results).
    limit_results: list[RuleResult] = field(default_factory=list)
    results: list[RuleResult] = field(default_factory=list)
    status: InvoiceStatus | None = None
    case: ExceptionCase | None = None
    suggestion: Suggestion | None = None
    invoice_id: int | None = None
    present: set[str] = field(default_factory=set)
    values: dict[str, object] = field(default_factory=dict)

    @property
    def exceptions(self) -> list[RuleResult]:
        """Return the results that make the invoice an exception."""
        return [result for result in self.results if result.is_exception]


@dataclass
class WriteTransaction:
    """The store's transaction that validates and stores a document's invoices, under the
    process's write lock; closed (rolled back unless committed) by ``close``."""

    session: Session
    config: RuleConfig
    resources: ExitStack

    def close(self) -> None:
        """Release the session and the lock (a second call does nothing)."""
        self.resources.close()


@dataclass
class DocumentContext:
    """One inbox file on its path through the steps.

    Steps read ``source``, ``settings``, ``invoices`` (each with its extraction, results,
    status, suggestion and, once stored, ``invoice_id``), ``outcomes`` (once the document is
    decided) and ``values`` (what other steps added); ``invoice`` is the invoice an invoice
    step runs for. The other attributes belong to the built-in steps.
    """

    path: Path
    pipeline: PipelineContext
    started: float = field(default_factory=time.perf_counter)
    present: set[str] = field(default_factory=set)
    values: dict[str, object] = field(default_factory=dict)
    invoices: list[InvoiceState] = field(default_factory=list)
    invoice: InvoiceState | None = None
    outcomes: list[InvoiceOutcome] | None = None
    skipped: Skipped | None = None
    file: StoredFile | None = None
    keeper: LeaseKeeper | None = None
    page_fields: InvoiceFields | None = None
    seconds: float = 0.0
    transaction: WriteTransaction | None = None
    # The lease keeper and the transaction, closed when the document is done.
    resources: ExitStack = field(default_factory=ExitStack)

    @property
    def settings(self) -> Settings:
        """Return invoicebot's settings."""
        return self.pipeline.settings

    @property
    def source(self) -> str:
        """Return the file's path as stored."""
        return storable_file_name(str(self.path))

    @property
    def sha256(self) -> str | None:
        """Return the digest of the claimed bytes (None before the claim)."""
        return self.file.sha256 if self.file is not None else None

    def emit(self, event: str, resource: Mapping[str, str], payload: Mapping[str, Any]) -> None:
        """Publish an event on the flow's event bus (nowhere outside a flow)."""
        self.pipeline.emit(event, resource, payload)

    def has(self, name: str, *, invoice_scope: bool) -> bool:
        """Return True when ``name`` was added: to the document, or for an invoice step to
        its invoice, or for a document step to every invoice of the document."""
        if name in self.present:
            return True
        if invoice_scope:
            return self.invoice is not None and name in self.invoice.present
        return bool(self.invoices) and all(name in state.present for state in self.invoices)

    def record(self, step: PlannedStep, result: StepResult) -> None:
        """Keep what a run of ``step`` added, on the invoice it ran for or on the document."""
        undeclared = sorted(result.names - set(step.adds))
        if undeclared:
            raise StepContractError(step.name, f"added {undeclared} it does not declare")
        target = self.invoice if step.scope is Scope.INVOICE else None
        if target is not None:
            target.present |= result.names
            target.values.update(result.values)
        else:
            self.present |= result.names
            self.values.update(result.values)

    def finish(self, outcomes: list[InvoiceOutcome]) -> None:
        """Decide the document early (quarantined): the steps that need more than its
        outcomes do not run."""
        self.outcomes = outcomes
        self.present = {"outcomes"}
        for state in self.invoices:
            state.present.clear()
        self.invoices = []


@dataclass(frozen=True)
class BuiltinStep:
    """A built-in step: one of the functions above, with its name, needs and adds."""

    name: str
    needs: tuple[str, ...]
    adds: tuple[str, ...]
    body: Callable[[DocumentContext], StepResult]
    scope: Scope = Scope.DOCUMENT

    def run(self, doc: DocumentContext) -> StepResult:
        """Run the step on ``doc``."""
        return self.body(doc)


class StepContractError(InvoiceError):
    """A step broke its own declaration (added a name it does not declare)."""

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"step {step!r} {reason}")
        self.step = step
        self.reason = reason
