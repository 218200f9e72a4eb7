"""Domain types shared by every stage: the contract's JSON shapes as pydantic models.

Money, quantities and rates are ``Decimal`` and serialise as plain decimal strings
(``"1234.56"``), dates as ISO strings, identifiers as compact upper-case strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PrivateAttr
from pydantic.dataclasses import dataclass

if TYPE_CHECKING:
    from extractors.base import PageWords


def format_decimal(value: Decimal) -> str:
    """Return ``value`` as a plain decimal string: a dot, no exponent, no thousands separator."""
    return format(value, "f")


Money = Annotated[Decimal, PlainSerializer(format_decimal, return_type=str, when_used="json")]

FIELD_NAMES: tuple[str, ...] = (
    "invoice_number",
    "invoice_date",
    "due_date",
    "currency",
    "seller_name",
    "seller_vat_id",
    "seller_siret",
    "seller_iban",
    "buyer_name",
    "buyer_vat_id",
    "po_number",
    "total_net",
    "total_tax",
    "total_gross",
    "amount_due",
)
AMOUNT_FIELDS: tuple[str, ...] = ("total_net", "total_tax", "total_gross", "amount_due")
DATE_FIELDS: tuple[str, ...] = ("invoice_date", "due_date")


class Method(StrEnum):
    """Where an extraction's fields came from."""

    EINVOICE = "einvoice"
    TEXT = "text"
    OCR = "ocr"


class ErrorCode(StrEnum):
    """Why a document could not be read (contract: ``error.code``).

    ``transient`` codes name a cause outside the document (the machine's load or setup, the
    store): the file stays in the inbox for a later run, up to ``Settings.max_attempts``. The
    others are the document's own and quarantine it at once.
    """

    UNREADABLE = "unreadable"
    ENCRYPTED = "encrypted"
    UNSUPPORTED_FORMAT = "unsupported_format"
    TOO_LARGE = "too_large"
    # The document's time limit passed. Transient when the extractor noticed it itself (a slow
    # page under load); a reading process killed at the hard limit (a hang) is quarantined.
    TIMEOUT = "timeout"
    EMPTY = "empty"
    # The reading process died (a segfault in PDFium or tesseract, an abort).
    CRASHED = "crashed"
    # The reading process went over its memory cap.
    OUT_OF_MEMORY = "out_of_memory"
    # Setup problems: an OCR language model missing, a supplier template invalid.
    OCR_UNAVAILABLE = "ocr_unavailable"
    BAD_TEMPLATE = "bad_template"
    # The store could not record the document.
    STORE_UNAVAILABLE = "store_unavailable"
    # A configured step (not a built-in one) failed on the document (``invoicebot.steps``).
    STEP_FAILED = "step_failed"

    @property
    def transient(self) -> bool:
        """Return True when the cause lies outside the document, so a later run may succeed."""
        return self in TRANSIENT_ERROR_CODES


TRANSIENT_ERROR_CODES = frozenset(
    {
        ErrorCode.TIMEOUT,
        ErrorCode.OCR_UNAVAILABLE,
        ErrorCode.BAD_TEMPLATE,
        ErrorCode.STORE_UNAVAILABLE,
    }
)


class ExceptionCategory(StrEnum):
    """What kind of problem an exception is (contract: exception ``category``)."""

    MISSING_FIELD = "missing_field"
    ARITHMETIC = "arithmetic"
    INVALID_IDENTIFIER = "invalid_identifier"
    DUPLICATE = "duplicate"
    DATE = "date"
    VENDOR = "vendor"
    PURCHASE_ORDER = "purchase_order"
    LOW_CONFIDENCE = "low_confidence"
    UNREADABLE = "unreadable"
    # An e-invoice fails an official EN 16931 / French CTC rule (the result's ``rule`` is the
    # official rule id): a contract addition, documented in the README.
    EINVOICE_RULES = "einvoice_rules"


class Severity(StrEnum):
    """How much a failed rule matters, lowest first: all but ``info`` make an exception.

    ``critical`` is money at risk (payment diversion, paying twice): hold the payment.
    """

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


class Resolution(StrEnum):
    """What an AP operator does with an exception invoice: the classifier's labels.

    The classifier suggests one with a probability; the operator decides, and each decision
    becomes a training label. ``Resolution.describe()`` gives the text operators read.
    """

    CORRECT_CAPTURE = "correct_capture"
    APPROVE_ANYWAY = "approve_anyway"
    REQUEST_CREDIT_NOTE = "request_credit_note"
    PURCHASING_REVIEW = "purchasing_review"
    FRAUD_REVIEW = "fraud_review"
    REJECT_DUPLICATE = "reject_duplicate"

    def describe(self) -> str:
        """Return the operator-facing explanation of this resolution."""
        return RESOLUTION_DESCRIPTIONS[self]


