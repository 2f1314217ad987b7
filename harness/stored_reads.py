"""Decoded reads of stored product features, and stages built on them.

The lossy optimizations and the cache share one idea: a *reader* turns a
list of product ids into a float64 (n, stored) matrix, NaN where a value
is missing or was not read. A reader can read every field (HGETALL), a
subset of fields (HMGET), one round trip per candidate or one pipelined
round trip, and a cache can wrap any reader and read only its misses.
``FetchDecoded`` is the ``fetch`` stage around a reader; the assemble
stages of the harness accept its decoded matrix as they are.

``assemble_rows`` builds model input for a subset of a request's
candidates, such as a chunk or the survivors of a prefilter. Its rows
equal those of the full candidate list, because it uses the full list's
retrieval-score normalizer and each candidate's original position.
"""

from __future__ import annotations

import numpy as np

from harness.features import RequestInfo
from harness.pipeline import RequestContext
from harness.runtime import Runtime
from harness.stages.assemble import parse_retailer, stored_matrix_from_hashes
from harness.workload.base import Workload, max_retrieval_score

# The interaction feature that contains a candidate's retrieval position.
RANK_FEATURE = "bm25_rank"


class HashReader:
    """Read product hashes: all fields with HGETALL, or ``columns`` with HMGET."""

    def __init__(self, runtime: Runtime, columns: list[int] | None = None, pipelined: bool = True):
        self.store = runtime.store
        self.names = runtime.workload.stored_names
        self.columns = None if columns is None else sorted(columns)
        self.fields = [name.encode() for name in self.names]
        self.selected = None if self.columns is None else [self.fields[i] for i in self.columns]
        self.pipelined = pipelined

    def read(self, client, ids: list[int]) -> np.ndarray:
        """Return the decoded (len(ids), stored) matrix of these products."""
        keys = self.store.product_keys(ids)
        if self.pipelined:
            pipe = client.pipeline(transaction=False)
            for key in keys:
                self._queue(pipe, key)
            replies = pipe.execute()
        else:
            replies = [self._queue(client, key) for key in keys]
        return self._decode(replies)

    def _queue(self, target, key: bytes):
        if self.selected is None:
            return target.hgetall(key)
        return target.hmget(key, self.selected)

    def _decode(self, replies: list) -> np.ndarray:
        if self.selected is None:
            return stored_matrix_from_hashes(replies, self.fields)

        matrix = np.full((len(replies), len(self.names)), np.nan)
        # HMGET returns None for an absent field; float() parses the rest
        # exactly as the baseline does.
        values = [np.nan if v is None else float(v) for reply in replies for v in reply]
        matrix[:, self.columns] = np.array(values, dtype=np.float64).reshape(len(replies), len(self.selected))
        return matrix


class PackedReader:
    """Read rows of the ``packed`` float32 layout with one MGET (see ``harness.layouts``)."""

    def __init__(self, runtime: Runtime):
        from harness.layouts import PACKED, decode_packed, packed_absent_row

        self.store = runtime.store
        self.names = runtime.workload.stored_names
        self.layout = PACKED
        self.absent = packed_absent_row(len(self.names))
        self.decode = decode_packed(len(self.names))

    def read(self, client, ids: list[int]) -> np.ndarray:
        values = client.mget(self.store.product_keys(ids, self.layout))
        return self.decode(b"".join(self.absent if v is None else v for v in values), len(ids))


class FetchDecoded:
    """Stage ``fetch``: the retailer's hash, then the candidates through a reader."""

    name = "fetch"

    def __init__(self, runtime: Runtime, reader, client=None):
        self.client = client or runtime.client
        self.reader = reader
        self.store = runtime.store
        self.has_retailers = runtime.workload.retailer_features is not None

    def __call__(self, context: RequestContext) -> None:
        if self.has_retailers:
            context.retailer_raw = self.client.hgetall(self.store.retailer_key(context.request.retailer_id))
        context.fetched = self.reader.read(self.client, context.candidates.tolist())


def reader_of(builder, runtime: Runtime):
    """Return the reader this configuration's fetch uses so far.

    An optimization that changed the read (feature selection, the cache)
    leaves its reader on the builder as ``stored_reader``. Otherwise the
    reader matches the current fetch stage: the packed layout's MGET after
    ``packed_features``, else hashes. Hashes are read in one pipelined
    round trip unless the fetch is still the baseline's one per candidate.
    """
    reader = getattr(builder, "stored_reader", None)
    if reader is not None:
        return reader
    from harness.stages.fetch import FetchPerCandidate

    fetch = builder.get("fetch")
    if is_packed_fetch(fetch):
        return PackedReader(runtime)
    return HashReader(runtime, pipelined=not isinstance(fetch, FetchPerCandidate))


