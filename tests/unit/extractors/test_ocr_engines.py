"""OCR engines: RapidOCR on a real image, and when and how its reading joins tesseract's."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from extractors import ocr, ocr_reading
from extractors.base import (
    Deadline,
    DocumentKind,
    ExtractOptions,
    FieldReading,
    PageWords,
    SourceDocument,
    Word,
)
from extractors.ocr import OCR_ENGINES, load_image_pages
from extractors.ocr_engines import RapidOcrEngine, _line_words
from extractors.ocr_reading import (
    SECOND_ENGINE,
    OcrExtractor,
    merge_readings,
    needs_second_reading,
)
from invoicebot.model import Box, InvoiceFields, Line
from tests.unit.extractors.test_text_layer import make_pdf, render_page

FAST_OCR = ExtractOptions(ocr_languages="eng", ocr_dpi=150)


def deadline_in(seconds: float) -> Deadline:
    return Deadline(at=time.monotonic() + seconds, source="receipt.png")


def test_rapidocr_reads_words_with_pixel_positions() -> None:
    image = render_page(make_pdf([["TOTAL 14.10"]], font_size=24), dpi=100)

    words = RapidOcrEngine().read_words(image, "eng", deadline_in(120))

    assert [word.text for word in words] == ["TOTAL", "14.10"]
    total, amount = words
    assert total.x1 <= amount.x0
    assert 0 < total.confidence <= 1
    assert 0 <= total.x0 < amount.x1 <= image.width


def test_a_text_line_is_split_into_words_by_character_share() -> None:
    box = [[100, 10], [200, 10], [200, 30], [100, 30]]

    words = _line_words(box, "Total  9.90", 0.9)

    assert [word.text for word in words] == ["Total", "9.90"]
    assert [(word.x0, word.x1) for word in words] == [
        pytest.approx((100, 100 + 5 * 100 / 11)),
        pytest.approx((100 + 7 * 100 / 11, 200)),
    ]
    assert all((word.top, word.bottom, word.confidence) == (10, 30, 0.9) for word in words)


def reading(**fields: object) -> FieldReading:
    return FieldReading(
        fields=InvoiceFields.model_validate(fields), confidence=dict.fromkeys(fields, 0.5)
    )


def test_the_second_reading_gives_amounts_and_dates_and_fills_the_rest() -> None:
    first = reading(seller_name="HOME MASTER", total_gross="45.90", invoice_number="C357")
    second = reading(
        seller_name="HOMEMASTER", total_gross="15.90", invoice_date="2017-12-22", currency="MYR"
    )
    second.confidence["total_gross"] = 0.9

    merged = merge_readings(first, second)

    assert merged.fields.seller_name == "HOME MASTER"
    assert merged.fields.invoice_number == "C357"
    assert merged.fields.total_gross == Decimal("15.90")
    assert merged.confidence["total_gross"] == 0.9
    assert merged.fields.invoice_date == date(2017, 12, 22)
    assert merged.fields.currency == "MYR"


def test_a_value_taken_from_the_second_reading_comes_with_its_box() -> None:
    first = reading(seller_name="HOME MASTER", total_gross="45.90", invoice_date="2017-12-21")
    first.boxes.update(
        seller_name=Box(page=1, x0=0.1, top=0.1, x1=0.3, bottom=0.12),
        total_gross=Box(page=1, x0=0.7, top=0.8, x1=0.8, bottom=0.82),
        invoice_date=Box(page=1, x0=0.7, top=0.2, x1=0.8, bottom=0.22),
    )
    second = reading(total_gross="15.90", invoice_date="2017-12-22")
    gross = Box(page=1, x0=0.71, top=0.8, x1=0.79, bottom=0.82)
    second.boxes["total_gross"] = gross

    merged = merge_readings(first, second)

    assert merged.boxes["seller_name"] == first.boxes["seller_name"]
    assert merged.boxes["total_gross"] == gross
    # The second reading's date has no box: the first reading's box is not the date's.
    assert "invoice_date" not in merged.boxes


def test_the_lines_kept_are_those_that_add_up_to_the_net_total_read_again_against_it() -> None:
    first = reading(total_net="300.00", total_tax="60.00")
    first.lines.extend([Line(description="Frobnication service Blarg", net_amount=Decimal(147686))])
    second = reading(total_net="300.00", total_tax="60.00")
    second.lines.extend(
        [
            Line(description="Frobnication", net_amount=Decimal("200.00"), tax_rate=Decimal(20)),
            Line(description="Blarg", net_amount=Decimal("100.00"), tax_rate=Decimal(2)),
        ]
    )

    merged = merge_readings(first, second)

    # "2 %" was "20 %": 20 % of 300,00 is the VAT total.
    assert [(line.net_amount, line.tax_rate) for line in merged.lines] == [
        (Decimal("200.00"), Decimal(20)),
        (Decimal("100.00"), Decimal(20)),
    ]
    assert merge_readings(first, reading(total_net="300.00")).lines == first.lines


def page_of(confidence: float) -> PageWords:
    word = Word(text="x", x0=0, top=0, x1=1, bottom=1, confidence=confidence)
    return PageWords(number=1, width=10, height=10, method="ocr", words=[word])


def test_a_second_reading_is_needed_for_low_confidence_or_missing_fields() -> None:
    complete = reading(total_gross="1.00", invoice_date="2026-01-02")
    assert not needs_second_reading([page_of(0.95)], complete)
    assert needs_second_reading([page_of(0.7)], complete)
    assert needs_second_reading([page_of(0.95)], reading(total_gross="1.00"))


class FakeEngine:
    """A second engine that reads one fixed line."""

    name = "fake"

    def __init__(self) -> None:
        self.pages = 0

    def available(self) -> bool:
        return True

    def read_words(self, image: Image.Image, languages: str, deadline: Deadline) -> list[Word]:
        self.pages += 1
        return _line_words([[10, 10], [200, 10], [200, 30], [10, 30]], "TOTAL 14.10", 0.9)


def receipt_without_total() -> SourceDocument:
    """Return a PNG receipt whose only line is its seller's name: tesseract finds no total."""
    buffer = io.BytesIO()
    render_page(make_pdf([["ACME TRADING SDN BHD"]], font_size=24), dpi=100).save(buffer, "PNG")
    return SourceDocument(
        path=Path("receipt.png"),
        source="receipt.png",
        data=buffer.getvalue(),
        sha256="x",
        kind=DocumentKind.IMAGE,
    )


