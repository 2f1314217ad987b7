"""``candidate_pruning``: rerank only the top K' candidates by retrieval score.

Lossy. A ``prune`` stage after ``retrieve`` passes only the ``keep``
candidates with the highest retrieval scores (ties keep retrieval order)
to fetch, assembly and scoring. The ``tail`` stage after ``rank`` places
the rest, in retrieval order, below the reranked ones when ``top_k``
reaches them.
Kept candidates get the same features as in the full list, because the
retrieval list is already in score order and the kept ones are its head.
"""

import numpy as np

from harness.optimization import Optimization, register
from harness.pipeline import RequestContext
from harness.settings_checks import warn_if_no_effect
from harness.stored_reads import ensure_tail_stage



class PruneCandidates:
    """Stage ``prune``: keep the head of the retrieval list, set the rest aside."""

    name = "prune"

    def __init__(self, keep: int):
        self.keep = keep

    def __call__(self, context: RequestContext) -> None:
        if len(context.candidates) <= self.keep:
            return
        order = np.argsort(-np.asarray(context.retrieval_scores), kind="stable")
        kept, rest = order[: self.keep], order[self.keep :]
        context.extra.setdefault("tail", []).append(context.candidates[rest])
        context.candidates = context.candidates[kept]
        context.retrieval_scores = context.retrieval_scores[kept]


@register
class CandidatePruning(Optimization):
    name = "candidate_pruning"
    description = "rerank only the top K' candidates by retrieval score; the rest follow in retrieval order"
    stages = ("prune", "tail")
    lossless = False
    defaults = {"keep": 500}

    def apply(self, builder, runtime):
        warn_if_no_effect(self.name, self.settings["keep"], runtime)
        builder.insert_after("retrieve", PruneCandidates(self.settings["keep"]))
        ensure_tail_stage(builder, runtime)
