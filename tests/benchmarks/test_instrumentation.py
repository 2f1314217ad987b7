"""The cost of timing a stage: a pipeline of no-op stages against calling them bare.

The difference per stage is what ``Pipeline.run``'s instrumentation adds to
every number it reports; it should stay well under a microsecond. Compare
the two benchmarks' means: (timed - bare) / STAGE_COUNT.
"""

from __future__ import annotations

from harness.pipeline import Pipeline, RequestContext

STAGE_COUNT = 5
LOOPS = 10_000  # calls per round, so one round is long enough to time well


class NoOp:
    def __init__(self, name: str):
        self.name = name

    def __call__(self, context) -> None:
        return None


def _stages():
    return [NoOp(f"stage{i}") for i in range(STAGE_COUNT)]


def test_bare_stage_calls(benchmark):
    benchmark.group = "instrumentation (10,000 requests of 5 no-op stages)"
    stages = _stages()

    def bare():
        for _ in range(LOOPS):
            context = RequestContext(None)
            for stage in stages:
                stage(context)

    benchmark(bare)


def test_timed_stage_calls(benchmark):
    benchmark.group = "instrumentation (10,000 requests of 5 no-op stages)"
    pipeline = Pipeline("no-op", _stages())

    def timed():
        for _ in range(LOOPS):
            pipeline.run(None)

    benchmark(timed)
    _, timings = pipeline.run(None)
    assert len(timings) == STAGE_COUNT
