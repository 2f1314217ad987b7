"""Ranking quality: NDCG@k against graded labels and agreement with the baseline."""

from __future__ import annotations

import numpy as np


def dcg(grades: np.ndarray, k: int) -> float:
    """Discounted cumulative gain with gain 2^grade - 1 and a log2 discount."""
    top = np.asarray(grades[:k], dtype=np.float64)
    discounts = np.log2(np.arange(2, len(top) + 2))
    return float(((2.0**top - 1.0) / discounts).sum())


def ndcg_at_k(ranked_grades: np.ndarray, candidate_grades: np.ndarray, k: int = 10) -> float:
    """NDCG@k of a ranking, normalized by the best order of all candidates.

    A request whose candidates are all grade 0 scores 1.0, since no order
    could be better (the convention of LightGBM and XGBoost's ndcg metric).
    """
    ideal = dcg(np.sort(np.asarray(candidate_grades))[::-1], k)
    if ideal == 0.0:
        return 1.0
    return dcg(np.asarray(ranked_grades), k) / ideal


def top_overlap(ranking: np.ndarray, reference: np.ndarray, k: int = 10) -> float:
    """Share of the reference's top k that also appears in the ranking's top k."""
    reference_top = reference[:k]
    if len(reference_top) == 0:
        return 1.0
    return len(set(ranking[:k].tolist()) & set(reference_top.tolist())) / len(reference_top)


def identical(ranking: np.ndarray, reference: np.ndarray) -> bool:
    """True when both rankings list the same ids in the same order."""
    return len(ranking) == len(reference) and bool(np.array_equal(ranking, reference))
