"""Stage ``fetch``: stored features from Redis.

The baseline reads the retailer's hash, then each candidate's hash with its
own HGETALL, one network round trip per candidate, as a first service
version usually does.
"""

from __future__ import annotations

from harness.pipeline import RequestContext
from harness.runtime import Runtime


class FetchPerCandidate:
    """One HGETALL per candidate."""

    name = "fetch"

    def __init__(self, runtime: Runtime):
        self.client = runtime.client
        self.store = runtime.store
        self.has_retailers = runtime.workload.retailer_features is not None

    def __call__(self, context: RequestContext) -> None:
        if self.has_retailers:
            context.retailer_raw = self.client.hgetall(self.store.retailer_key(context.request.retailer_id))
        keys = self.store.product_keys(context.candidates.tolist())
        context.fetched = [self.client.hgetall(key) for key in keys]


class FetchPipelined:
    """All HGETALLs in one pipelined round trip (no MULTI/EXEC)."""

    name = "fetch"

    def __init__(self, runtime: Runtime, client=None):
        self.client = client or runtime.client
        self.store = runtime.store
        self.has_retailers = runtime.workload.retailer_features is not None

    def __call__(self, context: RequestContext) -> None:
        pipe = self.client.pipeline(transaction=False)
        if self.has_retailers:
            pipe.hgetall(self.store.retailer_key(context.request.retailer_id))
        for key in self.store.product_keys(context.candidates.tolist()):
            pipe.hgetall(key)
        replies = pipe.execute()
        if self.has_retailers:
            context.retailer_raw = replies[0]
            replies = replies[1:]
        context.fetched = replies
