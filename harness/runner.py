"""Run configurations side by side, interleaved request by request.

Every configuration runs in this process against the same Redis. Each step
takes the next request of the trace and runs it through every configuration
that still needs samples, starting with a different configuration each
step. A machine that drifts (thermal throttling, a neighbour's load) then
slows all configurations alike, and the paired speedup cancels the drift.

A configuration needs samples until it has ``min_samples`` and has spent
``time_budget_s`` in timed runs, so a 1 s baseline and a 10 ms
configuration get very different sample counts in the same wall time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import redis

from harness.optimization import Configuration
from harness.pipeline import Pipeline
from harness.scenario import RunSpec
from harness.workload.base import Request

log = logging.getLogger(__name__)


@dataclass
class Samples:
    """Timings and rankings of one configuration."""

    config: Configuration
    pipeline: Pipeline
    steps: list[int] = field(default_factory=list)  # step number of each sample
    total_ns: list[int] = field(default_factory=list)
    stage_ns: list[list[int]] = field(default_factory=list)  # per sample, per stage
    rankings: dict[int, np.ndarray] = field(default_factory=dict)  # step -> top-k ids
    spent_ns: int = 0

    def needs_more(self, spec: RunSpec) -> bool:
        count = len(self.total_ns)
        if count >= spec.max_samples:
            return False
        return count < spec.min_samples or self.spent_ns < spec.time_budget_s * 1e9

    def record(self, step: int, timings: list[int], ranking: np.ndarray) -> None:
        total = sum(timings)
        self.steps.append(step)
        self.total_ns.append(total)
        self.stage_ns.append(timings)
        self.rankings[step] = ranking
        self.spent_ns += total

    def stage_series(self) -> dict[str, np.ndarray]:
        """Return each stage's timings as an array, by stage name."""
        matrix = np.array(self.stage_ns, dtype=np.int64).reshape(len(self.stage_ns), len(self.pipeline.stage_names))
        return {name: matrix[:, i] for i, name in enumerate(self.pipeline.stage_names)}


@dataclass
class RawRun:
    """Everything a comparison measured, before statistics."""

    samples: list[Samples]
    step_requests: dict[int, Request]
    complete: bool
    stopped: str | None
    wall_seconds: float


def run_comparison(
    configs: list[Configuration],
    pipelines: list[Pipeline],
    requests: list[Request],
    spec: RunSpec,
    advance: Callable[[float], None] | None = None,
) -> RawRun:
    """Warm up, then run the configurations interleaved until each is done."""
    started = time.monotonic()
    samples = [Samples(c, p) for c, p in zip(configs, pipelines)]
    step_requests: dict[int, Request] = {}
    stopped = None
    step = 0
    current: tuple[Request, Configuration] | None = None  # what ran when a failure struck

    try:
        _warm_up(pipelines, requests, spec.warmup)
        for config in configs:
            for optimization in config.optimizations:
                optimization.reset_metrics()
        while any(s.needs_more(spec) for s in samples):
            request = requests[(spec.warmup + step) % len(requests)]
            step_requests[step] = request
            rotation = step % len(samples)
            for entry in samples[rotation:] + samples[:rotation]:
                if entry.needs_more(spec):
                    current = (request, entry.config)
                    context, timings = entry.pipeline.run(request)
                    entry.record(step, timings, context.ranking)
                    if advance:
                        advance(min(sum(timings) / 1e9, spec.time_budget_s))
            step += 1
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        stopped = f"Redis failed at {_position(step, current)}: {exc}"
        log.warning("run stopped early: %s", stopped)
    except KeyboardInterrupt:
        stopped = f"interrupted by Ctrl-C or SIGTERM at {_position(step, current)}"
        log.warning("run stopped early: %s", stopped)

    return RawRun(samples, step_requests, stopped is None, stopped, time.monotonic() - started)


def _position(step: int, current: tuple[Request, Configuration] | None) -> str:
    if current is None:
        return "warm-up"
    request, config = current
    return f"request {step} (trace position {request.index}) in configuration {config.name}"


def _warm_up(pipelines: list[Pipeline], requests: list[Request], count: int) -> None:
    # Warm-up fills caches, JIT-compiles and opens connections; untimed.
    for request in requests[:count]:
        for pipeline in pipelines:
            pipeline.run(request)
