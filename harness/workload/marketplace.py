"""The synthetic marketplace as a ``Workload``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from harness import features
from harness.features import RequestInfo
from harness.scenario import Scenario
from harness.workload import synthetic
from harness.workload.base import Request, Workload


class MarketplaceWorkload(Workload):
    """Generated catalog, retailers and Zipf query trace with planted labels."""

    kind = "synthetic"

    def __init__(
        self,
        scenario: Scenario,
        catalog: synthetic.Catalog,
        retailers: synthetic.Retailers,
        queries: synthetic.QueryPool,
        trace: synthetic.Trace,
    ):
        self.scenario = scenario
        self.catalog = catalog
        self.retailers = retailers
        self.queries = queries
        self.trace = trace
        self.stored_names = synthetic.stored_feature_names(scenario.workload.stored_features)
        self.request_names = (
            synthetic.retailer_feature_names() + list(features.QUERY_FEATURES) + list(features.INTERACTION_FEATURES)
        )
        self._popularity = dict(zip(queries.texts, queries.popularity.tolist()))

    @classmethod
    def generate(cls, scenario: Scenario) -> "MarketplaceWorkload":
        """Generate every part from the scenario's seed."""
        spec = scenario.workload
        return cls(
            scenario,
            synthetic.generate_catalog(spec),
            synthetic.generate_retailers(spec),
            synthetic.generate_queries(spec, spec.distinct_queries, "queries"),
            synthetic.generate_trace(spec, spec.distinct_queries, spec.trace_length, "trace"),
        )

    @property
    def stored(self) -> np.ndarray:
        return self.catalog.stored

    @property
    def retailer_features(self) -> np.ndarray:
        return self.retailers.features

    @property
    def retailer_names(self) -> list[str]:
        return synthetic.retailer_feature_names()

    def requests(self) -> list[Request]:
        return [
            Request(index=i, query_text=self.queries.texts[q], retailer_id=int(r), query_id=int(q))
            for i, (q, r) in enumerate(zip(self.trace.query.tolist(), self.trace.retailer.tolist()))
        ]

    def training_requests(self) -> list[Request]:
        """Return requests for training, drawn from their own query pool."""
        spec = self.scenario.workload
        pool = synthetic.generate_queries(spec, spec.training_queries, "train-queries")
        rng = synthetic.stream(spec, "train-retailers")
        retailers = rng.integers(0, spec.retailers, size=spec.training_queries)
        self._training_pool = pool
        return [
            Request(index=i, query_text=pool.texts[i], retailer_id=int(retailers[i]), query_id=i)
            for i in range(spec.training_queries)
        ]

    def training_labels(self, request: Request, candidates: np.ndarray) -> np.ndarray:
        """Return planted labels for a training request."""
        return synthetic.plant_labels(
            self.scenario.workload, self.catalog, self.retailers, self._training_pool,
            request.query_id, request.retailer_id, candidates,
        )

    def request_info(self, request: Request, retailer: list[float] | None) -> RequestInfo:
        return RequestInfo(
            retailer=retailer or [], query=features.query_features(request.query_text, self._popularity)
        )

    def interactions_row(self, info, stored, bm25, rank, max_score):
        return features.interactions_row(info, stored, bm25, rank, max_score)

    def interactions_matrix(self, info, stored, bm25, max_score):
        return features.interactions_matrix(info, stored, bm25, max_score)

    def labels(self, request: Request, candidates: np.ndarray) -> np.ndarray:
        return synthetic.plant_labels(
            self.scenario.workload, self.catalog, self.retailers, self.queries,
            request.query_id, request.retailer_id, candidates,
        )

    def texts(self) -> tuple[list[str], list[str]]:
        """Return product titles and descriptions for the retrieval index."""
        return synthetic.product_texts(self.scenario.workload, self.catalog)

    def save(self, folder: Path) -> None:
        np.savez(
            folder / "workload.npz",
            stored=self.catalog.stored,
            category=self.catalog.category,
            brand=self.catalog.brand,
            modifiers=self.catalog.modifiers,
            quality=self.catalog.quality,
            retailers=self.retailers.features,
            query_category=self.queries.category,
            query_brand=self.queries.brand,
            query_budget=self.queries.budget,
            query_modifiers=self.queries.modifiers,
            query_popularity=self.queries.popularity,
            trace_query=self.trace.query,
            trace_retailer=self.trace.retailer,
        )
        (folder / "queries.json").write_text(json.dumps(list(self.queries.texts)))

    @classmethod
    def load(cls, scenario: Scenario, folder: Path) -> "MarketplaceWorkload":
        """Read a workload written by ``save``."""
        with np.load(folder / "workload.npz") as data:
            arrays = {key: data[key] for key in data.files}
        texts = tuple(json.loads((folder / "queries.json").read_text()))
        return cls(
            scenario,
            synthetic.Catalog(
                stored=arrays["stored"], category=arrays["category"], brand=arrays["brand"],
                modifiers=arrays["modifiers"], quality=arrays["quality"],
            ),
            synthetic.Retailers(features=arrays["retailers"]),
            synthetic.QueryPool(
                texts=texts, category=arrays["query_category"], brand=arrays["query_brand"],
                budget=arrays["query_budget"], modifiers=arrays["query_modifiers"],
                popularity=arrays["query_popularity"],
            ),
            synthetic.Trace(query=arrays["trace_query"], retailer=arrays["trace_retailer"]),
        )
