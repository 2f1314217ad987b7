"""``rerank-bench profile``: a flame graph and a speedscope profile of one configuration."""

from __future__ import annotations

import time
from pathlib import Path

import click

from harness import profiling
from harness.commands._options import cache_option, redis_option, results_option, scenario_argument
from harness.errors import HarnessError
from harness.results import write_text_atomic
from harness.scenario import load_scenario
from harness.session import parse_configurations
from harness.progress import stdout_console


@click.command()
@scenario_argument
@click.option("-c", "--config", "config", default="baseline", show_default=True, metavar="NAME",
              help="Configuration to profile, e.g. 'pipelined_reads+batched_scoring'.")
@click.option("--format", "formats", type=click.Choice(sorted(profiling.FORMATS)), multiple=True,
              help="Output to write; repeat for both. Default: flamegraph and speedscope.")
@click.option("--requests", type=click.IntRange(min=1), default=200, show_default=True,
              help="Stop after this many requests.")
@click.option("--seconds", type=click.FloatRange(min=0.1), default=20.0, show_default=True,
              help="Stop after this many seconds of requests, whichever bound comes first.")
@click.option("--rate", type=click.IntRange(min=1, max=1000), default=100, show_default=True,
              help="Samples per second.")
@click.option("--native", is_flag=True, help="Include native (C/C++) frames, e.g. inside XGBoost and hiredis.")
@click.option("--run-id", default=None,
              help="Results folder to write into; may be an existing run, e.g. a comparison. Default: time, scenario and configuration.")
@redis_option
@cache_option
@results_option
def command(scenario, config, formats, requests, seconds, rate, native, run_id, redis_url, cache_dir, results_dir) -> None:
    """Sample one configuration of SCENARIO with py-spy and summarize where its time goes."""
    loaded = load_scenario(scenario)
    name = parse_configurations(loaded, [config])[0].name
    py_spy = profiling.preflight()
    formats = formats or tuple(sorted(profiling.FORMATS))

    folder = results_dir / (run_id or f"{time.strftime('%Y%m%d-%H%M%S')}-{loaded.name}-profile")
    outputs = {fmt: folder / f"profile-{name}.{profiling.FORMATS[fmt]}" for fmt in formats}
    _reject_existing(list(outputs.values()))
    folder.mkdir(parents=True, exist_ok=True)

    target = profiling.Target(Path(loaded.path), name, cache_dir, redis_url, requests, seconds)
    counts = {fmt: profiling.record(py_spy, target, output, fmt, rate, native) for fmt, output in outputs.items()}

    console = stdout_console()
    for output in outputs.values():
        console.print(f"wrote {output}")
    if "speedscope" in outputs:
        _write_summary(outputs["speedscope"], folder, name, loaded.name, counts["speedscope"], console)


def _reject_existing(paths: list[Path]) -> None:
    for path in paths:
        if path.exists():
            raise HarnessError(f"profile {path} already exists; choose another --run-id or --config")


def _write_summary(speedscope: Path, folder: Path, config: str, scenario: str, requests, console) -> None:
    summary = profiling.summarize_speedscope(speedscope)
    text = profiling.summary_markdown(summary, config, scenario, requests)
    path = folder / f"profile-summary-{config}.md"
    write_text_atomic(path, text)
    console.print(text)
    console.print(f"summary: {path}")
    if summary.loop_seconds == 0:
        console.print("[yellow]warning:[/yellow] no samples fell inside the request loop; raise --seconds or --requests")


command.name = "profile"
