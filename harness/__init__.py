"""rerank-bench: a latency harness for a search rerank path.

The package is split by concept: ``scenario`` loads and checks TOML files,
``workload`` generates or loads the data, ``artifacts`` caches what is built
from it, ``redis_server`` and ``feature_store`` own Redis, ``retrieval`` wraps
Tantivy, ``pipeline`` and ``stages`` hold the rerank path, ``runner`` times it,
``stats`` and ``quality`` summarize, ``results`` and ``report`` write output.
"""

__version__ = "0.1.0"
