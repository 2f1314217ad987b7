"""Bin codes of the model's thresholds: same branches as raw float32 values."""

from __future__ import annotations

import numpy as np
import pytest

from harness.forest import Forest
from harness.quantize import decode_rows, encode_rows, live_values, quantize_model
from lossless_models import edge_rows, train, xgboost_scores
from optimizations.numba_forest import forest_predictor


@pytest.fixture(scope="module")
def model_and_rows():
    booster, x = train(depth=8, trees=30)
    return booster, edge_rows(booster, x, count=300)


def code_scores(booster, rows, stored_width, raw_columns=()):
    quantized = quantize_model(Forest.from_booster(booster), stored_width, list(raw_columns))
    stored = quantized.codes(rows[:, quantized.columns[: quantized.stored_count]], 0, quantized.stored_count)
    block = rows[:, stored_width:] if stored_width < rows.shape[1] else None
    values = live_values(quantized, stored_width, rows[:, quantized.raw_columns], block)
    request = quantized.codes(values, quantized.stored_count, len(quantized.columns))
    codes = np.ascontiguousarray(np.hstack([stored, request]))
    predict = forest_predictor(quantized.forest, 1, quantized=True, missing_codes=quantized.missing_codes)
    return predict(codes)


def test_codes_exact_on_threshold_edges(model_and_rows):
    booster, rows = model_and_rows
    assert np.array_equal(code_scores(booster, rows, rows.shape[1]), xgboost_scores(booster, rows))


def test_codes_exact_when_split_stored_and_request(model_and_rows):
    booster, rows = model_and_rows
    assert np.array_equal(code_scores(booster, rows, 12), xgboost_scores(booster, rows))


def test_codes_exact_with_raw_stored_columns(model_and_rows):
    booster, rows = model_and_rows
    assert np.array_equal(code_scores(booster, rows, 12, raw_columns=[7, 0, 3]), xgboost_scores(booster, rows))


def test_edge_rows_hold_every_special_value(model_and_rows):
    _, rows = model_and_rows
    assert np.isnan(rows).any()
    assert np.isposinf(rows).any()
    assert np.isneginf(rows).any()


def test_codes_exact_with_ranking_base_score():
    booster, x = train(objective="rank:pairwise", base_score=-1.5, depth=5, trees=8)
    assert np.array_equal(code_scores(booster, x, x.shape[1]), xgboost_scores(booster, x))


def test_stored_codes_fit_uint8(model_and_rows):
    booster, rows = model_and_rows
    quantized = quantize_model(Forest.from_booster(booster), rows.shape[1], [])
    assert quantized.stored_dtype == np.uint8


def test_rows_decode_to_codes_and_raw(model_and_rows):
    booster, rows = model_and_rows
    quantized = quantize_model(Forest.from_booster(booster), rows.shape[1], [0, 5])
    encoded = encode_rows(quantized, rows)
    codes, raw = decode_rows(quantized, encoded.tobytes(), len(rows))
    expected = quantized.codes(rows[:, quantized.columns[: quantized.stored_count]], 0, quantized.stored_count)
    assert np.array_equal(codes, expected)
    assert np.array_equal(raw, rows[:, [0, 5]], equal_nan=True)


def test_unused_features_leave_layout(model_and_rows):
    booster, rows = model_and_rows
    forest = Forest.from_booster(booster)
    quantized = quantize_model(forest, rows.shape[1], [])
    assert set(quantized.columns.tolist()) == set(np.unique(forest.feature[forest.split]).tolist())
