"""``feature_selection`` trains on the top features by gain and reads only their fields."""

from __future__ import annotations

import pytest

from harness.errors import HarnessError
from harness.optimization import parse_configuration
from harness.subset_model import columns_by_gain
from tests.conftest import requires_ltr
from tests.lossy_support import distinct_requests, first_context, session, with_settings

COUNT = 30


def _open(scenario, redis_server, cache_dir, configs=("baseline", "feature_selection")):
    scenario = with_settings(scenario, feature_selection={"features": COUNT})
    return session(scenario, list(configs), redis_server, cache_dir)


def _selection(opened, name="feature_selection"):
    config = next(c for c in opened.configs if c.name == name)
    return config.optimizations[-1]


def test_selection_uses_top_features_by_gain(smoke_scenario, redis_server, cache_dir):
    with _open(smoke_scenario, redis_server, cache_dir) as opened:
        names = opened.runtime.workload.feature_names
        gains = opened.runtime.booster.get_score(importance_type="gain")
        top = sorted(gains, key=gains.get, reverse=True)[:COUNT]
        selection = _selection(opened)

        assert set(selection.booster.feature_names) == set(top)
        assert selection.columns == sorted(names.index(n) for n in top)
        assert selection.columns == sorted(columns_by_gain(opened.runtime.booster, names)[:COUNT])


def test_selection_fetches_only_needed_fields(smoke_scenario, redis_server, cache_dir):
    with _open(smoke_scenario, redis_server, cache_dir) as opened:
        selection = _selection(opened)
        stage = opened.pipeline("feature_selection").stages[1]
        request = distinct_requests(opened.runtime.workload)[0]
        stored_names = opened.runtime.workload.stored_names
        opened.runtime.client.config_resetstat()
        context = first_context(opened.pipeline("feature_selection"), request)
        stats = opened.runtime.client.info("commandstats")

        assert stage.reader.selected == [stored_names[i].encode() for i in selection.fetched_columns]
        assert len(selection.fetched_columns) < len(stored_names)
        assert stats["cmdstat_hmget"]["calls"] == len(context.candidates)
        assert stats["cmdstat_hgetall"]["calls"] == 1  # the retailer's hash only


def test_selection_composes_with_batched_scoring(smoke_scenario, redis_server, cache_dir):
    configs = ("pipelined_reads+feature_selection", "pipelined_reads+feature_selection+batched_scoring")
    with _open(smoke_scenario, redis_server, cache_dir, configs) as opened:
        for request in distinct_requests(opened.runtime.workload)[:5]:
            first = first_context(opened.pipeline(configs[0]), request)
            second = first_context(opened.pipeline(configs[1]), request)

            assert first.ranking.tolist() == second.ranking.tolist()


@requires_ltr
def test_selection_runs_on_ltr_sample(ltr_scenario, redis_server, cache_dir):
    with _open(ltr_scenario, redis_server, cache_dir) as opened:
        selection = _selection(opened)
        request = distinct_requests(opened.runtime.workload)[0]
        context = first_context(opened.pipeline("feature_selection"), request)

        assert len(selection.booster.feature_names) == COUNT
        assert len(context.ranking) == ltr_scenario.workload.top_k


def test_selection_rejects_invalid_count():
    with pytest.raises(HarnessError, match="features"):
        parse_configuration("feature_selection", {"feature_selection": {"features": 0}}, "custom.toml")
