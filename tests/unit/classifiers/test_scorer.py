"""The one-case scorer gives the pipeline's probabilities, or stands aside."""

from __future__ import annotations

import numpy as np
from sklearn.dummy import DummyClassifier

from classifiers.features import feature_rows
from classifiers.scorer import LinearScorer
from classifiers.train import TrainingResult


def test_scorer_reproduces_the_pipeline(trained: TrainingResult) -> None:
    scorer = LinearScorer.from_pipeline(trained.model.pipeline)
    assert scorer is not None
    rows = feature_rows([labelled.case for labelled in trained.held_out])
    expected = trained.model.pipeline.predict_proba(rows)
    actual = np.vstack([scorer.predict_proba(row) for row in rows])
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-9)


def test_another_kind_of_model_gets_no_scorer() -> None:
    assert LinearScorer.from_pipeline(DummyClassifier()) is None
