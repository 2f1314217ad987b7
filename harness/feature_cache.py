"""An in-process cache of decoded product feature vectors.

Entries are bounded by a byte budget (least recently used first out) and
by a time to live. Each product has a version counter in Redis under the
harness prefix, which every write of that product's features increments
in the same MULTI/EXEC transaction (``update_product``). A read first
fetches the candidates' versions with one MGET, then serves an entry only
if it has not expired and its version equals the current one, and reads
every other product through the wrapped reader.

Why per-product versions: one MGET of small integers per request costs a
round trip and about 10 bytes a candidate, and a write invalidates only
the product written. A single global version key would cost one GET, but
every write anywhere would empty the whole cache, which under a steady
write stream means no hits at all.

Reading versions before values keeps the cache safe against a write that
lands between the two reads: the entry then stores new values under the
old version, so the next request finds a newer version and reads again.
The opposite order could store old values under the new version and
serve them until they expire.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from harness.feature_store import FeatureStore, encode_value

# Bytes an entry costs beyond its vector: the OrderedDict slot, the entry
# object and the key (an estimate for CPython 3.11 on 64-bit Linux).
ENTRY_OVERHEAD_BYTES = 200


def version_key(store: FeatureStore, product_id: int) -> bytes:
    return f"{store.prefix}v:p:{product_id}".encode()


def update_product(store: FeatureStore, product_id: int, values: dict[str, float]) -> None:
    """Overwrite some of a product's stored features and bump its version atomically."""
    pipe = store.client.pipeline(transaction=True)
    pipe.hset(store.product_key(product_id), mapping={k.encode(): encode_value(v) for k, v in values.items()})
    pipe.incr(version_key(store, product_id))
    pipe.execute()


@dataclass(slots=True)
class _Entry:
    vector: np.ndarray
    version: int
    expires_at: float


class FeatureCache:
    """LRU map of product id to (vector, version), bounded in bytes and by age."""

    def __init__(self, max_bytes: int, ttl_s: float, clock: Callable[[], float] = time.monotonic):
        self.max_bytes = max_bytes
        self.ttl_s = ttl_s
        self.clock = clock
        self.entries: OrderedDict[int, _Entry] = OrderedDict()
        self.bytes = 0
        self.reset_counters()

    def reset_counters(self) -> None:
        self.hits = self.misses = self.expired = self.stale = self.evictions = 0

    def get(self, product_id: int, version: int, now: float) -> np.ndarray | None:
        """Return the cached vector if it is fresh and of this version, else None."""
        entry = self.entries.get(product_id)
        if entry is None:
            self.misses += 1
            return None
        if entry.expires_at <= now or entry.version != version:
            if entry.expires_at <= now:
                self.expired += 1
            else:
                self.stale += 1
            self._drop(product_id)
            return None
        self.entries.move_to_end(product_id)
        self.hits += 1
        return entry.vector

    def put(self, product_id: int, vector: np.ndarray, version: int, now: float) -> None:
        """Store a vector, evicting the least recently used entries beyond the budget."""
        size = vector.nbytes + ENTRY_OVERHEAD_BYTES
        if size > self.max_bytes:
            return
        if product_id in self.entries:
            self._drop(product_id)
        self.entries[product_id] = _Entry(vector, version, now + self.ttl_s)
        self.bytes += size
        while self.bytes > self.max_bytes:
            oldest = next(iter(self.entries))
            self._drop(oldest)
            self.evictions += 1

    def _drop(self, product_id: int) -> None:
        entry = self.entries.pop(product_id)
        self.bytes -= entry.vector.nbytes + ENTRY_OVERHEAD_BYTES

    def counters(self) -> dict[str, float | int]:
        lookups = self.hits + self.misses + self.expired + self.stale
        return {
            "hit_rate": self.hits / lookups if lookups else None,
            "hits": self.hits,
            "misses": self.misses,
            "expired": self.expired,
            "stale": self.stale,
            "evictions": self.evictions,
            "entries": len(self.entries),
            "bytes": self.bytes,
        }


class CachedReader:
    """A reader that serves fresh cached vectors and reads only the rest."""

    def __init__(self, store: FeatureStore, inner, cache: FeatureCache):
        self.store = store
        self.inner = inner
        self.cache = cache
        self.names = inner.names

    def read(self, client, ids: list[int]) -> np.ndarray:
        versions = [0 if v is None else int(v) for v in client.mget([version_key(self.store, i) for i in ids])]
        now = self.cache.clock()
        rows: list[np.ndarray | None] = [self.cache.get(i, v, now) for i, v in zip(ids, versions)]
        missing = [position for position, row in enumerate(rows) if row is None]
        if missing:
            read = self.inner.read(client, [ids[p] for p in missing])
            for position, vector in zip(missing, read):
                # Copy, so the cached row does not keep the whole read matrix alive.
                vector = vector.copy()
                self.cache.put(ids[position], vector, versions[position], now)
                rows[position] = vector
        return np.vstack(rows) if rows else np.empty((0, len(self.names)))
