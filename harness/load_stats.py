"""Statistics of a load run from the raw per-request records.

Percentiles come from the exact latencies each Locust process recorded
(``harness.locustfile``), never from Locust's rounded buckets; Locust's own
p95 is kept beside them for comparison. This module must not import
``locust``: importing it monkey-patches the standard library with gevent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from harness.stats import NS_PER_MS, UNSTABLE_MIN_SAMPLES, summarize


def request_name(config: str) -> str:
    """Return the name Locust reports a configuration's requests under."""
    return f"/rank [{config}]"


def read_raw(folder: Path) -> list[dict[str, Any]]:
    """Read every raw record of one Locust run (all processes)."""
    records = []
    for path in sorted(folder.glob("raw-*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            records += [json.loads(line) for line in lines if line.strip()]
    return records


def summary_ms(milliseconds: list[float]) -> dict[str, float] | None:
    """Return p50, p95, p99 and max of millisecond values; None when empty."""
    if not milliseconds:
        return None
    return summarize(np.asarray(milliseconds, dtype=np.float64) * NS_PER_MS).as_dict()


def read_locust_p95(path: Path) -> dict[str, float]:
    """Return Locust's own p95 per request name from the final statistics its process wrote."""
    if not path.is_file():
        return {}
    final = json.loads(path.read_text(encoding="utf-8"))
    return {name: float(entry["p95"]) for name, entry in final.items() if entry["num_requests"]}


def step_entries(records: list[dict], configs: list[str], users: int, spawn_rate: float,
                 locust_p95_by_name: dict[str, float]) -> list[dict[str, Any]]:
    """Return one ``load.steps`` entry per configuration for one step."""
    window = _window_seconds(records)
    entries = []
    for config in configs:
        mine = [r for r in records if r["config"] == config]
        ok = [r for r in mine if r["ok"]]
        entries.append({
            "config": config,
            "users": users,
            "spawn_rate": spawn_rate,
            "duration_s": round(window, 3),
            "requests": len(mine),
            "failures": len(mine) - len(ok),
            "achieved_rps": round(len(ok) / window, 3) if window > 0 else 0.0,
            "client": summary_ms([r["ms"] for r in ok]),
            "locust_p95_ms": locust_p95_by_name.get(request_name(config)),
            "server_stages": _stage_summaries(ok),
        })
    return entries


def _window_seconds(records: list[dict]) -> float:
    # From the first request's start to the last one's end, as the clients saw it.
    if not records:
        return 0.0
    starts = [r["end"] - r["ms"] / 1e3 for r in records]
    return max(r["end"] for r in records) - min(starts)


def _stage_summaries(records: list[dict]) -> dict[str, dict[str, float]]:
    names: list[str] = []
    for record in records:
        names += [name for name in record["stages"] if name not in names]
    return {name: summary_ms([r["stages"][name] for r in records if name in r["stages"]]) for name in names}


def step_warnings(steps: list[dict]) -> list[str]:
    """Return advice for step entries with too few requests for a usable p95."""
    return [
        f"{s['config']} at {s['users']} users: only {s['requests']} requests (fewer than {UNSTABLE_MIN_SAMPLES}); "
        "raise --duration for a usable p95"
        for s in steps
        if s["requests"] < UNSTABLE_MIN_SAMPLES
    ]


def meets_target(entry: dict[str, Any], target_ms: float) -> bool:
    """Return True when a step entry has no failures and its p95 is within the target."""
    return entry["failures"] == 0 and entry["client"] is not None and entry["client"]["p95_ms"] <= target_ms


def saturation(steps: list[dict], configs: list[str], target_ms: float) -> dict[str, dict[str, float | None]]:
    """Per configuration: the highest throughput meeting the target, and where errors start."""
    result = {}
    for config in configs:
        mine = [s for s in steps if s["config"] == config]
        meeting = [s["achieved_rps"] for s in mine if meets_target(s, target_ms)]
        failing = [s for s in mine if s["failures"] > 0]
        result[config] = {
            "max_rps_meeting_target": max(meeting) if meeting else None,
            "errors_start_rps": failing[0]["achieved_rps"] if failing else None,
            "max_achieved_rps": max((s["achieved_rps"] for s in mine), default=None),
        }
    return result


def throughput_ratio(saturation_by_config: dict[str, dict], numerator: str, denominator: str) -> dict[str, Any]:
    """Return numerator's over denominator's highest throughput meeting the target.

    The ratio is None when either never met the target at any load tried.
    """
    top = saturation_by_config[numerator]["max_rps_meeting_target"]
    bottom = saturation_by_config[denominator]["max_rps_meeting_target"]
    ratio = top / bottom if top is not None and bottom else None
    return {"numerator": numerator, "denominator": denominator, "ratio": ratio}


def peak_throughput_ratio(saturation_by_config: dict[str, dict], numerator: str, denominator: str) -> dict[str, Any]:
    """Return numerator's over denominator's highest achieved throughput at any load tried.

    Unlike the ratio at the target, this exists when the baseline never meets
    the target, which a 1 s baseline against a 400 ms target never does.
    """
    top = saturation_by_config[numerator]["max_achieved_rps"]
    bottom = saturation_by_config[denominator]["max_achieved_rps"]
    ratio = top / bottom if top is not None and bottom else None
    return {"numerator": numerator, "denominator": denominator, "ratio": ratio}


def should_stop(step: list[dict], target_ms: float) -> str | None:
    """Return why a stepped run stops after this step, or None to go on."""
    if any(entry["failures"] > 0 for entry in step):
        return "errors appeared"
    if all(not meets_target(entry, target_ms) for entry in step):
        return f"every configuration's p95 exceeds {target_ms:g} ms"
    return None
