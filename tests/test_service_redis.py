"""The service while Redis stops and comes back on the same port."""

from __future__ import annotations

import dataclasses

import time

import pytest
import requests

from harness.redis_server import ManagedRedis, free_port
from tests.serving import running_service, smoke_settings

FAST = "pipelined_reads+batched_scoring"
BODY = {"retailer_id": 2, "query": "blue lamp", "k": 10}
# Upper bound for waits in these tests, in seconds; only there so a broken
# service fails instead of hanging.
WAIT_S = 60


@pytest.fixture()
def restartable_redis():
    """A private redis-server on a fixed port, so it can restart at the same URL."""
    server = ManagedRedis(port=free_port())
    server.start()
    yield server
    server.stop()


def rank(url, config=FAST):
    return requests.post(f"{url}/rank", json=BODY, headers={"X-Rerank-Config": config}, timeout=WAIT_S)


def health(url):
    return requests.get(f"{url}/healthz", timeout=WAIT_S)


def wait_for_status(call, status):
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        response = call()
        if response.status_code == status:
            return response
        time.sleep(0.1)
    raise AssertionError(f"no {status} answer within {WAIT_S} s; last: {response.status_code} {response.text}")


def test_service_recovers_after_redis_restart(smoke_scenario, cache_dir, restartable_redis):
    settings = smoke_settings(smoke_scenario, restartable_redis.url, cache_dir)
    with running_service(settings) as url:
        before = {config: rank(url, config).json()["products"] for config in settings.configs}

        restartable_redis.stop()
        failed = rank(url)
        unhealthy = health(url)

        restartable_redis.start()  # empty: no persistence, so the service must reload it
        wait_for_status(lambda: health(url), 200)
        after = {config: wait_for_status(lambda: rank(url, config), 200).json()["products"] for config in settings.configs}

    assert failed.status_code == 503
    assert "Redis" in failed.json()["error"]
    assert failed.headers["Retry-After"] == "1"
    assert unhealthy.status_code == 503
    assert after == before


def test_degrade_mode_returns_retrieval_order(smoke_scenario, cache_dir, restartable_redis):
    settings = smoke_settings(smoke_scenario, restartable_redis.url, cache_dir, on_redis_error="degrade")
    with running_service(settings) as url:
        normal = rank(url).json()
        restartable_redis.stop()
        degraded = rank(url)

    assert normal["degraded"] is False
    assert degraded.status_code == 200
    assert degraded.json()["degraded"] is True
    assert len(degraded.json()["products"]) == BODY["k"]


def test_healthz_is_503_until_loaded(smoke_scenario, cache_dir, restartable_redis):
    restartable_redis.stop()  # the session cannot load without Redis
    settings = smoke_settings(smoke_scenario, restartable_redis.url, cache_dir)
    with running_service(settings, wait=False) as url:
        loading = wait_for_status(lambda: health(url), 503)
        not_ready_rank = rank(url)
        restartable_redis.start()
        ready = wait_for_status(lambda: health(url), 200)

    assert loading.json()["status"] == "loading"
    assert not_ready_rank.status_code == 503
    assert ready.json()["status"] == "ready"


def test_restart_reloads_packed_layout(smoke_scenario, cache_dir, restartable_redis):
    packed = "packed_features+batched_scoring"
    settings = dataclasses.replace(
        smoke_settings(smoke_scenario, restartable_redis.url, cache_dir), configs=("baseline", packed)
    )
    with running_service(settings) as url:
        before = rank(url, packed).json()["products"]

        restartable_redis.stop()
        failed = rank(url, packed)  # the failure makes the worker check the store at once
        restartable_redis.start()  # empty: every layout must be loaded again
        wait_for_status(lambda: health(url), 200)
        baseline_after = wait_for_status(lambda: rank(url, "baseline"), 200).json()["products"]
        after = wait_for_status(lambda: rank(url, packed), 200).json()["products"]

    assert failed.status_code == 503
    assert after == before
    assert [p["product_id"] for p in after] == [p["product_id"] for p in baseline_after]
