"""The field reader's model: for each field, the probability that a candidate is its value.

Two stages per field, both scikit-learn. A logistic regression reads the hashed text around
the candidate (the label, in whatever words and language); gradient-boosted trees then take
the regression's scores for every field of the candidate's kind with the geometry, the
value's shape and the agreement features, where the interactions matter ("an amount under
a total-like label, lowest on the page, the largest of the document"). The trees are trained
on out-of-fold scores of the regressions, so they learn how far the text can be trusted on
documents the regressions did not see.

Saved like the exception classifier: ``reader.skops`` (skops' format, no code run on load)
and ``reader.json`` (metrics, feature layout, library versions, the skops file's sha256),
shipped inside this package and rebuilt by ``make train-reader``.
"""

from __future__ import annotations

import hashlib
import threading
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field
from scipy import sparse
from scipy.special import expit
from skops.io import dump, get_untrusted_types, load

from extractors.reader.candidates import FIELDS_OF_KIND, CandidateKind
from extractors.reader.features import DENSE_NAMES, TEXT_FEATURES, Features

MODEL_FILE = "reader.skops"
METADATA_FILE = "reader.json"
SHIPPED_MODEL_DIR = Path(__file__).parent / "trained"
# Bump when the candidates or features change meaning: a model built before is refused.
FEATURE_VERSION = 5
VERSIONED_LIBRARIES = ("scikit-learn", "skops", "numpy", "scipy")
TRUSTED_MODULE_PREFIXES = ("sklearn.", "numpy.", "scipy.")


class ReaderModelError(Exception):
    """The reader's saved model cannot be used: missing, altered, or built for other code."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"field reader model in {path}: {reason}")
        self.path = path
        self.reason = reason


class ReaderMetadata(BaseModel):
    """What a reader model was built from and for; checked on load."""

    feature_version: int
    dense_features: list[str]
    text_features: int
    fields: dict[str, list[str]]
    versions: dict[str, str]
    seed: int
    training: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)
    model_sha256: str | None = None


def library_versions() -> dict[str, str]:
    """Return the versions of the libraries a saved model depends on."""
    return {name: version(name) for name in VERSIONED_LIBRARIES}


def current_layout() -> dict[str, Any]:
    """Return the feature layout this code makes, as saved in a model's metadata."""
    return {
        "feature_version": FEATURE_VERSION,
        "dense_features": list(DENSE_NAMES),
        "text_features": TEXT_FEATURES,
        "fields": {kind.value: list(names) for kind, names in FIELDS_OF_KIND.items()},
    }


@dataclass
class KindModel:
    """The fitted models of one kind of candidate: a text regression and trees per field."""

    fields: tuple[str, ...]
    text_models: list[Any]
    tree_models: list[Any]

    def probabilities(self, features: Features) -> npt.NDArray[np.float64]:
        """Return one column per field: the probability each candidate is its value."""
        if features.text.shape[0] == 0:
            return np.zeros((0, len(self.fields)))
        scores = text_scores(self.text_models, features.text)
        margins = rival_margins(scores, np.zeros(len(scores), dtype=np.intp))
        return self.forest.probabilities(np.hstack([scores, margins, features.dense]))

    @cached_property
    def forest(self) -> Forest:
        return Forest.of(self.tree_models)


