"""Saving with skops and loading with a version check."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from classifiers.resolution_model import (
    METADATA_FILE,
    MODEL_FILE,
    ModelError,
    ModelMismatchError,
    cached_model,
    load_model,
)
from classifiers.train import TrainingResult
from invoicebot.model import Resolution


def test_saved_model_loads_and_predicts_the_same(trained: TrainingResult, tmp_path: Path) -> None:
    trained.model.save(tmp_path)
    loaded = load_model(tmp_path)
    cases = [labelled.case for labelled in trained.held_out[:20]]
    np.testing.assert_allclose(loaded.predict_proba(cases), trained.model.predict_proba(cases))
    suggestion = loaded.suggest(cases[0])
    assert suggestion.resolution in set(Resolution)
    assert 0 < suggestion.probability <= 1
    metadata = json.loads((tmp_path / METADATA_FILE).read_text())
    assert metadata["labels"] == [resolution.value for resolution in Resolution]
    assert {"scikit-learn", "skops", "numpy", "scipy"} <= metadata["versions"].keys()
    assert metadata["metrics"]["macro_f1"] > 0


def edit_metadata(folder: Path, **changes: object) -> None:
    path = folder / METADATA_FILE
    path.write_text(json.dumps(json.loads(path.read_text()) | changes))


def test_model_of_other_library_versions_is_refused(
    trained: TrainingResult, tmp_path: Path
) -> None:
    trained.model.save(tmp_path)
    versions = trained.model.metadata.versions | {"scikit-learn": "0.24.2"}
    edit_metadata(tmp_path, versions=versions)
    with pytest.raises(ModelMismatchError, match=r"scikit-learn 0\.24\.2 at training"):
        load_model(tmp_path)


def test_model_of_other_features_is_refused(trained: TrainingResult, tmp_path: Path) -> None:
    trained.model.save(tmp_path)
    edit_metadata(tmp_path, feature_version=0, columns=["failed_rules"])
    with pytest.raises(ModelMismatchError, match="features version 0 with 1 columns"):
        load_model(tmp_path)


def test_altered_model_file_is_refused(trained: TrainingResult, tmp_path: Path) -> None:
    trained.model.save(tmp_path)
    with (tmp_path / MODEL_FILE).open("ab") as file:
        file.write(b"tampered")
    with pytest.raises(ModelError, match="does not match the sha256"):
        load_model(tmp_path)


def test_no_model_or_an_unusable_one_means_no_suggestion(
    trained: TrainingResult, tmp_path: Path
) -> None:
    assert cached_model(tmp_path / "none") is None
    trained.model.save(tmp_path)
    edit_metadata(tmp_path, labels=["approve", "reject"])
    assert cached_model(tmp_path) is None
