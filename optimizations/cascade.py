"""``cascade``: a cheap first-pass model picks the survivors the full model scores.

Lossy. A ``prefilter`` stage before ``fetch`` scores every candidate with
a small ranker (``trees`` trees of depth ``max_depth``) on about
``features`` cheap features, keeps the best ``keep`` and hands only those
to ``fetch``, ``assemble`` and ``score``. Cheap features need no full
feature read. They are the retrieval score features, the query and
retailer features, and the ``stored_features`` stored columns with the
highest gain. Those columns are kept in a separate small layout, one
packed float32 string per product, read with one MGET. On real learning-to-rank data, which has
no request features, the cheap features are the ``features`` stored
columns with the highest gain.

Survivors keep the features they have in the full list (original
positions and retrieval normalizer, see ``harness.stored_reads``). When
``top_k`` exceeds ``keep``, the other candidates follow in first-pass
order. List cascade after the fetch and assembly optimizations, because
it replaces ``assemble`` with a form that uses the survivors' positions.
"""

from __future__ import annotations

import hashlib
import json
import logging

import numpy as np

from harness import features as marketplace_features
from harness.optimization import Optimization, register
from harness.pipeline import RequestContext
from harness.settings_checks import warn_if_no_effect
from harness.stages.assemble import AssemblePerCandidate
from harness.stored_reads import (
    AssembleSubset,
    AssembleSubsetPerCandidate,
    ensure_tail_stage,
    request_info,
)
from harness.subset_model import STORED_FREE_INTERACTIONS, columns_by_gain, subset_model
from harness.workload.base import max_retrieval_score

log = logging.getLogger(__name__)


def cheap_columns(runtime, count: int, stored_count: int) -> tuple[list[int], list[int]]:
    """Return (all cheap model-input columns, the stored ones among them), by gain.

    Cheap columns are the ``stored_count`` stored columns of highest gain
    plus the stored-free request columns of highest gain, ``count`` in all.
    Without request features, the ``count`` stored columns of highest gain.
    """
    workload = runtime.workload
    names = workload.feature_names
    stored_total = len(workload.stored_names)
    ranked = columns_by_gain(runtime.booster, names)
    free_names = set(workload.retailer_names) | set(marketplace_features.QUERY_FEATURES) | set(STORED_FREE_INTERACTIONS)
    free = [c for c in ranked if c >= stored_total and names[c] in free_names]
    if not free:
        stored_count = count
    stored = [c for c in ranked if c < stored_total][:stored_count]
    chosen = stored + free[: max(count - len(stored), 0)]
    return sorted(chosen), sorted(stored)


