"""Several invoices in one PDF: the cut from page signals, and on generated invoices."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from extractors import extract_document, extract_invoices
from extractors.splitting import (
    BY_NUMBER,
    BY_SELLER,
    PageSignals,
    Segment,
    one_marked_run,
    page_marker,
    settled,
    split_pages,
    tied_by_arithmetic,
)
from invoicebot.model import (
    Box,
    BoxSource,
    Extraction,
    InvoiceFields,
    Line,
    ReadBoxes,
    invoice_number_key,
)
from samples.randomised import TUNING_FAMILIES, generate_document
from tests.inbox import concatenated_pdf
from tests.unit.extractors.pages import page
from validation import validate

REVIEW = 0.9


def signals(number: int, **values: object) -> PageSignals:
    return PageSignals(number=number, **values)  # type: ignore[arg-type]


def cuts(segments: list[Segment]) -> list[tuple[int, int]]:
    return [(segment.first, segment.last) for segment in segments]


def test_a_new_invoice_number_starts_an_invoice_and_a_repeated_one_continues_it() -> None:
    pages = [
        signals(1, invoice_number="F1", has_header=True),
        signals(2, invoice_number="F1", has_header=True, has_totals=True),
        signals(3, invoice_number="F2", has_header=True, has_totals=True),
    ]
    segments = split_pages(pages)
    assert cuts(segments) == [(1, 2), (3, 3)]
    assert all(segment.confidence >= REVIEW for segment in segments)


def test_page_markers_decide_over_numbers() -> None:
    # Page 2/2 continues the invoice even though the reader saw another "number" on it.
    pages = [
        signals(1, invoice_number="F1", marker=(1, 2), has_header=True),
        signals(2, invoice_number="PO77", marker=(2, 2), has_totals=True),
        signals(3, invoice_number="F2", marker=(1, 1), has_header=True, has_totals=True),
    ]
    assert cuts(split_pages(pages)) == [(1, 2), (3, 3)]


def test_another_seller_starts_an_invoice() -> None:
    pages = [
        signals(1, seller="vat:FR1", has_header=True, invoice_number="7"),
        signals(2, seller="vat:DE2", has_totals=True),
    ]
    (first, second) = split_pages(pages)
    assert (first.first, second.first) == (1, 2)
    assert second.confidence == BY_SELLER


def test_a_page_after_a_totals_block_without_any_header_is_doubted() -> None:
    pages = [
        signals(1, invoice_number="F1", has_header=True, has_totals=True),
        signals(2),  # terms and conditions, or the first page of an invoice read poorly
    ]
    (segment,) = split_pages(pages)
    assert (segment.first, segment.last) == (1, 2)
    assert segment.confidence < REVIEW
    assert "follows a totals block" in segment.reasons[0]


def test_a_header_after_a_totals_block_starts_an_unsure_invoice() -> None:
    pages = [
        signals(1, invoice_number="F1", has_header=True, has_totals=True),
        signals(2, has_header=True, has_totals=True),  # a date, no number read
    ]
    first, second = split_pages(pages)
    assert (second.first, second.last) == (2, 2)
    assert first.confidence >= REVIEW > second.confidence


def test_pages_that_give_no_number_or_no_total_together_are_doubted() -> None:
    segment = Segment(3, 4, BY_NUMBER)
    read = Extraction(
        source="x",
        sha256="0",
        fields=InvoiceFields(invoice_number="F1", total_gross=Decimal("10.00")),
        confidence={"invoice_number": 0.95, "total_gross": 0.3},
    )
    doubted = settled(segment, read)
    assert doubted.confidence < REVIEW
    assert doubted.reasons == ("no total read on these pages",)
    sure = read.model_copy(update={"confidence": {"invoice_number": 0.9, "total_gross": 0.9}})
    assert settled(segment, sure) == segment


def box(page_number: int) -> Box:
    return Box(page=page_number, x0=0.1, top=0.1, x1=0.2, bottom=0.2)


def two_pages_read(line_amounts: list[str], net: str, net_page: int) -> Extraction:
    """Return an extraction of two pages: its lines on page 1, its net total on ``net_page``."""
    return Extraction(
        source="x",
        sha256="0",
        fields=InvoiceFields(total_net=Decimal(net)),
        lines=[Line(description="d", net_amount=Decimal(amount)) for amount in line_amounts],
        boxes=ReadBoxes(
            source=BoxSource.OCR,
            fields={"total_net": box(net_page)},
            lines=[box(1) for _ in line_amounts],
        ),
    )


def test_lines_summed_on_the_next_page_tie_the_pages_into_one_invoice() -> None:
    segment = Segment(1, 2, 0.8, ("page 2 states an invoice number the pages before it do not",))
    assert tied_by_arithmetic(two_pages_read(["10.00", "5.50"], "15.50", net_page=2), segment)
    # Lines that do not add up, or a page holding neither a line nor a total, tie nothing.
    assert not tied_by_arithmetic(two_pages_read(["10.00", "5.00"], "15.50", 2), segment)
    assert not tied_by_arithmetic(two_pages_read(["10.00", "5.50"], "15.50", 1), segment)


@pytest.mark.parametrize(
    ("text", "marker"),
    [
        ("Page 2/3", (2, 3)),
        ("Seite 1 von 2", (1, 2)),
        ("p. 4 of 4", (4, 4)),
        ("Página 1 de 3", (1, 3)),
        ("Invoice 2026/14", None),
        ("Page 5/3", None),
    ],
)
def test_page_markers_in_several_languages(text: str, marker: tuple[int, int] | None) -> None:
    assert page_marker(page((400, 800, text))) == marker


def test_pages_marked_in_one_run_are_one_invoice_without_reading_each() -> None:
    marked = [page((400, 800, f"Page {i}/3"), number=i) for i in (1, 2, 3)]
    assert one_marked_run(marked)
    assert not one_marked_run(marked[:2])  # "1/3, 2/3": a page is missing, or another follows
    assert not one_marked_run([marked[0], page((400, 800, "Page 1/3"), number=2), marked[2]])
    assert not one_marked_run([marked[0], page((400, 800, "Total"), number=2), marked[2]])


def multi_page_family() -> tuple[int, int]:
    """Return a tuning family and index whose generated invoice runs over two pages."""
    for family in TUNING_FAMILIES:
        for index in range(2000, 2010):
            if generate_document(family, index).truth["pages"] > 1:
                return family, index
    raise LookupError("no two-page invoice among the tuning families")


def test_a_concatenated_pdf_gives_one_result_per_invoice(tmp_path: Path) -> None:
    family, index = multi_page_family()
    invoices = [
        generate_document(TUNING_FAMILIES[0], 2000),
        generate_document(family, index),
        generate_document(TUNING_FAMILIES[5], 2001),
    ]
    path = tmp_path / "stack.pdf"
    path.write_bytes(concatenated_pdf([invoice.data for invoice in invoices]))
    two = invoices[1].truth["pages"]
    results = extract_invoices(path)
    assert [r.page_range for r in results] == [[1, 1], [2, 1 + two], [2 + two, 2 + two]]
    for result, invoice in zip(results, invoices, strict=True):
        assert result.source == str(path)
        assert invoice_number_key(result.fields.invoice_number or "") == invoice_number_key(
            invoice.truth["fields"]["invoice_number"]
        )
        assert result.confidence["page_range"] >= BY_SELLER
        assert result.to_contract()["page_range"] == result.page_range
        assert not [r for r in validate(result) if r.rule == "SPLIT-PAGES" and not r.passed]

    # Read as one document (the batch), the file is flagged, never a silently mixed invoice.
    whole = extract_document(path)
    assert whole.page_range == [1, 2 + two] and whole.confidence["page_range"] == 0.0
    failed = [r for r in validate(whole) if r.rule == "SPLIT-PAGES" and not r.passed]
    assert failed and failed[0].category.value == "low_confidence"
    assert f"pages 1-1, 2-{1 + two}, {2 + two}-{2 + two}" in failed[0].message


def test_a_single_invoice_has_no_page_range(tmp_path: Path) -> None:
    family, index = multi_page_family()
    path = tmp_path / "one.pdf"
    path.write_bytes(generate_document(family, index).data)
    (result,) = extract_invoices(path)
    assert result.page_range is None and "page_range" not in result.to_contract()
