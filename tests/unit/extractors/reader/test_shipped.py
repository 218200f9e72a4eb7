"""The model shipped with the package loads, and reads invoices of layouts it never saw."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from extractors.fields import read_invoice
from extractors.reader.model import SHIPPED_MODEL_DIR, load_reader, shipped_reader
from extractors.text_layer import read_text_pages
from samples.randomised import (
    EXTRA_TUNING_FAMILIES,
    FRESH_FAMILIES,
    VALIDATION_FAMILIES,
    generate_document,
)

# Measured 0.96-0.98 on the validation families (benchmarks/reader.py): a floor well
# under it catches a broken model or feature code, not noise.
VALIDATION_F1_FLOOR = 0.85


def test_the_shipped_model_loads_and_says_what_it_was_trained_on() -> None:
    model = shipped_reader()
    assert load_reader(SHIPPED_MODEL_DIR).metadata.model_sha256 == model.metadata.model_sha256
    training = model.metadata.training
    assert set(training["validation_families_held_out"]) == set(VALIDATION_FAMILIES)
    assert not set(training["tuning_families"]) & {*VALIDATION_FAMILIES, *FRESH_FAMILIES}
    assert set(EXTRA_TUNING_FAMILIES) <= set(training["tuning_families"])


def same(expected: Any, got: Any) -> bool:
    if got is None:
        return False
    try:
        return Decimal(str(expected)) == Decimal(str(got))
    except ArithmeticError:
        return str(expected).replace(" ", "").lower() == str(got).replace(" ", "").lower()


def test_invoices_of_the_validation_families_read_above_the_floor() -> None:
    scored = predicted = correct = 0
    for family in VALIDATION_FAMILIES:
        document = generate_document(family, 3000, "text-pdf")
        pages = [page for page in read_text_pages(document.data) if page is not None]
        fields = read_invoice(pages).fields.model_dump(mode="json")
        for name, expected in document.truth["fields"].items():
            if expected is None:
                continue
            scored += 1
            predicted += fields[name] is not None
            correct += same(expected, fields[name])
    precision, recall = correct / predicted, correct / scored
    assert 2 * precision * recall / (precision + recall) >= VALIDATION_F1_FLOOR
