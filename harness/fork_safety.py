"""Keep XGBoost usable in a child forked after the parent used OpenMP.

The XGBoost wheel bundles libgomp, GCC's OpenMP runtime, which keeps a pool
of worker threads. ``fork()`` copies the pool's bookkeeping but not its
threads, so the child's next parallel region with more than one thread
waits for threads that do not exist and hangs. Loading the artifacts is
enough to start the pool. After a fork, ``install`` makes the child run
OpenMP regions on one thread: ``omp_set_num_threads(1)`` for regions that
take the default thread count (such as ``xgb.DMatrix``), and ``nthread=1``
on every live ``xgb.Booster`` for predictions. In a forked pre-fork worker
that is the right count anyway, since the workers share the cores.

``rerank-bench serve`` needs none of this: uvicorn starts its workers with
``spawn``. It matters to any caller that forks, such as a pre-fork server
that loads the session in the parent.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os

log = logging.getLogger(__name__)

_installed = False


def install() -> None:
    """Register the after-fork hook once per process."""
    global _installed
    if not _installed:
        os.register_at_fork(after_in_child=_single_thread_openmp)
        _installed = True


def _single_thread_openmp() -> None:
    for library in _loaded_openmp_libraries():
        ctypes.CDLL(library).omp_set_num_threads(1)
    _single_thread_boosters()


def _loaded_openmp_libraries() -> list[str]:
    # Only libraries already mapped matter: one loaded after the fork starts clean.
    paths = set()
    with open("/proc/self/maps", encoding="utf-8") as maps:
        for line in maps:
            path = line.split()[-1]
            if "libgomp" in os.path.basename(path):
                paths.add(path)
    return sorted(paths)


def _single_thread_boosters() -> None:
    import sys

    xgboost = sys.modules.get("xgboost")
    if xgboost is None:
        return
    for value in gc.get_objects():
        if isinstance(value, xgboost.Booster):
            value.set_param({"nthread": 1})
