"""The Locust user of ``rerank-bench load``: POST /rank, configurations side by side.

Settings come from the JSON in ``RERANK_BENCH_LOAD``:

    requests_file   JSON list of {"retailer_id", "query"} (the scenario's trace)
    configs         configuration names; user n sends every request to configs[n % len(configs)]
    k               products per response
    raw_dir         folder for the raw latency files
    max_requests    requests each Locust process sends before it stops
    final_stats_file  where the local or master process writes Locust's final statistics

Users are split evenly among the configurations, and each configuration's
users walk the trace in the same order, so every configuration gets the
same queries and the same number of users at the same time. Each
configuration's throughput then depends on its own speed, which a
per-request alternation would hide: it gives every configuration the same
request count. With ``--processes``, each Locust process splits its own
users, so an odd count per process gives one configuration an extra user.

Locust rounds response times into buckets before its percentiles (to 10 ms
between 100 ms and 1 s, see ``locust.stats.bucket_response_time``), so each
process also appends every request's exact latency and its Server-Timing
stages to ``raw_dir/raw-<pid>.jsonl``, one JSON object per line:

    {"config", "ms", "ok", "status", "stages": {name: ms}, "end": unix seconds}

``ms`` is the same float Locust passes to its ``request`` event.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from functools import cache
from pathlib import Path

import gevent
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser
from locust.runners import LocalRunner, WorkerRunner

from harness.load_stats import request_name
from harness.server_timing import parse_header

SETTINGS_VARIABLE = "RERANK_BENCH_LOAD"
CONFIG_HEADER = "X-Rerank-Config"  # the same header harness.service reads
_counter = itertools.count()
_user_numbers = itertools.count()
_trace_positions: dict[str, itertools.count] = {}


@cache
def settings() -> dict:
    return json.loads(os.environ[SETTINGS_VARIABLE])


@cache
def trace() -> list[dict]:
    return json.loads(Path(settings()["requests_file"]).read_text())


@cache
def _raw_file(pid: int):
    # One file per process: --processes forks after import, so the pid in
    # the name keeps the forked processes from sharing a handle.
    folder = Path(settings()["raw_dir"])
    folder.mkdir(parents=True, exist_ok=True)
    return open(folder / f"raw-{pid}.jsonl", "a", buffering=1, encoding="utf-8")


@events.request.add_listener
def record_request(request_type, name, response_time, response_length, response=None, context=None,
                   exception=None, **_) -> None:
    """Append one request's exact latency and server stages to the raw file."""
    context = context or {}
    if "config" not in context:
        return  # not a /rank request of this user
    header = response.headers.get("Server-Timing", "") if response is not None and response.headers else ""
    line = {
        "config": context["config"],
        "ms": response_time,
        "ok": exception is None,
        "status": getattr(response, "status_code", 0) or 0,
        "stages": parse_header(header) if header else {},
        "end": time.time(),
    }
    _raw_file(os.getpid()).write(json.dumps(line) + "\n")


_environment = None


@events.init.add_listener
def keep_environment(environment, **_) -> None:
    global _environment
    _environment = environment


@events.quit.add_listener
def write_final_stats(exit_code, **_) -> None:
    """Write Locust's final statistics per request name, with its own bucketed p95.

    Locust's CSV contains the last periodic snapshot, which can miss the
    requests of the last second, so the final figures are taken here.
    """
    runner = getattr(_environment, "runner", None)
    if runner is None or isinstance(runner, WorkerRunner):
        return  # a worker's statistics are merged into the master's
    final = {
        entry.name: {
            "num_requests": entry.num_requests,
            "num_failures": entry.num_failures,
            "min_response_time": entry.min_response_time,
            "max_response_time": entry.max_response_time,
            "total_response_time": entry.total_response_time,
            "p95": entry.get_response_time_percentile(0.95),
        }
        for entry in runner.stats.entries.values()
    }
    Path(settings()["final_stats_file"]).write_text(json.dumps(final, indent=2))


class RankUser(FastHttpUser):
    """One client sending /rank requests back to back (no think time)."""

    wait_time = constant(0)

    def on_start(self) -> None:
        configs = settings()["configs"]
        self.config = configs[next(_user_numbers) % len(configs)]
        _trace_positions.setdefault(self.config, itertools.count())

    @task
    def rank(self) -> None:
        number = next(_counter)
        if number >= settings()["max_requests"]:
            self._stop_at_request_limit()

        config = self.config
        request = trace()[next(_trace_positions[config]) % len(trace())]
        body = {"retailer_id": request["retailer_id"], "query": request["query"], "k": settings()["k"]}

        with self.client.post(
            "/rank", json=body, headers={CONFIG_HEADER: config}, name=request_name(config),
            context={"config": config}, catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {(response.text or '')[:200]}")

    def _stop_at_request_limit(self) -> None:
        # A single process ends the whole run. A worker of --processes can
        # only stop its own users; the master then ends at the run time.
        # quit() runs in its own greenlet: stopping the users kills this
        # one, which would cut quit() short if it ran here.
        runner = self.environment.runner
        if isinstance(runner, LocalRunner):
            gevent.spawn(runner.quit)
        raise StopUser()
