"""``rerank-bench load``: Locust against the rerank service."""

from __future__ import annotations

from pathlib import Path

import click

from harness.commands._options import cache_option, redis_option, results_option, scenario_argument
from harness.commands.serve import workers_option
from harness.errors import HarnessError
from harness.loadtest import LoadPlan, ServiceSpec, run_load
from harness.scenario import load_scenario
from harness.progress import stdout_console


def parse_users(text: str) -> tuple[int, ...]:
    """Parse '4' or '1,2,4,8' into user counts."""
    try:
        counts = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise HarnessError(f"invalid --users {text!r}; use a count such as 4 or steps such as 1,2,4,8") from None
    if not counts or any(count < 1 for count in counts):
        raise HarnessError(f"invalid --users {text!r}; every user count must be at least 1")
    return counts


@click.command()
@scenario_argument
@click.option(
    "-c", "--config", "configs", multiple=True, metavar="NAME",
    help="Configuration to load, interleaved request by request with the others; repeat it. Default: run.configs of the scenario.",
)
@click.option("--users", default="4", show_default=True, metavar="N[,N...]",
              help="Concurrent Locust users per configuration; a comma list runs one step per count until p95 exceeds the target or errors appear.")
@click.option("--spawn-rate", type=click.FloatRange(min=0.1), default=None, help="Users started per second. Default: a step's users within 1 s.")
@click.option("--duration", type=click.FloatRange(min=1, max=3600), default=30.0, show_default=True, help="Seconds per step.")
@click.option("--max-requests", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Requests per step, over all Locust processes, after which the step stops.")
@click.option("--all-steps", is_flag=True, help="Run every step of --users, even after errors or after every p95 exceeds the target.")
@click.option("--processes", type=click.IntRange(min=1), default=1, show_default=True,
              help="Locust processes; above 1, Locust forks its own master and workers.")
@click.option("-k", "k", type=click.IntRange(min=1), default=10, show_default=True, help="Products per response.")
@click.option("--host", "target", default=None, metavar="URL",
              help="Load a running service on a loopback address (e.g. http://127.0.0.1:8000) instead of starting one.")
@workers_option
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Pipelines running at once in one service worker. Default: one per configuration, so a fast "
                   "configuration's requests do not wait behind a slow one's.")
@click.option("--max-in-flight", type=click.IntRange(min=1), default=None,
              help="Requests in flight per service worker before it returns 503. Default: 4 per pipeline thread.")
@click.option("--run-id", default=None, help="Name of the results folder. Default: time and scenario name.")
@redis_option
@cache_option
@results_option
def command(scenario, configs, users, spawn_rate, duration, max_requests, all_steps, processes, k, target, workers,
            threads, max_in_flight, run_id, redis_url, cache_dir, results_dir) -> None:
    """Load-test the rerank service of SCENARIO with Locust, configurations side by side."""
    loaded = load_scenario(scenario)
    if k > loaded.workload.top_k:
        raise HarnessError(f"invalid -k {k}: the service returns at most workload.top_k = {loaded.workload.top_k} products; lower -k")
    plan = LoadPlan(parse_users(users), spawn_rate, duration, max_requests, processes, k, stop_at_target=not all_steps)
    names = list(configs or loaded.run.configs)
    threads = threads or len(names)
    max_in_flight = max_in_flight or 4 * threads
    extra = ("--threads", str(threads), "--max-in-flight", str(max_in_flight))
    service = ServiceSpec(workers=workers, redis_url=redis_url, cache=Path(cache_dir), extra_args=extra)
    result, folder = run_load(loaded, names, plan, target, service, results_dir, run_id)

    console = stdout_console()
    for config, point in result["load"]["saturation"].items():
        meeting = _rps(point["max_rps_meeting_target"])
        errors = _rps(point["errors_start_rps"])
        console.print(f"{config}: highest rps meeting the p95 target {meeting}, errors start at {errors}")
    console.print(f"results: {Path(folder) / 'result.json'} and {Path(folder) / 'report.md'}")


def _rps(value: float | None) -> str:
    return "not reached" if value is None else f"{value:.2f}"


command.name = "load"
