"""Document kinds and the faults the sample set carries."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from invoicebot.model import Method

# ----------------------------------------------------------------------------------------
# Document kinds and faults
# ----------------------------------------------------------------------------------------


class Kind(StrEnum):
    """How a sample document is made."""

    TEXT_PDF = "text-pdf"
    SCANNED_PDF = "scanned-pdf"
    IMAGE = "image"
    FACTURX = "facturx"


class Fault(StrEnum):
    """A validation rule that must fail on a deliberately faulty sample."""

    TOTALS_MISMATCH = "BR-CO-15"
    LINES_MISMATCH = "BR-CO-10"
    IBAN_CHECK = "IBAN-CHECK"
    VAT_ID_CHECK = "VAT-ID-CHECK"
    SIRET_CHECK = "SIRET-CHECK"
    DUE_DATE_ORDER = "DUE-DATE-ORDER"
    DUPLICATE = "DUPLICATE-INVOICE-NUMBER"


METHOD_BY_KIND: dict[Kind, Method] = {
    Kind.TEXT_PDF: Method.TEXT,
    Kind.SCANNED_PDF: Method.OCR,
    Kind.IMAGE: Method.OCR,
    Kind.FACTURX: Method.EINVOICE,
}

# Faults in the order they are handed out, each with the kind of document that carries it:
# a set of N documents gets the first N // 5, so even a small set has the main ones.
FAULT_PLAN: tuple[tuple[Fault, Kind], ...] = (
    (Fault.TOTALS_MISMATCH, Kind.TEXT_PDF),
    (Fault.DUPLICATE, Kind.SCANNED_PDF),
    (Fault.IBAN_CHECK, Kind.TEXT_PDF),
    (Fault.DUE_DATE_ORDER, Kind.IMAGE),
    (Fault.LINES_MISMATCH, Kind.TEXT_PDF),
    (Fault.SIRET_CHECK, Kind.TEXT_PDF),
    (Fault.VAT_ID_CHECK, Kind.SCANNED_PDF),
    (Fault.DUPLICATE, Kind.IMAGE),
)
DOCUMENTS_PER_FAULT = 5

CENT = Decimal("0.01")
CURRENCY = "EUR"
EN_DASH = "\u2013"


def to_money(value: Decimal) -> Decimal:
    """Return ``value`` rounded half-up to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
