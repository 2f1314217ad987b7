"""``candidate_pruning`` reranks the head of the retrieval list and keeps the tail in order."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from harness.errors import HarnessError
from harness.optimization import parse_configuration
from tests.lossy_support import distinct_requests, first_context, session, with_settings

KEEP = 15


@pytest.fixture()
def pruned(smoke_scenario, redis_server, cache_dir):
    # top_k 40 reaches past the 15 kept candidates into the tail.
    workload = dataclasses.replace(smoke_scenario.workload, top_k=40)
    scenario = with_settings(dataclasses.replace(smoke_scenario, workload=workload), candidate_pruning={"keep": KEEP})
    with session(scenario, ["baseline", "candidate_pruning"], redis_server, cache_dir) as opened:
        yield opened


def test_pruning_keeps_tail_in_retrieval_order(pruned):
    retriever = pruned.runtime.retriever
    for request in distinct_requests(pruned.runtime.workload)[:8]:
        context = first_context(pruned.pipeline("candidate_pruning"), request)
        ids, _ = retriever.search(request, pruned.runtime.scenario.workload.candidates)

        assert context.ranking[KEEP:].tolist() == ids[KEEP:40].tolist()


def test_pruning_reranks_only_kept_head(pruned):
    retriever = pruned.runtime.retriever
    for request in distinct_requests(pruned.runtime.workload)[:8]:
        context = first_context(pruned.pipeline("candidate_pruning"), request)
        ids, _ = retriever.search(request, pruned.runtime.scenario.workload.candidates)

        assert sorted(context.ranking[:KEEP].tolist()) == sorted(ids[:KEEP].tolist())
        assert len(context.scores) == KEEP


def test_pruning_scores_kept_like_baseline(pruned):
    # Kept candidates get the features they have in the full list, so the
    # model gives them the baseline's scores.
    request = distinct_requests(pruned.runtime.workload)[0]
    baseline = first_context(pruned.pipeline("baseline"), request)
    pruned_context = first_context(pruned.pipeline("candidate_pruning"), request)

    assert np.array_equal(np.asarray(pruned_context.scores), np.asarray(baseline.scores)[:KEEP])


@pytest.mark.parametrize("value", [0, -5, 2.5, "all"])
def test_pruning_rejects_invalid_keep(value):
    with pytest.raises(HarnessError, match="keep"):
        parse_configuration("candidate_pruning", {"candidate_pruning": {"keep": value}}, "custom.toml")
