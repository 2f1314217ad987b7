"""``rerank-bench sweep``: how each configuration's p95 grows with one workload parameter."""

from __future__ import annotations

import click

from harness import sweep
from harness.commands._options import cache_option, redis_option, results_option, scenario_argument
from harness.commands.compare import _override_run
from harness.scenario import load_scenario
from harness.progress import stdout_console


@click.command()
@scenario_argument
@click.option("--param", "param", required=True, metavar="NAME=V1,V2,...",
              help=f"Parameter and its values, e.g. {sweep.EXAMPLE}; one of {', '.join(sorted(sweep.PARAMETERS))}.")
@click.option("-c", "--config", "configs", multiple=True, metavar="NAME",
              help="Configuration to compare at each value; repeat it. Default: run.configs of the scenario.")
@click.option("--time-budget", type=click.FloatRange(min=0), default=None,
              help="Seconds of timed work per configuration at each value.")
@click.option("--min-samples", type=click.IntRange(min=1), default=None,
              help="Minimum timed requests per configuration at each value.")
@click.option("--run-id", default=None, help="Name of the results folder. Default: time, scenario and parameter.")
@redis_option
@cache_option
@results_option
def command(scenario, param, configs, time_budget, min_samples, run_id, redis_url, cache_dir, results_dir) -> None:
    """Compare configurations of SCENARIO at each value of one parameter and fit p95 growth."""
    name, values = sweep.parse_param(param)
    loaded = _override_run(load_scenario(scenario), time_budget, min_samples)
    result, folder = sweep.run_sweep(loaded, name, values, list(configs) or None, redis_url, cache_dir, results_dir, run_id)

    console = stdout_console()
    console.print(sweep.sweep_markdown(result))
    console.print(f"results: {folder / 'result.json'} and {folder / 'report.md'}")


command.name = "sweep"
