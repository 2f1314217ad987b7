"""``rerank-bench serve``: the rerank path as an HTTP service."""

from __future__ import annotations

import os

import click

from harness.commands._options import cache_option, rebuild_option, redis_option, scenario_argument
from harness.scenario import load_scenario
from harness.server import REDIS_ERROR_MODES, serve
from harness.service import ServiceSettings

host_option = click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
workers_option = click.option(
    "--workers", type=click.IntRange(min=1), default=2, show_default=True, help="Worker processes."
)
configs_option = click.option(
    "-c", "--config", "configs", multiple=True, metavar="NAME",
    help="Configuration to offer, e.g. 'pipelined_reads+batched_scoring'; repeat it. Default: run.configs of the scenario.",
)


def service_options(function):
    """Add the options that shape each worker's service."""
    options = [
        click.option("--max-in-flight", type=click.IntRange(min=1), default=4, show_default=True,
                     help="Requests in flight per worker before /rank returns 503 with Retry-After."),
        click.option("--max-body-bytes", type=click.IntRange(min=64), default=16_384, show_default=True,
                     help="Largest accepted request body in bytes; larger ones get 413."),
        click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True,
                     help="Pipelines running at once per worker."),
        click.option("--openmp-threads", type=click.IntRange(min=0), default=None,
                     help="OpenMP threads per worker for XGBoost; 0 keeps the model's count. Default: cores / workers, at least 1."),
        click.option("--on-redis-error", type=click.Choice(REDIS_ERROR_MODES), default="fail", show_default=True,
                     help="When Redis fails: 'fail' returns 503, 'degrade' returns retrieval order marked degraded."),
        click.option("--pad-latency-ms", type=click.FloatRange(min=0), default=0.0, hidden=True,
                     help="Test aid: hold each /rank response until this many ms have passed in the app."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def default_openmp_threads(workers: int) -> int:
    """Return the cores each worker gets, at least 1, so workers do not oversubscribe them."""
    return max(1, (os.cpu_count() or 1) // workers)


@click.command()
@scenario_argument
@host_option
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="TCP port to listen on.")
@workers_option
@configs_option
@service_options
@redis_option
@cache_option
@rebuild_option
def command(scenario, host, port, workers, configs, max_in_flight, max_body_bytes, threads, openmp_threads,
            on_redis_error, pad_latency_ms, redis_url, cache_dir, rebuild) -> None:
    """Serve POST /rank and GET /healthz for SCENARIO (default: scenarios/default.toml)."""
    loaded = load_scenario(scenario)
    settings = ServiceSettings(
        scenario_path=loaded.path,
        configs=tuple(configs or loaded.run.configs),
        redis_url=redis_url or "",
        cache_dir=str(cache_dir),
        max_body_bytes=max_body_bytes,
        max_in_flight=max_in_flight,
        threads=threads,
        on_redis_error=on_redis_error,
        openmp_threads=default_openmp_threads(workers) if openmp_threads is None else openmp_threads,
        pad_latency_ms=pad_latency_ms,
    )
    serve(settings, host, port, workers, rebuild)


command.name = "serve"
