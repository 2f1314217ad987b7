"""``feature_cache`` and ``async_overlap`` rank exactly as the baseline does.

Every distinct query of the smoke trace, and of the learning-to-rank
sample where it is present, runs through the baseline and through each
configuration; rankings must be identical. The cache runs every query
twice, so the second pass is served from memory.
"""

from __future__ import annotations

import pytest

from tests.conftest import requires_ltr
from tests.lossy_support import distinct_requests, rankings, session, with_settings

SMOKE_CONFIGS = (
    "feature_cache",
    "async_overlap",
    "pipelined_reads+feature_cache",
    "pipelined_reads+batched_scoring+feature_cache+async_overlap",
)
# The sample's 300-candidate lists make per-candidate scoring slow, so
# there the cache and the overlap run with batched scoring.
LTR_CONFIGS = (
    "pipelined_reads+batched_scoring+feature_cache",
    "pipelined_reads+batched_scoring+async_overlap",
    "pipelined_reads+batched_scoring+feature_cache+async_overlap",
)


def _check_identical(scenario, configs, redis_server, cache_dir, chunk_size):
    scenario = with_settings(scenario, async_overlap={"chunk_size": chunk_size})
    with session(scenario, ["baseline", *configs], redis_server, cache_dir) as opened:
        requests = distinct_requests(opened.runtime.workload)
        expected = rankings(opened.pipeline("baseline"), requests)
        for name in configs:
            pipeline = opened.pipeline(name)
            for repeat in range(2):
                assert rankings(pipeline, requests) == expected, f"{name}, pass {repeat + 1}"


def test_cache_and_overlap_match_baseline_smoke(smoke_scenario, redis_server, cache_dir):
    _check_identical(smoke_scenario, SMOKE_CONFIGS, redis_server, cache_dir, chunk_size=16)


@requires_ltr
def test_cache_and_overlap_match_baseline_ltr(ltr_scenario, redis_server, cache_dir):
    _check_identical(ltr_scenario, LTR_CONFIGS, redis_server, cache_dir, chunk_size=64)


def test_cache_keeps_feature_selection_rankings(smoke_scenario, redis_server, cache_dir):
    scenario = with_settings(smoke_scenario, feature_selection={"features": 30})
    names = ["feature_selection", "feature_selection+feature_cache"]
    with session(scenario, names, redis_server, cache_dir) as opened:
        requests = distinct_requests(opened.runtime.workload)
        expected = rankings(opened.pipeline("feature_selection"), requests)
        cached = opened.pipeline("feature_selection+feature_cache")
        for repeat in range(2):
            assert rankings(cached, requests) == expected, f"pass {repeat + 1}"


@pytest.mark.parametrize("chunk_size", [1, 7, 1000])
def test_overlap_any_chunk_size_matches(smoke_scenario, redis_server, cache_dir, chunk_size):
    scenario = with_settings(smoke_scenario, async_overlap={"chunk_size": chunk_size})
    names = ["pipelined_reads+batched_scoring", "pipelined_reads+batched_scoring+async_overlap"]
    with session(scenario, names, redis_server, cache_dir) as opened:
        requests = distinct_requests(opened.runtime.workload)[:10]
        expected = rankings(opened.pipeline(names[0]), requests)
        assert rankings(opened.pipeline(names[1]), requests) == expected