class Prefilter:
    """Stage ``prefilter``: score all candidates cheaply and keep the best."""

    name = "prefilter"

    def __init__(self, runtime, client, booster, columns, stored_columns, layout: str, keep: int):
        self.workload = runtime.workload
        self.store = runtime.store
        self.client = client
        self.booster = booster
        self.columns = np.asarray(columns)
        self.stored_columns = np.asarray(stored_columns, dtype=np.int64)
        self.stored_position = {column: i for i, column in enumerate(stored_columns)}
        self.names = runtime.workload.feature_names
        self.layout = layout
        self.keep = keep
        self.has_retailers = runtime.workload.retailer_features is not None

    def __call__(self, context: RequestContext) -> None:
        candidates = context.candidates
        if len(candidates) <= self.keep:
            return
        bm25 = np.asarray(context.retrieval_scores, dtype=np.float64)
        stored = self._read_cheap(context, candidates.tolist())
        max_score = max_retrieval_score(bm25)
        info = request_info(self.workload, context)
        matrix = self.cheap_matrix(info, stored, bm25, max_score)
        scores = self.booster.inplace_predict(matrix, missing=np.nan)

        order = np.argsort(-scores, kind="stable")
        survivors = np.sort(order[: self.keep])
        context.extra["positions"] = survivors
        context.extra["max_retrieval_score"] = max_score
        context.extra.setdefault("tail", []).insert(0, candidates[order[self.keep :]])
        context.candidates = candidates[survivors]
        context.retrieval_scores = context.retrieval_scores[survivors]

    def cheap_matrix(self, info, stored: np.ndarray, bm25: np.ndarray, max_score: float) -> np.ndarray:
        """Return the first-pass model's float32 input, only its columns.

        Each column is a stored value, a per-request constant or one of the
        retrieval-score features, computed with the same float64
        operations as ``harness.features.interactions_matrix``.
        """
        n = len(bm25)
        request_values = dict(zip(self.workload.request_names, info.values))
        computed = {
            "bm25": bm25,
            "bm25_rank": np.arange(n, dtype=np.float64),
            "bm25_norm": bm25 / max_score,
            "bm25_gap": max_score - bm25,
        }
        matrix = np.empty((n, len(self.columns)), dtype=np.float32)
        stored_count = len(self.workload.stored_names)
        for out, column in enumerate(self.columns.tolist()):
            name = self.names[column]
            if column < stored_count:
                matrix[:, out] = stored[:, self.stored_position[column]]
            elif name in computed:
                matrix[:, out] = computed[name]
            else:
                matrix[:, out] = request_values[name]
        return matrix

    def _read_cheap(self, context: RequestContext, ids: list[int]) -> np.ndarray:
        pipe = self.client.pipeline(transaction=False)
        if self.has_retailers:
            pipe.hgetall(self.store.retailer_key(context.request.retailer_id))
        pipe.mget(self.store.product_keys(ids, self.layout))
        replies = pipe.execute()
        if self.has_retailers:
            context.retailer_raw = replies[0]
        packed = replies[-1]

        width = len(self.stored_columns)
        missing = np.full(width, np.nan, dtype=np.float32).tobytes()
        flat = np.frombuffer(b"".join(missing if v is None else v for v in packed), dtype=np.float32)
        return flat.reshape(len(ids), width)


@register
class Cascade(Optimization):
    name = "cascade"
    description = "a cheap first-pass model on ~20 cheap features keeps the top 200 for the full model"
    stages = ("prefilter", "fetch", "assemble", "tail")
    lossless = False
    defaults = {"keep": 200, "features": 20, "stored_features": 6, "trees": 40, "max_depth": 4}

    def prepare(self, runtime):
        settings = self.settings
        warn_if_no_effect(self.name, settings["keep"], runtime)
        self.columns, self.stored_columns = cheap_columns(runtime, settings["features"], settings["stored_features"])
        self.booster, _ = subset_model(runtime, self.name, self.columns, settings["trees"], settings["max_depth"])
        # One thread: on 2 busy cores, waking an OpenMP pool can cost more
        # than predicting a few shallow trees.
        self.booster.set_param({"nthread": 1})
        self.layout = self._load_layout(runtime)

    def _load_layout(self, runtime) -> str:
        # The layout's name carries its columns, so a different selection
        # never reads another one's packed rows.
        digest = hashlib.sha256(json.dumps(self.stored_columns).encode()).hexdigest()[:12]
        layout = f"cascade-{digest}"
        store, stored = runtime.store, runtime.workload.stored
        if not store.is_loaded(layout, stored.shape[0]):
            rows = np.ascontiguousarray(stored[:, self.stored_columns], dtype=np.float32)
            entries = ((store.product_key(i, layout), row.tobytes()) for i, row in enumerate(rows))
            store.write_layout(layout, entries, stored.shape[0])
            log.info("loaded the cascade layout %s (%d columns)", layout, len(self.stored_columns))
        return layout

    def apply(self, builder, runtime):
        prefilter = Prefilter(
            runtime, builder.client, self.booster, self.columns, self.stored_columns, self.layout, self.settings["keep"]
        )
        builder.insert_before("fetch", prefilter)
        if isinstance(builder.get("assemble"), AssemblePerCandidate):
            builder.replace("assemble", AssembleSubsetPerCandidate(runtime))
        else:
            builder.replace("assemble", AssembleSubset(runtime))
        ensure_tail_stage(builder, runtime)
