"""Lossless bin codes of feature values, derived from the model's own splits.

For a model feature with sorted unique split thresholds ``T``, a value's
code is ``#{t in T : t <= value}``. A split ``value < T[k]`` is true exactly
when ``code <= k``, i.e. ``code < k + 1``, so a forest whose thresholds are
rewritten as ``k + 1`` takes the same branch on codes as XGBoost takes on
the float32 value, for every value including +-inf. A missing value (NaN)
gets the feature's own missing code ``len(T) + 1``, which the kernel sends
the default direction.

``QuantizedModel`` splits the model input into two parts:

- stored columns the model splits on, encoded once at load time and kept in
  Redis as uint8 codes (uint16 when a feature has more than 254 thresholds).
  Stored columns that no tree reads are left out of the layout;
- live columns, encoded per request: the request columns (retailer, query,
  interaction), computed from raw values first, and the few stored columns
  the interactions read as raw numbers (price, category, embedding), which
  the layout keeps as raw float32 instead of codes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from harness.errors import HarnessError
from harness.forest import Forest
from harness.workload.base import Workload, assemble_matrix

log = logging.getLogger(__name__)

CODE_DTYPE = np.dtype("<u2")  # the kernel's code matrix
RAW_DTYPE = np.dtype("<f4")


@dataclass(frozen=True)
class QuantizedModel:
    """A forest rewritten over bin codes, with the map from model input to codes."""

    forest: Forest  # thresholds are bin numbers (uint16); features index ``columns``
    columns: np.ndarray  # model input column of each code column, layout-coded ones first
    stored_count: int  # how many of ``columns`` are coded in the layout
    thresholds: np.ndarray  # float32, every code column's sorted thresholds, concatenated
    offsets: np.ndarray  # int64 (columns + 1,), each code column's slice of ``thresholds``
    missing_codes: np.ndarray  # int64 per code column: len(thresholds) + 1
    stored_dtype: np.dtype  # uint8 or uint16 codes in the layout
    raw_columns: np.ndarray  # stored columns kept raw for the interactions

    @property
    def live_columns(self) -> np.ndarray:
        """Model input columns coded per request: raw stored ones, then request ones."""
        return self.columns[self.stored_count :]

    @property
    def row_bytes(self) -> int:
        return self.stored_count * self.stored_dtype.itemsize + len(self.raw_columns) * RAW_DTYPE.itemsize

    def codes(self, values: np.ndarray, first: int, last: int) -> np.ndarray:
        """Return uint16 codes of float32 ``values`` for code columns ``first:last``."""
        from harness.forest_kernels import bin_codes

        out = np.empty(values.shape, dtype=CODE_DTYPE)
        offsets = self.offsets[first : last + 1]
        bin_codes(np.ascontiguousarray(values, dtype=np.float32), self.thresholds, offsets, self.missing_codes[first:last], out)
        return out


def quantize_model(forest: Forest, stored_width: int, raw_columns: list[int]) -> QuantizedModel:
    """Rewrite ``forest`` over bin codes of the columns its splits use."""
    per_feature = forest.used_thresholds()
    used = [f for f in range(forest.num_features) if len(per_feature[f])]
    raw = set(raw_columns)
    stored = [f for f in used if f < stored_width and f not in raw]
    live = [f for f in used if f < stored_width and f in raw] + [f for f in used if f >= stored_width]
    columns = np.array(stored + live, dtype=np.int64)

    lists = [per_feature[f] for f in columns]
    sizes = np.array([len(t) for t in lists], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    thresholds = np.concatenate(lists).astype(np.float32) if lists else np.zeros(0, dtype=np.float32)
    missing_codes = sizes + 1
    if missing_codes.size and missing_codes.max() > np.iinfo(CODE_DTYPE).max:
        raise HarnessError(
            f"a model feature has {int(sizes.max())} distinct thresholds; quantized_features supports up to 65534"
        )

    stored_missing = missing_codes[: len(stored)]
    small = not stored_missing.size or stored_missing.max() <= np.iinfo(np.uint8).max
    return QuantizedModel(
        forest=_forest_over_codes(forest, columns, per_feature),
        columns=columns,
        stored_count=len(stored),
        thresholds=thresholds,
        offsets=offsets,
        missing_codes=missing_codes,
        stored_dtype=np.dtype("u1") if small else np.dtype("<u2"),
        raw_columns=np.array(sorted(raw), dtype=np.int64),
    )


def _forest_over_codes(forest: Forest, columns: np.ndarray, per_feature: list[np.ndarray]) -> Forest:
    # Each real split on feature f with threshold T_f[k] becomes a split on
    # code column position(f) with threshold k + 1. Padding nodes keep
    # column 0 and threshold 0: their subtrees hold one leaf value.
    position = np.zeros(forest.num_features, dtype=np.int32)
    position[columns] = np.arange(len(columns), dtype=np.int32)
    feature = np.where(forest.split, position[forest.feature], 0).astype(np.int32)

    bins = np.zeros(forest.threshold.shape, dtype=CODE_DTYPE)
    for f in columns.tolist():
        chosen = forest.split & (forest.feature == f)
        bins[chosen] = np.searchsorted(per_feature[f], forest.threshold[chosen]) + 1
    return Forest(
        feature=feature,
        threshold=bins,
        default_left=forest.default_left,
        leaves=forest.leaves,
        split=forest.split,
        depth=forest.depth,
        base_score=forest.base_score,
        num_features=len(columns),
    )


def encode_rows(model: QuantizedModel, stored: np.ndarray) -> np.ndarray:
    """Return each product's layout bytes as a (products, row_bytes) uint8 matrix."""
    stored32 = stored.astype(np.float32)
    codes = model.codes(stored32[:, model.columns[: model.stored_count]], 0, model.stored_count)
    raw = np.ascontiguousarray(stored32[:, model.raw_columns], dtype=RAW_DTYPE)
    parts = [codes.astype(model.stored_dtype).view(np.uint8), raw.view(np.uint8)]
    return np.ascontiguousarray(np.hstack([part.reshape(stored.shape[0], -1) for part in parts]))


