"""Several invoices in one PDF: a scanned stack or concatenated files, split into invoices.

Each page is read alone first (``read_invoice`` on its words) for page-level signals:

- a "page i/n" marker (``Page 2/3``, ``Seite 1 von 2``, ``p. 1 of 4``): page 1 starts an
  invoice, page i > 1 continues the one before;
- the invoice number the page states, and its seller: a new number, or another seller,
  starts an invoice; the same number again (a header repeated on page 2) continues it;
- a totals block: a page after the one that closed an invoice with its totals, and that
  shows an invoice's header (a number or a date), starts the next invoice.

Each decision carries how far the signals behind it can be trusted; an invoice's
``page_range`` confidence is the least of the decisions that bound it and hold it together,
and pages that, read together, give no invoice number or no total are doubted too; so that
a split the signals do not settle shows up as a doubt (the ``SPLIT-PAGES`` rule makes
it a ``low_confidence`` exception), never as a silently wrong invoice. Pure Python: the
extraction cascade calls ``split_extraction`` with the words it read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from extractors.base import PageWords, SourceDocument
from extractors.fields import read_invoice
from extractors.lines import sum_of_lines
from invoicebot.model import Extraction, Method, invoice_number_key, seller_key

# A page-number marker: a page word, its number, "of" in some language or a slash, the count.
PAGE_MARKER: Final = re.compile(
    r"\b(?:page|pages|pg|p|seite|blatt|p[aá]gina|pag|blad|feuille|folio|sida|strona)\.?\s*"
    r"(\d{1,3})\s*(?:/|of|sur|von|de|di|van|aus|z|av)\s*(\d{1,3})\b",
    re.IGNORECASE,
)
# A value read on one page alone counts as a signal only above this confidence: a page of
# lines read alone offers the reader a stray reference for a number.
SIGNAL_CONFIDENCE: Final = 0.5
# How far each kind of decision can be trusted (the page range's confidence).
BY_MARKER: Final = 0.99
BY_NUMBER: Final = 0.97
BY_SELLER: Final = 0.92
BY_TOTALS: Final = 0.8
# A page that follows a totals block without any header, or an invoice with no number or
# total read: the pages may be cut wrong.
UNSETTLED: Final = 0.6


@dataclass(frozen=True)
class PageSignals:
    """What one page, read alone, says about where invoices start and end."""

    number: int
    invoice_number: str | None = None
    seller: str | None = None
    marker: tuple[int, int] | None = None
    has_totals: bool = False
    has_header: bool = False


@dataclass(frozen=True)
class Segment:
    """Pages ``first``..``last`` (1-based, inclusive) taken as one invoice, with how sure the
    cut is and why."""

    first: int
    last: int
    confidence: float
    reasons: tuple[str, ...] = ()


def page_signals(page: PageWords) -> PageSignals:
    """Return the signals of one page, read alone."""
    reading = read_invoice([page.model_copy(update={"number": 1})])
    fields, confidence = reading.fields, reading.confidence

    def sure(name: str) -> bool:
        return getattr(fields, name) is not None and confidence.get(name, 0.0) >= SIGNAL_CONFIDENCE

    number = (
        invoice_number_key(fields.invoice_number)
        if fields.invoice_number and sure("invoice_number")
        else None
    )
    seller = seller_key(fields) if sure("seller_vat_id") or sure("seller_siret") else None
    return PageSignals(
        number=page.number,
        invoice_number=number or None,
        seller=seller,
        marker=page_marker(page),
        has_totals=sure("total_gross"),
        has_header=number is not None or sure("invoice_date"),
    )


def page_marker(page: PageWords) -> tuple[int, int] | None:
    """Return the page's "page i/n" marker as ``(i, n)``, or None."""
    text = " ".join(word.text for word in page.words)
    for match in PAGE_MARKER.finditer(text):
        index, count = int(match.group(1)), int(match.group(2))
        if 1 <= index <= count <= 999:
            return index, count
    return None


@dataclass
class _Open:
    """The invoice being assembled while the pages are walked."""

    first: int
    last: int
    confidence: float
    reasons: list[str]
    number: str | None
    seller: str | None
    closed: bool  # its last page holds a totals block

    def take(self, page: PageSignals, confidence: float, reason: str | None) -> None:
        self.last = page.number
        self.confidence = min(self.confidence, confidence)
        if reason:
            self.reasons.append(reason)
        self.number = self.number or page.invoice_number
        self.seller = self.seller or page.seller
        self.closed = page.has_totals

    def segment(self) -> Segment:
        return Segment(self.first, self.last, self.confidence, tuple(self.reasons))


def _opened(page: PageSignals, confidence: float, reasons: list[str]) -> _Open:
    return _Open(
        first=page.number,
        last=page.number,
        confidence=confidence,
        reasons=reasons,
        number=page.invoice_number,
        seller=page.seller,
        closed=page.has_totals,
    )


def split_pages(pages: Sequence[PageSignals]) -> list[Segment]:
    """Return the invoices the pages hold, in order, each with its confidence."""
    if not pages:
        return []
    current = _opened(pages[0], 1.0, [])
    segments: list[Segment] = []
    previous = pages[0]
    for page in pages[1:]:
        starts, confidence, reason = _starts_invoice(page, previous, current)
        if starts:
            segments.append(current.segment())
            current = _opened(page, confidence, [reason] if reason else [])
        else:
            current.take(page, confidence, reason)
        previous = page
    segments.append(current.segment())
    return segments


