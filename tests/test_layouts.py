"""Binary Redis layouts: written under the harness prefix, read with one MGET."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
import redis

from harness.feature_store import PREFIX_ROOT, FeatureStore
from harness.layouts import FetchBinary, decode_packed, load_packed_layout, packed_absent_row
from harness.pipeline import RequestContext
from harness.workload.base import Request


class _Runtime:
    """The two runtime fields ``FetchBinary`` reads (a workload without retailers)."""

    def __init__(self, store):
        self.store = store
        self.workload = type("NoRetailers", (), {"retailer_features": None})()


@pytest.fixture()
def store(redis_server):
    client = redis.Redis.from_url(redis_server.url)
    store = FeatureStore(client, uuid.uuid4().hex)
    yield store
    for key in client.scan_iter(match=f"{store.prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture()
def stored():
    matrix = np.random.default_rng(5).normal(size=(50, 7)).astype(np.float32)
    matrix[3, 2] = np.nan
    return matrix


def fetch(store, stored, candidates):
    stage = FetchBinary(_Runtime(store), store.client, "packed", packed_absent_row(7), decode_packed(7))
    context = RequestContext(Request(0, "q", -1, 0), candidates=np.array(candidates))
    stage(context)
    return context.fetched


def test_packed_layout_keys_carry_prefix(store, stored):
    load_packed_layout(store, stored)
    # The session's Redis also contains other workloads' layouts, each under
    # its own prefix, so only this store's keys are counted.
    keys = [key.decode() for key in store.client.scan_iter(match="*packed*")]
    ours = [key for key in keys if key.startswith(store.prefix)]
    assert len(ours) == stored.shape[0] + 1  # one row per product and the marker
    assert all(key.startswith(f"{PREFIX_ROOT}:") for key in keys)


def test_packed_fetch_decodes_float64_rows(store, stored):
    load_packed_layout(store, stored)
    fetched = fetch(store, stored, [3, 0, 49])
    assert fetched.dtype == np.float64
    assert np.array_equal(fetched, stored[[3, 0, 49]].astype(np.float64), equal_nan=True)


def test_absent_product_reads_all_missing(store, stored):
    load_packed_layout(store, stored)
    store.client.delete(store.product_key(4, "packed"))
    assert np.isnan(fetch(store, stored, [4])).all()


def test_loaded_layout_skips_second_load(store, stored):
    assert load_packed_layout(store, stored)
    assert not load_packed_layout(store, stored)
