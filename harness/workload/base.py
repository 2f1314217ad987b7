"""The workload interface: data and feature logic for the pipeline, the trainer and quality scoring."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.features import RequestInfo


@dataclass(frozen=True)
class Request:
    """One search request as the service receives it, plus its trace position."""

    index: int  # position in the benchmark trace
    query_text: str
    retailer_id: int  # -1 where the workload has no retailers
    query_id: int  # the workload's own id, used for labels only


class Workload(ABC):
    """Data and per-request feature logic of one scenario."""

    kind: str
    stored_names: list[str]
    request_names: list[str]  # retailer, query and interaction features

    @property
    def feature_names(self) -> list[str]:
        return self.stored_names + self.request_names

    @property
    @abstractmethod
    def stored(self) -> np.ndarray:
        """Stored product features, float32 (products, stored), NaN = missing."""

    @property
    def retailer_features(self) -> np.ndarray | None:
        """Retailer features, float32 (retailers, width), or None."""
        return None

    @property
    def retailer_names(self) -> list[str]:
        return []

    @abstractmethod
    def requests(self) -> list[Request]:
        """Return the benchmark trace."""

    @abstractmethod
    def request_info(self, request: Request, retailer: list[float] | None) -> RequestInfo:
        """Compute the per-request features shared by every candidate."""

    def interactions_row(
        self, info: RequestInfo, stored: list[float], bm25: float, rank: int, max_score: float
    ) -> list[float]:
        """Return one candidate's interaction features in plain Python."""
        return []

    def interactions_matrix(
        self, info: RequestInfo, stored: np.ndarray, bm25: np.ndarray, max_score: float
    ) -> np.ndarray:
        """Return all candidates' interaction features, float64 (n, k)."""
        return np.empty((stored.shape[0], 0))

    @abstractmethod
    def labels(self, request: Request, candidates: np.ndarray) -> np.ndarray:
        """Return graded labels of the candidates for this request."""

    @abstractmethod
    def save(self, folder: Path) -> None:
        """Write the workload's arrays into an artifact folder."""

    def feature_matrix(self, request: Request, candidates: np.ndarray, bm25: np.ndarray) -> np.ndarray:
        """Build the model input for candidates straight from memory, float32.

        Used for training and as the reference in tests; equals what the
        pipeline assembles from Redis.
        """
        retailer = self.retailer_features
        retailer_values = None if retailer is None else retailer[request.retailer_id].astype(np.float64).tolist()
        info = self.request_info(request, retailer_values)
        stored = self.stored[candidates].astype(np.float64)
        return assemble_matrix(self, info, stored, np.asarray(bm25, dtype=np.float64))


def max_retrieval_score(scores) -> float:
    """Return the normalizer for retrieval scores; 1.0 when none is positive."""
    top = float(max(scores)) if len(scores) else 0.0
    return top if top > 0 else 1.0


def assemble_matrix(workload: Workload, info: RequestInfo, stored: np.ndarray, bm25: np.ndarray) -> np.ndarray:
    """Concatenate stored, request and interaction blocks into a float32 matrix."""
    n = stored.shape[0]
    request_values = np.broadcast_to(np.asarray(info.values, dtype=np.float64), (n, len(info.values)))
    interactions = workload.interactions_matrix(info, stored, bm25, max_retrieval_score(bm25))
    return np.hstack([stored, request_values, interactions]).astype(np.float32)