RESOLUTION_DESCRIPTIONS: dict[Resolution, str] = {
    Resolution.CORRECT_CAPTURE: (
        "The invoice is right, the reading was wrong: correct the captured fields "
        "(amount, date, identifier) from the document and approve."
    ),
    Resolution.APPROVE_ANYWAY: (
        "The difference is tolerable (rounding, a few cents, a known supplier habit): "
        "approve the invoice as it is."
    ),
    Resolution.REQUEST_CREDIT_NOTE: (
        "The supplier's invoice is wrong (totals do not add up, wrong VAT, over-billing): "
        "ask the supplier for a credit note or a corrected invoice."
    ),
    Resolution.PURCHASING_REVIEW: (
        "A purchase-order or goods-receipt problem (no PO, price or quantity above the "
        "order, not received yet): send it to the buyer in purchasing."
    ),
    Resolution.FRAUD_REVIEW: (
        "Money may be at risk (bank details changed, unknown supplier, suspicious near "
        "duplicate): hold the payment and verify with the supplier by a known channel."
    ),
    Resolution.REJECT_DUPLICATE: (
        "The invoice was already received and booked: reject this copy, do not pay twice."
    ),
}


class InvoiceStatus(StrEnum):
    """Where an invoice ends after a batch (contract: invoice ``status``)."""

    APPROVED = "approved"
    EXCEPTION = "exception"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"


class InvoiceFields(BaseModel):
    """The header fields of an invoice; ``None`` where a field was not found."""

    model_config = ConfigDict(extra="forbid")

    invoice_number: str | None = None
    invoice_date: date | None = None
    due_date: date | None = None
    currency: str | None = None
    seller_name: str | None = None
    seller_vat_id: str | None = None
    seller_siret: str | None = None
    seller_iban: str | None = None
    buyer_name: str | None = None
    buyer_vat_id: str | None = None
    po_number: str | None = None
    total_net: Money | None = None
    total_tax: Money | None = None
    total_gross: Money | None = None
    amount_due: Money | None = None


class Line(BaseModel):
    """One invoice line; amounts are net of VAT, ``tax_rate`` is a percentage (``"20"``)."""

    model_config = ConfigDict(extra="forbid")

    description: str | None = None
    quantity: Money | None = None
    unit_price: Money | None = None
    net_amount: Money | None = None
    tax_rate: Money | None = None


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class VatSubtotal:
    """One line of a stated VAT breakdown (EN 16931 BG-23): the base and the VAT at one rate."""

    rate: Money
    base: Money
    tax: Money


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class InvoiceExtras:
    """What some documents state beyond the contract's fields (an e-invoice XML states all
    of it): the payee's BIC (BT-86), the stated sum of the line amounts (BT-106), the
    document-level allowances (BT-107) and charges (BT-108), the prepaid (BT-113) and
    rounding (BT-114) amounts, the VAT breakdown (BG-23). The rules that need one of these
    apply only when it is given. ``einvoice_xml`` is the e-invoice XML itself (standalone or
    embedded), for the official rules (``EINVOICE-OFFICIAL``); never shown, never stored."""

    seller_bic: str | None = None
    line_total: Money | None = None
    allowance_total: Money | None = None
    charge_total: Money | None = None
    prepaid_amount: Money | None = None
    rounding_amount: Money | None = None
    vat_breakdown: tuple[VatSubtotal, ...] = ()
    einvoice_xml: bytes | None = Field(default=None, repr=False)


class BoxSource(StrEnum):
    """What the boxes of an extraction were measured on: the PDF's text layer, OCR'd
    pixels, or nothing (an e-invoice's XML has no positions)."""

    TEXT = "text"
    OCR = "ocr"
    NONE = "none"


class Box(BaseModel):
    """Where a value is printed: its page of the file (1-based) and the rectangle of the
    words it was read from, as fractions (0-1) of the page's width and height from the top
    left, so that text-layer points and OCR pixels both map onto any rendering of the page."""

    page: int = Field(ge=1)
    x0: float
    top: float
    x1: float
    bottom: float

    def shifted(self, pages: int) -> Box:
        """Return this box ``pages`` pages further into the file."""
        return self.model_copy(update={"page": self.page + pages})


class ReadBoxes(BaseModel):
    """Where each field and line of an extraction was read from (``Extraction.boxes``).

    ``fields`` holds a box per field read from positioned words; a field read otherwise
    (a supplier template's pattern, the currency guessed from symbols) is in ``unboxed``
    with the reason. ``lines`` has one entry per line, None where its row was not found.
    With ``source`` ``none`` there is no box at all, and ``reason`` says why."""

    source: BoxSource
    reason: str | None = None
    fields: dict[str, Box] = Field(default_factory=dict)
    lines: list[Box | None] = Field(default_factory=list)
    unboxed: dict[str, str] = Field(default_factory=dict)

    def shifted(self, pages: int) -> ReadBoxes:
        """Return the boxes ``pages`` pages further into the file (an invoice cut from it)."""
        return self.model_copy(
            update={
                "fields": {name: box.shifted(pages) for name, box in self.fields.items()},
                "lines": [None if box is None else box.shifted(pages) for box in self.lines],
            }
        )

    def without(self, names: Sequence[str], reason: str) -> ReadBoxes:
        """Return the boxes with ``names`` moved to ``unboxed`` for ``reason``."""
        return self.model_copy(
            update={
                "fields": {n: box for n, box in self.fields.items() if n not in names},
                "unboxed": {**self.unboxed, **dict.fromkeys(names, reason)},
            }
        )