def test_the_extractor_asks_the_second_engine_when_tesseract_finds_no_total(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert SECOND_ENGINE is not None
    fake = FakeEngine()
    monkeypatch.setitem(OCR_ENGINES, SECOND_ENGINE, fake)

    extraction = OcrExtractor().extract(receipt_without_total(), FAST_OCR)

    assert extraction is not None
    assert fake.pages == 1
    assert extraction.fields.total_gross == Decimal("14.10")
    assert extraction.fields.seller_name == "ACME TRADING SDN BHD"


class OutOfTimeEngine(FakeEngine):
    """A second engine during whose reading the document's time limit passes."""

    def read_words(self, image: Image.Image, languages: str, deadline: Deadline) -> list[Word]:
        self.pages += 1
        raise deadline.expired()


def test_the_time_limit_passing_in_the_second_reading_keeps_the_tesseract_reading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert SECOND_ENGINE is not None
    engine = OutOfTimeEngine()
    monkeypatch.setitem(OCR_ENGINES, SECOND_ENGINE, engine)

    extraction = OcrExtractor().extract(receipt_without_total(), FAST_OCR)

    assert engine.pages == 1
    assert extraction is not None
    assert extraction.error is None
    assert extraction.fields.seller_name == "ACME TRADING SDN BHD"
    assert extraction.fields.total_gross is None


class CountingLoader:
    """``load_image_pages``, counting how often the image file is decoded."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(
        self, data: bytes, source: str, **limits: int
    ) -> Iterator[tuple[int, Image.Image]]:
        self.calls += 1
        return load_image_pages(data, source, **limits)


@pytest.mark.parametrize(("kept", "decoded"), [(ocr.KEPT_UPRIGHT_PAGES, 1), (0, 2)])
def test_the_second_engine_reads_the_pages_the_first_reading_turned_upright(
    monkeypatch: pytest.MonkeyPatch, kept: int, decoded: int
) -> None:
    assert SECOND_ENGINE is not None
    fake = FakeEngine()
    loader = CountingLoader()
    monkeypatch.setitem(OCR_ENGINES, SECOND_ENGINE, fake)
    monkeypatch.setattr(ocr_reading, "load_image_pages", loader)
    # A document longer than the pages kept upright is decoded again for the second engine.
    monkeypatch.setattr(ocr, "KEPT_UPRIGHT_PAGES", kept)

    extraction = OcrExtractor().extract(receipt_without_total(), FAST_OCR)

    assert extraction is not None
    assert loader.calls == decoded
    assert fake.pages == 1
    assert extraction.fields.total_gross == Decimal("14.10")
