"""``rerank-bench build``: prepare a scenario's artifacts."""

from __future__ import annotations

import click

from harness.artifacts import describe, ensure_artifacts
from harness.commands._options import cache_option, rebuild_option, scenario_argument
from harness.progress import console
from harness.scenario import load_scenario


@click.command()
@scenario_argument
@cache_option
@rebuild_option
def command(scenario, cache_dir, rebuild) -> None:
    """Build (or reuse) the catalog, query trace, model and index of SCENARIO."""
    loaded = load_scenario(scenario)
    built = ensure_artifacts(loaded, cache_dir, rebuild)
    manifest = describe(built.folder)
    state = "reused" if built.reused else f"built in {manifest['build_seconds']} s"
    console.print(f"artifacts for '{loaded.name}' {state}: {built.folder}")


command.name = "build"
