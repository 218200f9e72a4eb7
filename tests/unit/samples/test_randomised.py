"""Tests of the layout-randomised invoice generator.

The checks re-derive what they can independently of the generator (Decimal sums, stdnum
check digits, the PDF's own text layer), so a passing family is one whose truth a perfect
reader could reach from the page alone.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from typing import Any

import pypdfium2 as pdfium
import pytest
from stdnum import iban
from stdnum.util import get_cc_module

from extractors.text_layer import read_text_pages
from invoicebot.model import FIELD_NAMES, Extraction
from samples.randomised import (
    EXTRA_TUNING_FAMILIES,
    FAMILY_COUNT,
    FRESH_FAMILIES,
    KINDS,
    TUNING_FAMILIES,
    VALIDATION_FAMILIES,
    family_group,
    generate_document,
)
from samples.randomised.__main__ import main
from samples.randomised.content import draw_invoice
from samples.randomised.family import SPACED_FAMILY_SHARE, letter_spaced, make_family
from samples.randomised.formats import HELD_OUT_DATE_FORMATS
from samples.randomised.render import render_invoice
from samples.randomised.vocabulary import held_out_labels

DOCUMENTS_PER_FAMILY = 2
TRUTH_EXTRAS = ("kind", "faults", "family", "group", "printed")


@cache
def page_text(family: int, index: int) -> str:
    """Return the text layer of a text-PDF document, whitespace collapsed."""
    document = pdfium.PdfDocument(generate_document(family, index).data)
    try:
        text = " ".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    return " ".join(text.split())


def squeezed(text: str) -> str:
    return "".join(text.split())


def test_families_split_into_two_disjoint_groups() -> None:
    assert FAMILY_COUNT >= 32
    assert set(TUNING_FAMILIES).isdisjoint(VALIDATION_FAMILIES)
    assert set(TUNING_FAMILIES) | set(VALIDATION_FAMILIES) == set(range(FAMILY_COUNT))
    assert 0.2 <= len(VALIDATION_FAMILIES) / FAMILY_COUNT <= 0.3
    assert all(family_group(family) == "validation" for family in VALIDATION_FAMILIES)
    languages = {make_family(family).language for family in VALIDATION_FAMILIES}
    assert languages == {"fr", "en", "de", "es", "it", "nl"}
    with pytest.raises(ValueError):
        family_group(2 * FAMILY_COUNT)


def test_extra_tuning_families_lie_between_the_fresh_ones() -> None:
    assert len(EXTRA_TUNING_FAMILIES) == 120
    assert min(EXTRA_TUNING_FAMILIES) == FAMILY_COUNT
    assert set(EXTRA_TUNING_FAMILIES).isdisjoint(
        {*FRESH_FAMILIES, *TUNING_FAMILIES, *VALIDATION_FAMILIES}
    )
    assert all(family_group(family) == "tuning" for family in EXTRA_TUNING_FAMILIES)
    assert generate_document(EXTRA_TUNING_FAMILIES[0], 0).truth["group"] == "tuning"


def test_fresh_families_are_validation_families_held_in_reserve() -> None:
    assert len(FRESH_FAMILIES) >= 40
    assert min(FRESH_FAMILIES) > FAMILY_COUNT
    assert set(FRESH_FAMILIES).isdisjoint(set(TUNING_FAMILIES) | set(VALIDATION_FAMILIES))
    assert all(family_group(family) == "validation" for family in FRESH_FAMILIES)
    document = generate_document(FRESH_FAMILIES[0], 0)
    assert document.truth["group"] == "validation"
    assert document.truth["family"] == FRESH_FAMILIES[0]


def test_a_label_is_set_letter_spaced_with_wider_gaps_between_its_words() -> None:
    assert letter_spaced("Invoice no.:") == "I n v o i c e   n o . :"


def test_some_families_of_both_groups_set_their_title_letter_spaced() -> None:
    def spaced(family: int) -> bool:
        return make_family(family).words["title"][1:2] == " "

    families = [*range(FAMILY_COUNT), *EXTRA_TUNING_FAMILIES, *FRESH_FAMILIES]
    share = sum(map(spaced, families)) / len(families)
    assert SPACED_FAMILY_SHARE / 2 <= share <= 2 * SPACED_FAMILY_SHARE
    assert any(map(spaced, TUNING_FAMILIES)) and any(map(spaced, VALIDATION_FAMILIES))
    # Its text layer gives the title's letters back as words (extractors.letter_spacing).
    family = next(family for family in VALIDATION_FAMILIES if spaced(family))
    title = make_family(family).words["title"]
    (page, *_) = read_text_pages(generate_document(family, 0).data)
    assert page is not None
    read = " ".join(word.text for word in page.words)
    assert " ".join(word.replace(" ", "") for word in title.split("   ")) in read


@pytest.mark.parametrize("kind", KINDS)
def test_same_arguments_give_the_same_bytes(kind: str) -> None:
    first = generate_document(5, 1, kind, seed=7)
    again = generate_document(5, 1, kind, seed=7)
    assert first.data == again.data
    assert first.truth == again.truth
    if kind == "text-pdf":  # the images derive from the same PDF: one check is enough
        assert generate_document(5, 1, kind, seed=8).data != first.data


@pytest.mark.parametrize("family", range(FAMILY_COUNT))
def test_every_family_prints_a_clean_invoice_whose_truth_is_on_the_page(family: int) -> None:
    for index in range(DOCUMENTS_PER_FAMILY):
        document = generate_document(family, index)
        truth = document.truth
        assert document.data.startswith(b"%PDF")
        assert truth["family"] == family and truth["group"] == family_group(family)
        assert truth["kind"] == "text-pdf" and truth["faults"] == []
        assert set(truth["fields"]) == set(FIELD_NAMES)
        Extraction.model_validate({k: v for k, v in truth.items() if k not in TRUTH_EXTRAS})
        assert_arithmetic_holds(truth)
        assert_identifiers_valid(truth["fields"])
        text = squeezed(page_text(family, index))
        printed = truth["printed"]
        for name, value in truth["fields"].items():
            assert (value is not None) == (name in printed), name
        for name, shown in printed.items():
            assert squeezed(shown) in text, f"{document.filename}: {name} {shown!r} not printed"
        for line in truth["lines"]:
            first_word = line["description"].split()[0]
            assert first_word in text


# Nothing is printed this near the page's edge (points): a scan's skew and crop cut it off,
# so a value there is in a text PDF's text layer but not on its scan.
EDGE = 12.0


@pytest.mark.parametrize("family", [*range(FAMILY_COUNT), *FRESH_FAMILIES])
def test_nothing_is_printed_at_the_page_s_edge(family: int) -> None:
    for index in range(DOCUMENTS_PER_FAMILY):
        document = pdfium.PdfDocument(generate_document(family, index).data)
        try:
            for page in document:
                width, height = page.get_size()
                text = page.get_textpage()
                inside = text.get_text_bounded(EDGE, EDGE, width - EDGE, height - EDGE)
                assert squeezed(inside) == squeezed(text.get_text_range())
        finally:
            document.close()


def assert_arithmetic_holds(truth: dict[str, Any]) -> None:
    fields = truth["fields"]
    net, tax, gross, due = (
        Decimal(fields[name]) for name in ("total_net", "total_tax", "total_gross", "amount_due")
    )
    assert net + tax == gross
    assert 0 < due <= gross
    assert sum(Decimal(line["net_amount"]) for line in truth["lines"]) == net
    for line in truth["lines"]:
        if line["quantity"] is not None and line["unit_price"] is not None:
            product = Decimal(line["quantity"]) * Decimal(line["unit_price"])
            assert Decimal(line["net_amount"]) <= product.quantize(Decimal("0.01")) + Decimal(
                "0.01"
            )
    rates = {line["tax_rate"] for line in truth["lines"]}
    if None not in rates:
        expected_tax = Decimal("0")
        for rate in rates:
            base = sum(
                Decimal(line["net_amount"]) for line in truth["lines"] if line["tax_rate"] == rate
            )
            expected_tax += (base * Decimal(rate) / 100).quantize(Decimal("0.01"), "ROUND_HALF_UP")
        assert expected_tax == tax


def assert_identifiers_valid(fields: dict[str, Any]) -> None:
    for name in ("seller_vat_id", "buyer_vat_id"):
        if fields[name] is not None:
            module = get_cc_module(fields[name][:2].lower(), "vat")
            assert module.is_valid(fields[name]), fields[name]
    if fields["seller_iban"] is not None:
        assert iban.is_valid(fields["seller_iban"])
    if fields["invoice_date"] and fields["due_date"]:
        assert fields["due_date"] >= fields["invoice_date"]


def test_held_out_wording_is_never_printed_by_a_tuning_family() -> None:
    held_out = [label.casefold() for label in held_out_labels()]
    for family in TUNING_FAMILIES:
        assert make_family(family).date_format not in HELD_OUT_DATE_FORMATS
        for index in range(DOCUMENTS_PER_FAMILY):
            text = page_text(family, index).casefold()
            leaked = [label for label in held_out if label in text]
            assert not leaked, f"family {family} prints held-out {leaked}"
    validation_text = " ".join(
        page_text(family, index).casefold()
        for family in VALIDATION_FAMILIES
        for index in range(DOCUMENTS_PER_FAMILY)
    )
    assert sum(label in validation_text for label in held_out) >= 5
    assert any(make_family(f).date_format in HELD_OUT_DATE_FORMATS for f in VALIDATION_FAMILIES)


def test_a_photo_claims_only_what_its_first_page_shows() -> None:
    family = next(f for f in range(FAMILY_COUNT) if generate_document(f, 0).truth["pages"] > 1)
    layout = make_family(family)
    rendered = render_invoice(layout, draw_invoice(layout, 0, 2026), 2026)
    photo = generate_document(family, 0, "photo")
    assert photo.filename.endswith(".jpg") and photo.data[:3] == b"\xff\xd8\xff"
    assert photo.truth["kind"] == "image" and photo.truth["pages"] == 1
    for name, value in photo.truth["fields"].items():
        assert (value is not None) == (rendered.field_pages.get(name) == 1), name
    assert len(photo.truth["lines"]) == rendered.line_pages.count(1)
    assert len(photo.truth["lines"]) < len(rendered.line_pages) or None in (
        photo.truth["fields"].values()
    )


def test_cli_writes_documents_beside_their_truth(tmp_path: Any) -> None:
    assert main(["--out", str(tmp_path), "--group", "validation", "--per-family", "1"]) == 0
    truths = sorted(tmp_path.glob("*.json"))
    assert len(truths) == len(VALIDATION_FAMILIES)
    for path in truths:
        truth = json.loads(path.read_text(encoding="utf-8"))
        assert (tmp_path / truth["source"]).exists()
        assert truth["group"] == "validation"


def test_each_field_is_recorded_on_the_page_that_prints_it() -> None:
    # A photo shows the first page only: its truth keeps the fields printed there, so a
    # total drawn on the next page after a page break must not be recorded on the first.
    checked = 0
    for family in range(FAMILY_COUNT):
        layout = make_family(family)
        rendered = render_invoice(layout, draw_invoice(layout, 1, 2026), 2026)
        if rendered.pages < 2:
            continue
        document = pdfium.PdfDocument(rendered.pdf)
        try:
            texts = [squeezed(page.get_textpage().get_text_range()) for page in document]
        finally:
            document.close()
        for name, shown in rendered.printed.items():
            page = rendered.field_pages[name]
            assert squeezed(shown) in texts[page - 1], f"family {family}: {name} not on {page}"
        checked += 1
    assert checked >= 3
