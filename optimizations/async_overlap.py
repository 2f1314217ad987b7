"""``async_overlap``: score chunk i while chunk i+1's features are in flight.

Lossless. One ``overlap`` stage takes the place of ``fetch``, ``assemble``
and ``score``. It splits the candidates into chunks of ``chunk_size`` and
reads each chunk on a second Redis connection owned by one worker thread.
Meanwhile the calling thread assembles and scores the previous chunk. This overlaps because redis-py waits for replies in socket calls
and XGBoost predicts in C through ctypes, and both release the GIL.

It reads through the configuration's reader (so the cache and feature
selection still apply) and scores each chunk with the configuration's
score stage, so list it last.

Safety: the worker connection is used by one thread only, one chunk at a
time, and a request never returns while a chunk it started is still
reading (``_settle``). A socket timeout (``timeout_s``) makes redis-py
close that connection, so no reply of an abandoned read can reach a later
request. Retries are off, so a timeout fails the request at once.
"""

from __future__ import annotations

import concurrent.futures

import numpy as np
from redis.backoff import NoBackoff
from redis.retry import Retry

from harness.optimization import Optimization, register
from harness.pipeline import RequestContext
from harness.stored_reads import assemble_rows, reader_of, request_info
from harness.workload.base import max_retrieval_score


class OverlapStage:
    """Stage ``overlap``: chunked reads on a worker thread, scoring on this one."""

    name = "overlap"

    def __init__(self, runtime, reader, score_stage, client, worker_client, chunk_size: int):
        self.workload = runtime.workload
        self.store = runtime.store
        self.reader = reader
        self.score_stage = score_stage
        self.client = client
        self.worker_client = worker_client
        self.chunk_size = chunk_size
        self.has_retailers = runtime.workload.retailer_features is not None
        self.worker = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="overlap-read")

    def __call__(self, context: RequestContext) -> None:
        ids = context.candidates.tolist()
        chunks = [slice(start, start + self.chunk_size) for start in range(0, len(ids), self.chunk_size)]
        in_flight: list[concurrent.futures.Future] = []
        try:
            self._run(context, ids, chunks, in_flight)
        finally:
            self._settle(in_flight)

    def _read_later(self, ids: list[int], in_flight: list) -> None:
        in_flight.append(self.worker.submit(self.reader.read, self.worker_client, ids))

    def _run(self, context: RequestContext, ids: list[int], chunks: list[slice], in_flight: list) -> None:
        # The first chunk's read starts before the retailer read, so even
        # that round trip overlaps.
        if chunks:
            self._read_later(ids[chunks[0]], in_flight)
        if self.has_retailers:
            context.retailer_raw = self.client.hgetall(self.store.retailer_key(context.request.retailer_id))
        info = request_info(self.workload, context)
        bm25 = np.asarray(context.retrieval_scores, dtype=np.float64)
        positions = context.extra.get("positions")
        positions = np.arange(len(ids)) if positions is None else positions
        max_score = context.extra.get("max_retrieval_score", max_retrieval_score(bm25))

        scores = np.empty(len(ids), dtype=np.float32)
        for number, chunk in enumerate(chunks):
            stored = in_flight.pop().result()
            if number + 1 < len(chunks):
                self._read_later(ids[chunks[number + 1]], in_flight)
            features = assemble_rows(self.workload, info, stored, bm25[chunk], positions[chunk], max_score)
            scores[chunk] = self._score(context, features)
        context.scores = scores

    def _score(self, context: RequestContext, features: np.ndarray) -> np.ndarray:
        part = RequestContext(context.request, extra=context.extra)
        part.features = features
        self.score_stage(part)
        return np.asarray(part.scores, dtype=np.float32)

    @staticmethod
    def _settle(in_flight: list) -> None:
        # Wait for a read this request started and did not collect before
        # the worker connection serves the next request; its result or
        # error is dropped.
        for future in in_flight:
            if not future.cancel():
                concurrent.futures.wait([future])


@register
class AsyncOverlap(Optimization):
    name = "async_overlap"
    description = "read candidate features in chunks on a second connection while scoring the previous chunk"
    # The stage it leaves in the pipeline; it removes fetch, assemble and score.
    stages = ("overlap",)
    lossless = True
    defaults = {"chunk_size": 250, "timeout_s": 30.0}

    def apply(self, builder, runtime):
        reader = reader_of(builder, runtime)
        worker_client = runtime.new_client(
            socket_timeout=float(self.settings["timeout_s"]), retry=Retry(NoBackoff(), 0)
        )
        stage = OverlapStage(
            runtime, reader, builder.get("score"), builder.client, worker_client, self.settings["chunk_size"]
        )
        builder.replace("fetch", stage)
        builder.stages = [s for s in builder.stages if s.name not in ("assemble", "score")]
