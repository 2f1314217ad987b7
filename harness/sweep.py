"""Growth sweeps: the comparison repeated across values of one workload parameter.

Each value gets its own comparison, written as a sub-run folder inside the
sweep's folder. The sweep then fits p95 ~ value ** exponent per
configuration (least squares on log-log axes), so an exponent near 0 means
the configuration's p95 stays flat as the parameter grows and near 1 means
it grows linearly.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from typing import Any

from harness import stats
from harness.artifacts import DEFAULT_CACHE
from harness.compare import new_run_id, run_compare
from harness.errors import HarnessError, RunInterrupted
from harness.results import write_json_atomic, write_text_atomic
from harness.scenario import _RANGES, Scenario

log = logging.getLogger(__name__)

# Parameter name -> the scenario table it belongs to.
PARAMETERS = {"candidates": "workload", "stored_features": "workload", "products": "workload", "trees": "model"}
EXAMPLE = "candidates=100,300,1000,3000"
# Taken from the data files in learning-to-rank workloads, not from the scenario.
LTR_FIXED = ("products", "stored_features")


def parse_param(text: str) -> tuple[str, list[int]]:
    """Parse ``NAME=V1,V2,...`` into a parameter name and its integer values."""
    name, separator, listed = text.partition("=")
    name = name.strip()
    if not separator or not listed.strip():
        raise HarnessError(f"--param {text!r} is invalid; write NAME=V1,V2,..., e.g. --param {EXAMPLE}")
    if name not in PARAMETERS:
        raise HarnessError(
            f"--param names unknown parameter {name!r}; choose one of {', '.join(sorted(PARAMETERS))}"
        )

    values = [_parse_value(name, item) for item in listed.split(",")]
    if len(set(values)) < 2:
        raise HarnessError(
            f"--param {text!r} has fewer than two different values; list at least two, e.g. --param {EXAMPLE}"
        )
    return name, sorted(set(values))


def _parse_value(name: str, item: str) -> int:
    try:
        return int(item.strip())
    except ValueError:
        raise HarnessError(
            f"--param {name}: value {item.strip()!r} is not a whole number; write e.g. --param {EXAMPLE}"
        ) from None


def scenario_for(scenario: Scenario, name: str, value: int) -> Scenario:
    """Return ``scenario`` with one parameter set, or raise naming the invalid value."""
    if scenario.workload.kind == "ltr" and name in LTR_FIXED:
        raise HarnessError(
            f"--param {name} has no effect on a learning-to-rank workload, whose products and features "
            "come from its data files; sweep candidates or trees instead"
        )
    try:
        if PARAMETERS[name] == "workload":
            return scenario.with_overrides(**{name: value})
        return _with_model(scenario, name, value)
    except HarnessError as exc:
        raise HarnessError(f"--param {name}={value} is out of the valid range: {exc}") from None


def _with_model(scenario: Scenario, name: str, value: int) -> Scenario:
    low, high = _RANGES[f"model.{name}"]
    if not low <= value <= high:
        raise HarnessError(f"'model.{name}' must be from {low} to {high}")
    return dataclasses.replace(scenario, model=dataclasses.replace(scenario.model, **{name: value}))


def run_sweep(
    scenario: Scenario,
    name: str,
    values: list[int],
    config_names: list[str] | None = None,
    redis_url: str | None = None,
    cache: Path = DEFAULT_CACHE,
    results_dir: Path = Path("results"),
    run_id: str | None = None,
) -> tuple[dict[str, Any], Path]:
    """Run one comparison per value; write the sweep's result and report; return both."""
    scenarios = [scenario_for(scenario, name, value) for value in values]  # checks every value first
    run_id = run_id or f"{new_run_id(scenario)}-sweep-{name}"
    folder = results_dir / run_id
    if folder.exists() and any(folder.iterdir()):
        raise HarnessError(f"results folder {folder} already exists; choose another --run-id")

    started = time.monotonic()
    subruns = []
    try:
        for value, changed in zip(values, scenarios):
            log.info("sweep %s: comparing at %s = %d", run_id, name, value)
            subrun, _ = run_compare(changed, config_names, redis_url, cache, folder, f"{name}-{value}")
            subruns.append(subrun)
    except RunInterrupted as exc:
        # Keep the values measured so far; the stopped sub-run saved its own partial result.
        if subruns:
            partial = sweep_result(run_id, name, values[: len(subruns)], subruns, time.monotonic() - started)
            _write(folder, partial | {"complete": False, "stopped": str(exc)})
        raise RunInterrupted(f"sweep stopped at {name} = {values[len(subruns)]}: {exc}") from None

    result = sweep_result(run_id, name, values, subruns, time.monotonic() - started)
    _write(folder, result)
    log.info("sweep %s finished in %.0f s; results in %s", run_id, result["wall_seconds"], folder)
    return result, folder


