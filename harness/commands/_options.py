"""Options shared by several subcommands."""

from __future__ import annotations

from pathlib import Path

import click

from harness.artifacts import DEFAULT_CACHE

DEFAULT_SCENARIO = Path("scenarios") / "default.toml"

scenario_argument = click.argument(
    "scenario", required=False, default=str(DEFAULT_SCENARIO), type=click.Path(dir_okay=False, path_type=Path)
)
cache_option = click.option(
    "--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_CACHE, show_default=True,
    help="Folder for built artifacts (catalog, model, index); also set by RERANK_BENCH_CACHE.",
)
rebuild_option = click.option("--rebuild", is_flag=True, help="Rebuild the artifacts even when cached.")
redis_option = click.option(
    "--redis-url", default=None, metavar="URL",
    help="Use this Redis instead of starting a private one; only keys under 'rerank-bench:' are written.",
)
results_option = click.option(
    "--results-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("results"), show_default=True,
    help="Folder that receives results/<run-id>/.",
)