def _starts_invoice(
    page: PageSignals, previous: PageSignals, current: _Open
) -> tuple[bool, float, str | None]:
    """Return whether ``page`` starts a new invoice, how sure that is, and a doubt if any."""
    if page.marker is not None:
        index, count = page.marker
        if index == 1:
            return True, BY_MARKER, None
        follows = previous.marker is not None and previous.marker == (index - 1, count)
        if follows:
            return False, BY_MARKER, None
        # "Page 2/3" after a page without marker or out of sequence: a continuation still.
        return False, BY_TOTALS, f"page {page.number} says page {index}/{count} out of sequence"
    if page.invoice_number is not None and current.number is not None:
        if page.invoice_number != current.number:
            return True, BY_NUMBER, None
        return False, BY_NUMBER, None
    if page.seller is not None and current.seller is not None and page.seller != current.seller:
        return True, BY_SELLER, None
    if current.closed and page.has_header:
        return True, BY_TOTALS, f"page {page.number} taken as a new invoice after a totals block"
    if current.closed:
        return (
            False,
            UNSETTLED,
            f"page {page.number} follows a totals block but shows no invoice header",
        )
    if page.invoice_number is not None:
        return (
            False,
            BY_TOTALS,
            f"page {page.number} states an invoice number the pages before it do not: "
            "taken as the same invoice",
        )
    return False, BY_NUMBER, None


def settled(segment: Segment, extraction: Extraction) -> Segment:
    """Return ``segment`` doubted further when its pages, read together, give no invoice
    number or no total: the cut may have left them with another invoice."""
    reasons = list(segment.reasons)
    for name, missing in (
        ("invoice_number", "no invoice number read on these pages"),
        ("total_gross", "no total read on these pages"),
    ):
        value = getattr(extraction.fields, name)
        if value is None or extraction.confidence.get(name, 0.0) < SIGNAL_CONFIDENCE:
            reasons.append(missing)
    if len(reasons) == len(segment.reasons):
        return segment
    return Segment(segment.first, segment.last, min(segment.confidence, UNSETTLED), tuple(reasons))


def split_extraction(
    document: SourceDocument, extraction: Extraction, pages: Sequence[PageWords]
) -> list[Extraction]:
    """Return one extraction per invoice the pages hold; ``extraction`` alone (with its page
    range when the cut is unsure) when they hold one."""
    if len(pages) < 2 or extraction.method is Method.EINVOICE or one_marked_run(pages):
        return [extraction]
    segments = split_pages([page_signals(page) for page in pages])
    if len(segments) == 1:
        # Only the cut is judged here: a number or total the file does not give is the
        # REQUIRED-FIELDS rule's to raise.
        (segment,) = segments
        if segment.confidence >= BY_SELLER or tied_by_arithmetic(extraction, segment):
            return [extraction]
        # One invoice, but the signals do not settle it: the doubt is shown, not hidden.
        return [_with_range(extraction, segment)]
    method = extraction.method or Method.TEXT
    results = []
    for segment in segments:
        chosen = [
            page.model_copy(update={"number": number})
            for number, page in enumerate(pages[segment.first - 1 : segment.last], start=1)
        ]
        reading = read_invoice(chosen)
        # The pages were numbered from 1 for the reading: the boxes keep the file's pages.
        boxes = reading.read_boxes(method).shifted(segment.first - 1)
        part = reading.to_extraction(document, method=method, pages=len(chosen), page_words=chosen)
        part = part.model_copy(update={"boxes": boxes}).with_page_words(chosen)
        results.append(_with_range(part, settled(segment, part)))
    return results


def tied_by_arithmetic(extraction: Extraction, segment: Segment) -> bool:
    """Return True when the invoice's own arithmetic holds its pages together: its lines add
    up to its net total, and every page of ``segment`` holds a line or the net or gross total
    (the lines of page 1 are summed on page 2). Two invoices' pages add up to one's total
    only by chance, so a doubt the page signals left (a marker or number one page alone did
    not show) is settled."""
    net, boxes = extraction.fields.total_net, extraction.boxes
    if net is None or boxes is None or sum_of_lines(extraction.lines) != net:
        return False
    pages = {box.page for box in boxes.lines if box is not None} | {
        box.page for name, box in boxes.fields.items() if name in ("total_net", "total_gross")
    }
    return set(range(segment.first, segment.last + 1)) <= pages


def one_marked_run(pages: Sequence[PageWords]) -> bool:
    """Return True when every page says "page i/n" in one run, 1/n to n/n, n the page count:
    one invoice for sure (the markers decide over every other signal), so no page need be
    read alone."""
    count = len(pages)
    return [page_marker(page) for page in pages] == [
        (index, count) for index in range(1, count + 1)
    ]


def _with_range(extraction: Extraction, segment: Segment) -> Extraction:
    confidence = {**extraction.confidence, "page_range": round(segment.confidence, 4)}
    return extraction.model_copy(
        update={
            "page_range": [segment.first, segment.last],
            "confidence": confidence,
            "split_doubts": list(segment.reasons),
        }
    ).with_page_words(extraction.page_words)


def held_whole(extraction: Extraction, invoices: Sequence[Extraction]) -> Extraction:
    """Return ``extraction`` (the whole file read as one invoice) marked as holding the
    ``invoices``: its page range the whole file, with confidence 0, and a doubt saying where
    each invoice is, for the SPLIT-PAGES rule to raise."""
    ranges = ", ".join(
        f"{invoice.page_range[0]}-{invoice.page_range[1]}"
        for invoice in invoices
        if invoice.page_range is not None
    )
    doubt = (
        f"the file holds {len(invoices)} invoices (pages {ranges}) but is kept as one: "
        "split it into one file per invoice (`invoicebot extract` reads each)"
    )
    return extraction.model_copy(
        update={
            "page_range": [1, extraction.pages],
            "confidence": {**extraction.confidence, "page_range": 0.0},
            "split_doubts": [doubt],
        }
    ).with_page_words(extraction.page_words)
