"""An XGBoost tree ensemble as flat arrays, for hand-written predictors.

``Forest.from_booster`` parses the model's JSON dump into a complete binary
layout: every tree is padded to the ensemble's maximum depth, internal node
``i`` has its children at ``2i+1`` (left) and ``2i+2`` (right), and a leaf
that sits above the bottom level fills every bottom slot under it. A
predictor then walks exactly ``depth`` levels per tree without testing for
leaves, and lands on the same leaf value XGBoost reaches.

XGBoost's rules, reproduced exactly (checked against xgboost 3.2):

- the split test is ``value < threshold`` in float32, with the threshold as
  the float32 the JSON dump prints (shortest round-trip text);
- a missing value (NaN) goes the node's ``default_left`` direction;
- the prediction starts at the base score (a margin: for ranking and
  squared-error objectives XGBoost stores it untransformed) and adds each
  tree's leaf in tree order, in float32.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xgboost as xgb

from harness.errors import HarnessError

log = logging.getLogger(__name__)

# Objectives whose prediction is the raw margin, so the base score is added
# as stored. Others (logistic, Poisson, ...) apply a link function.
IDENTITY_OBJECTIVES = ("rank:ndcg", "rank:pairwise", "rank:map", "reg:squarederror")

# Depth cap of the complete layout: at depth 12 a tree takes about 57 kB of
# arrays (4,095 splits, 4,096 leaves), so a 500-tree model about 28 MB.
MAX_DEPTH = 12


@dataclass(frozen=True)
class Forest:
    """Trees of one model in the complete binary layout.

    ``feature``, ``threshold`` and ``default_left`` are (trees, 2^depth - 1)
    arrays over internal nodes; ``leaves`` is (trees, 2^depth).
    """

    feature: np.ndarray  # int32 model input column of each split
    threshold: np.ndarray  # float32 split threshold
    default_left: np.ndarray  # uint8, 1 where a missing value goes left
    leaves: np.ndarray  # float32 leaf value of each bottom slot
    split: np.ndarray  # bool, False for padding nodes under a shallow leaf
    depth: int
    base_score: np.float32
    num_features: int

    @property
    def trees(self) -> int:
        return self.leaves.shape[0]

    @classmethod
    def from_booster(cls, booster: xgb.Booster) -> "Forest":
        """Parse a booster's JSON dump; raise for models this layout cannot hold."""
        model = json.loads(booster.save_raw("json"))
        learner = model["learner"]
        _check_supported(learner)

        trees = learner["gradient_booster"]["model"]["trees"]
        depth = max(1, max(_tree_depth(tree) for tree in trees))
        if depth > MAX_DEPTH:
            raise HarnessError(
                f"model trees reach depth {depth}; hand-written predictors support max_depth up to {MAX_DEPTH}"
            )

        internal = (1 << depth) - 1
        feature = np.zeros((len(trees), internal), dtype=np.int32)
        threshold = np.zeros((len(trees), internal), dtype=np.float32)
        default_left = np.ones((len(trees), internal), dtype=np.uint8)
        leaves = np.zeros((len(trees), 1 << depth), dtype=np.float32)
        split = np.zeros((len(trees), internal), dtype=bool)
        for t, tree in enumerate(trees):
            _fill_tree(tree, depth, (feature[t], threshold[t], default_left[t], leaves[t], split[t]))

        return cls(
            feature=feature,
            threshold=threshold,
            default_left=default_left,
            leaves=leaves,
            split=split,
            depth=depth,
            base_score=np.float32(_base_score(learner)),
            num_features=int(learner["learner_model_param"]["num_feature"]),
        )

    def used_thresholds(self) -> list[np.ndarray]:
        """Return, per model feature, the sorted unique float32 thresholds its splits use.

        Padding nodes under shallow leaves are left out: they never decide
        anything, because both their subtrees hold the same leaf.
        """
        thresholds = []
        for f in range(self.num_features):
            chosen = self.split & (self.feature == f)
            thresholds.append(np.unique(self.threshold[chosen]).astype(np.float32))
        return thresholds


