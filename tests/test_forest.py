"""The flat-array forest parsed from XGBoost's JSON, checked against XGBoost."""

from __future__ import annotations

import numpy as np
import pytest
import xgboost as xgb

from harness.errors import HarnessError
from harness.forest import Forest, cached_forest, model_digest
from optimizations.numba_forest import forest_predictor
from lossless_models import edge_rows, train, xgboost_scores


@pytest.fixture(scope="module")
def deep_model():
    return train(depth=8, trees=30)


def numba_scores(booster, x):
    return forest_predictor(Forest.from_booster(booster), 1)(np.ascontiguousarray(x, dtype=np.float32))


def test_forest_matches_xgboost_bitwise(deep_model):
    booster, x = deep_model
    assert np.array_equal(numba_scores(booster, x), xgboost_scores(booster, x))


def test_forest_exact_on_threshold_edges(deep_model):
    booster, x = deep_model
    rows = edge_rows(booster, x)
    assert np.array_equal(numba_scores(booster, rows), xgboost_scores(booster, rows))


@pytest.mark.parametrize("objective", ["rank:ndcg", "rank:pairwise"])
def test_forest_applies_ranking_base_score(objective):
    booster, x = train(objective=objective, base_score=0.8, depth=6, trees=10)
    shifted = numba_scores(booster, x)
    assert Forest.from_booster(booster).base_score == np.float32(0.8)
    assert np.array_equal(shifted, xgboost_scores(booster, x))


def test_forest_depth_is_deepest_leaf(deep_model):
    booster, _ = deep_model
    assert Forest.from_booster(booster).depth == 8


def test_float64_input_takes_wrong_branch(deep_model):
    # A float64 value just below a float32 threshold rounds onto the
    # threshold in float32, where XGBoost goes right; compared in float64
    # it goes left. The kernel compiled for float64 input shows the trap.
    booster, x = deep_model
    forest = Forest.from_booster(booster)
    rows = x[:200].astype(np.float64)
    features, thresholds = forest.feature[forest.split], forest.threshold[forest.split]
    for i in range(len(rows)):
        pick = i % len(features)
        rows[i, features[pick]] = np.nextafter(np.float64(thresholds[pick]), -np.inf)
    expected = xgboost_scores(booster, rows)

    naive = forest_predictor(forest, 1)(np.ascontiguousarray(rows))
    assert not np.array_equal(naive, expected)


def test_missing_nan_differs_from_zero(deep_model):
    booster, x = deep_model
    rows = np.nan_to_num(x[:200], nan=0.0)
    with_nan = x[:200]
    assert not np.array_equal(xgboost_scores(booster, rows), xgboost_scores(booster, with_nan))
    assert np.array_equal(numba_scores(booster, rows), xgboost_scores(booster, rows))
    assert np.array_equal(numba_scores(booster, with_nan), xgboost_scores(booster, with_nan))


def test_forest_rejects_logistic_objective():
    x = np.random.default_rng(0).normal(size=(100, 3)).astype(np.float32)
    booster = xgb.train({"objective": "binary:logistic", "nthread": 1}, xgb.DMatrix(x, label=x[:, 0] > 0), 2)
    with pytest.raises(HarnessError, match="binary:logistic"):
        Forest.from_booster(booster)


def test_cached_forest_reloads_from_file(deep_model, tmp_path):
    booster, x = deep_model
    first = cached_forest(booster, tmp_path, {})
    again = cached_forest(booster, tmp_path, {})
    assert (tmp_path / f"forest-{model_digest(booster)[:16]}.npz").is_file()
    assert np.array_equal(first.leaves, again.leaves)
    assert again.base_score == first.base_score
