"""Stage ``score``: the XGBoost model's score for every candidate."""

from __future__ import annotations

import numpy as np
import xgboost as xgb

from harness.pipeline import RequestContext
from harness.runtime import Runtime


class ScorePerCandidate:
    """One prediction per candidate on a one-row DMatrix, as naive code does.

    The DMatrix carries the feature names because XGBoost rejects unnamed
    data for a model trained with names; checking them is part of the cost.
    """

    name = "score"

    def __init__(self, runtime: Runtime):
        self.booster = runtime.booster
        self.names = runtime.booster.feature_names

    def __call__(self, context: RequestContext) -> None:
        scores = []
        for row in context.features:
            matrix = xgb.DMatrix(np.array([row], dtype=np.float32), missing=np.nan, feature_names=self.names)
            scores.append(float(self.booster.predict(matrix)[0]))
        context.scores = scores


class ScoreBatched:
    """One in-place prediction over the whole float32 candidate matrix.

    ``columns`` (the builder's ``feature_columns``) selects the model's
    input columns when the model reads a subset of the full matrix.
    """

    name = "score"

    def __init__(self, runtime: Runtime, booster=None, columns=None):
        self.booster = booster or runtime.booster
        self.columns = None if columns is None else np.asarray(columns)

    def __call__(self, context: RequestContext) -> None:
        features = context.features
        if self.columns is not None:
            features = np.asarray(features, dtype=np.float32)[:, self.columns]
        context.scores = self.booster.inplace_predict(features, missing=np.nan)
