"""The rerank path: stage timing, and lossless configurations equal the baseline."""

from __future__ import annotations

import numpy as np
import pytest

from harness.pipeline import STAGES
from harness.session import open_session
from tests.conftest import requires_ltr

LOSSLESS = ["pipelined_reads", "batched_scoring", "pipelined_reads+batched_scoring"]


@pytest.fixture(scope="module")
def smoke_session(smoke_scenario, redis_server, cache_dir):
    with open_session(smoke_scenario, ["baseline", *LOSSLESS], redis_server.url, cache_dir) as session:
        yield session


def run_all(session, requests):
    """Return each configuration's rankings and scores for every request."""
    out = {}
    for config, pipeline in zip(session.configs, session.pipelines):
        contexts = [pipeline.run(request)[0] for request in requests]
        out[config.name] = contexts
    return out


def assert_matches_baseline(results: dict):
    baseline = results["baseline"]
    for name, contexts in results.items():
        for reference, context in zip(baseline, contexts):
            assert np.array_equal(context.ranking, reference.ranking), (name, context.request)
            assert np.allclose(
                np.asarray(context.scores, dtype=np.float32),
                np.asarray(reference.scores, dtype=np.float32),
                rtol=1e-6, atol=1e-6,
            ), (name, context.request)


def test_lossless_rankings_equal_baseline(smoke_session):
    requests = smoke_session.runtime.workload.requests()
    assert len(requests) == 200
    assert_matches_baseline(run_all(smoke_session, requests))


def test_vectorized_features_bit_identical(smoke_session):
    requests = smoke_session.runtime.workload.requests()[:40]
    naive = smoke_session.pipeline("baseline")
    batched = smoke_session.pipeline("batched_scoring")
    for request in requests:
        rows = np.array(naive.run(request)[0].features, dtype=np.float32)
        matrix = batched.run(request)[0].features
        assert rows.shape == matrix.shape
        assert np.array_equal(rows, matrix, equal_nan=True), request


def test_assembled_features_equal_memory_reference(smoke_session):
    workload = smoke_session.runtime.workload
    request = workload.requests()[3]
    context, _ = smoke_session.pipeline("batched_scoring").run(request)
    reference = workload.feature_matrix(request, context.candidates, context.retrieval_scores)
    assert np.array_equal(context.features, reference, equal_nan=True)


def test_every_stage_timed(smoke_session):
    request = smoke_session.runtime.workload.requests()[0]
    for pipeline in smoke_session.pipelines:
        context, timings = pipeline.run(request)
        assert pipeline.stage_names == STAGES
        assert len(timings) == len(STAGES)
        assert all(isinstance(t, int) and t > 0 for t in timings)
        assert len(context.ranking) == smoke_session.runtime.scenario.workload.top_k


def test_ties_keep_retrieval_order(smoke_session):
    from harness.stages.rank import RankArgsort, RankSorted
    from harness.pipeline import RequestContext

    context = RequestContext(request=None, candidates=np.array([10, 11, 12, 13]))
    context.scores = [0.5, 0.9, 0.5, 0.9]
    for stage in (RankSorted(smoke_session.runtime), RankArgsort(smoke_session.runtime)):
        stage.top_k = 4
        stage(context)
        assert context.ranking.tolist() == [11, 13, 10, 12]


def test_store_keys_under_prefix(smoke_session):
    client = smoke_session.runtime.client
    prefix = smoke_session.runtime.store.prefix.encode()
    assert client.exists(smoke_session.runtime.store.product_key(0))
    assert all(key.startswith(b"rerank-bench:") for key in client.scan_iter(match=b"*"))
    assert any(key.startswith(prefix) for key in client.scan_iter(match=b"*"))


@requires_ltr
def test_lossless_on_ltr_sample(small_ltr_scenario, redis_server, cache_dir):
    with open_session(small_ltr_scenario, ["baseline", *LOSSLESS], redis_server.url, cache_dir) as session:
        requests = session.runtime.workload.requests()
        groups = {r.query_id: r for r in requests}  # every query group once
        assert len(groups) == 50
        assert_matches_baseline(run_all(session, list(groups.values())))
