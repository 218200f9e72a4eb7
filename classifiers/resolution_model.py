"""The trained resolution model: predict, save with skops, load with a version check.

A model is two files in one folder: ``model.skops`` (the fitted scikit-learn pipeline,
in skops' format, which does not run arbitrary code on load as a pickle would) and
``model.json`` (metrics, feature columns, label set, library versions and the skops file's
sha256). ``load_model`` reads the JSON first and refuses a model built for other features,
labels or library versions with ``ModelMismatchError`` before reading the pipeline.
"""

from __future__ import annotations

import hashlib
import logging
import platform
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field
from skops.io import dump, get_untrusted_types, load

from classifiers.cases import ExceptionCase
from classifiers.features import COLUMNS, FEATURE_VERSION, feature_rows
from classifiers.scorer import LinearScorer
from invoicebot.model import InvoiceError, Resolution, Suggestion

logger = logging.getLogger(__name__)

MODEL_FILE = "model.skops"
METADATA_FILE = "model.json"
VERSIONED_LIBRARIES = ("scikit-learn", "skops", "numpy", "scipy")
# skops only rebuilds types it trusts; of the rest, only these libraries' own may be loaded.
TRUSTED_MODULE_PREFIXES = ("sklearn.", "numpy.", "scipy.")


class ModelError(InvoiceError):
    """A saved model cannot be used; ``path`` is its folder."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"resolution model in {path}: {reason}")
        self.path = path
        self.reason = reason


class ModelMismatchError(ModelError):
    """A saved model was built for other features, labels or library versions: retrain it
    (``invoicebot train``)."""


class Metrics(BaseModel):
    """How a model did on held-out cases (and the rules-only baseline on the same cases)."""

    macro_f1: float
    baseline_macro_f1: float | None = None
    ece: float
    held_out_cases: int
    train_seconds: float = 0.0
    predict_ms: float = 0.0
    per_class: dict[str, dict[str, float]] = Field(default_factory=dict)
    confusion: list[list[int]] = Field(default_factory=list)


class ModelMetadata(BaseModel):
    """What a model was built from and for: checked on load."""

    feature_version: int
    columns: list[str]
    labels: list[str]
    versions: dict[str, str]
    trained_at: datetime
    trained_cases: int
    metrics: Metrics | None = None
    model_sha256: str | None = None


def library_versions() -> dict[str, str]:
    """Return the versions of the libraries a saved pipeline depends on."""
    return {"python": platform.python_version()} | {
        name: version(name) for name in VERSIONED_LIBRARIES
    }


def model_metadata(*, trained_cases: int) -> ModelMetadata:
    """Return the metadata of a model trained now with the current features and labels."""
    return ModelMetadata(
        feature_version=FEATURE_VERSION,
        columns=list(COLUMNS),
        labels=[resolution.value for resolution in Resolution],
        versions=library_versions(),
        trained_at=datetime.now(UTC),
        trained_cases=trained_cases,
    )


class ResolutionModel:
    """A fitted pipeline and its metadata: suggests a resolution for exception cases."""

    def __init__(self, pipeline: Any, metadata: ModelMetadata) -> None:
        self.pipeline = pipeline
        self.metadata = metadata
        # One exception at a time is the batch flow's case: computed without sklearn's
        # per-call overhead when the scorer reproduces the pipeline (see classifiers.scorer).
        self._scorer = LinearScorer.from_pipeline(pipeline)

    @property
    def classes(self) -> list[str]:
        """Return the resolutions in the order of ``predict_proba``'s columns."""
        return [str(label) for label in self.pipeline.classes_]

    def with_metrics(self, metrics: Metrics) -> ResolutionModel:
        """Return this model with its held-out metrics recorded."""
        return ResolutionModel(self.pipeline, self.metadata.model_copy(update={"metrics": metrics}))

    def predict_proba(self, cases: Sequence[ExceptionCase]) -> npt.NDArray[np.float64]:
        """Return one row of probabilities per case, columns in ``classes`` order."""
        probabilities: npt.NDArray[np.float64] = self.pipeline.predict_proba(feature_rows(cases))
        return probabilities

    def suggest(self, case: ExceptionCase) -> Suggestion:
        """Return the most probable resolution for one case, with its probability."""
        if self._scorer is not None:
            probabilities = self._scorer.predict_proba(feature_rows([case])[0])
        else:
            probabilities = self.predict_proba([case])[0]
        best = int(probabilities.argmax())
        return Suggestion(
            resolution=Resolution(self.classes[best]),
            probability=round(float(probabilities[best]), 4),
        )

    def save(self, folder: Path) -> None:
        """Write the model to ``folder`` (created if needed), replacing one saved there."""
        folder.mkdir(parents=True, exist_ok=True)
        model_path = folder / MODEL_FILE
        partial = model_path.with_suffix(".skops.part")
        dump(self.pipeline, partial)
        digest = hashlib.sha256(partial.read_bytes()).hexdigest()
        metadata = self.metadata.model_copy(update={"model_sha256": digest})
        # The pipeline first, then the metadata that vouches for it: a reader that sees the
        # new metadata with the old pipeline is refused by the sha256 check, never misled.
        partial.replace(model_path)
        (folder / METADATA_FILE).write_text(metadata.model_dump_json(indent=2))
        self.metadata = metadata


