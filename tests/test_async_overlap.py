"""``async_overlap`` survives a timeout in the middle of a request, on real Redis."""

from __future__ import annotations

import numpy as np
import pytest
import redis

from harness.redis_server import connect
from tests.lossy_support import distinct_requests, rankings, session, with_settings

CONFIGS = ["pipelined_reads+batched_scoring", "pipelined_reads+batched_scoring+async_overlap"]


class PausingReader:
    """Wraps a reader; before its second read, pauses every Redis client.

    CLIENT PAUSE ALL makes the server hold all replies for ``pause_ms``,
    so the overlap stage's second chunk read hits its socket timeout
    while the first chunk was already read: a timeout mid-request.
    """

    def __init__(self, inner, control: redis.Redis, pause_ms: int):
        self.inner = inner
        self.names = inner.names
        self.control = control
        self.pause_ms = pause_ms
        self.reads = 0
        self.armed = True

    def read(self, client, ids):
        self.reads += 1
        if self.armed and self.reads == 2:
            self.control.execute_command("CLIENT", "PAUSE", self.pause_ms, "ALL")
        return self.inner.read(client, ids)


@pytest.fixture()
def overlap_session(smoke_scenario, redis_server, cache_dir):
    scenario = with_settings(smoke_scenario, async_overlap={"chunk_size": 16, "timeout_s": 0.2})
    with session(scenario, CONFIGS, redis_server, cache_dir) as opened:
        yield opened


def _overlap_stage(pipeline):
    return next(stage for stage in pipeline.stages if stage.name == "overlap")


def test_overlap_timeout_raises_timeout_error(overlap_session, redis_server):
    stage = _overlap_stage(overlap_session.pipeline(CONFIGS[1]))
    stage.reader = PausingReader(stage.reader, connect(redis_server.url), pause_ms=600)
    request = distinct_requests(overlap_session.runtime.workload)[0]

    with pytest.raises(redis.TimeoutError):
        overlap_session.pipeline(CONFIGS[1]).run(request)
    assert stage.reader.reads == 2


def test_overlap_after_timeout_gets_own_replies(overlap_session, redis_server):
    pipeline = overlap_session.pipeline(CONFIGS[1])
    stage = _overlap_stage(pipeline)
    stage.reader = PausingReader(stage.reader, connect(redis_server.url), pause_ms=600)
    requests = distinct_requests(overlap_session.runtime.workload)[:6]
    expected = rankings(overlap_session.pipeline(CONFIGS[0]), requests)

    with pytest.raises(redis.TimeoutError):
        pipeline.run(requests[0])
    stage.reader.armed = False
    connect(redis_server.url).execute_command("CLIENT", "UNPAUSE")

    assert rankings(pipeline, requests) == expected


def test_overlap_worker_reads_right_products(overlap_session):
    # Reads on the worker connection return the products asked for, in
    # order, after the request before them failed.
    stage = _overlap_stage(overlap_session.pipeline(CONFIGS[1]))
    workload = overlap_session.runtime.workload
    ids = [3, 1, 4, 1, 5]
    read = stage.reader.read(stage.worker_client, ids)
    expected = workload.stored[ids].astype(np.float64)

    assert np.array_equal(read, expected, equal_nan=True)
