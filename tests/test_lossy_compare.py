"""A small compare run measures every lossy optimization's quality and reports the trade-off."""

from __future__ import annotations

import dataclasses
import json

import pytest

from harness.compare import run_compare
from harness.report import tradeoff_rows
from tests.lossy_support import with_settings

LOSSY = ["candidate_pruning", "feature_selection", "cascade", "pipelined_reads+batched_scoring+cascade"]


@pytest.fixture(scope="module")
def compared(smoke_scenario, redis_server, cache_dir, tmp_path_factory):
    run = dataclasses.replace(smoke_scenario.run, time_budget_s=0.0, min_samples=4, warmup=1)
    scenario = dataclasses.replace(smoke_scenario, run=run)
    scenario = with_settings(
        scenario,
        candidate_pruning={"keep": 30},
        feature_selection={"features": 30},
        cascade={"keep": 20, "features": 12, "stored_features": 4, "trees": 10, "max_depth": 3},
    )
    folder = tmp_path_factory.mktemp("results")
    _, run_folder = run_compare(scenario, ["baseline", *LOSSY], redis_server.url, cache_dir, folder)
    return json.loads((run_folder / "result.json").read_text()), (run_folder / "report.md").read_text()


@pytest.mark.parametrize("name", LOSSY)
def test_lossy_config_has_measured_ndcg(compared, name):
    result, _ = compared
    config = next(c for c in result["configs"] if c["name"] == name)

    assert config["lossless"] is False
    assert 0.0 <= config["quality"]["ndcg_at_10"] <= 1.0
    assert 0.0 <= config["quality"]["top10_overlap"] <= 1.0


def test_report_has_tradeoff_section(compared):
    _, report = compared

    assert "## Latency versus ranking quality" in report


def test_tradeoff_rows_list_lossy_only(compared):
    result, _ = compared
    names = [row[0] for row in tradeoff_rows(result)]

    assert sorted(names) == sorted(LOSSY)


def test_tradeoff_row_gives_relative_change(compared):
    result, _ = compared
    config = next(c for c in result["configs"] if c["name"] == "cascade")
    quality = config["quality"]
    expected = (quality["ndcg_at_10"] - quality["baseline_ndcg_at_10"]) / quality["baseline_ndcg_at_10"]
    row = next(r for r in tradeoff_rows(result) if r[0] == "cascade")

    assert row[5] == f"{expected:+.2%}"
