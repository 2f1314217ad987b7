"""rerank-bench: a latency harness for a search rerank path.

The package is split by concept, one module per idea. ``scenario`` loads
and checks TOML files, and ``workload`` generates or loads the data, which
``artifacts`` caches. ``redis_server`` and ``feature_store`` own Redis, and
``retrieval`` wraps Tantivy. ``pipeline`` and ``stages`` contain the rerank
path, and ``runner`` times it. ``stats``, ``quality`` and ``analysis``
summarize a run, and ``results`` and ``report`` write its output.
"""

import os

__version__ = "0.1.0"

# OpenMP threads (XGBoost's, treelite's) that spin at barriers stall for
# whole scheduler time slices when another process runs on the other core,
# which turned one-row predictions from about 2 ms into about 70 ms on a
# busy 2-core machine. Sleeping waits keep results usable there, at a cost
# of tens of microseconds per parallel region on an idle one. It must be
# set before libgomp loads; a value the user set is kept and recorded.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
