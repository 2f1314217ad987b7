"""Train, save and load the XGBoost ranking model.

Models are saved in XGBoost's UBJSON format, never as pickles, so they load
across XGBoost versions and cannot run code when read.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import xgboost as xgb

from harness.scenario import ModelSpec

log = logging.getLogger(__name__)


class _ProgressCallback(xgb.callback.TrainingCallback):
    """Advance a progress callable once per boosting round."""

    def __init__(self, advance):
        super().__init__()
        self.advance = advance

    def after_iteration(self, model, epoch, evals_log) -> bool:
        self.advance(1)
        return False  # False means: keep training


def train_ranker(
    spec: ModelSpec,
    features: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray,
    seed: int,
    feature_names: list[str],
    advance=None,
) -> xgb.Booster:
    """Train a ranking model on rows grouped by query.

    The model keeps its feature names, as a production model does, so
    XGBoost checks the names of every DMatrix it is asked to score.
    """
    matrix = xgb.DMatrix(features, label=labels, missing=np.nan, feature_names=feature_names)
    matrix.set_group(groups)
    params = {
        "objective": spec.objective,
        "max_depth": spec.max_depth,
        "eta": spec.learning_rate,
        "tree_method": "hist",
        "nthread": spec.threads,
        "seed": seed,
        "eval_metric": "ndcg@10",
    }
    callbacks = [_ProgressCallback(advance)] if advance else None
    return xgb.train(params, matrix, num_boost_round=spec.trees, callbacks=callbacks)


def save_model(booster: xgb.Booster, path: Path) -> None:
    """Write the model as UBJSON; the suffix must be ``.ubj``."""
    booster.save_model(str(path))


def load_model(path: Path, threads: int) -> xgb.Booster:
    """Read a saved model and pin its thread count."""
    booster = xgb.Booster()
    booster.load_model(str(path))
    booster.set_param({"nthread": threads})
    return booster
