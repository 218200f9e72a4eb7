"""Domain types shared by every stage: the contract's JSON shapes as pydantic models.

Money, quantities and rates are ``Decimal`` and serialise as plain decimal strings
(``"1234.56"``), dates as ISO strings, identifiers as compact upper-case strings. This package
imports nothing of ours: every other layer builds on it.

- ``codes``: money, the contract's field names and its enumerations (methods, error codes,
  exception categories, severities, resolutions, statuses, document types);
- ``errors``: the typed exceptions a document's processing raises;
- ``invoice``: an invoice's fields, lines and what an e-invoice states beyond them;
- ``extraction``: an extraction result, the words of its pages and the boxes its values were
  read from;
- ``outcome``: rule results, exception items and the batch summary.
"""

from __future__ import annotations

from invoicebot.model.codes import (
    AMOUNT_FIELDS,
    CODE_OF_DOCUMENT_TYPE,
    CREDIT_NOTE_CODES,
    DATE_FIELDS,
    DOCUMENT_TYPE_OF_CODE,
    FIELD_NAMES,
    RESOLUTION_DESCRIPTIONS,
    SELF_BILLED_CREDIT_NOTE_CODE,
    TRANSIENT_ERROR_CODES,
    DocumentType,
    ErrorCode,
    ExceptionCategory,
    InvoiceStatus,
    Method,
    Money,
    Resolution,
    Severity,
    format_decimal,
)
from invoicebot.model.errors import (
    DocumentCrashedError,
    DocumentError,
    DocumentOutOfMemoryError,
    DocumentTimeoutError,
    InvoiceError,
)
from invoicebot.model.extraction import (
    EINVOICE_BOXES_REASON,
    Box,
    BoxSource,
    Extraction,
    ExtractionFailure,
    PageWords,
    ReadBoxes,
    Word,
)
from invoicebot.model.invoice import (
    InvoiceExtras,
    InvoiceFields,
    InvoiceReference,
    Line,
    OperationCategory,
    PostalAddress,
    ReformMentions,
    VatSubtotal,
    compact,
    invoice_number_key,
    seller_key,
)
from invoicebot.model.outcome import (
    BatchKpis,
    BatchSummary,
    DocumentFailure,
    ExceptionItem,
    InvoiceOutcome,
    RuleResult,
    StepFailure,
    Suggestion,
)

__all__ = [
    "AMOUNT_FIELDS",
    "CODE_OF_DOCUMENT_TYPE",
    "CREDIT_NOTE_CODES",
    "DATE_FIELDS",
    "DOCUMENT_TYPE_OF_CODE",
    "EINVOICE_BOXES_REASON",
    "FIELD_NAMES",
    "RESOLUTION_DESCRIPTIONS",
    "SELF_BILLED_CREDIT_NOTE_CODE",
    "TRANSIENT_ERROR_CODES",
    "BatchKpis",
    "BatchSummary",
    "Box",
    "BoxSource",
    "DocumentCrashedError",
    "DocumentError",
    "DocumentFailure",
    "DocumentOutOfMemoryError",
    "DocumentTimeoutError",
    "DocumentType",
    "ErrorCode",
    "ExceptionCategory",
    "ExceptionItem",
    "Extraction",
    "ExtractionFailure",
    "InvoiceError",
    "InvoiceExtras",
    "InvoiceFields",
    "InvoiceOutcome",
    "InvoiceReference",
    "InvoiceStatus",
    "Line",
    "Method",
    "Money",
    "OperationCategory",
    "PageWords",
    "PostalAddress",
    "ReadBoxes",
    "ReformMentions",
    "Resolution",
    "RuleResult",
    "Severity",
    "StepFailure",
    "Suggestion",
    "VatSubtotal",
    "Word",
    "compact",
    "format_decimal",
    "invoice_number_key",
    "seller_key",
]
