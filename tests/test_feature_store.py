"""The feature store writes only under its prefix and never flushes."""

from __future__ import annotations

import numpy as np
import redis

from harness.feature_store import FeatureStore, load_hash_layout, load_retailers


def test_values_round_trip_exactly(redis_server):
    client = redis.Redis.from_url(redis_server.url)
    store = FeatureStore(client, "roundtrip" + "0" * 20)
    matrix = np.array([[0.1, np.nan, 1e-30], [3.4028235e38, -0.0, 1 / 3]], dtype=np.float32)

    load_hash_layout(store, ["a", "b", "c"], matrix)

    first = client.hgetall(store.product_key(0))
    assert set(first) == {b"a", b"c"}  # NaN entries are left out
    assert np.float32(float(first[b"a"])) == matrix[0, 0]
    assert float(first[b"a"]) == float(matrix[0, 0])
    second = client.hgetall(store.product_key(1))
    assert [np.float32(float(second[k])) for k in (b"a", b"b", b"c")] == matrix[1].tolist()


def test_writes_only_under_prefix(redis_server):
    # A database of its own; redis-py takes the database from the URL path.
    client = redis.Redis.from_url(redis_server.url.rsplit("/", 1)[0] + "/3")
    client.set("user:own-key", "keep me")
    store = FeatureStore(client, "prefixcheck" + "0" * 20)

    load_hash_layout(store, ["x"], np.ones((5, 1), dtype=np.float32))
    load_retailers(store, ["r"], np.ones((2, 1), dtype=np.float32))

    keys = [k.decode() for k in client.keys("*")]
    assert client.get("user:own-key") == b"keep me"
    assert all(k.startswith(store.prefix) for k in keys if k != "user:own-key")
    assert len(keys) == 1 + 5 + 2 + 1  # the user's key, products, retailers, marker
    client.delete(*[k for k in keys if k.startswith(store.prefix)])


def test_second_load_skipped(redis_server):
    client = redis.Redis.from_url(redis_server.url)
    store = FeatureStore(client, "reuse" + "0" * 20)
    matrix = np.ones((3, 2), dtype=np.float32)

    assert load_hash_layout(store, ["a", "b"], matrix) is True
    assert load_hash_layout(store, ["a", "b"], matrix) is False


def test_partial_load_is_redone(redis_server):
    client = redis.Redis.from_url(redis_server.url)
    store = FeatureStore(client, "partial" + "0" * 20)
    matrix = np.ones((3, 2), dtype=np.float32)
    load_hash_layout(store, ["a", "b"], matrix)

    client.set(store.marker_key("hash"), 2)  # as if a load of 2 rows had stopped
    assert load_hash_layout(store, ["a", "b"], matrix) is True
