"""``numba_forest``: the model's trees walked by a hand-written numba kernel.

Replaces the ``score`` stage only, so it works on the per-candidate rows of
the baseline's assembly or on the matrix of ``batched_scoring``. List it
after ``batched_scoring``: optimizations apply in the order written, and
``batched_scoring`` replaces the score stage with XGBoost's own.
"""

from __future__ import annotations

import logging

import numpy as np

from harness.optimization import Optimization, register
from harness.scorers import ScoreWith, thread_setting

log = logging.getLogger(__name__)


class NumbaKernelOptimization(Optimization):
    """Base of the optimizations that score with the numba kernel."""

    requires = ("numba",)
    # One thread by default: on a 2-core machine the Redis server and the
    # Python process already compete for the cores, and a thread pool
    # started before fork() hangs the forked child.
    defaults = {"threads": 1}

    def prepare(self, runtime):
        self.threads = thread_setting(self.settings, self.name)
        warm_kernels(self.threads)


@register
class NumbaForest(NumbaKernelOptimization):
    name = "numba_forest"
    description = "score with a numba kernel over the trees as flat arrays (float32 splits as in XGBoost)"
    stages = ("score",)
    lossless = True
    conflicts = ("treelite_compiled", "treelite_gtil", "quantized_features")

    def apply(self, builder, runtime):
        from harness.forest import cached_forest

        forest = cached_forest(builder.booster, runtime.artifacts.derived_folder("forest"), runtime.shared)
        predict = forest_predictor(forest, self.threads)
        builder.replace("score", ScoreWith(predict, builder.feature_columns, self.threads))


def forest_predictor(forest, threads: int, quantized: bool = False, missing_codes=None):
    """Return ``predict(matrix) -> float32 scores`` over ``forest`` with the numba kernel."""
    import numba

    from harness import forest_kernels

    # numba refuses more threads than its pool has (one per core by default).
    threads = min(threads, numba.config.NUMBA_NUM_THREADS)
    codes = np.zeros(1, dtype=np.int64) if missing_codes is None else missing_codes
    arrays = (forest.feature, forest.threshold, forest.default_left, forest.leaves, forest.depth, forest.base_score)
    if threads == 1:
        return lambda x: forest_kernels.predict(x, *arrays, codes, quantized)

    def predict_parallel(x):
        # numba's thread count is per calling thread; set it on every call.
        numba.set_num_threads(threads)
        return forest_kernels.predict_parallel(x, *arrays, codes, quantized)

    return predict_parallel


def warm_kernels(threads: int) -> None:
    """Compile (or load from numba's cache) the kernels before any timed run."""
    from harness.forest import Forest

    tiny = Forest(
        feature=np.zeros((1, 1), dtype=np.int32),
        threshold=np.zeros((1, 1), dtype=np.float32),
        default_left=np.ones((1, 1), dtype=np.uint8),
        leaves=np.zeros((1, 2), dtype=np.float32),
        split=np.ones((1, 1), dtype=bool),
        depth=1,
        base_score=np.float32(0.0),
        num_features=1,
    )
    forest_predictor(tiny, threads)(np.zeros((2, 1), dtype=np.float32))
    codes = np.zeros(1, dtype=np.int64)
    quantized = tiny.__class__(**{**tiny.__dict__, "threshold": np.zeros((1, 1), dtype=np.uint16)})
    forest_predictor(quantized, threads, True, codes)(np.zeros((2, 1), dtype=np.uint16))
