"""Load runs: Locust against a real service and Redis, and the raw statistics."""

from __future__ import annotations

import json

import numpy as np
import pytest

from harness import load_stats
from harness.errors import HarnessError
from harness.loadtest import LoadPlan, ServiceSpec, check_target, run_load
from tests.serving import running_service, smoke_settings

FAST = "pipelined_reads+batched_scoring"
# Server-side padding that puts every latency just above 1,000 ms, where
# Locust rounds to the nearest 100 ms: 1,005-1,049 ms all become 1,000.
PAD_MS = 1005


def bucket_like_locust(ms: float) -> int:
    """Locust 2.x rounding of a response time (locust.stats.bucket_response_time)."""
    if ms < 100:
        return round(ms)
    if ms < 1000:
        return int(round(ms, -1))
    if ms < 10000:
        return int(round(ms, -2))
    return int(round(ms, -3))


def percentile_like_locust(values: list[float], share: float) -> int:
    """Locust 2.x percentile over rounded values (locust.stats.calculate_response_time_percentile)."""
    buckets: dict[int, int] = {}
    for value in values:
        buckets[bucket_like_locust(value)] = buckets.get(bucket_like_locust(value), 0) + 1
    expected_rank = int(len(values) * share)
    processed = 0
    for bucket in sorted(buckets, reverse=True):
        processed += buckets[bucket]
        if len(values) - processed <= expected_rank:
            return bucket
    return 0