@dataclass(frozen=True)
class Forest:
    """The boosted trees of every field of a kind, flattened into arrays and walked for all
    candidates and trees at once.

    The same sums as ``HistGradientBoostingClassifier.predict_proba``: a document's kind
    has a few dozen candidates, so sklearn's call per field and per tree (validation, then
    one Cython walk of a hundred rows at most) cost four times the walk itself. A leaf
    points to itself, so a walk that reached it stays there while deeper ones go on.
    ``children`` holds node i's left child at 2i and its right one at 2i + 1.
    """

    feature: npt.NDArray[np.intp]
    threshold: npt.NDArray[np.float64]
    missing_go_left: npt.NDArray[np.bool_]
    children: npt.NDArray[np.intp]
    leaf_value: npt.NDArray[np.float64]
    roots: npt.NDArray[np.intp]
    baselines: npt.NDArray[np.float64]

    @classmethod
    def of(cls, models: list[Any]) -> Forest:
        """Flatten fitted binary ``HistGradientBoostingClassifier`` models, one per field."""
        parts: dict[str, list[npt.NDArray[Any]]] = {
            name: [] for name in ("feature", "threshold", "missing", "left", "right", "value")
        }
        roots: list[int] = []
        offset = 0
        for model in models:
            for predictors in model._predictors:
                if len(predictors) != 1:
                    raise ValueError("the reader's trees are binary: one tree per iteration")
                nodes = predictors[0].nodes
                if nodes["is_categorical"].any():
                    raise ValueError("the reader's trees split on no categorical feature")
                leaf = nodes["is_leaf"].astype(bool)
                itself = np.arange(len(nodes)) + offset
                left = np.where(leaf, itself, nodes["left"].astype(np.intp) + offset)
                right = np.where(leaf, itself, nodes["right"].astype(np.intp) + offset)
                parts["feature"].append(nodes["feature_idx"].astype(np.intp))
                parts["threshold"].append(nodes["num_threshold"].astype(np.float64))
                parts["missing"].append(nodes["missing_go_to_left"].astype(bool))
                parts["left"].append(left)
                parts["right"].append(right)
                parts["value"].append(np.where(leaf, nodes["value"], 0.0))
                roots.append(offset)
                offset += len(nodes)
        children = np.empty(2 * offset, dtype=np.intp)
        children[0::2] = np.concatenate(parts["left"])
        children[1::2] = np.concatenate(parts["right"])
        return cls(
            feature=np.concatenate(parts["feature"]),
            threshold=np.concatenate(parts["threshold"]),
            missing_go_left=np.concatenate(parts["missing"]),
            children=children,
            leaf_value=np.concatenate(parts["value"]),
            roots=np.asarray(roots, dtype=np.intp),
            baselines=np.asarray([float(model._baseline_prediction[0, 0]) for model in models]),
        )

    def probabilities(self, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Return one column per field: the probability each row is that field's value."""
        count, trees = rows.shape[0], len(self.roots)
        values = np.ascontiguousarray(rows, dtype=np.float64).ravel()
        missing = bool(np.isnan(values).any())
        node = np.tile(self.roots, count)
        # The (row, tree) pairs still walking, the node each is at, and where its row's
        # features start in the flattened rows.
        walking = np.arange(count * trees)
        at = node
        starts = np.repeat(np.arange(count, dtype=np.intp) * rows.shape[1], trees)
        while walking.size:
            x = values[starts + self.feature[at]]
            if missing:
                left = (x <= self.threshold[at]) | (np.isnan(x) & self.missing_go_left[at])
                right = ~left
            else:
                right = x > self.threshold[at]
            following = self.children[2 * at + right]
            moved = following != at
            if moved.all():
                # No walk reached its leaf: nothing to keep or to drop yet.
                at = following
                continue
            node[walking] = following
            walking, at, starts = walking[moved], following[moved], starts[moved]
        fields = len(self.baselines)
        raw = self.leaf_value[node].reshape(count, fields, trees // fields).sum(axis=2)
        return np.asarray(expit(raw + self.baselines), dtype=np.float64)


def text_scores(models: list[Any], text: sparse.csr_matrix) -> npt.NDArray[np.float64]:
    """Return each text regression's decision score for every row of ``text``.

    The score of a binary regression, ``text · coef + intercept``, computed here: its
    ``decision_function`` validates the input first, which costs more than the product on
    the few hundred rows of a document (a tenth of the reading's time).
    """
    return np.column_stack(
        [np.asarray(text @ model.coef_[0]) + model.intercept_[0] for model in models]
    )


# The margin of a candidate alone in its document (no rival), and the bound of any margin.
NO_RIVAL = 10.0


def rival_margins(
    scores: npt.NDArray[np.float64], documents: npt.NDArray[np.intp]
) -> npt.NDArray[np.float64]:
    """Return, for each candidate and field, how far its text score stands above (or below)
    the best score of the other candidates of its document (``documents``: one id a row).

    A candidate's scores alone do not say whether another candidate is a likelier issue
    date: a second date under an "Invoice date" label, whose own score for the issue date
    is high, is the due date where a first date scores higher still. The trees learn that
    from the margins."""
    margins = np.empty_like(scores)
    order = np.argsort(documents, kind="stable")
    bounds = np.flatnonzero(np.diff(documents[order])) + 1
    for rows in np.split(order, bounds):
        block = scores[rows]
        if len(rows) == 1:
            margins[rows] = NO_RIVAL
            continue
        ranked = np.sort(block, axis=0)
        best, second = ranked[-1], ranked[-2]
        # The best candidate's rival is the second; every other's is the best.
        rival = np.where(block >= best, second, best)
        margins[rows] = np.clip(block - rival, -NO_RIVAL, NO_RIVAL)
    return margins


@dataclass
class ReaderModel:
    """The models of every kind, with the metadata that vouches for them."""

    kinds: dict[CandidateKind, KindModel]
    metadata: ReaderMetadata

    def save(self, folder: Path) -> None:
        """Write the model to ``folder``, the skops file before the metadata naming it."""
        folder.mkdir(parents=True, exist_ok=True)
        payload = {
            kind.value: {"text": model.text_models, "trees": model.tree_models}
            for kind, model in self.kinds.items()
        }
        partial = folder / (MODEL_FILE + ".part")
        dump(payload, partial, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
        digest = hashlib.sha256(partial.read_bytes()).hexdigest()
        self.metadata = self.metadata.model_copy(update={"model_sha256": digest})
        partial.replace(folder / MODEL_FILE)
        (folder / METADATA_FILE).write_text(self.metadata.model_dump_json(indent=2) + "\n")


def load_reader(folder: Path) -> ReaderModel:
    """Return the reader model saved in ``folder``; raise ``ReaderModelError`` when it is
    missing, altered, holds untrusted types or was built for other features or libraries."""
    metadata_path, model_path = folder / METADATA_FILE, folder / MODEL_FILE
    if not metadata_path.is_file() or not model_path.is_file():
        raise ReaderModelError(folder, f"no {METADATA_FILE} and {MODEL_FILE} here")
    metadata = ReaderMetadata.model_validate_json(metadata_path.read_text())
    _check_compatible(folder, metadata)
    if hashlib.sha256(model_path.read_bytes()).hexdigest() != metadata.model_sha256:
        raise ReaderModelError(folder, f"{MODEL_FILE} does not match its sha256")
    untrusted = get_untrusted_types(file=model_path)
    refused = [name for name in untrusted if not name.startswith(TRUSTED_MODULE_PREFIXES)]
    if refused:
        raise ReaderModelError(folder, f"untrusted types: {', '.join(refused)}")
    payload: Mapping[str, Mapping[str, list[Any]]] = load(model_path, trusted=untrusted)
    kinds = {
        CandidateKind(kind): KindModel(
            FIELDS_OF_KIND[CandidateKind(kind)], list(parts["text"]), list(parts["trees"])
        )
        for kind, parts in payload.items()
    }
    for kind_model in kinds.values():
        try:
            kind_model.forest  # noqa: B018 - flattened once, at load, where a refusal belongs
        except ValueError as error:
            raise ReaderModelError(folder, str(error)) from error
    return ReaderModel(kinds, metadata)


def _check_compatible(folder: Path, metadata: ReaderMetadata) -> None:
    layout = current_layout()
    problems = [
        f"{key} differs" for key, value in layout.items() if getattr(metadata, key) != value
    ]
    installed = library_versions()
    problems += [
        f"{name} {metadata.versions.get(name)} at training, {installed[name]} installed"
        for name in VERSIONED_LIBRARIES
        if metadata.versions.get(name) != installed[name]
    ]
    if problems:
        raise ReaderModelError(folder, "; ".join(problems) + ": rebuild it (make train-reader)")


_lock = threading.Lock()
_loaded: dict[Path, ReaderModel] = {}


def shipped_reader() -> ReaderModel:
    """Return the model shipped with the package, loaded once per process."""
    with _lock:
        model = _loaded.get(SHIPPED_MODEL_DIR)
        if model is None:
            model = load_reader(SHIPPED_MODEL_DIR)
            _loaded[SHIPPED_MODEL_DIR] = model
        return model
