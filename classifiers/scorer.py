"""The fitted pipeline's arithmetic for one case, without scikit-learn's per-call overhead.

Through the pipeline, one prediction costs ~5 ms of input checks and dispatch for a few
microseconds of arithmetic; the batch flow suggests one exception at a time, so this
scorer does the same computation from the pipeline's fitted attributes: scaled numeric
columns and the tokens' weights, the linear model's logits, the calibrated temperature.

It reads attributes that are not scikit-learn's public API (the calibrator's ``beta_``),
so ``from_pipeline`` checks it against the pipeline on probe rows and returns None when
they differ (the model then predicts through the pipeline, only slower). Models are
refused on load across scikit-learn versions anyway (``classifiers.resolution_model``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from classifiers.features import COLUMNS, NUMERIC_COLUMNS, TOKENS_COLUMN

FloatArray = npt.NDArray[np.float64]

# Agreement required with the pipeline's probabilities on the probe rows.
TOLERANCE = 1e-9


@dataclass(frozen=True)
class LinearScorer:
    """Probabilities of one feature row from the fitted linear pipeline's parameters."""

    mean: FloatArray
    scale: FloatArray
    vocabulary: dict[str, int]
    numeric_weights: FloatArray
    token_weights: FloatArray
    intercept: FloatArray
    inverse_temperature: float

    @classmethod
    def from_pipeline(cls, pipeline: Any) -> LinearScorer | None:
        """Return the scorer of ``pipeline``, or None when it is not the expected shape or
        does not reproduce the pipeline's probabilities."""
        try:
            scorer = cls._extract(pipeline)
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            return None
        probes = _probe_rows(scorer.vocabulary)
        expected = pipeline.predict_proba(probes)
        actual = np.vstack([scorer.predict_proba(row) for row in probes])
        return scorer if np.allclose(actual, expected, rtol=0, atol=TOLERANCE) else None

    @classmethod
    def _extract(cls, pipeline: Any) -> LinearScorer:
        columns = pipeline.named_steps["columns"]
        scaler = columns.named_transformers_["numeric"]
        vectorizer = columns.named_transformers_["tokens"]
        (calibrated,) = pipeline.named_steps["classifier"].calibrated_classifiers_
        (temperature,) = calibrated.calibrators
        coefficients = np.asarray(calibrated.estimator.coef_, dtype=np.float64)
        width = len(NUMERIC_COLUMNS)
        return cls(
            mean=np.asarray(scaler.mean_, dtype=np.float64),
            scale=np.asarray(scaler.scale_, dtype=np.float64),
            vocabulary={str(token): int(index) for token, index in vectorizer.vocabulary_.items()},
            numeric_weights=coefficients[:, :width],
            token_weights=coefficients[:, width:],
            intercept=np.asarray(calibrated.estimator.intercept_, dtype=np.float64),
            inverse_temperature=float(temperature.beta_),
        )

    def predict_proba(self, row: npt.NDArray[np.object_]) -> FloatArray:
        """Return the probabilities of one feature row (``COLUMNS`` order)."""
        numeric = (np.asarray(row[: len(NUMERIC_COLUMNS)], dtype=np.float64) - self.mean) / (
            self.scale
        )
        # Binary token counts: each known token counts once, however often it occurs.
        tokens = sorted({self.vocabulary[t] for t in str(row[-1]).split() if t in self.vocabulary})
        logits = self.numeric_weights @ numeric + self.intercept
        if tokens:
            logits = logits + self.token_weights[:, tokens].sum(axis=1)
        scaled = self.inverse_temperature * logits
        exponentials = np.exp(scaled - scaled.max())
        probabilities: FloatArray = exponentials / exponentials.sum()
        return probabilities


def _probe_rows(vocabulary: dict[str, int]) -> npt.NDArray[np.object_]:
    """Return a few feature rows spanning numeric values and a spread of known tokens."""
    if COLUMNS[-1] != TOKENS_COLUMN:
        raise ValueError("the scorer expects the tokens as the last column")
    tokens = sorted(vocabulary)
    rows = np.empty((4, len(COLUMNS)), dtype=object)
    for index in range(4):
        numeric = [float((index * 7 + column) % 5) / 2 for column in range(len(NUMERIC_COLUMNS))]
        chosen = [*tokens[index :: max(1, len(tokens) // 20)], f"unknown-token-{index}"]
        rows[index] = [*numeric, " ".join(chosen)]
    return rows
