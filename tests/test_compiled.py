"""treelite's compiled library and GTIL interpreter, checked against XGBoost."""

from __future__ import annotations

import multiprocessing

import numpy as np
import pytest

from harness.compiled import compiled_library, compiled_predictor, gtil_predictor, treelite_model
from harness.forest import Forest
from lossless_models import edge_rows, train, xgboost_scores
from optimizations.numba_forest import forest_predictor

# Compiled and interpreted trees sum leaves in their own order, so scores
# agree with XGBoost's within float32 rounding, not bit for bit.
RTOL, ATOL = 1e-6, 1e-5


@pytest.fixture(scope="module")
def model():
    booster, x = train(objective="rank:ndcg", base_score=0.75, depth=8, trees=30)
    return booster, edge_rows(booster, x, count=300)


@pytest.fixture(scope="module")
def library(model, tmp_path_factory):
    booster, _ = model
    return compiled_library(booster, tmp_path_factory.mktemp("treelite"), {}, compile_threads=2)


def test_compiled_matches_xgboost(model, library):
    booster, rows = model
    scores = compiled_predictor(library, threads=1)(rows)
    assert np.allclose(scores, xgboost_scores(booster, rows), rtol=RTOL, atol=ATOL)


def test_compiled_two_threads_match_xgboost(model, library):
    booster, rows = model
    scores = compiled_predictor(library, threads=2)(rows)
    assert np.allclose(scores, xgboost_scores(booster, rows), rtol=RTOL, atol=ATOL)


def test_gtil_matches_xgboost(model):
    booster, rows = model
    scores = gtil_predictor(treelite_model(booster, {}), threads=1)(rows)
    assert np.allclose(scores, xgboost_scores(booster, rows), rtol=RTOL, atol=ATOL)


def test_compiled_library_reused_from_cache(model, library):
    booster, _ = model
    before = library.stat().st_mtime_ns
    again = compiled_library(booster, library.parent, {}, compile_threads=2)
    assert again == library
    assert again.stat().st_mtime_ns == before


def _predict_in_child(predict, rows, pipe):
    pipe.send(predict(rows))


def predicted_in_forked_child(predict, rows, timeout_s=20.0):
    """Return what ``predict`` gives in a forked child, or None if the child hangs."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_predict_in_child, args=(predict, rows, sender))
    child.start()
    ready = receiver.poll(timeout_s)
    result = receiver.recv() if ready else None
    child.join(5)
    if child.is_alive():
        child.kill()
        child.join()
    return result


def fork_case(booster, library, name: str, threads: int):
    forest = Forest.from_booster(booster)
    if name == "xgboost":
        booster.set_param({"nthread": threads})
        return lambda x: xgboost_scores(booster, x)
    if name == "numba":
        return forest_predictor(forest, threads)
    if name == "tl2cgen":
        return compiled_predictor(library, threads=threads)
    return gtil_predictor(treelite_model(booster, {}), threads=threads)


# Each predictor is loaded and run in the parent first, so any thread pool
# it starts exists when the child forks.
@pytest.mark.parametrize("name", ["xgboost", "numba", "tl2cgen", "gtil"])
def test_one_thread_predictor_survives_fork(model, library, name):
    booster, rows = model
    predict = fork_case(booster, library, name, threads=1)
    in_parent = predict(rows)

    in_child = predicted_in_forked_child(predict, rows)
    assert in_child is not None, f"{name} hung in a forked child"
    assert np.array_equal(in_child, in_parent)


# A pool of two threads started in the parent: GNU OpenMP (tl2cgen, GTIL)
# and numba's pool do not survive fork, and the child waits forever for
# workers it does not have. That is why the default thread count is 1.
@pytest.mark.parametrize("name", ["numba", "tl2cgen", "gtil"])
def test_thread_pool_hangs_after_fork(model, library, name):
    booster, rows = model
    predict = fork_case(booster, library, name, threads=2)
    predict(rows)

    assert predicted_in_forked_child(predict, rows, timeout_s=10.0) is None
