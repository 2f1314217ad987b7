"""numba kernels: bin codes by binary search, and the parallel predictor."""

from __future__ import annotations

import numba
import numpy as np

from harness import forest_kernels
from harness.forest import Forest
from lossless_models import train, xgboost_scores
from optimizations.numba_forest import forest_predictor


def codes_of(values, thresholds, missing_code=99):
    x = np.asarray(values, dtype=np.float32).reshape(-1, 1)
    out = np.empty(x.shape, dtype=np.uint16)
    offsets = np.array([0, len(thresholds)], dtype=np.int64)
    forest_kernels.bin_codes(x, np.asarray(thresholds, dtype=np.float32), offsets, np.array([missing_code]), out)
    return out.reshape(-1).tolist()


def test_bin_codes_count_thresholds_at_or_below():
    assert codes_of([-5.0, 1.0, 1.5, 2.0, 2.5, 3.0, 7.0], [1.0, 2.0, 3.0]) == [0, 1, 1, 2, 2, 3, 3]


def test_bin_codes_of_infinities():
    assert codes_of([-np.inf, np.inf], [1.0, 2.0]) == [0, 2]


def test_bin_codes_give_nan_missing_code():
    assert codes_of([np.nan], [1.0, 2.0], missing_code=3) == [3]


def test_bin_codes_without_thresholds():
    assert codes_of([4.0, -4.0], []) == [0, 0]


def test_parallel_kernel_matches_xgboost():
    booster, x = train(depth=6, trees=12)
    predict = forest_predictor(Forest.from_booster(booster), threads=2)
    assert np.array_equal(predict(x), xgboost_scores(booster, x))


def test_parallel_kernel_applies_thread_count():
    booster, x = train(depth=3, trees=3)
    forest_predictor(Forest.from_booster(booster), threads=2)(x)
    assert numba.get_num_threads() == min(2, numba.config.NUMBA_NUM_THREADS)
