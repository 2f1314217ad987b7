"""Stage ``rank``: order candidates by score and keep the top k.

Ties keep retrieval order in every implementation, so rankings from
different stages compare exactly.
"""

from __future__ import annotations

import numpy as np

from harness.pipeline import RequestContext
from harness.runtime import Runtime


class RankSorted:
    """Python's ``sorted`` over (score, position) pairs."""

    name = "rank"

    def __init__(self, runtime: Runtime):
        self.top_k = runtime.scenario.workload.top_k

    def __call__(self, context: RequestContext) -> None:
        scores = [float(s) for s in context.scores]
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[: self.top_k]
        context.ranking = context.candidates[order]


class RankArgsort:
    """numpy's stable argsort of the negated scores."""

    name = "rank"

    def __init__(self, runtime: Runtime):
        self.top_k = runtime.scenario.workload.top_k

    def __call__(self, context: RequestContext) -> None:
        order = np.argsort(-np.asarray(context.scores, dtype=np.float32), kind="stable")[: self.top_k]
        context.ranking = context.candidates[order]
