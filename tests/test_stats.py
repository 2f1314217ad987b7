"""Latency statistics and quality metrics on series with known results."""

from __future__ import annotations

import math

import numpy as np

from harness import quality, stats


def test_summary_in_milliseconds():
    nanoseconds = np.arange(1, 101) * 1_000_000  # 1 ms .. 100 ms
    summary = stats.summarize(nanoseconds)
    assert summary.p50_ms == 50.5
    assert math.isclose(summary.p95_ms, 95.05)
    assert summary.max_ms == 100.0


def test_p95_interval_brackets_estimate():
    rng = np.random.default_rng(1)
    values = rng.lognormal(3, 0.3, 2000) * 1e6
    low, high = stats.p95_interval(values, resamples=500)
    p95 = stats.summarize(values).p95_ms
    assert low <= p95 <= high


def test_paired_speedup_recovers_known_ratio():
    rng = np.random.default_rng(2)
    drift = rng.uniform(1.0, 3.0, 500)  # the machine slows both alike
    baseline = 100e6 * drift
    other = 25e6 * drift
    speedup = stats.paired_speedup(baseline, other, resamples=300)
    assert math.isclose(speedup.ratio, 4.0, rel_tol=1e-9)
    assert speedup.ci[0] <= 4.0 <= speedup.ci[1]
    assert speedup.pairs == 500


def test_unstable_when_few_samples():
    assert "only 5 samples" in stats.instability_warning(5, 10.0, (9.0, 11.0))


def test_unstable_when_interval_wide():
    assert "interval spans" in stats.instability_warning(100, 10.0, (5.0, 15.0))


def test_stable_result_has_no_warning():
    assert stats.instability_warning(100, 10.0, (9.8, 10.2)) is None


def test_growth_exponent_of_power_law():
    sizes = np.array([100, 300, 1000, 3000])
    assert math.isclose(stats.growth_exponent(sizes, 2.0 * sizes**1.5), 1.5, rel_tol=1e-9)


def test_ndcg_perfect_order_is_one():
    grades = np.array([3, 2, 0, 1])
    assert quality.ndcg_at_k(np.sort(grades)[::-1], grades, k=10) == 1.0


def test_ndcg_known_value():
    # DCG of [0, 3] = 0 + 7/log2(3); ideal [3, 0] = 7/log2(2) = 7.
    value = quality.ndcg_at_k(np.array([0, 3]), np.array([3, 0]), k=10)
    assert math.isclose(value, 1 / math.log2(3))


def test_ndcg_all_zero_grades_is_one():
    assert quality.ndcg_at_k(np.array([0, 0]), np.array([0, 0, 0])) == 1.0


def test_top_overlap_counts_shared_ids():
    assert quality.top_overlap(np.array([1, 2, 3, 4]), np.array([4, 3, 9, 8]), k=4) == 0.5


def test_identical_needs_same_order():
    assert quality.identical(np.array([1, 2]), np.array([1, 2]))
    assert not quality.identical(np.array([2, 1]), np.array([1, 2]))
