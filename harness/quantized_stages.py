"""Stages of ``quantized_features``: assemble bin codes, score them with the numba kernel."""

from __future__ import annotations

import numpy as np

from harness.pipeline import RequestContext
from harness.quantize import QuantizedModel, live_values, request_block
from harness.runtime import Runtime
from harness.stages.assemble import parse_retailer


class AssembleCodes:
    """Stage ``assemble``: stored codes as fetched, request columns encoded now.

    ``context.fetched`` is the (stored codes, raw float32 columns) pair the
    quantized layout's fetch decodes; ``context.features`` becomes the
    uint16 code matrix the quantized forest reads.
    """

    name = "assemble"

    def __init__(self, runtime: Runtime, model: QuantizedModel):
        self.workload = runtime.workload
        self.model = model
        self.retailer_fields = [name.encode() for name in self.workload.retailer_names]
        self.stored_width = self.workload.stored.shape[1]
        self.has_request_columns = bool((model.live_columns >= self.stored_width).any())

    def __call__(self, context: RequestContext) -> None:
        stored_codes, raw = context.fetched
        model = self.model
        block = None
        if self.has_request_columns:
            retailer = parse_retailer(context.retailer_raw, self.retailer_fields)
            info = self.workload.request_info(context.request, retailer)
            block = request_block(self.workload, info, raw, model.raw_columns, context.retrieval_scores)

        values = live_values(model, self.stored_width, raw, block)
        live_codes = model.codes(values, model.stored_count, len(model.columns))
        context.features = np.hstack([stored_codes, live_codes])


class ScoreCodes:
    """Stage ``score``: the quantized forest over the code matrix."""

    name = "score"

    def __init__(self, predict, threads: int = 1):
        self.predict = predict
        self.threads = threads

    def __call__(self, context: RequestContext) -> None:
        context.scores = self.predict(context.features)
