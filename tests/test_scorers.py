"""Score stages of alternative predictors: float32 input, selected columns, thread settings."""

from __future__ import annotations

import numpy as np
import pytest

from harness.errors import HarnessError
from harness.pipeline import RequestContext
from harness.scorers import ScoreWith, model_input, thread_setting
from harness.workload.base import Request


def test_model_input_rounds_rows_to_float32():
    rows = [[0.1, 2.0], [np.nan, 1e-50]]
    matrix = model_input(rows, None)
    assert matrix.dtype == np.float32
    assert np.array_equal(matrix, np.array(rows, dtype=np.float32), equal_nan=True)


def test_model_input_selects_columns():
    matrix = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert model_input(matrix, [3, 1]).tolist() == [[3, 1], [7, 5], [11, 9]]


def test_score_with_passes_matrix():
    seen = []
    stage = ScoreWith(lambda x: seen.append(x) or x[:, 0], columns=[1])
    context = RequestContext(Request(0, "q", -1, 0), features=[[1.0, 2.0], [3.0, 4.0]])
    stage(context)
    assert context.scores.tolist() == [2.0, 4.0]
    assert seen[0].flags["C_CONTIGUOUS"]


@pytest.mark.parametrize("value", [0, -1, True, "2", 1.5, None])
def test_thread_setting_rejects_invalid(value):
    with pytest.raises(HarnessError, match="threads"):
        thread_setting({"threads": value}, "numba_forest")


def test_thread_setting_accepts_whole_number():
    assert thread_setting({"threads": 2}, "numba_forest") == 2
