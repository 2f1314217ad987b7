"""``cascade``: the first-pass model's top candidates, and only they, get full features."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from harness.errors import HarnessError
from harness.optimization import parse_configuration
from tests.conftest import requires_ltr
from tests.lossy_support import distinct_requests, first_context, session, with_settings

KEEP = 20
SETTINGS = {"keep": KEEP, "features": 12, "stored_features": 4, "trees": 10, "max_depth": 3}


def _open(scenario, redis_server, cache_dir, top_k=None):
    if top_k is not None:
        scenario = dataclasses.replace(scenario, workload=dataclasses.replace(scenario.workload, top_k=top_k))
    scenario = with_settings(scenario, cascade=SETTINGS)
    return session(scenario, ["baseline", "cascade"], redis_server, cache_dir)


def _cascade(opened):
    config = next(c for c in opened.configs if c.name == "cascade")
    return config.optimizations[0]


def _expected_survivors(opened, request):
    # The first-pass model's scores, computed from the in-memory workload.
    runtime, cascade = opened.runtime, _cascade(opened)
    ids, bm25 = runtime.retriever.search(request, runtime.scenario.workload.candidates)
    matrix = runtime.workload.feature_matrix(request, ids, bm25)
    scores = cascade.booster.inplace_predict(matrix[:, cascade.columns], missing=np.nan)
    order = np.argsort(-scores, kind="stable")
    return ids, order


def test_cascade_keeps_first_pass_top(smoke_scenario, redis_server, cache_dir):
    with _open(smoke_scenario, redis_server, cache_dir) as opened:
        for request in distinct_requests(opened.runtime.workload)[:8]:
            ids, order = _expected_survivors(opened, request)
            context = first_context(opened.pipeline("cascade"), request)

            assert context.candidates.tolist() == ids[np.sort(order[:KEEP])].tolist()


def test_cascade_fetches_only_survivors(smoke_scenario, redis_server, cache_dir):
    with _open(smoke_scenario, redis_server, cache_dir) as opened:
        request = distinct_requests(opened.runtime.workload)[0]
        opened.runtime.client.config_resetstat()
        first_context(opened.pipeline("cascade"), request)
        stats = opened.runtime.client.info("commandstats")

        # One HGETALL per survivor, plus the retailer's hash read by the
        # prefilter and by fetch; the cheap layout is one MGET.
        assert stats["cmdstat_hgetall"]["calls"] == KEEP + 2
        assert stats["cmdstat_mget"]["calls"] == 1


def test_cascade_scores_survivors_like_baseline(smoke_scenario, redis_server, cache_dir):
    # Survivors keep their full-list features, so the full model scores
    # them exactly as the baseline does.
    with _open(smoke_scenario, redis_server, cache_dir) as opened:
        request = distinct_requests(opened.runtime.workload)[0]
        baseline = first_context(opened.pipeline("baseline"), request)
        context = first_context(opened.pipeline("cascade"), request)
        positions = context.extra["positions"]

        assert np.array_equal(np.asarray(context.scores), np.asarray(baseline.scores)[positions])


def test_cascade_appends_rest_in_first_pass_order(smoke_scenario, redis_server, cache_dir):
    with _open(smoke_scenario, redis_server, cache_dir, top_k=30) as opened:
        request = distinct_requests(opened.runtime.workload)[0]
        ids, order = _expected_survivors(opened, request)
        context = first_context(opened.pipeline("cascade"), request)

        assert context.ranking[KEEP:].tolist() == ids[order[KEEP:30]].tolist()


@requires_ltr
def test_cascade_uses_stored_columns_on_ltr(ltr_scenario, redis_server, cache_dir):
    with _open(ltr_scenario, redis_server, cache_dir) as opened:
        cascade = _cascade(opened)
        request = distinct_requests(opened.runtime.workload)[0]
        ids, order = _expected_survivors(opened, request)
        context = first_context(opened.pipeline("cascade"), request)

        assert cascade.columns == cascade.stored_columns
        assert len(cascade.columns) == SETTINGS["features"]
        assert context.candidates.tolist() == ids[np.sort(order[:KEEP])].tolist()


@pytest.mark.parametrize("key", ["keep", "features", "trees"])
def test_cascade_rejects_invalid_setting(key):
    with pytest.raises(HarnessError, match=key):
        parse_configuration("cascade", {"cascade": {key: 0}}, "custom.toml")
