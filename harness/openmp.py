"""OpenMP thread counts: per service worker, and in a forked child.

The XGBoost wheel bundles libgomp, GCC's OpenMP runtime, which keeps a pool
of worker threads.

- Several service workers that each run XGBoost with the model's thread
  count oversubscribe the cores, and OpenMP threads that spin-wait for
  each other then stall the per-candidate predictions of the baseline.
  ``limit_threads`` sets one worker's count.
- ``fork()`` copies the pool's bookkeeping but not its threads, so a
  child's next parallel region with more than one thread waits for threads
  that do not exist and hangs. Loading the artifacts is enough to start the
  pool. ``install_fork_hook`` makes every forked child use one thread.

A count is set twice: ``omp_set_num_threads`` for regions that take the
default count (such as building an ``xgb.DMatrix``), and ``nthread`` on
every live ``xgb.Booster`` for predictions.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys

_hook_installed = False


def limit_threads(count: int) -> None:
    """Run this process's OpenMP regions and XGBoost predictions on ``count`` threads."""
    for library in _loaded_openmp_libraries():
        ctypes.CDLL(library).omp_set_num_threads(count)

    xgboost = sys.modules.get("xgboost")
    if xgboost is None:
        return
    for value in gc.get_objects():
        if isinstance(value, xgboost.Booster):
            value.set_param({"nthread": count})


def install_fork_hook() -> None:
    """Make every child forked from this process use one OpenMP thread (once per process)."""
    global _hook_installed
    if not _hook_installed:
        os.register_at_fork(after_in_child=lambda: limit_threads(1))
        _hook_installed = True


def _loaded_openmp_libraries() -> list[str]:
    # Only libraries already mapped matter: one loaded later reads the
    # count from omp_set_num_threads of its own, or starts clean.
    paths = set()
    with open("/proc/self/maps", encoding="utf-8") as maps:
        for line in maps:
            path = line.split()[-1]
            if "libgomp" in os.path.basename(path):
                paths.add(path)
    return sorted(paths)
