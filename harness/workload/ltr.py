"""Real learning-to-rank data as a ``Workload``.

The model trains on the training file. Each test query group becomes one
benchmark query whose candidate list is drawn from the group's own rows.
Every row comes once, then rows are drawn again with replacement up to the
scenario's candidate count; a larger group is sampled without replacement. Each slot becomes a product of its own in Redis, a copy of
its row with the row's real label, so every label is a judgement for that
query and candidate lists keep the scenario's size.

Rows of other groups are not used as padding: their features describe
another query's documents, which a model rightly scores as relevant, so
labelling them 0 would measure nothing about ranking quality.

NOTE: copies of one row score the same, so NDCG@10 weights each judged row
by how often it was drawn. Ties keep retrieval order in every configuration.

Retrieval order comes from the single feature whose values correlate best
with the training labels, standing in for a first-stage retriever.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.features import RequestInfo
from harness.scenario import Scenario
from harness.workload import synthetic
from harness.workload.base import Request, Workload
from harness.workload.svmlight import RankingData, load_svmlight


class LtrWorkload(Workload):
    """Candidate lists and labels drawn from an svmlight test file."""

    kind = "ltr"
    request_names: list[str] = []

    def __init__(
        self,
        scenario: Scenario,
        stored: np.ndarray,
        candidates: np.ndarray,
        retrieval_scores: np.ndarray,
        candidate_labels: np.ndarray,
        trace: np.ndarray,
    ):
        self.scenario = scenario
        self._stored = stored
        self.candidates = candidates  # (groups, candidates) int64 row ids
        self.retrieval_scores = retrieval_scores  # (groups, candidates) float64
        self.candidate_labels = candidate_labels  # (groups, candidates) int32
        self.trace = trace  # (requests,) int32 group ids
        self.stored_names = [f"f{i:03d}" for i in range(1, stored.shape[1] + 1)]
        self._label_maps = [
            dict(zip(ids.tolist(), labels.tolist())) for ids, labels in zip(candidates, candidate_labels)
        ]

    @classmethod
    def generate(cls, scenario: Scenario, train: RankingData, test: RankingData) -> "LtrWorkload":
        """Draw candidate lists and a Zipf trace from the test groups."""
        spec = scenario.workload
        column = best_single_feature(train)
        rng = synthetic.stream(spec, "ltr-candidates")
        offsets = test.group_offsets
        rows, lists, scores, labels = [], [], [], []
        for g in range(len(test.groups)):
            source = _candidate_rows(rng, offsets, g, spec.candidates)
            retrieval = np.nan_to_num(test.features[source, column].astype(np.float64), nan=0.0)
            order = np.argsort(-retrieval, kind="stable")
            first_id = len(rows) * spec.candidates
            rows.append(source[order])
            lists.append(np.arange(first_id, first_id + spec.candidates))
            scores.append(retrieval[order])
            labels.append(test.labels[source[order]])

        # Product id i is a copy of test row rows[i]: one product per slot.
        stored = test.features[np.concatenate(rows)]
        groups = len(test.groups)
        trace_rng = synthetic.stream(spec, "trace")
        trace = trace_rng.choice(groups, size=spec.trace_length, p=synthetic.zipf_weights(groups, spec.zipf_exponent))
        return cls(
            scenario, stored, np.array(lists), np.array(scores),
            np.array(labels, dtype=np.int32), trace.astype(np.int32),
        )

    @property
    def stored(self) -> np.ndarray:
        return self._stored

    def requests(self) -> list[Request]:
        return [
            Request(index=i, query_text=f"qid-{g}", retailer_id=-1, query_id=int(g))
            for i, g in enumerate(self.trace.tolist())
        ]

    def request_info(self, request: Request, retailer: list[float] | None) -> RequestInfo:
        return RequestInfo(retailer=[], query=[])

    def labels(self, request: Request, candidates: np.ndarray) -> np.ndarray:
        known = self._label_maps[request.query_id]
        return np.array([known.get(int(c), 0) for c in candidates], dtype=np.int32)

    def save(self, folder: Path) -> None:
        np.savez(
            folder / "workload.npz",
            stored=self._stored,
            candidates=self.candidates,
            retrieval_scores=self.retrieval_scores,
            candidate_labels=self.candidate_labels,
            trace=self.trace,
        )

    @classmethod
    def load(cls, scenario: Scenario, folder: Path) -> "LtrWorkload":
        """Read a workload written by ``save``."""
        with np.load(folder / "workload.npz") as data:
            return cls(
                scenario, data["stored"], data["candidates"], data["retrieval_scores"],
                data["candidate_labels"], data["trace"],
            )


def load_ltr_files(scenario: Scenario) -> tuple[RankingData, RankingData]:
    """Load the scenario's training and test files with one feature width."""
    ltr = scenario.ltr
    groups = lambda key: scenario.resolve(getattr(ltr, key)) if getattr(ltr, key) else None  # noqa: E731
    train = load_svmlight(scenario.resolve(ltr.train), groups("train_groups"), ltr.absent)
    width = max(train.features.shape[1], scenario.workload.stored_features)
    if train.features.shape[1] < width:
        train = _widen(train, width, ltr.absent)
    test = load_svmlight(scenario.resolve(ltr.test), groups("test_groups"), ltr.absent, width=width)
    return train, test


def best_single_feature(data: RankingData) -> int:
    """Return the column whose values correlate best with the labels."""
    x = np.nan_to_num(data.features.astype(np.float64), nan=0.0)
    y = data.labels.astype(np.float64) - data.labels.mean()
    centered = x - x.mean(axis=0)
    spread = np.sqrt((centered**2).sum(axis=0) * (y**2).sum())
    correlation = np.divide(centered.T @ y, spread, out=np.zeros(x.shape[1]), where=spread > 0)
    return int(np.argmax(correlation))


def _candidate_rows(rng, offsets, group: int, size: int) -> np.ndarray:
    """Return ``size`` test rows of one group: each once, then drawn again."""
    own = np.arange(offsets[group], offsets[group + 1])
    if len(own) >= size:
        return np.sort(rng.choice(own, size=size, replace=False))
    extra = rng.choice(own, size=size - len(own), replace=True)
    return np.concatenate([own, extra])


def _widen(data: RankingData, width: int, absent: str) -> RankingData:
    fill = 0.0 if absent == "zero" else np.nan
    wide = np.full((data.features.shape[0], width), fill, dtype=np.float32)
    wide[:, : data.features.shape[1]] = data.features
    return RankingData(labels=data.labels, features=wide, groups=data.groups)
