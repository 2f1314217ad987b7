"""``quantized_features``: stored features as bin codes of the model's own thresholds.

Replaces ``fetch`` (one MGET of the quantized layout), ``assemble`` (request
columns encoded per request) and ``score`` (the numba kernel over codes);
``rank`` becomes numpy's stable argsort. Every tree takes the same branch on
a code as on the raw value (see ``harness.quantize``), so rankings match the
baseline's. The layout depends on the model, so it is keyed by the model's
digest and cannot serve a model swapped by feature selection.
"""

from __future__ import annotations

import logging

import numpy as np

from harness.errors import HarnessError
from harness.optimization import register
from optimizations.numba_forest import NumbaKernelOptimization

log = logging.getLogger(__name__)


@register
class QuantizedFeatures(NumbaKernelOptimization):
    name = "quantized_features"
    description = "store features as uint8 bin codes of the model's thresholds; score codes with numba"
    stages = ("fetch", "assemble", "score", "rank")
    lossless = True
    # It brings its own layout, assembly and scorer, so it cannot share
    # those stages with another layout, scorer or model.
    conflicts = (
        "pipelined_reads", "packed_features", "batched_scoring", "numba_forest", "treelite_compiled",
        "treelite_gtil", "feature_selection", "feature_cache", "cascade", "async_overlap",
    )

    def apply(self, builder, runtime):
        from harness.layouts import FetchBinary
        from harness.quantize import decode_rows
        from harness.quantized_stages import AssembleCodes, ScoreCodes
        from harness.stages.rank import RankArgsort
        from optimizations.numba_forest import forest_predictor

        if builder.feature_columns is not None:
            raise HarnessError("quantized_features needs the full model input; drop the optimization that selects columns")
        model, layout, absent = _prepared_layout(builder.booster, runtime)

        decode = lambda buffer, n: decode_rows(model, buffer, n)  # noqa: E731
        builder.replace("fetch", FetchBinary(runtime, builder.client, layout, absent, decode))
        builder.replace("assemble", AssembleCodes(runtime, model))
        predict = forest_predictor(model.forest, self.threads, quantized=True, missing_codes=model.missing_codes)
        builder.replace("score", ScoreCodes(predict, self.threads))
        builder.replace("rank", RankArgsort(runtime))


def _prepared_layout(booster, runtime):
    """Return the quantized model, its layout name and absent-row bytes, loading Redis once."""
    from harness.forest import cached_forest, model_digest
    from harness.layouts import load_binary_layout
    from harness.quantize import check_interaction_inputs, encode_rows, interaction_inputs, quantize_model

    digest = model_digest(booster)
    key = f"quantized:{digest}"
    if key in runtime.shared:
        return runtime.shared[key]

    workload = runtime.workload
    forest = cached_forest(booster, runtime.artifacts.derived_folder("forest"), runtime.shared)
    raw_columns = interaction_inputs(workload)
    check_interaction_inputs(workload, np.array(raw_columns, dtype=np.int64))
    model = quantize_model(forest, workload.stored.shape[1], raw_columns)

    layout = f"quant-{digest[:12]}"
    load_binary_layout(runtime.store, layout, encode_rows(model, workload.stored))
    absent = encode_rows(model, np.full((1, workload.stored.shape[1]), np.nan, dtype=np.float32)).tobytes()
    log.info(
        "quantized layout %s: %d code columns (%s), %d raw columns, %d bytes per product",
        layout, model.stored_count, model.stored_dtype.name, len(raw_columns), model.row_bytes,
    )
    runtime.shared[key] = (model, layout, absent)
    return runtime.shared[key]
