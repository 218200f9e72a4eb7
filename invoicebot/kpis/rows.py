"""The rows the KPI definitions read: documents, reviews, a period's snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# --- Rows read from the store -------------------------------------------------------------


# An invoice's key in the KPIs: its document and its invoice (None: a quarantined document,
# which has no invoice). A file holding several invoices counts each.
RowKey = tuple[int, int | None]


@dataclass(frozen=True)
class DocumentRow:
    """One processed invoice as the KPIs see it (timestamps timezone-aware, UTC): a
    document read as one invoice, one invoice of a file holding several, or a quarantined
    document (``invoice_id`` None).

    ``categories`` holds the categories of its exception records (empty: touchless);
    ``decided_at`` is the operator's latest decision, None while none was made.
    """

    document_id: int
    received_at: datetime
    processed_at: datetime
    categories: frozenset[str] = frozenset()
    decided_at: datetime | None = None
    file_name: str = ""
    invoice_id: int | None = None
    # Pages [first, last] of its file, when the file holds several invoices.
    page_range: tuple[int, int] | None = None

    @property
    def key(self) -> RowKey:
        """Return the invoice's key: its document and its invoice."""
        return (self.document_id, self.invoice_id)


@dataclass(frozen=True)
class ReviewRow:
    """One operator review of a document: when it was decided, when the operator started it
    (None where no start was recorded), how many captured fields were checked and corrected.

    ``earlier_handling_seconds`` holds the timed handling that ended before the final one
    (an operator escalated it, then a senior reviewer took it and decided).
    """

    document_id: int
    started_at: datetime | None
    decided_at: datetime
    fields_reviewed: int = 0
    fields_corrected: int = 0
    earlier_handling_seconds: float = 0.0
    invoice_id: int | None = None

    @property
    def key(self) -> RowKey:
        """Return the reviewed invoice's key (``DocumentRow.key``)."""
        return (self.document_id, self.invoice_id)


@dataclass(frozen=True)
class KpiSnapshot:
    """What the store holds for one period: documents received in it, their reviews, and the
    batches that ran in it (their wall-clock seconds and the exact duplicates they skipped)."""

    start: datetime
    end: datetime
    documents: tuple[DocumentRow, ...] = ()
    reviews: tuple[ReviewRow, ...] = ()
    machine_seconds: float = 0.0
    exact_duplicates: int = 0
    batches: int = 0
