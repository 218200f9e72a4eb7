"""Imported by the reading processes' fork server (``extractors.isolation``) only: reads a
made-up page, so that every reading process starts with the field finder's caches full.

The first reading in a process compiles the field finder's regular expressions and loads
dateparser's locales and time zones and the reader model: 1.7 s of CPU, against 0.05 s for
each reading after it. Done once here, in the fork server, the reading processes forked from
it inherit the result instead of each paying for it. Only words are read: no PDF is opened and
no OCR runs (no thread starts in the fork server, whose children PDFium and tesseract need
single-threaded).
"""

from __future__ import annotations

from extractors.base import PageWords, Word
from extractors.fields import read_invoice
from extractors.printed_mentions import printed_mentions
from extractors.printed_type import printed_document_type
from extractors.splitting import page_signals

# Lines of a small invoice in each language the reader reads, with dates in their usual forms.
MADE_UP_LINES = (
    "FACTURE N° F2026-0042",
    "Date de facture : 2 mars 2026 Échéance : 01/04/2026",
    "ACME Fournitures SAS 12 rue de la République 75001 Paris",
    "TVA intracommunautaire FR44732829320 SIRET 73282932000074",
    "IBAN FR76 3000 6000 0112 3456 7890 189",
    "Total HT 1 234,56 € TVA 20 % 246,91 € Total TTC 1 481,47 €",
    "INVOICE No. INV-0042 Invoice date: March 2, 2026 Due date: 2026-04-01",
    "Subtotal 1,234.56 VAT 246.91 Total due EUR 1,481.47",
    # A date the finder's own patterns leave to dateparser, whose first use builds its time
    # zone patterns (0.3 s).
    "Due Apr 1, 2026",
    "RECHNUNG Nr. R-0042 Rechnungsdatum: 2. März 2026 Fällig: 01.04.2026",
    "Nettobetrag 1.234,56 EUR MwSt. 19 % 234,57 EUR Gesamtbetrag 1.469,13 EUR",
)
LINE_HEIGHT = 30.0
CHARACTER_WIDTH = 12.0


def made_up_page() -> PageWords:
    """Return the words of ``MADE_UP_LINES`` laid out on one page, in pixels."""
    words: list[Word] = []
    for row, line in enumerate(MADE_UP_LINES):
        top = 100.0 + 2 * row * LINE_HEIGHT
        column = 0
        for text in line.split(" "):
            x0 = 100.0 + column * CHARACTER_WIDTH
            words.append(
                Word(
                    text=text,
                    x0=x0,
                    top=top,
                    x1=x0 + len(text) * CHARACTER_WIDTH,
                    bottom=top + LINE_HEIGHT,
                    confidence=0.95,
                )
            )
            column += len(text) + 1
    return PageWords(number=1, width=1654, height=2339, method="ocr", words=words)


def warm_reading() -> None:
    """Read the made-up page, filling the caches of the first reading."""
    page = made_up_page()
    reading = read_invoice([page])
    printed_document_type([page])
    printed_mentions([page], reading.fields)
    page_signals(page)


warm_reading()
