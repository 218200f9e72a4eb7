"""What validation and the batch conclude: rule results, exception items, the batch summary."""

from __future__ import annotations

from pydantic import BaseModel, Field

from invoicebot.model.codes import (
    DocumentType,
    ExceptionCategory,
    InvoiceStatus,
    Money,
    Resolution,
    Severity,
)
from invoicebot.model.invoice import InvoiceReference


class RuleResult(BaseModel):
    """What one rule concluded about one invoice, with the values it compared."""

    rule: str
    category: ExceptionCategory
    severity: Severity
    passed: bool
    message: str
    values: dict[str, str | None] = Field(default_factory=dict)

    @property
    def is_exception(self) -> bool:
        """Return True when this result makes the invoice an exception."""
        return not self.passed and self.severity is not Severity.INFO


class ExceptionItem(BaseModel):
    """One exception as the batch summary shows it."""

    rule: str
    category: ExceptionCategory
    message: str


class Suggestion(BaseModel):
    """A suggested resolution for an exception, with its probability."""

    resolution: Resolution
    probability: float


class StepFailure(BaseModel):
    """A configured step that failed on a document already decided (its invoices stand)."""

    step: str
    message: str


class InvoiceOutcome(BaseModel):
    """What happened to one invoice of a batch (a document that holds one, or none: an
    unreadable or duplicate file)."""

    source: str
    status: InvoiceStatus
    exceptions: list[ExceptionItem] = Field(default_factory=list)
    suggestion: Suggestion | None = None
    invoice_number: str | None = None
    seller_name: str | None = None
    total_gross: Money | None = None
    seconds: float = 0.0
    # Pages [first, last] (1-based, inclusive) of ``source`` this invoice was read from, when
    # the file holds several invoices; absent from the JSON for a file read as one invoice.
    page_range: list[int] | None = Field(default=None, exclude_if=lambda value: value is None)
    # What kind of document it is, absent from the JSON for a plain invoice; and the invoice
    # a credit note names as the one it credits (BT-25), absent when it names none.
    document_type: DocumentType = Field(
        default=DocumentType.INVOICE, exclude_if=lambda value: value is DocumentType.INVOICE
    )
    preceding_invoice: InvoiceReference | None = Field(
        default=None, exclude_if=lambda value: value is None
    )
    # The configured steps that failed after the invoice was decided; absent when none did.
    step_failures: list[StepFailure] = Field(
        default_factory=list, exclude_if=lambda value: not value
    )


class BatchKpis(BaseModel):
    """The headline figures of one batch (contract: ``kpis``)."""

    throughput_per_hour: float
    straight_through_rate: float
    exception_rate: float
    time_saved_ratio: float


class DocumentFailure(BaseModel):
    """A document whose processing failed (not a bad document: a store or disk failure);
    it stays in the inbox for the next run."""

    source: str
    error: str


class BatchSummary(BaseModel):
    """The result of one batch run (contract: batch summary)."""

    run_id: str
    documents: int
    invoices: list[InvoiceOutcome]
    kpis: BatchKpis
    failures: list[DocumentFailure] = Field(default_factory=list)
