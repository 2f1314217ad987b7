"""Build and cache what a scenario needs: workload arrays, model and index.

Artifacts live in ``<cache>/<kind>-<key>/`` where the key digests the
workload and model settings (and, for real data, the files' content). A
folder counts as built only once its ``manifest.json`` exists; that file is
written last and atomically, so an interrupted build is rebuilt from scratch.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xgboost as xgb

from harness import model as model_io
from harness import progress
from harness.errors import HarnessError
from harness.results import write_json_atomic
from harness.retrieval import GroupRetriever, TantivyRetriever, build_index
from harness.scenario import Scenario, workload_key
from harness.workload.base import Workload
from harness.workload.ltr import LtrWorkload, load_ltr_files
from harness.workload.marketplace import MarketplaceWorkload

log = logging.getLogger(__name__)

DEFAULT_CACHE = Path(os.environ.get("RERANK_BENCH_CACHE", Path.home() / ".cache" / "rerank-bench"))
MANIFEST = "manifest.json"


@dataclass
class Artifacts:
    """A built scenario, loaded and ready to serve requests."""

    scenario: Scenario
    key: str
    folder: Path
    workload: Workload
    booster: xgb.Booster
    reused: bool

    @property
    def model_path(self) -> Path:
        return self.folder / "model.ubj"

    def retriever(self):
        """Open the scenario's first-stage retriever."""
        if isinstance(self.workload, LtrWorkload):
            return GroupRetriever(self.workload.candidates, self.workload.retrieval_scores)
        return TantivyRetriever(self.folder / "index")

    def derived_folder(self, name: str) -> Path:
        """Return a folder for artifacts that optimizations build from these."""
        folder = self.folder / "derived" / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder


def artifact_folder(scenario: Scenario, cache: Path) -> tuple[str, Path]:
    key = workload_key(scenario)
    return key, cache / f"{scenario.workload.kind}-{key[:16]}"


def ensure_artifacts(scenario: Scenario, cache: Path = DEFAULT_CACHE, rebuild: bool = False) -> Artifacts:
    """Load the scenario's artifacts, building them first when absent."""
    key, folder = artifact_folder(scenario, cache)
    reused = (folder / MANIFEST).is_file() and not rebuild
    if reused:
        log.info("reusing cached artifacts in %s", folder)
    else:
        _build(scenario, key, folder, rebuild)

    workload = _load_workload(scenario, folder)
    booster = model_io.load_model(folder / "model.ubj", scenario.model.threads)
    return Artifacts(scenario, key, folder, workload, booster, reused)


def _build(scenario: Scenario, key: str, final: Path, rebuild: bool) -> None:
    # Build in a private folder and rename it into place, so two processes
    # building the same key never see each other's half-written files.
    started = time.monotonic()
    folder = final.with_name(f"{final.name}.building-{os.getpid()}")
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)

    try:
        _build_into(scenario, key, folder, started)
        if (final / MANIFEST).is_file() and not rebuild:
            log.info("another process built %s first; using its artifacts", final)
            return
        if final.exists():
            shutil.rmtree(final)  # an interrupted build, or --rebuild
        os.rename(folder, final)
    finally:
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
    log.info("built artifacts in %s in %.1f s", final, time.monotonic() - started)


def _build_into(scenario: Scenario, key: str, folder: Path, started: float) -> None:
    if scenario.workload.kind == "ltr":
        workload, booster = _build_ltr(scenario, folder)
    else:
        workload, booster = _build_synthetic(scenario, folder)

    model_io.save_model(booster, folder / "model.ubj")
    manifest = {
        "key": key,
        "scenario": scenario.name,
        "shape": scenario.shape(),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "build_seconds": round(time.monotonic() - started, 1),
        "xgboost": xgb.__version__,
    }
    write_json_atomic(folder / MANIFEST, manifest)


def _build_synthetic(scenario: Scenario, folder: Path):
    workload = MarketplaceWorkload.generate(scenario)
    workload.save(folder)

    titles, descriptions = workload.texts()
    with progress.task("indexing catalog", len(titles)) as advance:
        build_index(folder / "index", titles, descriptions, progress=lambda done: advance(1000))
    retriever = TantivyRetriever(folder / "index")

    features, labels, groups = [], [], []
    requests = workload.training_requests()
    with progress.task("building training set", len(requests)) as advance:
        for request in requests:
            ids, scores = retriever.search(request, scenario.workload.candidates)
            features.append(workload.feature_matrix(request, ids, scores))
            labels.append(workload.training_labels(request, ids))
            groups.append(len(ids))
            advance(1)

    booster = _train(scenario, np.vstack(features), np.concatenate(labels), np.array(groups), workload.feature_names)
    return workload, booster


def _build_ltr(scenario: Scenario, folder: Path):
    train, test = load_ltr_files(scenario)
    workload = LtrWorkload.generate(scenario, train, test)
    workload.save(folder)
    booster = _train(scenario, train.features, train.labels, train.groups, workload.feature_names)
    return workload, booster


def _train(scenario: Scenario, features, labels, groups, names: list[str]) -> xgb.Booster:
    with progress.task("training model", scenario.model.trees) as advance:
        return model_io.train_ranker(
            scenario.model, features, labels, groups, scenario.workload.seed, names, advance
        )


def _load_workload(scenario: Scenario, folder: Path) -> Workload:
    try:
        if scenario.workload.kind == "ltr":
            return LtrWorkload.load(scenario, folder)
        return MarketplaceWorkload.load(scenario, folder)
    except (OSError, KeyError, ValueError) as exc:
        raise HarnessError(f"cached artifacts in {folder} are unreadable ({exc}); rerun with --rebuild") from None


def describe(folder: Path) -> dict:
    """Return the manifest of a built artifact folder."""
    return json.loads((folder / MANIFEST).read_text())
