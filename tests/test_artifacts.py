"""Artifact cache: reproducible builds, reuse, and rebuilds when inputs change."""

from __future__ import annotations

import numpy as np
import xgboost as xgb

from harness.artifacts import MANIFEST, artifact_folder, ensure_artifacts
from harness.scenario import load_scenario
from tests.test_scenario import edited


def test_same_scenario_builds_identically(smoke_scenario, tmp_path):
    first = ensure_artifacts(smoke_scenario, tmp_path / "one")
    second = ensure_artifacts(smoke_scenario, tmp_path / "two")

    assert np.array_equal(first.workload.stored, second.workload.stored, equal_nan=True)
    assert first.workload.requests() == second.workload.requests()
    probe = first.workload.stored[:50]
    request = first.workload.requests()[0]
    ids = np.arange(50)
    matrix = first.workload.feature_matrix(request, ids, np.linspace(9, 1, 50))
    names = first.booster.feature_names
    assert np.array_equal(
        first.booster.predict(xgb.DMatrix(matrix, feature_names=names)),
        second.booster.predict(xgb.DMatrix(matrix, feature_names=names)),
    )
    assert probe.dtype == np.float32


def test_rerun_reuses_cache(smoke_scenario, tmp_path):
    built = ensure_artifacts(smoke_scenario, tmp_path)
    stamp = (built.folder / MANIFEST).stat().st_mtime_ns

    again = ensure_artifacts(smoke_scenario, tmp_path)

    assert built.reused is False
    assert again.reused is True
    assert (again.folder / MANIFEST).stat().st_mtime_ns == stamp


def test_changed_seed_rebuilds(smoke_scenario, write_scenario, tmp_path):
    reseeded = load_scenario(edited(write_scenario, "seed = 7", "seed = 8"))
    original = ensure_artifacts(smoke_scenario, tmp_path)
    changed = ensure_artifacts(reseeded, tmp_path)

    assert changed.reused is False
    assert changed.folder != original.folder
    assert not np.array_equal(original.workload.stored, changed.workload.stored, equal_nan=True)


def test_rebuild_flag_rebuilds(smoke_scenario, tmp_path):
    ensure_artifacts(smoke_scenario, tmp_path)
    assert ensure_artifacts(smoke_scenario, tmp_path, rebuild=True).reused is False


def test_interrupted_build_not_reused(smoke_scenario, tmp_path):
    _, folder = artifact_folder(smoke_scenario, tmp_path)
    folder.mkdir(parents=True)
    (folder / "workload.npz").write_bytes(b"half written")  # no manifest

    assert ensure_artifacts(smoke_scenario, tmp_path).reused is False


def test_model_saved_as_ubjson(smoke_scenario, cache_dir):
    built = ensure_artifacts(smoke_scenario, cache_dir)
    assert built.model_path.suffix == ".ubj"
    assert built.model_path.read_bytes()[:1] == b"{"  # UBJSON objects open with '{'
    assert not list(built.folder.glob("*.pkl"))