def model_digest(booster: xgb.Booster) -> str:
    """Return the SHA-256 of the model's UBJSON bytes, the key of derived artifacts."""
    return hashlib.sha256(bytes(booster.save_raw("ubj"))).hexdigest()


def _check_supported(learner: dict) -> None:
    objective = learner["objective"]["name"]
    if objective not in IDENTITY_OBJECTIVES:
        raise HarnessError(
            f"model objective {objective!r} is not supported by hand-written predictors; "
            f"use one of {', '.join(IDENTITY_OBJECTIVES)}"
        )
    model = learner["gradient_booster"]
    if model.get("name") != "gbtree":
        raise HarnessError(f"booster type {model.get('name')!r} is not supported; train with booster='gbtree'")
    if any(any(tree.get("split_type", [])) for tree in model["model"]["trees"]):
        raise HarnessError("model has categorical splits, which hand-written predictors do not support")


def _base_score(learner: dict) -> float:
    # xgboost 3.2 writes "[5E-1]" (a vector, one entry per target); older
    # versions write "5E-1".
    text = learner["learner_model_param"]["base_score"].strip("[]")
    values = [float(part) for part in text.split(",") if part.strip()]
    if len(values) != 1:
        raise HarnessError(f"model has {len(values)} base scores; hand-written predictors support one target")
    return values[0]


def _tree_depth(tree: dict) -> int:
    left, right = tree["left_children"], tree["right_children"]
    deepest = 0
    stack = [(0, 0)]
    while stack:
        node, level = stack.pop()
        if left[node] == -1:
            deepest = max(deepest, level)
        else:
            stack.append((left[node], level + 1))
            stack.append((right[node], level + 1))
    return deepest


def _fill_tree(tree: dict, depth: int, rows: tuple[np.ndarray, ...]) -> None:
    """Copy one XGBoost tree into its complete-layout rows."""
    feature, threshold, default_left, leaves, split = rows
    left, right = tree["left_children"], tree["right_children"]
    split_feature, condition = tree["split_indices"], tree["split_conditions"]
    goes_left = tree["default_left"]

    stack = [(0, 0, 0)]  # (XGBoost node id, heap position, level)
    while stack:
        node, position, level = stack.pop()
        if left[node] == -1:
            # A leaf's value is its split condition in the JSON dump. It
            # fills the 2^(depth - level) bottom slots below its heap position.
            width = 1 << (depth - level)
            first = (position + 1) * width - (1 << depth)
            leaves[first : first + width] = condition[node]
            continue
        split[position] = True
        feature[position] = split_feature[node]
        threshold[position] = condition[node]
        default_left[position] = goes_left[node]
        stack.append((left[node], 2 * position + 1, level + 1))
        stack.append((right[node], 2 * position + 2, level + 1))


def cached_forest(booster: xgb.Booster, folder: Path, shared: dict) -> Forest:
    """Return the booster's ``Forest``, parsed once per model and kept in ``folder``.

    ``shared`` is the runtime's in-process dictionary, so configurations that
    use the same model share one copy of the arrays.
    """
    digest = model_digest(booster)
    key = f"forest:{digest}"
    if key in shared:
        return shared[key]

    path = folder / f"forest-{digest[:16]}.npz"
    if path.is_file():
        forest = _load(path)
    else:
        forest = Forest.from_booster(booster)
        _save(forest, path)
        log.info("parsed %d trees of depth %d into %s", forest.trees, forest.depth, path)
    shared[key] = forest
    return forest


def _save(forest: Forest, path: Path) -> None:
    # Write to a private name and rename, so a reader never sees half a file.
    partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.npz")
    arrays = {name: getattr(forest, name) for name in _ARRAYS}
    np.savez(partial, depth=forest.depth, base_score=forest.base_score, num_features=forest.num_features, **arrays)
    os.replace(partial, path)


def _load(path: Path) -> Forest:
    with np.load(path) as data:
        return Forest(
            **{name: data[name] for name in _ARRAYS},
            depth=int(data["depth"]),
            base_score=np.float32(data["base_score"]),
            num_features=int(data["num_features"]),
        )


_ARRAYS = ("feature", "threshold", "default_left", "leaves", "split")
