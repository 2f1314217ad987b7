"""Helpers shared by the tests of caching, overlap and the lossy optimizations."""

from __future__ import annotations

import contextlib
import dataclasses

from harness.session import open_session


def with_settings(scenario, **settings):
    """Return the scenario with these [optimizations.<name>] tables."""
    return dataclasses.replace(scenario, optimizations=settings)


@contextlib.contextmanager
def session(scenario, configs, redis_server, cache_dir):
    """Open a session of these configurations on the test Redis."""
    with open_session(scenario, list(configs), redis_url=redis_server.url, cache=cache_dir) as opened:
        yield opened


def distinct_requests(workload):
    """Return the first request of every distinct query in the trace."""
    seen, chosen = set(), []
    for request in workload.requests():
        if request.query_id not in seen:
            seen.add(request.query_id)
            chosen.append(request)
    return chosen


def rankings(pipeline, requests):
    """Return the ranking of each request as a list of id lists."""
    return [pipeline.run(request)[0].ranking.tolist() for request in requests]


def first_context(pipeline, request):
    """Run one request and return its final context."""
    return pipeline.run(request)[0]
