"""Benchmarks of each stage an optimization touches and of each configuration's whole path.

Group ``stage <name>`` contains the baseline's and every optimization's
implementation of that stage, and group ``whole path`` every configuration.
``pytest tests/benchmarks --benchmark-compare`` then lines up each group
against a saved run. Every benchmark also checks its configuration's
ranking: lossless configurations must return the baseline's exactly.
"""

from __future__ import annotations

import copy

import numpy as np

from harness.pipeline import RequestContext

STAGE_ROUNDS = 7  # fresh inputs per round, so pytest-benchmark cannot calibrate rounds itself


def _split(pipeline, stage_name):
    names = list(pipeline.stage_names)
    position = names.index(stage_name)
    return pipeline.stages[:position], pipeline.stages[position], pipeline.stages[position + 1 :]


def _check_ranking(bench, config, ranking):
    top_k = bench.session.runtime.scenario.workload.top_k
    assert len(ranking) == min(top_k, len(bench.baseline_ranking)), f"{config} returned {len(ranking)} results"
    if bench.lossless[config]:
        np.testing.assert_array_equal(ranking, bench.baseline_ranking, err_msg=f"{config} changed the ranking")


def test_stage(benchmark, bench, stage_case):
    config, stage = stage_case
    benchmark.group = f"stage {stage}"
    pipeline = bench.session.pipeline(config)
    before, timed, after = _split(pipeline, stage)

    prepared = _run_stages(bench.request, before)
    last = []

    def fresh_context():
        # A deep copy per round: a stage may change its inputs in place.
        last.append(copy.deepcopy(prepared))
        return (last[-1],), {}

    benchmark.pedantic(timed, setup=fresh_context, rounds=STAGE_ROUNDS, warmup_rounds=1)

    context = last[-1]
    for stage_after in after:
        stage_after(context)
    _check_ranking(bench, config, context.ranking)


def _run_stages(request, stages):
    context = RequestContext(request)
    for stage in stages:
        stage(context)
    return context


def test_whole_path(benchmark, bench, config):
    benchmark.group = "whole path"
    pipeline = bench.session.pipeline(config)

    context, timings = benchmark(pipeline.run, bench.request)

    assert len(timings) == len(pipeline.stages)
    _check_ranking(bench, config, context.ranking)
