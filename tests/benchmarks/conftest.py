"""Fixtures of the benchmark suite: the workload, one session, discovered configurations.

The configurations come from the optimization registry: the baseline, each
available optimization alone, and the stack of every available one that
does not conflict with those before it. A new optimization gets its stage
and whole-path benchmarks without edits here.

Timed runs use ``tests/benchmarks/bench.toml``. Runs with
``--benchmark-disable`` (CI) use the smoke scenario, because each benchmark
then runs once as a correctness check and only needs to be quick.
``--bench-scenario PATH`` or ``RERANK_BENCH_SCENARIO`` picks another one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from harness.artifacts import DEFAULT_CACHE
from harness.optimization import BASELINE, registry
from harness.pipeline import STAGES
from harness.scenario import load_scenario
from harness.session import open_session
from harness.workload.base import Request

HERE = Path(__file__).resolve().parent
TIMED_SCENARIO = HERE / "bench.toml"
CHECK_SCENARIO = HERE.parent.parent / "scenarios" / "smoke.toml"
REQUEST_POSITION = 5  # a trace position past the warm-up requests


def pytest_addoption(parser):
    parser.addoption("--bench-scenario", default=None, metavar="PATH",
                     help="Scenario the benchmarks run (default: tests/benchmarks/bench.toml; smoke with --benchmark-disable).")


def pytest_generate_tests(metafunc):
    # Parametrized here, from the registry, so new optimizations need no edits.
    if "stage_case" in metafunc.fixturenames:
        cases = stage_cases()
        metafunc.parametrize("stage_case", cases, ids=[f"{stage}-{config}" for config, stage in cases])
    if "config" in metafunc.fixturenames:
        metafunc.parametrize("config", configurations())


def available_optimizations() -> dict[str, type]:
    return {name: cls for name, cls in registry().items() if cls.unavailable_reason() is None}


def full_stack() -> str | None:
    """Return every available optimization that conflicts with none before it, as one configuration."""
    known = available_optimizations()
    # async_overlap replaces fetch, assemble and score with one stage built
    # from those before it, so it must come last in a configuration.
    ordered = sorted(known, key=lambda name: name == "async_overlap")
    chosen: list[str] = []
    for name in ordered:
        cls = known[name]
        clashes = any(name in known[other].conflicts or other in cls.conflicts for other in chosen)
        if not clashes:
            chosen.append(name)
    return "+".join(chosen) if len(chosen) > 1 else None


def configurations() -> list[str]:
    names = [BASELINE, *available_optimizations()]
    stack = full_stack()
    return names + ([stack] if stack else [])


def stage_cases() -> list[tuple[str, str]]:
    """Return (configuration, stage) pairs: each optimization's stages, and the baseline's of the same names."""
    cases = []
    for name, cls in available_optimizations().items():
        cases += [(name, stage) for stage in cls.stages]
    touched = sorted({stage for _, stage in cases if stage in STAGES}, key=STAGES.index)
    return [(BASELINE, stage) for stage in touched] + cases


@dataclass
class Bench:
    """One session over every benchmarked configuration, and the request they run."""

    session: object
    request: Request
    baseline_ranking: np.ndarray
    lossless: dict[str, bool]


def _scenario_path(config) -> Path:
    chosen = config.getoption("--bench-scenario") or os.environ.get("RERANK_BENCH_SCENARIO")
    if chosen:
        return Path(chosen)
    return CHECK_SCENARIO if config.getoption("benchmark_disable") else TIMED_SCENARIO


@pytest.fixture(scope="session")
def bench(request, redis_server, cache_dir):
    scenario = load_scenario(_scenario_path(request.config))
    # Timed runs keep their artifacts between runs; check runs use the test cache.
    cache = cache_dir if request.config.getoption("benchmark_disable") else DEFAULT_CACHE
    with open_session(scenario, configurations(), redis_server.url, cache) as session:
        trace = session.runtime.workload.requests()
        chosen = trace[REQUEST_POSITION % len(trace)]
        context, _ = session.pipeline(BASELINE).run(chosen)
        lossless = {config.name: config.lossless for config in session.configs}
        yield Bench(session, chosen, context.ranking, lossless)
