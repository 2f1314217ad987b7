"""Turn a raw run into per-configuration results: latency, speedup, quality, verdicts."""

from __future__ import annotations

from typing import Any

import numpy as np

from harness import quality, stats
from harness.optimization import BASELINE
from harness.runner import RawRun, Samples
from harness.scenario import Scenario

QUALITY_K = 10


class QualityJudge:
    """Labels and retrieval candidates per request, computed once each."""

    def __init__(self, workload, retriever, candidates: int):
        self.workload = workload
        self.retriever = retriever
        self.candidates = candidates
        self._cache: dict[int, tuple[dict[int, int], np.ndarray]] = {}

    def grades(self, step: int, request) -> tuple[dict[int, int], np.ndarray]:
        """Return a label per candidate id and all candidates' labels."""
        if step not in self._cache:
            ids, _ = self.retriever.search(request, self.candidates)
            labels = self.workload.labels(request, ids)
            self._cache[step] = (dict(zip(ids.tolist(), labels.tolist())), labels)
        return self._cache[step]

    def ndcg(self, step: int, request, ranking: np.ndarray) -> float:
        by_id, all_labels = self.grades(step, request)
        ranked = np.array([by_id.get(i, 0) for i in ranking[:QUALITY_K].tolist()])
        return quality.ndcg_at_k(ranked, all_labels, QUALITY_K)


def analyze(raw: RawRun, scenario: Scenario, judge: QualityJudge) -> list[dict[str, Any]]:
    """Return the ``configs`` list of a result."""
    baseline = next((s for s in raw.samples if s.config.name == BASELINE), None)
    ran = [entry for entry in raw.samples if entry.total_ns]
    # Quality is judged on the requests every configuration ran, so the
    # NDCG column compares all configurations on the same queries.
    common = set.intersection(*(set(entry.steps) for entry in ran)) if ran else set()
    return [_analyze_one(entry, baseline, raw, scenario, judge, common) for entry in ran]


def _analyze_one(
    entry: Samples, baseline: Samples | None, raw: RawRun, scenario: Scenario, judge, common: set[int]
) -> dict:
    spec = scenario.run
    total = np.array(entry.total_ns)
    summary = stats.summarize(total)
    ci = stats.p95_interval(total, spec.bootstrap_resamples)

    result: dict[str, Any] = {
        "name": entry.config.name,
        "optimizations": entry.config.names,
        "lossless": entry.config.lossless,
        "samples": len(total),
        "total": summary.as_dict() | {"p95_ci_ms": list(ci)},
        "stages": {name: stats.summarize(series).as_dict() for name, series in entry.stage_series().items()},
        # Every timed request's total, in run order, for latency distribution plots.
        "latencies_ns": total.tolist(),
    }
    warnings = []
    warning = stats.instability_warning(len(total), summary.p95_ms, ci)
    if warning:
        warnings.append(warning)

    speedup = _speedup(entry, baseline, spec.bootstrap_resamples)
    result["speedup_p95"] = speedup
    result["quality"] = _quality(sorted(common), entry, baseline, raw, judge)
    result["verdicts"], result["uncertain_verdicts"] = _verdicts(summary.p95_ms, ci, speedup, scenario, warnings)
    result["warnings"] = warnings
    counters = {o.name: o.metrics() for o in entry.config.optimizations}
    metrics = {name: values for name, values in counters.items() if values is not None}
    if metrics:
        result["metrics"] = metrics
    return result


def _paired(entry: Samples, baseline: Samples) -> tuple[np.ndarray, np.ndarray, list[int]]:
    base_by_step = dict(zip(baseline.steps, baseline.total_ns))
    pairs = [(base_by_step[s], t, s) for s, t in zip(entry.steps, entry.total_ns) if s in base_by_step]
    if not pairs:
        return np.array([]), np.array([]), []
    base, other, steps = zip(*pairs)
    return np.array(base), np.array(other), list(steps)


def _speedup(entry: Samples, baseline: Samples | None, resamples: int) -> dict | None:
    if baseline is None:
        return None
    if entry is baseline:
        return {"ratio": 1.0, "ci": [1.0, 1.0], "pairs": len(entry.total_ns)}
    base, other, _ = _paired(entry, baseline)
    if len(base) < 2:
        return None
    speedup = stats.paired_speedup(base, other, resamples)
    return {"ratio": speedup.ratio, "ci": list(speedup.ci), "pairs": speedup.pairs}


def _quality(steps: list[int], entry: Samples, baseline: Samples | None, raw: RawRun, judge: QualityJudge) -> dict:
    ndcg, base_ndcg, overlap, same = [], [], [], []
    for step in steps:
        request = raw.step_requests[step]
        ranking = entry.rankings[step]
        ndcg.append(judge.ndcg(step, request, ranking))
        if baseline is not None:
            reference = baseline.rankings[step]
            base_ndcg.append(judge.ndcg(step, request, reference))
            overlap.append(quality.top_overlap(ranking, reference, QUALITY_K))
            same.append(quality.identical(ranking, reference))

    mean = lambda values: float(np.mean(values)) if values else None  # noqa: E731
    return {
        "ndcg_at_10": mean(ndcg),
        "baseline_ndcg_at_10": mean(base_ndcg),
        "top10_overlap": mean(overlap),
        "identical_ranking_rate": mean(same),
        "queries": len(steps),
    }


def _verdicts(
    p95_ms: float, p95_ci: tuple[float, float], speedup: dict | None, scenario: Scenario, warnings: list[str]
) -> tuple[dict, list[str]]:
    """Return the verdicts and the names of those whose bar lies inside the interval."""
    targets = scenario.targets
    verdicts = {"meets_p95_target": p95_ms <= targets.p95_ms, "quick_win": None, "architectural": None}
    uncertain = []
    if _inside(targets.p95_ms, p95_ci):
        uncertain.append("meets_p95_target")
        warnings.append(
            f"the p95-target verdict is uncertain: the p95 interval [{p95_ci[0]:.1f}, {p95_ci[1]:.1f}] ms "
            f"contains the target {targets.p95_ms:g} ms; collect more samples"
        )
    if speedup is None:
        return verdicts, uncertain

    bars = {
        "quick_win": 1.0 / (1.0 - targets.quick_win_reduction),
        "architectural": targets.architectural_speedup,
    }
    for verdict, bar in bars.items():
        verdicts[verdict] = speedup["ratio"] >= bar
        low, high = speedup["ci"]
        if _inside(bar, (low, high)):
            uncertain.append(verdict)
            warnings.append(
                f"the {verdict.replace('_', '-')} verdict is uncertain: the speedup interval "
                f"[{low:.2f}, {high:.2f}] contains the bar {bar:.2f}; collect more samples"
            )
    return verdicts, uncertain


def _inside(bar: float, interval: tuple[float, float]) -> bool:
    low, high = interval
    return low < high and low <= bar <= high
