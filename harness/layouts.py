"""Binary Redis layouts of the stored features, and the fetch stage that reads them.

A binary layout keeps one string per product under
``FeatureStore.product_key(id, layout)``: the product's row as fixed-width
little-endian bytes. ``FetchBinary`` reads every candidate's string with one
MGET, in the same pipelined round trip as the retailer's hash, and decodes
the joined replies with one ``np.frombuffer``.

The ``packed`` layout keeps the stored features as float32 (NaN where a
value is missing): 4 bytes per feature against roughly 20 for a hash field
name plus its decimal text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from harness import progress
from harness.feature_store import FeatureStore
from harness.pipeline import RequestContext
from harness.runtime import Runtime

log = logging.getLogger(__name__)

PACKED = "packed"
PACKED_DTYPE = np.dtype("<f4")


def load_binary_layout(store: FeatureStore, layout: str, rows: np.ndarray) -> bool:
    """Write one string per row of ``rows`` (any fixed-width dtype) unless already loaded.

    Returns True when the layout was written.
    """
    count = rows.shape[0]
    if store.is_loaded(layout, count):
        log.info("layout %s already in Redis under %s; skipping the load", layout, store.prefix)
        return False

    blobs = np.ascontiguousarray(rows)
    entries = ((store.product_key(i, layout), blobs[i].tobytes()) for i in range(count))
    with progress.task(f"loading the {layout} layout into Redis", count) as advance:
        store.write_layout(layout, entries, count, advance)
    log.info("loaded %d products in layout %s under %s", count, layout, store.prefix)
    return True


def load_packed_layout(store: FeatureStore, stored: np.ndarray) -> bool:
    """Write every product's stored features as packed float32."""
    return load_binary_layout(store, PACKED, stored.astype(PACKED_DTYPE))


class FetchBinary:
    """Stage ``fetch``: the retailer's hash and one MGET of a binary layout, one round trip.

    ``decode(buffer, n)`` turns the joined replies of ``n`` candidates into
    what ``context.fetched`` holds. ``absent_row`` replaces a product missing
    from Redis. It is the encoding of an all-missing row, because an absent
    hash reads as every field missing in the hash layout.
    """

    name = "fetch"

    def __init__(self, runtime: Runtime, client, layout: str, absent_row: bytes, decode: Callable[[bytes, int], object]):
        self.client = client
        self.store = runtime.store
        self.layout = layout
        self.has_retailers = runtime.workload.retailer_features is not None
        self.absent_row = absent_row
        self.decode = decode

    def __call__(self, context: RequestContext) -> None:
        keys = self.store.product_keys(context.candidates.tolist(), self.layout)
        pipe = self.client.pipeline(transaction=False)
        if self.has_retailers:
            pipe.hgetall(self.store.retailer_key(context.request.retailer_id))
        pipe.mget(keys)
        replies = pipe.execute()

        if self.has_retailers:
            context.retailer_raw = replies[0]
        values = replies[-1]
        if None in values:
            values = [self.absent_row if value is None else value for value in values]
        context.fetched = self.decode(b"".join(values), len(values))


def packed_absent_row(width: int) -> bytes:
    """Return the packed bytes of a product with every feature missing."""
    return np.full(width, np.nan, dtype=PACKED_DTYPE).tobytes()


def decode_packed(width: int) -> Callable[[bytes, int], np.ndarray]:
    """Return a decoder of joined packed rows into a float64 (n, width) matrix."""

    def decode(buffer: bytes, n: int) -> np.ndarray:
        return np.frombuffer(buffer, dtype=PACKED_DTYPE).reshape(n, width).astype(np.float64)

    return decode