def decode_rows(model: QuantizedModel, buffer: bytes, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Split joined layout rows into uint16 stored codes and float32 raw columns."""
    rows = np.frombuffer(buffer, dtype=np.uint8).reshape(n, model.row_bytes)
    split = model.stored_count * model.stored_dtype.itemsize
    codes = np.ascontiguousarray(rows[:, :split]).view(model.stored_dtype).astype(CODE_DTYPE)
    raw = np.ascontiguousarray(rows[:, split:]).view(RAW_DTYPE)
    return codes, raw


def interaction_inputs(workload: Workload) -> list[int]:
    """Return the stored columns the workload's interaction features read.

    NOTE: the list mirrors ``harness.features.interactions_matrix`` of the
    synthetic marketplace by hand. ``check_interaction_inputs`` compares it
    with the full computation on a real request, so a change there fails
    at start instead of scoring wrong.
    """
    if not workload.request_names:
        return []
    from harness.workload import synthetic

    named = [synthetic.STORED_PRICE, synthetic.STORED_CATEGORY, synthetic.STORED_BRAND,
             synthetic.STORED_RATING, synthetic.STORED_POPULARITY]
    return list(range(synthetic.EMBEDDING_DIM)) + named


def request_block(workload: Workload, info, raw: np.ndarray, raw_columns: np.ndarray, bm25: np.ndarray) -> np.ndarray:
    """Return the float32 request and interaction columns, computed from raw stored values."""
    stored = np.full((raw.shape[0], workload.stored.shape[1]), np.nan)
    stored[:, raw_columns] = raw
    full = assemble_matrix(workload, info, stored, np.asarray(bm25, dtype=np.float64))
    return full[:, workload.stored.shape[1] :]


def live_values(model: QuantizedModel, stored_width: int, raw: np.ndarray, block: np.ndarray | None) -> np.ndarray:
    """Return the float32 values of the live columns from raw stored columns and the request block."""
    live = model.live_columns
    from_raw = np.searchsorted(model.raw_columns, live[live < stored_width])
    parts = [raw[:, from_raw]]
    if block is not None:
        parts.append(block[:, live[live >= stored_width] - stored_width])
    return np.hstack(parts)


def check_interaction_inputs(workload: Workload, raw_columns: np.ndarray) -> None:
    """Raise unless the raw columns alone give the same request columns as the full rows."""
    if not workload.request_names:
        return
    request = workload.requests()[0]
    candidates = np.arange(min(50, workload.stored.shape[0]))
    bm25 = np.linspace(10.0, 1.0, len(candidates))
    full = workload.feature_matrix(request, candidates, bm25)[:, workload.stored.shape[1] :]

    retailer = workload.retailer_features
    values = None if retailer is None else retailer[request.retailer_id].astype(np.float64).tolist()
    info = workload.request_info(request, values)
    raw = workload.stored[candidates][:, raw_columns].astype(np.float64)
    partial = request_block(workload, info, raw, raw_columns, bm25)
    if not np.array_equal(full, partial, equal_nan=True):
        raise HarnessError(
            "the interaction features read stored columns outside the quantized layout's raw columns; "
            "update harness.quantize.interaction_inputs"
        )
