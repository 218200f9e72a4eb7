"""The OCR extractor: image files, and PDFs of which no page has a usable text layer
(``extractors.page_source`` decides), OCR'd (``extractors.ocr``) and read by the field finder.

A document tesseract reads poorly (low mean word confidence, or no total or no date found) is
read again by a second engine (``SECOND_ENGINE``, RapidOCR): its amounts and dates replace
tesseract's, and it fills the fields tesseract missed. When the document's time limit passes
during the second reading, tesseract's reading stands.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Sequence

from PIL import Image

from extractors.base import (
    Deadline,
    DocumentKind,
    ExtractOptions,
    FieldReading,
    PageWords,
    SourceDocument,
)
from extractors.fields import read_invoice
from extractors.line_repair import repair_misread_lines
from extractors.lines import sum_of_lines
from extractors.name_marks import with_name_marks
from extractors.ocr import (
    OCR_ENGINES,
    load_image_pages,
    name_line_reader,
    ocr_images,
    read_with_engine,
    render_pdf_pages,
    upright_page,
)
from extractors.ocr_engines import OcrEngine
from extractors.ocr_vote import voted_name
from extractors.page_source import is_scan
from extractors.reader.candidates import FIELDS_OF_KIND, CandidateKind
from invoicebot.model import (
    AMOUNT_FIELDS,
    DocumentError,
    ErrorCode,
    Extraction,
    InvoiceFields,
    Method,
)

logger = logging.getLogger(__name__)

# A second engine reads the document again when tesseract's mean word confidence is below this
# or it found no gross total or no date. Generated scans (fr/en/de, 200 dpi) read at 0.90-0.94;
# real receipt photos at 0.68-0.90, where RapidOCR finds the total far more often. Forcing the
# second reading on all 13 generated scans lost 1 of their 179 fields, so a clean page that
# triggers it costs time (about 2 s a page) more than accuracy. None: tesseract only.
SECOND_READING_CONFIDENCE = 0.88
SECOND_ENGINE: str | None = "rapidocr"
DATE_FIELDS = frozenset({"invoice_date", "due_date"})


class OcrExtractor:
    """Reads image files, and PDFs of which no page has a usable text layer, by OCR."""

    name = "ocr"

    def extract(self, document: SourceDocument, options: ExtractOptions) -> Extraction | None:
        """Return the fields read from OCR'd words, or None for a PDF with a text layer."""
        deadline = document.deadline(options)
        images: Callable[[], Iterator[tuple[int, Image.Image]]]
        if document.kind is DocumentKind.IMAGE:
            images = functools.partial(
                load_image_pages,
                document.data,
                document.source,
                max_pixels=options.max_image_pixels,
                max_frames=options.max_image_frames,
            )
        elif is_scan(document, deadline):
            images = functools.partial(
                render_pdf_pages, document.data, None, options.ocr_dpi, deadline
            )
        else:
            return None
        upright: dict[int, Image.Image] = {}
        pages = ocr_images(images(), options, deadline, upright=upright)
        reading = read_invoice(pages)
        second = OCR_ENGINES.get(SECOND_ENGINE) if SECOND_ENGINE else None
        if second is not None and needs_second_reading(pages, reading) and second.available():
            if len(upright) == len(pages):
                # Every page kept upright by the first reading: none is rendered again.
                images = functools.partial(iter, sorted(upright.items()))
            else:
                images = _turned_upright(images)
            reading = _with_second_reading(reading, pages, second, images, options, deadline)
        read_line = name_line_reader(deadline)
        if read_line is not None:
            reading = with_name_marks(reading, upright, read_line)
        upright.clear()
        return reading.to_extraction(
            document, method=Method.OCR, pages=len(pages), page_words=pages
        )


def _turned_upright(
    images: Callable[[], Iterator[tuple[int, Image.Image]]],
) -> Callable[[], Iterator[tuple[int, Image.Image]]]:
    """Return ``images`` with each page turned upright (``upright_page``)."""
    return lambda: ((number, upright_page(image)) for number, image in images())


def _with_second_reading(
    reading: FieldReading,
    pages: Sequence[PageWords],
    engine: OcrEngine,
    images: Callable[[], Iterator[tuple[int, Image.Image]]],
    options: ExtractOptions,
    deadline: Deadline,
) -> FieldReading:
    """Return ``reading`` merged with ``engine``'s reading of the upright pages ``images``
    gives, or ``reading`` alone when the time limit passes during the second reading:
    tesseract's words are already read, and a poor reading beats a timed-out document. The
    parties' names keep the letters the second engine read more surely
    (``extractors.ocr_vote``)."""
    try:
        second_pages = [
            read_with_engine(engine, image, number, options, deadline) for number, image in images()
        ]
    except DocumentError as error:
        if error.code is not ErrorCode.TIMEOUT:
            raise
        logger.warning("%s: %s; keeping the tesseract reading", error.source, error.reason)
        return reading
    merged = merge_readings(reading, read_invoice(second_pages))
    names = {
        name: voted_name(value, pages, second_pages)
        for name in FIELDS_OF_KIND[CandidateKind.NAME]
        if isinstance(value := getattr(merged.fields, name), str)
    }
    return merged.model_copy(update={"fields": merged.fields.model_copy(update=names)})


def needs_second_reading(pages: Sequence[PageWords], reading: FieldReading) -> bool:
    """Return True when tesseract read the pages poorly: low word confidence, or no total
    or no date found."""
    confidences = [word.confidence for page in pages for word in page.words]
    if not confidences:
        return True
    if sum(confidences) / len(confidences) < SECOND_READING_CONFIDENCE:
        return True
    fields = reading.fields
    return fields.total_gross is None or fields.invoice_date is None


def merge_readings(first: FieldReading, second: FieldReading) -> FieldReading:
    """Return ``first`` with its amounts and dates taken from ``second`` where it has them,
    the fields ``first`` lacks filled from ``second``, and the lines of the one whose lines
    add up to the net total.

    The second engine reads digits better on poor photos; tesseract keeps the spaces between
    words that names, labels and legal forms are found by.
    """
    values = first.fields.model_dump()
    confidence = dict(first.confidence)
    boxes = dict(first.boxes)
    for name, value in second.fields.model_dump().items():
        if value is None:
            continue
        if values.get(name) is None or name in AMOUNT_FIELDS or name in DATE_FIELDS:
            values[name] = value
            # Its confidence and box come with it, or none where the second has none.
            confidence.pop(name, None)
            boxes.pop(name, None)
            if name in second.confidence:
                confidence[name] = second.confidence[name]
            if name in second.boxes:
                boxes[name] = second.boxes[name]
    fields = InvoiceFields.model_validate(values)
    # The lines that add up to the net total, else tesseract's, where it read any.
    adding_up = [
        reading
        for reading in (first, second)
        if fields.total_net is not None and sum_of_lines(reading.lines) == fields.total_net
    ]
    lines_from = adding_up[0] if adding_up else first if first.lines else second
    return FieldReading(
        fields=fields,
        # Read again against the totals merged: a VAT rate misread may show only now.
        lines=repair_misread_lines(lines_from.lines, fields.total_net, fields.total_tax),
        confidence=confidence,
        language=first.language or second.language,
        boxes=boxes,
        line_boxes=lines_from.line_boxes,
    )
