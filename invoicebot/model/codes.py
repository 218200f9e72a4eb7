"""Money, the contract's field names and its enumerations."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import PlainSerializer


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
