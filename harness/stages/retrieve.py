"""Stage ``retrieve``: the top-N candidates from the first-stage retriever."""

from __future__ import annotations

from harness.pipeline import RequestContext
from harness.runtime import Runtime


class Retrieve:
    """BM25 top-N (or the fixed candidate list of learning-to-rank data)."""

    name = "retrieve"

    def __init__(self, runtime: Runtime):
        self.retriever = runtime.retriever
        self.limit = runtime.scenario.workload.candidates

    def __call__(self, context: RequestContext) -> None:
        context.candidates, context.retrieval_scores = self.retriever.search(context.request, self.limit)
