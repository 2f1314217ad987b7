"""``feature_cache``: serve hot products' decoded features from process memory.

Lossless. The query trace is Zipf-distributed, so a few products appear
in many candidate lists. Their decoded vectors are kept in an LRU cache
bounded by ``max_mb`` (MiB) and ``ttl_s`` (seconds). Every read checks
them against a per-product version counter in Redis (see
``harness.feature_cache`` for the invalidation rules). Only misses are
read from Redis, through whichever read the configuration had before
(pipelined, per candidate, or feature selection's HMGET), so list it
after those. ``metrics`` reports the hit rate of the timed requests.
"""

from harness.feature_cache import CachedReader, FeatureCache
from harness.optimization import Optimization, register
from harness.stored_reads import reader_of, use_reader

MIB = 1024 * 1024


@register
class FeatureCacheOptimization(Optimization):
    name = "feature_cache"
    description = "cache decoded feature vectors in process (LRU, byte budget, TTL, version check)"
    stages = ("fetch",)
    lossless = True
    defaults = {"max_mb": 64.0, "ttl_s": 300.0}

    def __init__(self, settings=None, scenario_path=""):
        super().__init__(settings, scenario_path)
        self.cache = FeatureCache(int(self.settings["max_mb"] * MIB), float(self.settings["ttl_s"]))

    def apply(self, builder, runtime):
        inner = reader_of(builder, runtime)
        use_reader(builder, runtime, CachedReader(runtime.store, inner, self.cache))

    def metrics(self):
        return self.cache.counters()

    def reset_metrics(self):
        self.cache.reset_counters()
