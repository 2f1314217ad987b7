"""The rerank service over real HTTP, with a real Redis and the smoke scenario."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from harness.server_timing import parse_header
from harness.session import open_session
from harness.workload.base import Request
from tests.serving import SMOKE_CONFIGS, running_service, smoke_settings

FAST = "pipelined_reads+batched_scoring"
# Upper bound for one HTTP call in these tests, in seconds. It is far above
# any expected latency, so it only turns a hung service into a failure.
CALL_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def service(smoke_scenario, redis_server, cache_dir):
    settings = smoke_settings(smoke_scenario, redis_server.url, cache_dir, max_body_bytes=1024, threads=2, max_in_flight=64)
    with running_service(settings) as url:
        yield url


def rank(url, body, config=None, **kwargs):
    headers = {"X-Rerank-Config": config} if config else {}
    return requests.post(f"{url}/rank", json=body, headers=headers, timeout=CALL_TIMEOUT_S, **kwargs)


def test_rank_returns_k_products(service):
    response = rank(service, {"retailer_id": 1, "query": "red lamp", "k": 5})
    products = response.json()["products"]
    assert response.status_code == 200
    assert len(products) == 5
    assert [p["score"] for p in products] == sorted((p["score"] for p in products), reverse=True)


def test_server_timing_lists_every_stage(service):
    response = rank(service, {"retailer_id": 1, "query": "red lamp", "k": 5}, config=FAST)
    timings = parse_header(response.headers["Server-Timing"])
    assert list(timings) == ["retrieve", "fetch", "assemble", "score", "rank", "total"]
    assert all(value >= 0 for value in timings.values())


def test_config_header_picks_pipeline(service):
    for name in SMOKE_CONFIGS:
        assert rank(service, {"retailer_id": 0, "query": "lamp", "k": 3}, config=name).json()["config"] == name


def test_missing_config_header_uses_first(service):
    assert rank(service, {"retailer_id": 0, "query": "lamp", "k": 3}).json()["config"] == SMOKE_CONFIGS[0]


def test_unknown_config_is_404(service):
    response = rank(service, {"retailer_id": 0, "query": "lamp", "k": 3}, config="no_such_stack")
    assert response.status_code == 404
    assert response.json()["field"] == "X-Rerank-Config"


def test_malformed_json_is_400(service):
    response = requests.post(f"{service}/rank", data=b'{"k": 3', timeout=CALL_TIMEOUT_S)
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"query": "lamp", "k": 3}, "retailer_id"),
        ({"retailer_id": 1, "k": 3}, "query"),
        ({"retailer_id": 1, "query": "lamp"}, "k"),
        ({"retailer_id": "1", "query": "lamp", "k": 3}, "retailer_id"),
        ({"retailer_id": 1, "query": ["lamp"], "k": 3}, "query"),
        ({"retailer_id": 1, "query": "lamp", "k": 2.5}, "k"),
    ],
)
def test_invalid_field_is_422(service, body, field):
    response = rank(service, body)
    assert response.status_code == 422
    assert response.json()["field"] == field


@pytest.mark.parametrize("k", [0, 21])
def test_k_out_of_range_is_422(service, k):
    response = rank(service, {"retailer_id": 1, "query": "lamp", "k": k})
    assert response.status_code == 422
    assert response.json()["field"] == "k"


def test_unknown_retailer_is_404(service):
    response = rank(service, {"retailer_id": 99, "query": "lamp", "k": 3})
    assert response.status_code == 404
    assert response.json()["field"] == "retailer_id"


def test_oversized_body_is_413(service):
    response = rank(service, {"retailer_id": 1, "query": "lamp " * 400, "k": 3})
    assert response.status_code == 413
    assert "1024 bytes" in response.json()["error"]


def test_oversized_chunked_body_is_413(service):
    chunks = (b"x" * 512 for _ in range(4))  # a generator body is sent chunked, without Content-Length
    response = requests.post(f"{service}/rank", data=chunks, timeout=CALL_TIMEOUT_S)
    assert response.status_code == 413


def test_error_responses_carry_server_timing(service):
    response = rank(service, {"retailer_id": 99, "query": "lamp", "k": 3})
    assert "total" in parse_header(response.headers["Server-Timing"])


@pytest.mark.parametrize(("method", "path", "status"), [("GET", "/nope", 404), ("GET", "/rank", 405)])
def test_unknown_route_is_json_error(service, method, path, status):
    response = requests.request(method, f"{service}{path}", timeout=CALL_TIMEOUT_S)
    assert response.status_code == status
    assert "POST /rank" in response.json()["error"]
    assert "total" in parse_header(response.headers["Server-Timing"])


def test_healthz_reports_ready(service):
    response = requests.get(f"{service}/healthz", timeout=CALL_TIMEOUT_S)
    assert response.status_code == 200
    assert response.json()["configs"] == list(SMOKE_CONFIGS)


def test_concurrent_responses_match_single_thread(service, smoke_scenario, redis_server, cache_dir):
    trace = [(r.query_text, r.retailer_id) for r in _trace(smoke_scenario, cache_dir)[:12]]
    calls = [(config, query, retailer) for query, retailer in trace for config in SMOKE_CONFIGS]

    with ThreadPoolExecutor(max_workers=6) as pool:
        served = list(pool.map(lambda call: _served_ranking(service, *call), calls))

    with open_session(smoke_scenario, SMOKE_CONFIGS, redis_server.url, cache_dir) as session:
        expected = [_local_ranking(session, *call) for call in calls]

    for call, got, want in zip(calls, served, expected):
        assert got == want, f"{call}: served ranking differs from single-threaded scoring"


def _trace(scenario, cache_dir):
    from harness.artifacts import ensure_artifacts

    return ensure_artifacts(scenario, cache_dir).workload.requests()


def _served_ranking(url, config, query, retailer):
    body = rank(url, {"retailer_id": retailer, "query": query, "k": 20}, config=config).json()
    return [(p["product_id"], p["score"]) for p in body["products"]]


def _local_ranking(session, config, query, retailer):
    context, _ = session.pipeline(config).run(Request(-1, query, retailer, -1))
    position = {p: i for i, p in enumerate(context.candidates.tolist())}
    return [(p, float(context.scores[position[p]])) for p in context.ranking[:20].tolist()]


def test_overloaded_worker_returns_503(smoke_scenario, redis_server, cache_dir):
    # One slow request fills the only slot; the next one must be turned away at once.
    settings = smoke_settings(smoke_scenario, redis_server.url, cache_dir, max_in_flight=1, pad_latency_ms=3000)
    with running_service(settings) as url:
        slow = threading.Thread(target=rank, args=(url, {"retailer_id": 1, "query": "lamp", "k": 3}, FAST))
        slow.start()
        _wait_in_flight(url, 1)
        response = rank(url, {"retailer_id": 1, "query": "lamp", "k": 3}, FAST)
        slow.join()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert "overloaded" in response.json()["error"]


def _wait_in_flight(url, count, timeout_s=30.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if requests.get(f"{url}/healthz", timeout=CALL_TIMEOUT_S).json().get("in_flight") == count:
            return
        time.sleep(0.05)
    raise AssertionError(f"the service never had {count} requests in flight")
