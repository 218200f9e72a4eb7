"""invoice2data's own templates on its own sample invoices (``../shared/datasets/invoice2data``).

Needs the ``invoice2data`` package (a dev dependency, for its bundled templates) and, for the
documents, the shared datasets beside the repository: each part skips, saying why, without them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from extractors import extract_document
from extractors.base import ExtractOptions
from extractors.templates import TEMPLATE_SUFFIXES, load_template, load_templates
from invoicebot.model import FIELD_NAMES

DATASET = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "invoice2data"
# Measured with the bundled templates: 62 of 63 scored fields (saeco's IBAN is printed only in
# a picture, which invoice2data too reads only after OCR); without templates 59 of 63.
MIN_CORRECT_WITH_TEMPLATES = 62


def bundled_templates() -> Path:
    """Return the folder of templates shipped inside the invoice2data package."""
    invoice2data = pytest.importorskip(
        "invoice2data", reason="invoice2data (a dev dependency) is not installed"
    )
    return Path(invoice2data.__file__).parent / "extract" / "templates"


def cases() -> list[tuple[Path, dict[str, Any]]]:
    """Return the dataset's documents with their expected JSON."""
    found = []
    for truth_path in sorted(DATASET.glob("*.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        found.append((DATASET / truth["source"], truth))
    return found


def scored(truth: dict[str, Any]) -> list[str]:
    """Return the fields to score: not null in the truth, and listed in ``scored`` if given."""
    names = [name for name in FIELD_NAMES if truth["fields"].get(name) is not None]
    return [name for name in names if name in truth.get("scored", names)]


def same(name: str, expected: Any, got: Any) -> bool:
    """Return True when two values of field ``name`` mean the same thing."""
    if got is None:
        return False
    if name.startswith("total_"):
        return float(expected) == float(got)
    return "".join(str(expected).split()).casefold() == "".join(str(got).split()).casefold() or (
        "".join(ch for ch in str(expected) if ch.isalnum()).upper() == str(got)
    )


def test_every_template_bundled_with_invoice2data_loads() -> None:
    folder = bundled_templates()
    files = [path for path in folder.rglob("*") if path.suffix in TEMPLATE_SUFFIXES]
    assert len(files) > 100
    for path in files:
        load_template(path)  # raises TemplateError, naming the file and key, on a bad one
    assert len(load_templates(folder).templates) == len(files)


@pytest.mark.shared
def test_invoice2data_templates_read_its_sample_invoices() -> None:
    folder = bundled_templates()
    documents = cases()
    if not documents:
        pytest.skip(f"the shared dataset invoice2data is not at {DATASET}")
    options = ExtractOptions(templates_dir=folder)
    correct = total = 0
    misses = []
    for document, truth in documents:
        fields = extract_document(document, options).to_contract()["fields"]
        for name in scored(truth):
            total += 1
            if same(name, truth["fields"][name], fields[name]):
                correct += 1
            else:
                misses.append(
                    f"{document.name}: {name} {fields[name]!r} != {truth['fields'][name]!r}"
                )
    assert correct >= MIN_CORRECT_WITH_TEMPLATES, "\n".join(misses)


@pytest.mark.shared
def test_a_template_reads_the_suppliers_fields_the_generic_finder_misses() -> None:
    folder = bundled_templates()
    document = DATASET / "AmazonWebServices.pdf"
    if not document.exists():
        pytest.skip(f"the shared dataset invoice2data is not at {DATASET}")
    extraction = extract_document(document, ExtractOptions(templates_dir=folder))
    assert extraction.fields.total_net is not None and str(extraction.fields.total_net) == "4.11"
    assert extraction.fields.seller_name == "Amazon Web Services, Inc."
    assert extraction.confidence["total_net"] >= 0.9
