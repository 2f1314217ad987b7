"""Small real XGBoost rankers for predictor tests (helper, not a test module)."""

from __future__ import annotations

import numpy as np
import xgboost as xgb


def ranking_data(rows: int = 1200, features: int = 30, missing: float = 0.15, seed: int = 3):
    """Return float32 features with NaN holes, graded labels and group sizes."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features)).astype(np.float32)
    signal = x[:, 0] + 0.5 * x[:, 1] - x[:, 2] * x[:, 3]
    labels = np.clip(np.round(signal + rng.normal(scale=0.5, size=rows)) + 2, 0, 4).astype(np.int32)
    x[rng.random(x.shape) < missing] = np.nan
    return x, labels, np.full(rows // 40, 40)


def train(objective: str = "rank:ndcg", base_score: float | None = None, depth: int = 8, trees: int = 30, seed: int = 3):
    """Train a ranker on ``ranking_data`` with one thread."""
    x, labels, groups = ranking_data(seed=seed)
    matrix = xgb.DMatrix(x, label=labels, missing=np.nan)
    matrix.set_group(groups)
    params = {"objective": objective, "max_depth": depth, "eta": 0.3, "tree_method": "hist", "nthread": 1, "seed": seed}
    if base_score is not None:
        params["base_score"] = base_score
    return xgb.train(params, matrix, num_boost_round=trees), x


def xgboost_scores(booster: xgb.Booster, x: np.ndarray) -> np.ndarray:
    """Return XGBoost's own float32 predictions, NaN as missing."""
    return booster.inplace_predict(np.asarray(x, dtype=np.float32), missing=np.nan)


def edge_rows(booster: xgb.Booster, x: np.ndarray, count: int = 200) -> np.ndarray:
    """Return rows whose values sit on, just below and just above split thresholds.

    Also sets some entries to NaN, +inf and -inf, the values predictors
    most often get wrong.
    """
    from harness.forest import Forest

    forest = Forest.from_booster(booster)
    rng = np.random.default_rng(11)
    rows = x[rng.integers(0, len(x), size=count)].copy()
    features, thresholds = forest.feature[forest.split], forest.threshold[forest.split]
    for i in range(count):
        for _ in range(8):
            pick = rng.integers(0, len(features))
            value = thresholds[pick]
            shift = rng.integers(0, 3)
            if shift == 1:
                value = np.nextafter(value, np.float32(np.inf), dtype=np.float32)
            elif shift == 2:
                value = np.nextafter(value, np.float32(-np.inf), dtype=np.float32)
            rows[i, features[pick]] = value
    specials = np.array([np.nan, np.inf, -np.inf], dtype=np.float32)
    for i in range(0, count, 4):
        rows[i, rng.integers(0, rows.shape[1], size=3)] = specials
    return rows
