"""``feature_cache`` and ``async_overlap`` rank exactly as the baseline does.

Every distinct query of the smoke trace runs through the baseline and
through each configuration; rankings must be identical. Configurations
with the cache run every query twice, so the second pass is served from
memory. On the learning-to-rank sample, where the baseline scores 300
candidates one DMatrix at a time, the baseline runs on the first queries
and ``pipelined_reads+batched_scoring`` (itself checked against the
baseline on those queries) is the reference on every query.
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
LTR_REFERENCE = "pipelined_reads+batched_scoring"
LTR_CONFIGS = (
    "pipelined_reads+batched_scoring+feature_cache",
    "pipelined_reads+batched_scoring+async_overlap",
    "pipelined_reads+batched_scoring+feature_cache+async_overlap",
)
LTR_BASELINE_QUERIES = 5


def _passes(name: str) -> int:
    return 2 if "feature_cache" in name else 1


def _check_identical(opened, reference: str, configs, requests) -> None:
    expected = rankings(opened.pipeline(reference), requests)
    for name in configs:
        pipeline = opened.pipeline(name)
        for repeat in range(_passes(name)):
            assert rankings(pipeline, requests) == expected, f"{name}, pass {repeat + 1}"


def test_cache_and_overlap_match_baseline_smoke(smoke_scenario, redis_server, cache_dir):
    scenario = with_settings(smoke_scenario, async_overlap={"chunk_size": 16})
    with session(scenario, ["baseline", *SMOKE_CONFIGS], redis_server, cache_dir) as opened:
        requests = distinct_requests(opened.runtime.workload)
        _check_identical(opened, "baseline", SMOKE_CONFIGS, requests)


@requires_ltr
def test_cache_and_overlap_match_baseline_ltr(ltr_scenario, redis_server, cache_dir):
    scenario = with_settings(ltr_scenario, async_overlap={"chunk_size": 64})
    names = ["baseline", LTR_REFERENCE, *LTR_CONFIGS]
    with session(scenario, names, redis_server, cache_dir) as opened:
        requests = distinct_requests(opened.runtime.workload)
        _check_identical(opened, "baseline", (LTR_REFERENCE, *LTR_CONFIGS), requests[:LTR_BASELINE_QUERIES])
        _check_identical(opened, LTR_REFERENCE, LTR_CONFIGS, requests)


def test_cache_keeps_feature_selection_rankings(smoke_scenario, redis_server, cache_dir):
    scenario = with_settings(smoke_scenario, feature_selection={"features": 30})
    names = ["feature_selection", "feature_selection+feature_cache"]
    with session(scenario, names, redis_server, cache_dir) as opened:
        requests = distinct_requests(opened.runtime.workload)
        _check_identical(opened, names[0], names[1:], requests)


@pytest.mark.parametrize("chunk_size", [1, 7, 1000])
def test_overlap_any_chunk_size_matches(smoke_scenario, redis_server, cache_dir, chunk_size):
    scenario = with_settings(smoke_scenario, async_overlap={"chunk_size": chunk_size})
    names = ["pipelined_reads+batched_scoring", "pipelined_reads+batched_scoring+async_overlap"]
    with session(scenario, names, redis_server, cache_dir) as opened:
        requests = distinct_requests(opened.runtime.workload)[:10]
        _check_identical(opened, names[0], names[1:], requests)
