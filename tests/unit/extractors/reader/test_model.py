"""The reader's model: fitted from labelled pages, saved with skops, refused when altered."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from extractors.base import PageWords
from extractors.fields import apply_reader, find_fields
from extractors.reader.model import (
    METADATA_FILE,
    MODEL_FILE,
    NO_RIVAL,
    Forest,
    ReaderMetadata,
    ReaderModel,
    ReaderModelError,
    current_layout,
    library_versions,
    load_reader,
    rival_margins,
)
from extractors.reader_training import fit_reader, label_document
from tests.unit.extractors.pages import page


def invoice(rng: random.Random) -> tuple[PageWords, dict[str, str]]:
    """Return a small invoice page, its pieces shuffled in place, and what it prints."""
    net = rng.randint(100, 900)
    truth = {
        "seller_name": rng.choice(["Blorb SARL", "Quux GmbH", "Zed Ltd"]),
        "buyer_name": rng.choice(["Acme SAS", "Foo AG", "Bar Inc"]),
        "invoice_number": f"F-{rng.randint(100, 999)}",
        "po_number": f"PO{rng.randint(1000, 9999)}",
        "invoice_date": f"2026-03-{rng.randint(10, 20)}",
        "due_date": f"2026-04-{rng.randint(10, 20)}",
        "total_net": f"{net}.00",
        "total_tax": f"{net // 5}.00",
        "total_gross": f"{net + net // 5}.00",
        "amount_due": f"{net + net // 5}.00",
        "seller_vat_id": rng.choice(["FR44732829320", "DE136695976"]),
        "buyer_vat_id": rng.choice(["BE0403170701", "NL004495445B01"]),
        "seller_iban": rng.choice(["DE89370400440532013000", "GB29NWBK60161331926819"]),
        "seller_siret": "73282932000074",
    }
    day, due = truth["invoice_date"][-2:], truth["due_date"][-2:]
    x = rng.choice([40, 60])
    return page(
        (x, 30, truth["seller_name"]),
        (300, 80, f"Client: {truth['buyer_name']}"),
        (x, 120, f"Invoice {truth['invoice_number']}"),
        (x, 140, f"Order {truth['po_number']}"),
        (x, 160, f"Dated {day}/03/2026"),
        (x, 180, f"Payable by {due}/04/2026"),
        (300, 600, f"Net {truth['total_net']}"),
        (300, 620, f"VAT {truth['total_tax']}"),
        (300, 640, f"Gross {truth['total_gross']}"),
        (300, 660, f"To pay {truth['amount_due']}"),
        (300, 100, f"VAT no {truth['buyer_vat_id']}"),
        (x, 700, f"VAT {truth['seller_vat_id']} SIRET 732 829 320 00074"),
        (x, 720, f"IBAN {truth['seller_iban']}"),
    ), truth


def fitted(seed: int = 3) -> ReaderModel:
    rng = random.Random(7)
    documents = []
    for index in range(12):
        pages, truth = invoice(rng)
        documents.append(label_document(f"doc{index}", [pages], truth))
    metadata = ReaderMetadata(**current_layout(), versions=library_versions(), seed=seed)
    return fit_reader(documents, metadata, seed=seed, tree_iterations=20)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reader")
    fitted().save(folder)
    return folder


def test_a_fitted_model_reads_an_unseen_page_of_the_same_kind(saved: Path) -> None:
    pages, truth = invoice(random.Random(99))
    reading = apply_reader(find_fields([pages]), load_reader(saved))
    fields = reading.fields.model_dump(mode="json")
    for name in (
        "invoice_number",
        "total_gross",
        "invoice_date",
        "due_date",
        "buyer_vat_id",
        "seller_iban",
    ):
        assert fields[name] == truth[name], name


def test_the_same_seed_fits_the_same_model(saved: Path) -> None:
    pages, _ = invoice(random.Random(5))
    again = fitted()
    first = find_fields([pages])
    one = apply_reader(first, load_reader(saved)).confidence
    other = apply_reader(first, again).confidence
    assert np.allclose([one[k] for k in sorted(one)], [other[k] for k in sorted(other)])


def test_an_altered_model_file_is_refused(saved: Path, tmp_path: Path) -> None:
    for name in (MODEL_FILE, METADATA_FILE):
        (tmp_path / name).write_bytes((saved / name).read_bytes())
    (tmp_path / MODEL_FILE).write_bytes((saved / MODEL_FILE).read_bytes() + b"\0")
    with pytest.raises(ReaderModelError, match="sha256"):
        load_reader(tmp_path)


def test_a_model_built_for_other_features_is_refused(saved: Path, tmp_path: Path) -> None:
    (tmp_path / MODEL_FILE).write_bytes((saved / MODEL_FILE).read_bytes())
    metadata = json.loads((saved / METADATA_FILE).read_text())
    metadata["feature_version"] = -1
    (tmp_path / METADATA_FILE).write_text(json.dumps(metadata))
    with pytest.raises(ReaderModelError, match="make train-reader"):
        load_reader(tmp_path)


def test_a_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReaderModelError, match=r"no reader\.json"):
        load_reader(tmp_path)


def test_the_flattened_forest_gives_sklearns_probabilities_missing_values_included() -> None:
    rng = np.random.default_rng(3)
    rows = rng.normal(size=(400, 6))
    rows[rng.random(rows.shape) < 0.1] = np.nan
    labels = (np.nan_to_num(rows[:, 0]) + np.nan_to_num(rows[:, 1]) ** 2 > 0.5).astype(int)
    models = [
        HistGradientBoostingClassifier(max_iter=30, max_leaf_nodes=15, random_state=seed).fit(
            rows, labels if seed == 0 else 1 - labels
        )
        for seed in (0, 1)
    ]
    unseen = rng.normal(size=(50, 6))
    unseen[::7, 1] = np.nan
    expected = np.column_stack([model.predict_proba(unseen)[:, 1] for model in models])
    assert np.allclose(Forest.of(models).probabilities(unseen), expected, rtol=0, atol=1e-12)
    # Rows without a missing value take a shorter path through the walk.
    complete = rng.normal(size=(50, 6))
    expected = np.column_stack([model.predict_proba(complete)[:, 1] for model in models])
    assert np.allclose(Forest.of(models).probabilities(complete), expected, rtol=0, atol=1e-12)


def test_a_forest_of_categorical_splits_is_refused() -> None:
    rows = np.column_stack([np.arange(200) % 4, np.arange(200) % 3]).astype(float)
    model = HistGradientBoostingClassifier(max_iter=3, categorical_features=[0])
    model.fit(rows, (rows[:, 0] == 2).astype(int))
    with pytest.raises(ValueError, match="categorical"):
        Forest.of([model])


def test_a_candidate_s_margin_is_over_the_best_other_candidate_of_its_document() -> None:
    scores = np.array([[3.0, -1.0], [1.0, 2.0], [0.5, 0.0], [4.0, 4.0]])
    documents = np.array([0, 0, 0, 1], dtype=np.intp)
    margins = rival_margins(scores, documents)
    # The best is measured against the second; the others against the best.
    assert margins[:3].tolist() == [[2.0, -3.0], [-2.0, 2.0], [-2.5, -2.0]]
    # Alone in its document, a candidate has no rival.
    assert margins[3].tolist() == [NO_RIVAL, NO_RIVAL]