def _write(folder: Path, result: dict[str, Any]) -> None:
    write_json_atomic(folder / "result.json", result)
    write_text_atomic(folder / "report.md", sweep_markdown(result))


def sweep_result(run_id: str, name: str, values: list[int], subruns: list[dict], seconds: float) -> dict[str, Any]:
    """Build the sweep's ``result.json`` from its sub-runs' results."""
    first = subruns[0]
    header = {key: first[key] for key in ("schema_version", "scenario", "environment", "targets")}
    return header | {
        "run_id": run_id,
        "created_at": first["created_at"],
        "complete": all(run["complete"] for run in subruns),
        "stopped": next((run["stopped"] for run in subruns if not run["complete"]), None),
        "wall_seconds": round(seconds, 1),
        "configs": [],
        "sweep": sweep_section(name, values, subruns),
    }


def sweep_section(name: str, values: list[int], subruns: list[dict]) -> dict[str, Any]:
    """Return p95 per configuration per value and each configuration's growth exponent."""
    names = []
    for run in subruns:
        names += [c["name"] for c in run["configs"] if c["name"] not in names]

    configs = {}
    for config in names:
        p95 = [_p95(run, config) for run in subruns]
        measured = [(v, p) for v, p in zip(values, p95) if p is not None]
        exponent = stats.growth_exponent(*zip(*measured)) if len(measured) >= 2 else None
        configs[config] = {"p95_ms": p95, "exponent": exponent}
    return {"param": name, "values": values, "runs": [run["run_id"] for run in subruns], "configs": configs}


def _p95(run: dict, config: str) -> float | None:
    for entry in run["configs"]:
        if entry["name"] == config:
            return entry["total"]["p95_ms"]
    return None


def growth_reading(exponent: float | None) -> str:
    """Describe a growth exponent in words; the bands are rounding, not a test."""
    if exponent is None:
        return "not fitted"
    if exponent < 0.2:
        return "flat"
    if exponent < 0.8:
        return "sublinear"
    if exponent <= 1.2:
        return "about linear"
    return "superlinear"


def sweep_markdown(result: dict[str, Any]) -> str:
    """Return ``report.md`` of a sweep: p95 per value and the fitted exponent."""
    sweep = result["sweep"]
    values = sweep["values"]
    lines = [
        f"# rerank-bench sweep {result['run_id']}",
        "",
        f"- Scenario: `{result['scenario']['name']}` ({result['scenario']['path']}), "
        f"`{sweep['param']}` swept over {', '.join(map(str, values))}",
        f"- Sub-runs: {', '.join(sweep['runs'])}; wall time {result['wall_seconds']} s",
        "",
        "| configuration | " + " | ".join(f"p95 ms at {v}" for v in values) + " | exponent | growth |",
        "|---|" + "---|" * (len(values) + 2),
    ]
    for config, entry in sweep["configs"].items():
        cells = ["-" if p is None else f"{p:.1f}" for p in entry["p95_ms"]]
        exponent = "-" if entry["exponent"] is None else f"{entry['exponent']:.2f}"
        lines.append(f"| {config} | " + " | ".join(cells) + f" | {exponent} | {growth_reading(entry['exponent'])} |")
    lines += [
        "",
        f"The exponent is the least-squares slope of log p95 against log {sweep['param']}: "
        "p95 ~ value ** exponent. 0 is flat, 1 is linear.",
    ]
    return "\n".join(lines) + "\n"