def has_model(folder: Path) -> bool:
    """Return True when ``folder`` holds a saved model."""
    return (folder / METADATA_FILE).is_file() and (folder / MODEL_FILE).is_file()


def load_model(folder: Path) -> ResolutionModel:
    """Return the model saved in ``folder``.

    Raises ``ModelMismatchError`` when it was built for other features, labels or library
    versions, and ``ModelError`` when its files are missing, altered or hold untrusted types.
    """
    if not has_model(folder):
        raise ModelError(folder, f"no {METADATA_FILE} and {MODEL_FILE} here")
    metadata = ModelMetadata.model_validate_json((folder / METADATA_FILE).read_text())
    check_compatible(folder, metadata)
    model_path = folder / MODEL_FILE
    if hashlib.sha256(model_path.read_bytes()).hexdigest() != metadata.model_sha256:
        raise ModelError(folder, f"{MODEL_FILE} does not match the sha256 in {METADATA_FILE}")
    untrusted = get_untrusted_types(file=model_path)
    refused = [name for name in untrusted if not name.startswith(TRUSTED_MODULE_PREFIXES)]
    if refused:
        raise ModelError(folder, f"{MODEL_FILE} holds untrusted types: {', '.join(refused)}")
    return ResolutionModel(load(model_path, trusted=untrusted), metadata)


def check_compatible(folder: Path, metadata: ModelMetadata) -> None:
    """Raise ``ModelMismatchError`` listing every way ``metadata`` differs from this code."""
    current = model_metadata(trained_cases=0)
    problems = []
    if metadata.feature_version != current.feature_version or metadata.columns != current.columns:
        problems.append(
            f"features version {metadata.feature_version} with {len(metadata.columns)} columns, "
            f"this code has version {current.feature_version} with {len(current.columns)}"
        )
    if sorted(metadata.labels) != sorted(current.labels):
        problems.append(f"labels {metadata.labels}, this code has {current.labels}")
    for library in VERSIONED_LIBRARIES:
        saved, installed = metadata.versions.get(library), current.versions[library]
        if saved != installed:
            problems.append(f"{library} {saved} at training, {installed} installed")
    if problems:
        raise ModelMismatchError(folder, "; ".join(problems) + ": retrain it (invoicebot train)")


_cache_lock = threading.Lock()
_cache: dict[Path, tuple[int, ResolutionModel | None]] = {}


def cached_model(folder: Path) -> ResolutionModel | None:
    """Return the model saved in ``folder``, loaded once per version of its files; None
    when there is none or it cannot be used (logged once): exceptions then go without a
    suggestion rather than fail."""
    metadata = folder / METADATA_FILE
    try:
        stamp = metadata.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    with _cache_lock:
        cached = _cache.get(folder)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            model: ResolutionModel | None = load_model(folder)
        except ModelError as error:
            logger.warning("no resolution suggestions: %s", error)
            model = None
        _cache[folder] = (stamp, model)
        return model
