"""Where a file holding several invoices was cut: a cut the page signals do not settle."""

from __future__ import annotations

from invoicebot.model import ExceptionCategory
from validation.context import RuleContext
from validation.registry import Verdict, rule


@rule(id="SPLIT-PAGES", category=ExceptionCategory.LOW_CONFIDENCE)
def pages_hold_one_invoice(context: RuleContext) -> Verdict | None:
    """The pages read as this invoice are one whole invoice, and no more.

    A PDF of several pages may be a scanned stack or concatenated files: it is cut into
    invoices where a page starts a new one (a "page 1/n" marker, a new invoice number or
    seller, a header after a totals block). When those signals do not settle where this
    invoice starts or ends (confidence of its page range under `review_confidence`), check
    the pages before paying: an invoice may miss a page or carry another's. The batch stores
    each invoice of such a file as its own invoice, with its pages; this rule raises on
    those whose cut is unsure. Applies to multi-page files whose cut is recorded (a page
    range).
    """
    extraction = context.extraction
    if extraction.page_range is None:
        return None
    first, last = extraction.page_range
    confidence = extraction.confidence.get("page_range", 0.0)
    values = {"page_range": f"{first}-{last}", "confidence": f"{confidence:.2f}"}
    if confidence >= context.config.review_confidence:
        return Verdict(True, f"Pages {first}-{last} of the file are one invoice.", values)
    doubts = "; ".join(extraction.split_doubts) or "the page signals disagree"
    return Verdict(
        False,
        f"Pages {first}-{last} of the file were read as one invoice, unsure "
        f"(confidence {confidence:.2f}): {doubts}. Check where this invoice starts and ends.",
        values,
    )
