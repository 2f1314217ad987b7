"""The feature cache: byte budget, time to live and version invalidation, on real Redis."""

from __future__ import annotations

import numpy as np
import pytest

from harness.errors import HarnessError
from harness.feature_cache import ENTRY_OVERHEAD_BYTES, CachedReader, FeatureCache, update_product, version_key
from harness.feature_store import FeatureStore
from harness.optimization import parse_configuration
from harness.redis_server import connect
from harness.stored_reads import HashReader
from tests.lossy_support import session


class ManualClock:
    """A clock the test moves by hand, in seconds."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _vector(value: float, width: int = 4) -> np.ndarray:
    return np.full(width, value)


def test_cache_evicts_least_recently_used():
    size = _vector(0).nbytes + ENTRY_OVERHEAD_BYTES
    cache = FeatureCache(max_bytes=2 * size, ttl_s=60)
    cache.put(1, _vector(1), 0, now=0)
    cache.put(2, _vector(2), 0, now=0)
    cache.get(1, 0, now=1)  # 1 is now more recent than 2
    cache.put(3, _vector(3), 0, now=1)

    assert cache.get(2, 0, now=1) is None
    assert cache.get(1, 0, now=1) is not None
    assert cache.evictions == 1
    assert cache.bytes <= cache.max_bytes


def test_cache_rejects_expired_entry():
    cache = FeatureCache(max_bytes=10_000, ttl_s=5)
    cache.put(1, _vector(1), 0, now=100)

    assert cache.get(1, 0, now=104.9) is not None
    assert cache.get(1, 0, now=105) is None
    assert cache.expired == 1


def test_cache_rejects_other_version():
    cache = FeatureCache(max_bytes=10_000, ttl_s=60)
    cache.put(1, _vector(1), 3, now=0)

    assert cache.get(1, 4, now=0) is None
    assert cache.stale == 1


@pytest.fixture()
def loaded_store(smoke_scenario, redis_server, cache_dir):
    """The smoke workload loaded in the test Redis; restores product 5 afterwards."""
    with session(smoke_scenario, ["baseline"], redis_server, cache_dir) as opened:
        store = FeatureStore(connect(redis_server.url), opened.runtime.artifacts.key)
        original = store.client.hgetall(store.product_key(5))
        yield opened.runtime, store
        store.client.delete(store.product_key(5))
        store.client.hset(store.product_key(5), mapping=original)
        store.client.incr(version_key(store, 5))


def _reader(runtime, store, clock, ttl_s=60.0):
    return CachedReader(store, HashReader(runtime), FeatureCache(1 << 20, ttl_s, clock))


def test_cache_serves_updated_features(loaded_store):
    runtime, store = loaded_store
    reader = _reader(runtime, store, ManualClock())
    first_field = runtime.workload.stored_names[0]
    before = reader.read(store.client, [5, 6])
    update_product(store, 5, {first_field: 123.5})
    after = reader.read(store.client, [5, 6])

    assert before[0, 0] != 123.5
    assert after[0, 0] == 123.5
    assert reader.cache.stale == 1
    assert np.array_equal(after[1], before[1], equal_nan=True)


def test_cache_refetches_expired_entry(loaded_store):
    runtime, store = loaded_store
    clock = ManualClock()
    reader = _reader(runtime, store, clock, ttl_s=10)
    first_field = runtime.workload.stored_names[0].encode()
    original = reader.read(store.client, [5])[0, 0]
    # A write that skips the version counter: only the time to live bounds it.
    store.client.hset(store.product_key(5), first_field, b"77.25")

    clock.now += 9.9
    assert reader.read(store.client, [5])[0, 0] == original
    clock.now += 0.1
    assert reader.read(store.client, [5])[0, 0] == 77.25
    assert reader.cache.expired == 1


def test_cache_reads_only_misses(loaded_store, redis_server):
    runtime, store = loaded_store
    reader = _reader(runtime, store, ManualClock())
    reader.read(store.client, [1, 2, 3])
    store.client.config_resetstat()
    reader.read(store.client, [1, 2, 3, 4])
    stats = store.client.info("commandstats")

    assert stats["cmdstat_hgetall"]["calls"] == 1
    assert stats["cmdstat_mget"]["calls"] == 1


def test_cache_counts_hits(loaded_store):
    runtime, store = loaded_store
    reader = _reader(runtime, store, ManualClock())
    reader.read(store.client, [1, 2])
    reader.read(store.client, [1, 2])

    assert reader.cache.counters()["hit_rate"] == 0.5


@pytest.mark.parametrize("key, value", [("max_mb", 0), ("ttl_s", -1), ("max_mb", "big")])
def test_cache_rejects_invalid_settings(key, value):
    with pytest.raises(HarnessError, match=key):
        parse_configuration("feature_cache", {"feature_cache": {key: value}}, "custom.toml")
