"""Scenario files: shipped ones load, and each kind of bad input is named."""

from __future__ import annotations

import pytest

from harness.errors import HarnessError
from harness.optimization import parse_configuration
from harness.scenario import load_scenario, workload_key
from harness.session import parse_configurations
from tests.conftest import SCENARIOS


@pytest.mark.parametrize("name", ["default", "smoke", "ltr-sample"])
def test_shipped_scenario_loads(name):
    scenario = load_scenario(SCENARIOS / f"{name}.toml")
    assert scenario.name == name
    assert "baseline" in scenario.run.configs


def test_default_scenario_has_production_shape():
    scenario = load_scenario(SCENARIOS / "default.toml")
    assert scenario.workload.candidates == 1000
    assert scenario.workload.stored_features >= 240
    assert 280 <= scenario.model_features <= 320
    assert scenario.model.trees == 500
    assert scenario.model.max_depth == 8


def test_missing_file_names_path(tmp_path):
    with pytest.raises(HarnessError, match="scenario file not found: .*nope.toml"):
        load_scenario(tmp_path / "nope.toml")


def test_malformed_toml_rejected(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[workload\ncandidates = 3\n")
    with pytest.raises(HarnessError, match="is not valid TOML"):
        load_scenario(path)


def edited(write_scenario, old: str, new: str):
    from tests.conftest import SCENARIOS as folder

    text = (folder / "smoke.toml").read_text()
    assert old in text
    path = write_scenario()
    path.write_text(text.replace(old, new))
    return path


def test_unknown_key_named(write_scenario):
    path = edited(write_scenario, "candidates = 60", "candidatez = 60")
    with pytest.raises(HarnessError, match="unknown key 'workload.candidatez'"):
        load_scenario(path)


def test_negative_candidates_out_of_range(write_scenario):
    path = edited(write_scenario, "candidates = 60", "candidates = -5")
    with pytest.raises(HarnessError, match=r"'workload.candidates' = -5 is out of range"):
        load_scenario(path)


def test_more_candidates_than_products(write_scenario):
    path = edited(write_scenario, "candidates = 60", "candidates = 601")
    with pytest.raises(HarnessError, match="'workload.candidates' = 601 exceeds 'workload.products' = 600"):
        load_scenario(path)


def test_wrong_type_named(write_scenario):
    path = edited(write_scenario, "candidates = 60", 'candidates = "sixty"')
    with pytest.raises(HarnessError, match="'workload.candidates' must be int"):
        load_scenario(path)


def test_top_k_above_candidates(write_scenario):
    path = edited(write_scenario, "top_k = 20", "top_k = 61")
    with pytest.raises(HarnessError, match="'workload.top_k' = 61 exceeds"):
        load_scenario(path)


def test_invalid_choice_lists_options(write_scenario):
    path = edited(write_scenario, 'kind = "synthetic"', 'kind = "random"')
    with pytest.raises(HarnessError, match="use one of synthetic, ltr"):
        load_scenario(path)


def test_ltr_kind_needs_ltr_table(write_scenario):
    path = edited(write_scenario, 'kind = "synthetic"', 'kind = "ltr"')
    with pytest.raises(HarnessError, match=r"needs an \[ltr\] table"):
        load_scenario(path)


def test_unknown_optimization_named(smoke_scenario):
    with pytest.raises(HarnessError, match="unknown optimization 'warp_drive'.*rerank-bench optimizations"):
        parse_configurations(smoke_scenario, ["baseline", "pipelined_reads+warp_drive"])


def test_repeated_optimization_rejected():
    with pytest.raises(HarnessError, match="names an optimization twice"):
        parse_configuration("pipelined_reads+pipelined_reads")


def test_repeated_configuration_rejected(smoke_scenario):
    with pytest.raises(HarnessError, match="listed twice"):
        parse_configurations(smoke_scenario, ["baseline", "baseline"])


def test_settings_for_unknown_optimization(write_scenario):
    path = write_scenario("[optimizations.warp_drive]\nspeed = 9\n")
    scenario = load_scenario(path)
    with pytest.raises(HarnessError, match=r"\[optimizations.warp_drive\] names no known optimization"):
        parse_configurations(scenario, ["baseline"])


def test_workload_key_follows_seed(write_scenario, smoke_scenario):
    reseeded = load_scenario(edited(write_scenario, "seed = 7", "seed = 8"))
    assert workload_key(reseeded) != workload_key(smoke_scenario)


def test_workload_key_ignores_run_settings(write_scenario, smoke_scenario):
    rerun = load_scenario(edited(write_scenario, "time_budget_s = 0.5", "time_budget_s = 2.0"))
    assert workload_key(rerun) == workload_key(smoke_scenario)
