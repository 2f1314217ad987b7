"""numba kernels over a ``harness.forest.Forest``: prediction and bin codes.

One prediction kernel serves raw float32 inputs and integer bin codes
(``harness.quantize``). A split goes left when ``value < threshold``, and a
missing value (NaN, or the feature's missing code) goes the node's default
direction. The kernel walks ``ROWS`` rows through one tree together, level by
level, so the CPU overlaps their independent memory loads. It visits trees in
order for each block of ``BLOCK`` rows, so the block's rows stay in cache
while every tree passes over them.

Kernels compile on first call with ``cache=True`` (the machine code is kept
in ``__pycache__``); callers warm them before timing.
"""

from __future__ import annotations

import numba
import numpy as np

BLOCK = 64  # rows per block: 64 rows x 300 float32 features = 77 kB, L2-sized
ROWS = 8  # rows walked through one tree together


@numba.njit(cache=True, nogil=True, inline="always")
def _step(value, missing, threshold, default_left) -> int:
    # 0 goes left, 1 goes right. "not (value < threshold)" is True for NaN,
    # so a missing value goes right unless the default is left.
    right = 0 if value < threshold else 1
    if missing and default_left:
        right = 0
    elif missing:
        right = 1
    return right


@numba.njit(cache=True, nogil=True)
def _predict_rows(x, start, stop, feature, threshold, default_left, leaves, depth, missing_codes, quantized, out):
    internal = (1 << depth) - 1
    nodes = np.zeros(ROWS, dtype=np.int64)
    for t in range(feature.shape[0]):
        tree_feature = feature[t]
        tree_threshold = threshold[t]
        tree_default = default_left[t]
        tree_leaves = leaves[t]
        for first in range(start, stop, ROWS):
            count = min(ROWS, stop - first)
            for k in range(count):
                nodes[k] = 0
            for _ in range(depth):
                for k in range(count):
                    node = nodes[k]
                    f = tree_feature[node]
                    value = x[first + k, f]
                    if quantized:
                        missing = value == missing_codes[f]
                    else:
                        missing = value != value
                    nodes[k] = 2 * node + 1 + _step(value, missing, tree_threshold[node], tree_default[node])
            for k in range(count):
                out[first + k] += tree_leaves[nodes[k] - internal]


@numba.njit(cache=True, nogil=True)
def predict(x, feature, threshold, default_left, leaves, depth, base_score, missing_codes, quantized):
    """Return one float32 score per row of ``x``, summed in tree order like XGBoost."""
    n = x.shape[0]
    out = np.full(n, base_score, dtype=np.float32)
    for start in range(0, n, BLOCK):
        stop = min(n, start + BLOCK)
        _predict_rows(x, start, stop, feature, threshold, default_left, leaves, depth, missing_codes, quantized, out)
    return out


@numba.njit(cache=True, nogil=True, parallel=True)
def predict_parallel(x, feature, threshold, default_left, leaves, depth, base_score, missing_codes, quantized):
    """``predict`` with row blocks spread over numba's thread pool."""
    n = x.shape[0]
    out = np.full(n, base_score, dtype=np.float32)
    blocks = (n + BLOCK - 1) // BLOCK
    for b in numba.prange(blocks):
        start = b * BLOCK
        stop = min(n, start + BLOCK)
        _predict_rows(x, start, stop, feature, threshold, default_left, leaves, depth, missing_codes, quantized, out)
    return out


@numba.njit(cache=True, nogil=True)
def bin_codes(x, thresholds, offsets, missing_codes, out):
    """Write into ``out[:, j]`` the bin code of every value of ``x[:, j]``.

    Column ``j`` has the sorted thresholds ``thresholds[offsets[j]:offsets[j+1]]``;
    a value's code is how many of them are <= the value (an upper-bound
    binary search), and NaN gets ``missing_codes[j]``.
    """
    n, columns = x.shape
    for j in range(columns):
        low_end = offsets[j]
        high_end = offsets[j + 1]
        for i in range(n):
            value = x[i, j]
            if value != value:
                out[i, j] = missing_codes[j]
                continue
            low, high = low_end, high_end
            while low < high:
                middle = (low + high) >> 1
                if thresholds[middle] <= value:
                    low = middle + 1
                else:
                    high = middle
            out[i, j] = low - low_end
