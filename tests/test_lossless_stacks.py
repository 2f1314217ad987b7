"""Every lossless optimization of this set, alone and stacked: baseline rankings on every query.

Each distinct (query, retailer) request of the smoke scenario and of the
LightGBM learning-to-rank sample runs through the baseline and through each
configuration, in one session per scenario. Rankings must be identical and
scores equal within float32 rounding.

On the learning-to-rank sample (300 candidates per query), the fetch-only
optimizations run stacked on ``batched_scoring``: alone they would repeat
the baseline's 300 one-row XGBoost calls per query, which take minutes on a
loaded 2-core machine and prove nothing the smoke scenario does not.
"""

from __future__ import annotations

import pytest

from tests.conftest import requires_ltr
from lossless_check import assert_matches_baseline, run_every_query

ALONE = [
    "packed_features",
    "python_parser",
    "numba_forest",
    "treelite_compiled",
    "treelite_gtil",
    "quantized_features",
]
STACKS = [
    "pipelined_reads+python_parser",
    "packed_features+python_parser",
    "packed_features+batched_scoring",
    "batched_scoring+numba_forest",
    "pipelined_reads+batched_scoring+numba_forest",
    "packed_features+batched_scoring+numba_forest",
    "packed_features+treelite_compiled",
    "packed_features+batched_scoring+treelite_compiled",
    "packed_features+batched_scoring+treelite_gtil",
    "python_parser+quantized_features",
]

LTR_CONFIGS = [
    "numba_forest",
    "treelite_compiled",
    "treelite_gtil",
    "quantized_features",
    "packed_features+batched_scoring",
    "python_parser+batched_scoring",
    "pipelined_reads+python_parser+batched_scoring",
    "packed_features+python_parser+batched_scoring+numba_forest",
    "packed_features+batched_scoring+treelite_compiled",
    "pipelined_reads+batched_scoring+treelite_gtil",
]


@pytest.fixture(scope="module")
def smoke_outputs(smoke_scenario, redis_server, cache_dir):
    return run_every_query(smoke_scenario, ALONE + STACKS, redis_server.url, cache_dir)


@pytest.mark.parametrize("config", ALONE + STACKS)
def test_smoke_rankings_match_baseline(smoke_outputs, config):
    assert_matches_baseline({"baseline": smoke_outputs["baseline"], config: smoke_outputs[config]})


@requires_ltr
def test_ltr_rankings_match_baseline(ltr_scenario, redis_server, cache_dir):
    outputs = run_every_query(ltr_scenario, LTR_CONFIGS, redis_server.url, cache_dir)
    assert_matches_baseline(outputs)
