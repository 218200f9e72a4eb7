"""The kind of a paper document, from its printed title: a credit note says so on its top.

A page reader finds the fields of invoices and credit notes alike; only the title tells
them apart. It is read conservatively, since a credit note's amounts count the other way:
a short line in the top part of the first page that starts with a credit-note title
(``AVOIR``, ``Facture d'avoir``, ``Note de crédit``, ``Credit note``), with no invoice title
(``Facture``, ``Invoice``, ``Rechnung``) on its own line there too. ``Gutschrift`` is left
out: in German it is also a self-billed invoice. A credit note printed with negative totals
stays an invoice with negative totals: its sign already reverses it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from extractors.base import PageWords, Word
from extractors.normalize import fold_text
from invoicebot.model import DocumentType, Extraction

CREDIT_NOTE_TITLE = re.compile(
    r"(?:facture d avoir|avoir|note de credit|credit note|credit memo)(?: |$)"
)
INVOICE_TITLE = re.compile(r"(?:facture|invoice|rechnung)(?: |$)")
# Where a title is printed: the top part of the page, on a line of a few words.
TITLE_ZONE = 0.4
TITLE_MAX_WORDS = 6


def with_printed_type(extraction: Extraction) -> Extraction:
    """Return ``extraction`` as a credit note when its first page is titled one and its
    gross total is not negative; else unchanged."""
    gross = extraction.fields.total_gross
    if extraction.document_type is not DocumentType.INVOICE or (gross is not None and gross < 0):
        return extraction
    if printed_document_type(extraction.page_words) is not DocumentType.CREDIT_NOTE:
        return extraction
    return extraction.model_copy(update={"document_type": DocumentType.CREDIT_NOTE})


def printed_document_type(pages: Sequence[PageWords]) -> DocumentType:
    """Return the kind of document the first page's title says: a credit note only when a
    credit-note title and no invoice title is printed on a short line near its top."""
    if not pages:
        return DocumentType.INVOICE
    page = pages[0]
    credit = invoice = False
    for line in _top_lines(page):
        words = [word.text for word in line]
        if not words[0][:1].isupper():
            continue
        text = " ".join(re.sub(r"[^a-z0-9]+", " ", fold_text(" ".join(words))).split())
        if CREDIT_NOTE_TITLE.match(text):
            # A long line starting so is a sentence, not a title.
            credit = credit or len(words) <= TITLE_MAX_WORDS
        elif INVOICE_TITLE.match(text):
            invoice = True
    return DocumentType.CREDIT_NOTE if credit and not invoice else DocumentType.INVOICE


def _top_lines(page: PageWords) -> list[list[Word]]:
    """Return the words of the page's top part grouped into lines, left to right."""
    limit = page.height * TITLE_ZONE
    words = sorted((w for w in page.words if w.bottom <= limit), key=lambda w: (w.top, w.x0))
    lines: list[list[Word]] = []
    for word in words:
        line = lines[-1] if lines else None
        # On the line when it overlaps the line's first word by half its height.
        if line and word.top < (line[0].top + line[0].bottom) / 2:
            line.append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w.x0) for line in lines]
