"""Pipelines give identical results from threads and from a forked child.

XGBoost runs OpenMP threads and redis-py keeps sockets; a child forked after
the parent used both must neither hang nor return different rankings.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

import dataclasses

import pytest

from harness import openmp
from harness.session import open_session
from harness.workload.base import Request
from tests.serving import SMOKE_CONFIGS

# Seconds the forked child may take; a hang after fork fails the test here.
CHILD_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def session(smoke_scenario, redis_server, cache_dir):
    # Two model threads, so predictions open OpenMP teams in the parent.
    scenario = dataclasses.replace(smoke_scenario, model=dataclasses.replace(smoke_scenario.model, threads=2))
    with open_session(scenario, SMOKE_CONFIGS, redis_server.url, cache_dir) as opened:
        yield opened


@pytest.fixture(scope="module")
def calls(session):
    trace = session.runtime.workload.requests()[:10]
    return [(config, r.query_text, r.retailer_id) for r in trace for config in SMOKE_CONFIGS]


def ranking(session, config, query, retailer):
    context, _ = session.pipeline(config).run(Request(-1, query, retailer, -1))
    return context.ranking.tolist(), [float(s) for s in context.scores]


def test_threads_match_single_thread(session, calls):
    expected = [ranking(session, *call) for call in calls]
    with ThreadPoolExecutor(max_workers=4) as pool:
        concurrent = list(pool.map(lambda call: ranking(session, *call), calls))
    assert concurrent == expected


def _child(session, calls, connection):
    connection.send([ranking(session, *call) for call in calls])
    connection.close()


def test_forked_child_matches_parent(session, calls):
    openmp.install_fork_hook()
    expected = [ranking(session, *call) for call in calls]  # the parent uses XGBoost and Redis first
    receiver, sender = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(target=_child, args=(session, calls, sender))
    child.start()
    sender.close()

    ready = receiver.poll(CHILD_TIMEOUT_S)
    forked = receiver.recv() if ready else None
    child.join(timeout=10)
    if child.is_alive():
        child.kill()
    assert ready, f"forked child gave no answer within {CHILD_TIMEOUT_S} s"
    assert forked == expected
