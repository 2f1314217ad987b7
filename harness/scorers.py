"""Score stages for predictors other than XGBoost itself, and their settings.

Every alternative scorer replaces only the ``score`` stage and takes the
model input in either form ``assemble`` produces: the per-candidate list of
rows or the batched float32 matrix. Rows are cast to float32 first, as
XGBoost does with its input, because a split compares in float32: a float64
value just below a threshold can round up onto it and must then go right.
When the configuration's model reads only some columns of the full input
(``PipelineBuilder.feature_columns``), the stage selects them first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from harness.errors import HarnessError
from harness.pipeline import RequestContext

log = logging.getLogger(__name__)


def model_input(features: Any, columns: Sequence[int] | None) -> np.ndarray:
    """Return the model's input as a C-contiguous float32 matrix."""
    matrix = np.asarray(features, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix.reshape(1, -1)
    if columns is not None:
        matrix = matrix[:, np.asarray(columns, dtype=np.intp)]
    return np.ascontiguousarray(matrix)


class ScoreWith:
    """Stage ``score`` that runs ``predict(float32 matrix) -> scores``."""

    name = "score"

    def __init__(self, predict: Callable[[np.ndarray], np.ndarray], columns: Sequence[int] | None = None, threads: int = 1):
        self.predict = predict
        self.columns = columns
        self.threads = threads  # recorded so tests can check the setting reached the stage

    def __call__(self, context: RequestContext) -> None:
        context.scores = self.predict(model_input(context.features, self.columns))


def thread_setting(settings: dict[str, Any], optimization: str) -> int:
    """Return the checked ``threads`` setting of an optimization's table."""
    threads = settings.get("threads")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise HarnessError(
            f"[optimizations.{optimization}] threads = {threads!r} is invalid; use a whole number of at least 1"
        )
    return threads
