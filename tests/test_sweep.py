"""Sweeps: parameter parsing, range checks and the fitted growth exponent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness import sweep
from harness.errors import HarnessError

REPO = Path(__file__).resolve().parent.parent


def _message(text: str) -> str:
    with pytest.raises(HarnessError) as caught:
        sweep.parse_param(text)
    return str(caught.value)


def test_parse_param_reads_sorted_values():
    assert sweep.parse_param("candidates=300,100,1000") == ("candidates", [100, 300, 1000])


def test_parse_param_rejects_unknown_parameter():
    message = _message("widgets=1,2")
    assert "unknown parameter 'widgets'" in message
    assert "candidates" in message


def test_parse_param_rejects_non_numeric_value():
    message = _message("candidates=100,lots")
    assert "'lots' is not a whole number" in message


@pytest.mark.parametrize("text", ["trees=100", "trees=100,100"], ids=["one", "repeated"])
def test_parse_param_rejects_single_value(text):
    assert "fewer than two different values" in _message(text)


def test_parse_param_rejects_missing_values():
    message = _message("candidates")
    assert "write NAME=V1,V2" in message


def test_scenario_for_rejects_candidates_above_products(smoke_scenario):
    with pytest.raises(HarnessError) as caught:
        sweep.scenario_for(smoke_scenario, "candidates", 5000)
    assert "--param candidates=5000" in str(caught.value)
    assert "exceeds 'workload.products'" in str(caught.value)


def test_scenario_for_rejects_zero_trees(smoke_scenario):
    with pytest.raises(HarnessError) as caught:
        sweep.scenario_for(smoke_scenario, "trees", 0)
    assert "--param trees=0" in str(caught.value)


def test_scenario_for_rejects_products_of_ltr(ltr_scenario):
    with pytest.raises(HarnessError) as caught:
        sweep.scenario_for(ltr_scenario, "products", 1000)
    assert "no effect on a learning-to-rank workload" in str(caught.value)


def test_scenario_for_sets_model_trees(smoke_scenario):
    assert sweep.scenario_for(smoke_scenario, "trees", 7).model.trees == 7


def test_scenario_for_sets_workload_value(smoke_scenario):
    assert sweep.scenario_for(smoke_scenario, "stored_features", 30).workload.stored_features == 30


def _subrun(run_id: str, p95_by_config: dict[str, float]) -> dict:
    configs = [{"name": name, "total": {"p95_ms": p95}} for name, p95 in p95_by_config.items()]
    return {"run_id": run_id, "configs": configs}


@pytest.mark.parametrize(
    ("growth", "expected"),
    [(lambda v: 0.5 * v, 1.0), (lambda v: 12.0, 0.0), (lambda v: 3 * v**0.5, 0.5), (lambda v: 1e-4 * v**2, 2.0)],
    ids=["linear", "flat", "square-root", "quadratic"],
)
def test_sweep_exponent_matches_known_growth(growth, expected):
    values = [100, 300, 1000, 3000]
    subruns = [_subrun(f"candidates-{v}", {"baseline": growth(v)}) for v in values]

    section = sweep.sweep_section("candidates", values, subruns)

    assert section["configs"]["baseline"]["exponent"] == pytest.approx(expected, abs=1e-9)


def test_sweep_section_records_runs_and_values():
    values = [10, 20]
    section = sweep.sweep_section("trees", values, [_subrun("trees-10", {"a": 1.0}), _subrun("trees-20", {"a": 2.0})])
    assert section["runs"] == ["trees-10", "trees-20"]
    assert section["values"] == values
    assert section["configs"]["a"]["p95_ms"] == [1.0, 2.0]


def test_sweep_section_skips_missing_config_value():
    section = sweep.sweep_section(
        "trees", [10, 20, 40], [_subrun("r1", {"a": 1.0}), _subrun("r2", {"a": 2.0, "b": 5.0}), _subrun("r3", {"a": 4.0})]
    )
    assert section["configs"]["b"] == {"p95_ms": [None, 5.0, None], "exponent": None}


def test_sweep_command_prints_one_line_for_bad_param():
    completed = subprocess.run(
        [sys.executable, "-m", "harness", "sweep", "scenarios/smoke.toml", "--param", "candidates=100,abc"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 1
    assert completed.stderr.strip().count("\n") == 0
    assert "'abc' is not a whole number" in completed.stderr
