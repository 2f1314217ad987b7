"""Latency statistics: percentiles, bootstrap intervals, paired speedups.

Percentiles use numpy's default linear interpolation between order
statistics. Confidence intervals are percentile bootstraps (Efron and
Tibshirani, "An Introduction to the Bootstrap", 1993, ch. 13) at 95%.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NS_PER_MS = 1e6
CONFIDENCE = 0.95

# A result is flagged unstable when its p95 interval is wider than this
# share of the p95 itself, or when it has fewer samples than this.
UNSTABLE_CI_SHARE = 0.25
UNSTABLE_MIN_SAMPLES = 20


@dataclass(frozen=True)
class Summary:
    """Percentiles of one latency series, in milliseconds."""

    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    def as_dict(self) -> dict[str, float]:
        return {"p50_ms": self.p50_ms, "p95_ms": self.p95_ms, "p99_ms": self.p99_ms, "max_ms": self.max_ms}


def summarize(nanoseconds: np.ndarray) -> Summary:
    """Return p50, p95, p99 and max of a series of nanosecond timings."""
    values = np.asarray(nanoseconds, dtype=np.float64) / NS_PER_MS
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return Summary(float(p50), float(p95), float(p99), float(values.max()))


def _bootstrap_indices(n: int, resamples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, n, size=(resamples, n))


def _interval(estimates: np.ndarray) -> tuple[float, float]:
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(estimates, [tail, 100 - tail])
    return float(low), float(high)


def p95_interval(nanoseconds: np.ndarray, resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Return the bootstrap 95% interval of the p95, in milliseconds."""
    values = np.asarray(nanoseconds, dtype=np.float64) / NS_PER_MS
    indices = _bootstrap_indices(len(values), resamples, seed)
    return _interval(np.percentile(values[indices], 95, axis=1))


@dataclass(frozen=True)
class Speedup:
    """Baseline p95 over configuration p95 on the same requests."""

    ratio: float
    ci: tuple[float, float]
    pairs: int


def paired_speedup(baseline_ns: np.ndarray, other_ns: np.ndarray, resamples: int = 2000, seed: int = 0) -> Speedup:
    """Return the p95 speedup over paired requests, with a bootstrap interval.

    Both arrays hold timings of the same requests in the same order, so a
    resample keeps each pair together and machine drift cancels out.
    """
    base = np.asarray(baseline_ns, dtype=np.float64)
    other = np.asarray(other_ns, dtype=np.float64)
    ratio = float(np.percentile(base, 95) / np.percentile(other, 95))

    indices = _bootstrap_indices(len(base), resamples, seed)
    estimates = np.percentile(base[indices], 95, axis=1) / np.percentile(other[indices], 95, axis=1)
    return Speedup(ratio, _interval(estimates), len(base))


def instability_warning(samples: int, p95_ms: float, ci_ms: tuple[float, float]) -> str | None:
    """Return advice when a p95 looks unreliable, else None."""
    if samples < UNSTABLE_MIN_SAMPLES:
        return (
            f"only {samples} samples (fewer than {UNSTABLE_MIN_SAMPLES}); "
            "raise run.time_budget_s or run.min_samples for a usable p95"
        )
    width = ci_ms[1] - ci_ms[0]
    if p95_ms > 0 and width / p95_ms > UNSTABLE_CI_SHARE:
        return (
            f"p95 interval spans {width / p95_ms:.0%} of the p95 (limit {UNSTABLE_CI_SHARE:.0%}); "
            "raise run.time_budget_s, close other programs, or pin the CPU frequency"
        )
    return None


def growth_exponent(sizes, values) -> float:
    """Return the slope of log(value) against log(size): value ~ size ** slope."""
    slope, _ = np.polyfit(np.log(np.asarray(sizes, float)), np.log(np.asarray(values, float)), 1)
    return float(slope)