@pytest.mark.parametrize("url", ["http://10.0.0.5:8000", "http://169.254.169.254/", "http://example.com", "ftp://127.0.0.1/"])
def test_non_loopback_target_is_rejected(url):
    with pytest.raises(HarnessError):
        check_target(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/", "http://localhost:8000", "http://[::1]:8000"])
def test_loopback_target_is_accepted(url):
    assert check_target(url) == url.rstrip("/")


@pytest.fixture(scope="module")
def padded_run(smoke_scenario, redis_server, cache_dir, tmp_path_factory):
    """A short real load run against 'rerank-bench serve' with two workers."""
    plan = LoadPlan(users=(3,), spawn_rate=None, step_duration_s=6, max_requests=500)
    service = ServiceSpec(workers=2, redis_url=redis_server.url, cache=cache_dir,
                          extra_args=("--pad-latency-ms", str(PAD_MS)))
    result, folder = run_load(smoke_scenario, [FAST], plan, service=service,
                              results_dir=tmp_path_factory.mktemp("results"), run_id="padded")
    records = load_stats.read_raw(folder / "raw" / "step-00")
    locust_final = json.loads((folder / "locust-step00_final.json").read_text())
    return result, records, locust_final[load_stats.request_name(FAST)]


def test_raw_count_matches_locust(padded_run):
    _, records, locust = padded_run
    assert len(records) == locust["num_requests"]


def test_raw_values_match_locust_totals(padded_run):
    _, records, locust = padded_run
    latencies = [r["ms"] for r in records]
    assert max(latencies) == pytest.approx(locust["max_response_time"], abs=1e-6)
    assert min(latencies) == pytest.approx(locust["min_response_time"], abs=1e-6)
    assert sum(latencies) == pytest.approx(locust["total_response_time"], rel=1e-9)


def test_locust_p95_is_rounded_raw_p95(padded_run):
    result, records, _ = padded_run
    step = result["load"]["steps"][0]
    assert step["locust_p95_ms"] == percentile_like_locust([r["ms"] for r in records], 0.95)


def test_raw_p95_differs_from_locust_p95(padded_run):
    result, records, _ = padded_run
    step = result["load"]["steps"][0]
    latencies = sorted(r["ms"] for r in records)
    raw_p95 = float(np.percentile(latencies, 95))
    # Locust's p95 is the rounded value of this order statistic.
    locust_order_statistic = latencies[int(len(latencies) * 0.95)]
    assert step["client"]["p95_ms"] == pytest.approx(raw_p95)
    assert step["client"]["p95_ms"] != step["locust_p95_ms"]
    assert step["client"]["p95_ms"] > PAD_MS
    # Rounding to the nearest 100 ms (1 s to 10 s) moves a value by at most 50 ms.
    assert abs(locust_order_statistic - step["locust_p95_ms"]) <= 50


def test_server_stages_recorded_per_request(padded_run):
    _, records, _ = padded_run
    for record in records:
        assert set(record["stages"]) == {"retrieve", "fetch", "assemble", "score", "rank", "pad", "total"}
        assert record["stages"]["total"] >= PAD_MS
        assert record["ms"] >= record["stages"]["total"], "the client saw less time than the server spent"


def test_result_has_load_section(padded_run):
    result, _, _ = padded_run
    load = result["load"]
    assert result["schema_version"] == 1
    assert result["configs"] == []
    assert load["workers"] == 2
    assert load["configs"] == [FAST]
    assert set(load["steps"][0]) >= {"config", "users", "requests", "failures", "achieved_rps", "client",
                                     "locust_p95_ms", "server_stages"}
    assert set(load["saturation"][FAST]) == {"max_rps_meeting_target", "errors_start_rps", "max_achieved_rps"}


def test_max_requests_ends_the_step(smoke_scenario, redis_server, cache_dir, tmp_path):
    settings = smoke_settings(smoke_scenario, redis_server.url, cache_dir)
    plan = LoadPlan(users=(2,), spawn_rate=None, step_duration_s=30, max_requests=5)
    with running_service(settings) as url:
        result, folder = run_load(smoke_scenario, list(settings.configs), plan, target=url,
                                  service=ServiceSpec(cache=cache_dir), results_dir=tmp_path, run_id="bounded")
    sent = sum(step["requests"] for step in result["load"]["steps"])
    locust_final = json.loads((folder / "locust-step00_final.json").read_text())
    assert 0 < sent <= 5
    assert sum(entry["num_requests"] for entry in locust_final.values()) == sent


def _step(config, users, rps, p95, failures=0):
    return {"config": config, "users": users, "achieved_rps": rps, "failures": failures,
            "client": {"p50_ms": p95 / 2, "p95_ms": p95, "p99_ms": p95, "max_ms": p95}}


def test_saturation_picks_highest_rps_within_target():
    steps = [_step("a", 1, 2.0, 100), _step("a", 2, 3.5, 300), _step("a", 4, 4.0, 900), _step("a", 8, 4.1, 2000, failures=3)]
    point = load_stats.saturation(steps, ["a"], 400.0)["a"]
    assert point["max_rps_meeting_target"] == 3.5
    assert point["errors_start_rps"] == 4.1


def test_saturation_is_none_when_target_never_met():
    point = load_stats.saturation([_step("a", 1, 0.8, 1200)], ["a"], 400.0)["a"]
    assert point["max_rps_meeting_target"] is None
    assert point["errors_start_rps"] is None


def test_throughput_ratio_divides_saturation_points():
    saturation = {"fast": {"max_rps_meeting_target": 6.0}, "baseline": {"max_rps_meeting_target": 1.5}}
    assert load_stats.throughput_ratio(saturation, "fast", "baseline")["ratio"] == 4.0


def test_stepping_stops_on_errors():
    assert load_stats.should_stop([_step("a", 4, 3.0, 100, failures=1), _step("b", 4, 3.0, 100)], 400.0) == "errors appeared"


def test_stepping_stops_when_all_exceed_target():
    assert load_stats.should_stop([_step("a", 4, 3.0, 500), _step("b", 4, 3.0, 450)], 400.0) is not None


def test_stepping_goes_on_while_one_meets_target():
    assert load_stats.should_stop([_step("a", 4, 3.0, 500), _step("b", 4, 3.0, 100)], 400.0) is None


def test_small_steps_get_a_warning():
    steps = [dict(_step("a", 1, 0.4, 900), requests=12), dict(_step("b", 1, 0.4, 300), requests=40)]
    warnings = load_stats.step_warnings(steps)
    assert len(warnings) == 1
    assert warnings[0].startswith("a at 1 users: only 12 requests")


def test_peak_ratio_exists_without_target():
    saturation = {
        "fast": {"max_rps_meeting_target": None, "max_achieved_rps": 6.0},
        "baseline": {"max_rps_meeting_target": None, "max_achieved_rps": 1.5},
    }
    assert load_stats.throughput_ratio(saturation, "fast", "baseline")["ratio"] is None
    assert load_stats.peak_throughput_ratio(saturation, "fast", "baseline")["ratio"] == 4.0