def is_packed_fetch(stage) -> bool:
    """Return True if ``stage`` reads the packed float32 layout."""
    from harness.layouts import PACKED, FetchBinary

    return isinstance(stage, FetchBinary) and stage.layout == PACKED


def use_reader(builder, runtime: Runtime, reader) -> None:
    """Make ``reader`` the configuration's read and its ``fetch`` stage."""
    builder.stored_reader = reader
    builder.replace("fetch", FetchDecoded(runtime, reader, builder.client))


def request_info(workload: Workload, context: RequestContext) -> RequestInfo:
    """Return the per-request features from the fetched retailer hash."""
    fields = [name.encode() for name in workload.retailer_names]
    return workload.request_info(context.request, parse_retailer(context.retailer_raw, fields))


def assemble_rows(
    workload: Workload,
    info: RequestInfo,
    stored: np.ndarray,
    bm25: np.ndarray,
    positions: np.ndarray,
    max_score: float,
) -> np.ndarray:
    """Return float32 model input for candidates at ``positions`` of the full list.

    The values equal the rows at those positions of the matrix assembled
    for the whole list, because the normalizer is the full list's
    ``max_score`` and the rank feature is overwritten with each
    candidate's original position (an integer, exact in float32).
    """
    n = stored.shape[0]
    request_values = np.broadcast_to(np.asarray(info.values, dtype=np.float64), (n, len(info.values)))
    interactions = workload.interactions_matrix(info, stored, bm25, max_score)
    matrix = np.hstack([stored, request_values, interactions]).astype(np.float32)
    names = workload.feature_names
    if RANK_FEATURE in names:
        matrix[:, names.index(RANK_FEATURE)] = positions
    return matrix


class AssembleSubset:
    """Stage ``assemble`` for a list that a prefilter shortened.

    A prefilter leaves ``positions`` (each survivor's position in the
    retrieval list) and ``max_retrieval_score`` in ``context.extra``; with
    neither, the whole list is assembled, as ``AssembleBatched`` does.
    """

    name = "assemble"

    def __init__(self, runtime: Runtime):
        self.workload = runtime.workload

    def __call__(self, context: RequestContext) -> None:
        info = request_info(self.workload, context)
        bm25 = np.asarray(context.retrieval_scores, dtype=np.float64)
        positions = context.extra.get("positions")
        if positions is None:
            positions = np.arange(len(bm25))
        max_score = context.extra.get("max_retrieval_score", max_retrieval_score(bm25))

        stored = context.fetched
        if not isinstance(stored, np.ndarray):
            stored = stored_matrix_from_hashes(stored, [n.encode() for n in self.workload.stored_names])
        context.features = assemble_rows(self.workload, info, stored, bm25, positions, max_score)


class AssembleSubsetPerCandidate:
    """Stage ``assemble``: the baseline's Python loop, for a shortened list."""

    name = "assemble"

    def __init__(self, runtime: Runtime):
        self.workload = runtime.workload
        self.fields = [name.encode() for name in self.workload.stored_names]

    def __call__(self, context: RequestContext) -> None:
        info = request_info(self.workload, context)
        scores = context.retrieval_scores.tolist()
        positions = context.extra.get("positions")
        positions = range(len(scores)) if positions is None else positions.tolist()
        max_score = context.extra.get("max_retrieval_score", max_retrieval_score(scores))

        fetched = context.fetched
        if isinstance(fetched, np.ndarray):
            fetched = fetched.tolist()
        rows = []
        for raw, bm25, rank in zip(fetched, scores, positions):
            if isinstance(raw, dict):
                stored = [float(raw[f]) if f in raw else np.nan for f in self.fields]
            else:
                stored = raw
            interactions = self.workload.interactions_row(info, stored, bm25, rank, max_score)
            rows.append(stored + info.values + interactions)
        context.features = rows


class AppendTail:
    """Stage ``tail``: candidates a prefilter set aside follow the ranked ones.

    ``context.extra["tail"]`` is a list of id arrays, best first; the
    ranking is filled up to ``top_k`` from them in that order.
    """

    name = "tail"

    def __init__(self, runtime: Runtime):
        self.top_k = runtime.scenario.workload.top_k

    def __call__(self, context: RequestContext) -> None:
        tail = context.extra.get("tail")
        if not tail or len(context.ranking) >= self.top_k:
            return
        context.ranking = np.concatenate([context.ranking, *tail])[: self.top_k]


def ensure_tail_stage(builder, runtime: Runtime) -> None:
    """Add the ``tail`` stage after ``rank`` once per configuration."""
    if not builder.has("tail"):
        builder.insert_after("rank", AppendTail(runtime))
