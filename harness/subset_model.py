"""Smaller models that read a subset of the full model's input columns.

Feature selection and the cascade's first pass both train a ranker on
some columns of the full model input, on the same training requests as
the full model, and cache it next to the scenario's artifacts. Their
score stages take the full assembled matrix and pick the model's columns.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import xgboost as xgb

from harness import model as model_io
from harness.features import INTERACTION_FEATURES
from harness.pipeline import RequestContext
from harness.runtime import Runtime
from harness.workload import synthetic
from harness.workload.ltr import load_ltr_files

log = logging.getLogger(__name__)

# Interaction features of the synthetic marketplace that read no stored
# value: they come from the retrieval scores and positions alone.
STORED_FREE_INTERACTIONS = ("bm25", "bm25_rank", "bm25_norm", "bm25_gap")


def stored_inputs(runtime: Runtime, columns: list[int]) -> list[int]:
    """Return the stored columns needed to compute ``columns`` of the model input.

    A selected stored column is read as it is. A selected interaction
    feature of the synthetic marketplace that reads stored values brings
    in every stored column any interaction reads (the embedding, price,
    category, brand, rating and popularity): a coarse but safe superset.
    """
    workload = runtime.workload
    stored_count = len(workload.stored_names)
    needed = {c for c in columns if c < stored_count}
    names = workload.feature_names
    if any(names[c] in INTERACTION_FEATURES and names[c] not in STORED_FREE_INTERACTIONS for c in columns):
        needed |= set(range(synthetic.EMBEDDING_DIM))
        needed |= {
            synthetic.STORED_PRICE, synthetic.STORED_CATEGORY, synthetic.STORED_BRAND,
            synthetic.STORED_RATING, synthetic.STORED_POPULARITY,
        }
    return sorted(needed)


def training_set(runtime: Runtime) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the full model's training rows, labels and group sizes.

    They are rebuilt exactly as the artifact build made them (the same
    training requests and retrieval for the synthetic workload, the
    training file for real data) and kept in ``runtime.shared``.
    """
    if "training_set" in runtime.shared:
        return runtime.shared["training_set"]

    workload, scenario = runtime.workload, runtime.scenario
    if scenario.workload.kind == "ltr":
        train, _ = load_ltr_files(scenario)
        data = (train.features, train.labels, train.groups)
    else:
        features, labels, groups = [], [], []
        for request in workload.training_requests():
            ids, scores = runtime.retriever.search(request, scenario.workload.candidates)
            features.append(workload.feature_matrix(request, ids, scores))
            labels.append(workload.training_labels(request, ids))
            groups.append(len(ids))
        data = (np.vstack(features), np.concatenate(labels), np.array(groups))
    runtime.shared["training_set"] = data
    return data


def columns_by_gain(booster: xgb.Booster, names: list[str]) -> list[int]:
    """Return the column indexes the model uses, highest gain first.

    XGBoost's "gain" is the mean loss reduction of the splits on a
    feature; features the model never splits on are left out.
    """
    gains = booster.get_score(importance_type="gain")
    position = {name: i for i, name in enumerate(names)}
    ordered = sorted(gains, key=lambda name: (-gains[name], position[name]))
    return [position[name] for name in ordered]


def subset_model(
    runtime: Runtime, purpose: str, columns: list[int], trees: int, max_depth: int
) -> tuple[xgb.Booster, Path]:
    """Train (or load the cached) ranker on ``columns`` of the full input."""
    spec = replace(runtime.scenario.model, trees=trees, max_depth=max_depth)
    digest = hashlib.sha256(json.dumps([columns, trees, max_depth]).encode()).hexdigest()[:16]
    path = runtime.artifacts.derived_folder(purpose) / f"model-{digest}.ubj"
    if path.is_file():
        return model_io.load_model(path, spec.threads), path

    features, labels, groups = training_set(runtime)
    names = [runtime.workload.feature_names[i] for i in columns]
    log.info("training the %s model on %d features, %d trees", purpose, len(columns), trees)
    booster = model_io.train_ranker(spec, features[:, columns], labels, groups, runtime.scenario.workload.seed, names)
    partial = path.with_name(f"{path.stem}.partial.ubj")
    model_io.save_model(booster, partial)
    partial.replace(path)  # atomic, so a reader never loads half a model
    booster.set_param({"nthread": spec.threads})
    return booster, path


class ScoreColumnsPerCandidate:
    """Stage ``score``: one named one-row DMatrix per candidate, on the model's columns."""

    name = "score"

    def __init__(self, booster: xgb.Booster, columns: list[int]):
        self.booster = booster
        self.columns = np.asarray(columns)
        self.names = booster.feature_names

    def __call__(self, context: RequestContext) -> None:
        rows = np.asarray(context.features, dtype=np.float32)[:, self.columns]
        scores = []
        for row in rows:
            matrix = xgb.DMatrix(row[np.newaxis, :], missing=np.nan, feature_names=self.names)
            scores.append(float(self.booster.predict(matrix)[0]))
        context.scores = scores
