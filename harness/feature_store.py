"""The Redis feature store: key names, loading and the loaded-data marker.

Every key the harness writes starts with ``rerank-bench:<workload key>:``,
so one Redis can hold several workloads and the user's own keys are never
touched. The harness never flushes a database. Loading ends by writing a
marker key; a later run against the same server with the same workload
finds the marker and skips the load.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import redis

log = logging.getLogger(__name__)

PREFIX_ROOT = "rerank-bench"
# Products per pipelined round trip while loading: large enough to hide the
# round trip, small enough to keep each request under a few MB.
LOAD_BATCH = 200


class FeatureStore:
    """Key naming and loading for one workload in one Redis database."""

    def __init__(self, client: redis.Redis, workload_key: str):
        self.client = client
        self.prefix = f"{PREFIX_ROOT}:{workload_key[:16]}:"

    def product_key(self, product_id: int, layout: str = "hash") -> bytes:
        return f"{self.prefix}{layout}:p:{product_id}".encode()

    def product_keys(self, product_ids: Iterable[int], layout: str = "hash") -> list[bytes]:
        head = f"{self.prefix}{layout}:p:"
        return [f"{head}{i}".encode() for i in product_ids]

    def retailer_key(self, retailer_id: int) -> bytes:
        return f"{self.prefix}r:{retailer_id}".encode()

    def marker_key(self, layout: str) -> str:
        return f"{self.prefix}{layout}:loaded"

    def is_loaded(self, layout: str, count: int) -> bool:
        """Return True when a complete load of ``layout`` is already there."""
        value = self.client.get(self.marker_key(layout))
        return value is not None and int(value) == count

    def write_layout(
        self,
        layout: str,
        entries: Iterator[tuple[bytes, object]],
        count: int,
        advance: Callable[[int], None] | None = None,
    ) -> None:
        """Write ``count`` keys of one layout, then the marker.

        Each entry is (key, value): a dict becomes a hash (HSET), bytes a
        string (SET).
        """
        self.client.delete(self.marker_key(layout))
        pipe = self.client.pipeline(transaction=False)
        pending = 0
        for key, value in entries:
            if isinstance(value, dict):
                pipe.delete(key)
                if value:
                    pipe.hset(key, mapping=value)
            else:
                pipe.set(key, value)
            pending += 1
            if pending == LOAD_BATCH:
                pipe.execute()
                if advance:
                    advance(pending)
                pending = 0
        pipe.execute()
        if advance and pending:
            advance(pending)
        self.client.set(self.marker_key(layout), count)


def encode_value(value: float) -> bytes:
    """Encode one float32 feature value as the text a feature store keeps.

    ``repr`` of the value widened to float64 parses back to exactly the same
    float32, so every layout and parser reads identical numbers.
    """
    return repr(value).encode()


def hash_entries(store: FeatureStore, names: list[str], matrix: np.ndarray, layout: str = "hash"):
    """Yield one hash per row with named fields; NaN entries are left out."""
    fields = [name.encode() for name in names]
    for row_id, row in enumerate(matrix.tolist()):
        mapping = {field: encode_value(v) for field, v in zip(fields, row) if v == v}
        yield store.product_key(row_id, layout), mapping


def load_hash_layout(store: FeatureStore, names: list[str], matrix: np.ndarray, advance=None) -> bool:
    """Load one hash per product unless already loaded; return True if written."""
    if store.is_loaded("hash", matrix.shape[0]):
        log.info("product hashes already in Redis under %s; skipping the load", store.prefix)
        return False
    store.write_layout("hash", hash_entries(store, names, matrix), matrix.shape[0], advance)
    log.info("loaded %d product hashes under %s", matrix.shape[0], store.prefix)
    return True


def load_retailers(store: FeatureStore, names: list[str], matrix: np.ndarray) -> None:
    """Write one hash per retailer."""
    fields = [name.encode() for name in names]
    pipe = store.client.pipeline(transaction=False)
    for retailer_id, row in enumerate(matrix.tolist()):
        pipe.hset(store.retailer_key(retailer_id), mapping={f: encode_value(v) for f, v in zip(fields, row)})
    pipe.execute()