EINVOICE_BOXES_REASON = "an e-invoice's values come from its XML, which has no positions"


class ExtractionError(BaseModel):
    """Why a document could not be read."""

    code: ErrorCode
    message: str


class Extraction(BaseModel):
    """The result of reading one document (contract: extraction result)."""

    source: str
    sha256: str
    method: Method | None = None
    language: str | None = None
    pages: int = 0
    fields: InvoiceFields = Field(default_factory=InvoiceFields)
    lines: list[Line] = Field(default_factory=list)
    confidence: dict[str, float] = Field(default_factory=dict)
    error: ExtractionError | None = None
    # Pages [first, last] (1-based) of the file this invoice was read from, when the file
    # holds several invoices or may (its confidence is ``confidence["page_range"]``).
    page_range: list[int] | None = None
    # What the document states beyond the contract (e-invoices only), for the rules; it is
    # not part of the contract's extraction result.
    extras: InvoiceExtras | None = None
    # Why the cut into invoices is unsure (``extractors.splitting``), for the SPLIT-PAGES
    # rule's message; not part of the contract either.
    split_doubts: list[str] = Field(default_factory=list)
    # Where each field and line was read on the pages (``ReadBoxes``), for the review form's
    # outlined page; not part of the contract's extraction result.
    boxes: ReadBoxes | None = None
    # The words the extractor read on each page, for the supplier templates to lay out instead
    # of OCR'ing a scan again. Private, so never dumped; the extraction cascade drops them
    # before it returns.
    _page_words: tuple[PageWords, ...] = PrivateAttr(default=())

    def to_contract(self) -> dict[str, Any]:
        """Return the contract's JSON-ready dict (every field key present, nulls kept;
        ``page_range`` only for a file that holds, or may hold, several invoices)."""
        excluded = {"extras", "split_doubts", "boxes"} | (
            {"page_range"} if self.page_range is None else set()
        )
        return self.model_dump(mode="json", exclude=excluded)

    @property
    def page_words(self) -> tuple[PageWords, ...]:
        """Return the words the extractor read, page by page (empty once extraction is done)."""
        return self._page_words

    def with_page_words(self, pages: Sequence[PageWords]) -> Extraction:
        """Return a copy of this extraction carrying ``pages`` as its words (none: dropped)."""
        extraction = self.model_copy()
        extraction._page_words = tuple(pages)
        return extraction


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


class InvoiceError(Exception):
    """Base class of invoicebot's own errors."""


class DocumentError(InvoiceError):
    """A document could not be read; carries the contract's error code and the reason."""

    def __init__(self, source: str, code: ErrorCode, reason: str) -> None:
        super().__init__(f"{source}: {code.value}: {reason}")
        self.source = source
        self.code = code
        self.reason = reason


class DocumentTimeoutError(DocumentError):
    """The process reading a document did not answer within the hard limit and was killed."""

    def __init__(self, source: str, limit_s: float) -> None:
        super().__init__(
            source,
            ErrorCode.TIMEOUT,
            f"the reading process hung: no answer within the hard limit of {limit_s:g} s, killed",
        )
        self.limit_s = limit_s


class DocumentCrashedError(DocumentError):
    """The process reading a document died; ``exit_code`` is negative for a signal."""

    def __init__(self, source: str, exit_code: int | None, detail: str) -> None:
        super().__init__(source, ErrorCode.CRASHED, detail)
        self.exit_code = exit_code


class DocumentOutOfMemoryError(DocumentError):
    """Reading a document needed more memory than the reading process's cap."""

    def __init__(self, source: str, limit_mb: int, detail: str) -> None:
        super().__init__(
            source, ErrorCode.OUT_OF_MEMORY, f"over the memory cap of {limit_mb} MB ({detail})"
        )
        self.limit_mb = limit_mb


def invoice_number_key(number: str) -> str:
    """Return the invoice number with case and punctuation folded: ``F-0042`` -> ``F0042``."""
    return "".join(ch for ch in number.upper() if ch.isalnum())


def seller_key(fields: InvoiceFields) -> str | None:
    """Return a stable key for the seller: VAT id, else SIREN, else the folded name."""
    if fields.seller_vat_id:
        return f"vat:{fields.seller_vat_id.upper()}"
    if fields.seller_siret and len(fields.seller_siret) >= 9:
        return f"siren:{fields.seller_siret[:9]}"
    if fields.seller_name:
        return "name:" + "".join(ch for ch in fields.seller_name.casefold() if ch.isalnum())
    return None
