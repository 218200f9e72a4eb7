"""Domain types shared by every stage: the contract's JSON shapes as pydantic models.

Money, quantities and rates are ``Decimal`` and serialise as plain decimal strings
(``"1234.56"``), dates as ISO strings, identifiers as compact upper-case strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PrivateAttr
from pydantic.dataclasses import dataclass


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


# UNTDID 1001 codes of credit notes (EN 16931 BT-3), as the factur-x library lists them; 261
# is the self-billed one.
CREDIT_NOTE_CODES = frozenset(
    {"81", "83", "262", "296", "308", "381", "396", "420", "458", "502", "503", "532"}
)
SELF_BILLED_CREDIT_NOTE_CODE = "261"


class DocumentType(StrEnum):
    """What kind of document an invoice is (EN 16931 BT-3, an UNTDID 1001 code).

    A credit note takes from what the buyer owes the supplier: its amounts are stated
    positive (as EN 16931 states them) and its effect on the supplier's balance is negative.
    Every other kind adds to it. A document that states no type (paper) is an invoice.
    """

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    CORRECTED_INVOICE = "corrected_invoice"
    SELF_BILLED_INVOICE = "self_billed_invoice"
    SELF_BILLED_CREDIT_NOTE = "self_billed_credit_note"
    PREPAYMENT_INVOICE = "prepayment_invoice"

    @classmethod
    def of_code(cls, code: str | None) -> DocumentType:
        """Return the kind of document an UNTDID 1001 code names (an unknown or absent
        code: an invoice, as EN 16931 treats every code that is no credit note)."""
        code = (code or "").strip()
        if code == SELF_BILLED_CREDIT_NOTE_CODE:
            return cls.SELF_BILLED_CREDIT_NOTE
        if code in CREDIT_NOTE_CODES:
            return cls.CREDIT_NOTE
        return DOCUMENT_TYPE_OF_CODE.get(code, cls.INVOICE)

    @property
    def code(self) -> str:
        """Return the UNTDID 1001 code an e-invoice of this kind states (BT-3)."""
        return CODE_OF_DOCUMENT_TYPE[self]

    @property
    def is_credit(self) -> bool:
        """Return True for a credit note: its effect on the supplier's balance is negative."""
        return self in (DocumentType.CREDIT_NOTE, DocumentType.SELF_BILLED_CREDIT_NOTE)


CODE_OF_DOCUMENT_TYPE: dict[DocumentType, str] = {
    DocumentType.INVOICE: "380",
    DocumentType.CREDIT_NOTE: "381",
    DocumentType.CORRECTED_INVOICE: "384",
    DocumentType.SELF_BILLED_INVOICE: "389",
    DocumentType.SELF_BILLED_CREDIT_NOTE: "261",
    DocumentType.PREPAYMENT_INVOICE: "386",
}
DOCUMENT_TYPE_OF_CODE: dict[str, DocumentType] = {
    code: kind for kind, code in CODE_OF_DOCUMENT_TYPE.items()
}


class InvoiceReference(BaseModel):
    """The earlier invoice a document refers to (EN 16931 BG-3): its number (BT-25) and
    issue date (BT-26), as a credit note names the invoice it credits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    number: str
    issue_date: date | None = None


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


class OperationCategory(StrEnum):
    """What an invoice bills, as the French reform's mention "catégorie de l'opération" says
    it: the first letter of the billing framework (BT-23: B1, S1, M1...) on e-invoices."""

    GOODS = "goods"
    SERVICES = "services"
    MIXED = "mixed"


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class PostalAddress:
    """A postal address as an e-invoice states it (BT-50..55 for the buyer, BT-75..80 for
    the place of delivery)."""

    lines: tuple[str, ...] = ()
    city: str | None = None
    postcode: str | None = None
    country: str | None = None

    def key(self) -> str:
        """Return the address folded for comparison (case, spacing and punctuation)."""
        parts = (*self.lines, self.postcode or "", self.city or "", self.country or "")
        return "".join(ch for ch in " ".join(parts).casefold() if ch.isalnum())


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class ReformMentions:
    """The mentions the French e-invoicing reform added to invoices (CGI annexe II art. 242
    nonies A as amended), as the document states them, for the FR-* mention rules.

    Read from an e-invoice's XML (``printed`` False): the buyer's SIREN (BT-47, scheme
    0002), its address, the place of delivery (BT-70/BT-71 and BG-15), the billing framework
    (BT-23) whose first letter is the category of operation, the VAT point date code (BT-8:
    5 in CII, 3 in UBL for VAT on debits), the notes stating an option for debits, and the
    B2B/B2C treatment note (BAR). Found in a paper invoice's page text (``printed`` True):
    the buyer's SIREN, the category, whether a delivery address and the debits option are
    printed.
    """

    printed: bool = False
    buyer_siren: str | None = None
    buyer_country: str | None = None
    buyer_address: PostalAddress | None = None
    delivery_place: str | None = None
    delivery_address: PostalAddress | None = None
    delivery_address_printed: bool = False
    business_process: str | None = None
    operation_category: OperationCategory | None = None
    vat_point_code: str | None = None
    vat_on_debits: bool | None = None
    debits_statement: str | None = None
    treatment: str | None = None


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
    # The French reform's mentions (``ReformMentions``), on paper invoices too.
    mentions: ReformMentions | None = None


class Word(BaseModel):
    """A word on a page, in points (text layer) or pixels (OCR), origin at the top left."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    confidence: float = 1.0


class PageWords(BaseModel):
    """The words of one page and how they were read; ``number`` counts from 1."""

    number: int
    width: float
    height: float
    method: Literal["text", "ocr"]
    words: list[Word] = Field(default_factory=list)


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
    # What kind of document it is (BT-3) and the invoice it refers to (BG-3, a credit note's
    # credited invoice): in the contract's result only when not a plain invoice / when stated.
    document_type: DocumentType = DocumentType.INVOICE
    preceding_invoice: InvoiceReference | None = None
    # The words the extractor read on each page, for the supplier templates to lay out instead
    # of OCR'ing a scan again. Private, so never dumped; the extraction cascade drops them
    # before it returns.
    _page_words: tuple[PageWords, ...] = PrivateAttr(default=())

    def to_contract(self) -> dict[str, Any]:
        """Return the contract's JSON-ready dict (every field key present, nulls kept;
        ``page_range`` only for a file that holds, or may hold, several invoices;
        ``document_type`` only for a document that is not a plain invoice,
        ``preceding_invoice`` only when the document names one)."""
        excluded = {"extras", "split_doubts", "boxes"}
        if self.page_range is None:
            excluded.add("page_range")
        if self.document_type is DocumentType.INVOICE:
            excluded.add("document_type")
        if self.preceding_invoice is None:
            excluded.add("preceding_invoice")
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
