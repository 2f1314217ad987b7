"""``rerank-bench compare``: the main job."""

from __future__ import annotations

import click

from harness.commands._options import cache_option, rebuild_option, redis_option, results_option, scenario_argument
from harness.compare import run_compare
from harness.report import print_table
from harness.scenario import load_scenario
from harness.progress import stdout_console


@click.command()
@scenario_argument
@click.option(
    "-c", "--config", "configs", multiple=True, metavar="NAME",
    help="Configuration to compare, e.g. 'pipelined_reads+batched_scoring'; repeat it. Default: run.configs of the scenario.",
)
@click.option("--time-budget", type=click.FloatRange(min=0), default=None, help="Seconds of timed work per configuration.")
@click.option("--min-samples", type=click.IntRange(min=1), default=None, help="Minimum timed requests per configuration.")
@click.option("--run-id", default=None, help="Name of the results folder. Default: time and scenario name.")
@redis_option
@cache_option
@results_option
@rebuild_option
def command(scenario, configs, time_budget, min_samples, run_id, redis_url, cache_dir, results_dir, rebuild) -> None:
    """Compare configurations of SCENARIO side by side (default: scenarios/default.toml)."""
    loaded = load_scenario(scenario)
    loaded = _override_run(loaded, time_budget, min_samples)
    result, folder = run_compare(loaded, list(configs) or None, redis_url, cache_dir, results_dir, run_id, rebuild)
    console = stdout_console()
    print_table(result, console)
    console.print(f"results: {folder / 'result.json'} and {folder / 'report.md'}")


def _override_run(scenario, time_budget, min_samples):
    import dataclasses

    changes = {}
    if time_budget is not None:
        changes["time_budget_s"] = time_budget
    if min_samples is not None:
        changes["min_samples"] = min_samples
        changes["max_samples"] = max(scenario.run.max_samples, min_samples)
    if not changes:
        return scenario
    return dataclasses.replace(scenario, run=dataclasses.replace(scenario.run, **changes))


command.name = "compare"
