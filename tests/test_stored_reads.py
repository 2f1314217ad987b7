"""Decoded reads and subset assembly, against the in-memory workload."""

from __future__ import annotations

import numpy as np
import pytest

from harness.layouts import load_packed_layout
from harness.stored_reads import HashReader, PackedReader, assemble_rows
from harness.workload.base import max_retrieval_score
from tests.lossy_support import distinct_requests, session


@pytest.fixture(scope="module")
def runtime(smoke_scenario, redis_server, cache_dir):
    with session(smoke_scenario, ["baseline"], redis_server, cache_dir) as opened:
        yield opened.runtime


IDS = [9, 2, 2, 41, 0]


@pytest.mark.parametrize("pipelined", [True, False])
def test_hash_reader_reads_all_fields(runtime, pipelined):
    read = HashReader(runtime, pipelined=pipelined).read(runtime.client, IDS)

    assert np.array_equal(read, runtime.workload.stored[IDS].astype(np.float64), equal_nan=True)


def test_hash_reader_reads_selected_fields(runtime):
    columns = [5, 1, 17]
    read = HashReader(runtime, columns).read(runtime.client, IDS)
    expected = np.full_like(read, np.nan)
    expected[:, columns] = runtime.workload.stored[IDS][:, columns]

    assert np.array_equal(read, expected, equal_nan=True)


def test_packed_reader_matches_hashes(runtime):
    load_packed_layout(runtime.store, runtime.workload.stored)
    read = PackedReader(runtime).read(runtime.client, IDS)

    assert np.array_equal(read, runtime.workload.stored[IDS].astype(np.float64), equal_nan=True)


def test_assemble_rows_equal_full_rows(runtime):
    workload = runtime.workload
    request = distinct_requests(workload)[0]
    ids, bm25 = runtime.retriever.search(request, runtime.scenario.workload.candidates)
    full = workload.feature_matrix(request, ids, bm25)
    positions = np.array([3, 7, 8, 30])
    retailer = workload.retailer_features[request.retailer_id].astype(np.float64).tolist()
    info = workload.request_info(request, retailer)
    stored = workload.stored[ids[positions]].astype(np.float64)
    rows = assemble_rows(workload, info, stored, bm25[positions], positions, max_retrieval_score(bm25))

    assert np.array_equal(rows, full[positions], equal_nan=True)
