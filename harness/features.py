"""Per-request features of the synthetic marketplace, in two equal forms.

The model's input row is ``stored + retailer + query + interaction``. The
stored block comes from Redis; the other three are computed per request.
``interactions_row`` is the per-candidate Python form the naive service
uses; ``interactions_matrix`` is the vectorized form. Both use only IEEE
operations that give bit-identical float64 results in Python and numpy
(+, -, *, / and comparisons, with sums taken left to right), so a
vectorized configuration can be lossless against the baseline. Functions
such as ``log`` or ``np.sum`` are avoided here because numpy's SIMD and
pairwise summation can differ from Python's in the last bit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from harness.workload.synthetic import (
    CATEGORIES,
    EMBEDDING_DIM,
    STORED_BRAND,
    STORED_CATEGORY,
    STORED_POPULARITY,
    STORED_PRICE,
    STORED_RATING,
    brand_words,
)

QUERY_FEATURES = (
    "query_terms", "query_chars", "query_popularity", "query_category",
    "query_has_brand", "query_brand", "query_budget", "query_has_budget",
)
INTERACTION_FEATURES = tuple(f"affinity_{i:02d}" for i in range(EMBEDDING_DIM)) + (
    "affinity", "retailer_category_match", "price_to_retailer_mean", "price_minus_retailer_mean",
    "query_category_match", "query_brand_match", "bm25", "bm25_rank", "bm25_norm", "bm25_gap",
    "price_to_budget", "under_budget", "affinity_x_bm25", "rating_x_category_match",
    "popularity_x_bm25", "tier_x_rating",
)

# Retailer feature positions, see ``retailer_feature_names``.
RETAILER_CATEGORY = 16
RETAILER_MEAN_PRICE = 17
RETAILER_TIER = 18

_BUDGET = re.compile(r"\bunder (\d+)\b")
_CATEGORY_CODES = {name: code for code, name in enumerate(CATEGORIES)}
_BRAND_CODES = {name: code for code, name in enumerate(brand_words())}


@dataclass(frozen=True)
class RequestInfo:
    """Per-request features computed once and shared by all candidates."""

    retailer: list[float]
    query: list[float]

    @property
    def values(self) -> list[float]:
        return self.retailer + self.query


def query_features(text: str, popularity: dict[str, float]) -> list[float]:
    """Parse a query's text into its eight features."""
    words = text.split()
    category = next((_CATEGORY_CODES[w] for w in words if w in _CATEGORY_CODES), -1)
    brand = next((_BRAND_CODES[w] for w in words if w in _BRAND_CODES), -1)
    budget_match = _BUDGET.search(text)
    budget = float(budget_match.group(1)) if budget_match else math.nan

    return [
        float(len(words)),
        float(len(text)),
        popularity.get(text, 0.0),
        float(category),
        1.0 if brand >= 0 else 0.0,
        float(brand),
        budget,
        0.0 if math.isnan(budget) else 1.0,
    ]


def interactions_row(
    info: RequestInfo, stored: list[float], bm25: float, rank: int, max_score: float
) -> list[float]:
    """Compute one candidate's 32 interaction features in plain Python."""
    r, q = info.retailer, info.query
    out = [r[i] * stored[i] for i in range(EMBEDDING_DIM)]

    affinity = 0.0
    for i in range(EMBEDDING_DIM):
        affinity += r[i] * stored[i]

    price = stored[STORED_PRICE]
    category_match = 1.0 if stored[STORED_CATEGORY] == q[3] else 0.0
    norm = bm25 / max_score
    budget = q[6]
    has_budget = budget == budget  # False for NaN
    if has_budget:
        price_to_budget = price / budget
        under_budget = 1.0 if price <= budget else 0.0
    else:
        price_to_budget = under_budget = math.nan

    out += [
        affinity,
        1.0 if stored[STORED_CATEGORY] == r[RETAILER_CATEGORY] else 0.0,
        price / r[RETAILER_MEAN_PRICE],
        price - r[RETAILER_MEAN_PRICE],
        category_match,
        1.0 if q[5] >= 0 and stored[STORED_BRAND] == q[5] else 0.0,
        bm25,
        float(rank),
        norm,
        max_score - bm25,
        price_to_budget,
        under_budget,
        affinity * norm,
        stored[STORED_RATING] * category_match,
        stored[STORED_POPULARITY] * norm,
        r[RETAILER_TIER] * stored[STORED_RATING],
    ]
    return out


def interactions_matrix(
    info: RequestInfo, stored: np.ndarray, bm25: np.ndarray, max_score: float
) -> np.ndarray:
    """Compute all candidates' interaction features at once; float64 (n, 32)."""
    r = np.asarray(info.retailer, dtype=np.float64)
    q = info.query
    n = stored.shape[0]
    out = np.empty((n, len(INTERACTION_FEATURES)), dtype=np.float64)

    out[:, :EMBEDDING_DIM] = stored[:, :EMBEDDING_DIM] * r[:EMBEDDING_DIM]
    affinity = np.zeros(n)
    for i in range(EMBEDDING_DIM):
        affinity = affinity + out[:, i]

    price = stored[:, STORED_PRICE]
    category = stored[:, STORED_CATEGORY]
    category_match = (category == q[3]).astype(np.float64)
    norm = bm25 / max_score
    budget = q[6]
    has_budget = budget == budget

    columns = [
        affinity,
        (category == r[RETAILER_CATEGORY]).astype(np.float64),
        price / r[RETAILER_MEAN_PRICE],
        price - r[RETAILER_MEAN_PRICE],
        category_match,
        ((stored[:, STORED_BRAND] == q[5]) & (q[5] >= 0)).astype(np.float64),
        bm25,
        np.arange(n, dtype=np.float64),
        norm,
        max_score - bm25,
        price / budget if has_budget else np.full(n, np.nan),
        (price <= budget).astype(np.float64) if has_budget else np.full(n, np.nan),
        affinity * norm,
        stored[:, STORED_RATING] * category_match,
        stored[:, STORED_POPULARITY] * norm,
        r[RETAILER_TIER] * stored[:, STORED_RATING],
    ]
    out[:, EMBEDDING_DIM:] = np.column_stack(columns)
    return out
