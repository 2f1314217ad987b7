"""The model converted by treelite: compiled to C with tl2cgen, or run by GTIL.

``treelite_model`` converts an XGBoost booster with
``treelite.frontend.from_xgboost``; the converted model keeps XGBoost's
float32 thresholds, default directions and base score. ``compiled_library``
turns it into a shared library with ``tl2cgen.export_lib`` (gcc), cached
under the model's digest because compiling a 500-tree depth-8 model takes
minutes on 2 cores.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np
import xgboost as xgb

from harness.forest import model_digest

log = logging.getLogger(__name__)

# Source files tl2cgen splits the model into, so gcc compiles them in
# parallel and no single file grows past what gcc handles quickly.
PARALLEL_COMPILE_UNITS = 16


def treelite_model(booster: xgb.Booster, shared: dict):
    """Return the booster as a treelite model, converted once per model."""
    import treelite

    key = f"treelite:{model_digest(booster)}"
    if key not in shared:
        shared[key] = treelite.frontend.from_xgboost(booster)
    return shared[key]


def compiled_library(booster: xgb.Booster, folder: Path, shared: dict, compile_threads: int) -> Path:
    """Return the path of the model's shared library, compiling it when absent."""
    import tl2cgen

    digest = model_digest(booster)
    path = folder / f"model-{digest[:16]}.so"
    if path.is_file():
        return path

    started = time.monotonic()
    partial = folder / f"model-{digest[:16]}.{os.getpid()}.partial.so"
    tl2cgen.export_lib(
        treelite_model(booster, shared),
        toolchain="gcc",
        libpath=str(partial),
        params={"parallel_comp": PARALLEL_COMPILE_UNITS},
        nthread=compile_threads,
    )
    os.replace(partial, path)  # another process compiling the same model writes the same bytes
    log.info("compiled the model to %s in %.0f s", path, time.monotonic() - started)
    return path


def compiled_predictor(library: Path, threads: int):
    """Return ``predict(float32 matrix) -> float32 scores`` over a compiled library."""
    import tl2cgen

    predictor = tl2cgen.Predictor(str(library), nthread=threads)

    def predict(x: np.ndarray) -> np.ndarray:
        matrix = tl2cgen.DMatrix(x, dtype="float32", missing=np.nan)
        return predictor.predict(matrix).reshape(-1)

    return predict


def gtil_predictor(model, threads: int):
    """Return ``predict(float32 matrix) -> float32 scores`` with treelite's GTIL interpreter."""
    import treelite

    def predict(x: np.ndarray) -> np.ndarray:
        return treelite.gtil.predict(model, x, nthread=threads).reshape(-1)

    return predict
