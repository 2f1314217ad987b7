"""Shared check for lossless optimizations: same rankings and scores as the baseline.

Not a test module itself; the test modules of each lossless optimization
call ``assert_matches_baseline`` for the configurations they support.
"""

from __future__ import annotations

import numpy as np

from harness.session import open_session


def run_every_query(scenario, config_names, redis_url, cache_dir) -> dict[str, list]:
    """Run every distinct request of the trace through each configuration.

    Returns, per configuration, a list of (ranking, scores) in trace order.
    """
    outputs: dict[str, list] = {}
    with open_session(scenario, ["baseline", *config_names], redis_url, cache_dir) as session:
        requests = _distinct_requests(session.runtime.workload.requests())
        for config in session.configs:
            pipeline = session.pipeline(config.name)
            runs = []
            for request in requests:
                context, _ = pipeline.run(request)
                runs.append((context.ranking, np.asarray(context.scores, dtype=np.float32)))
            outputs[config.name] = runs
    return outputs


def assert_matches_baseline(outputs: dict[str, list]) -> None:
    """Assert identical rankings and scores equal within float32 rounding."""
    baseline = outputs["baseline"]
    for name, runs in outputs.items():
        for number, ((ranking, scores), (base_ranking, base_scores)) in enumerate(zip(runs, baseline)):
            assert np.array_equal(ranking, base_ranking), f"{name}: ranking differs on request {number}"
            assert np.allclose(scores, base_scores, rtol=2e-7, atol=1e-6), f"{name}: scores differ on request {number}"


def _distinct_requests(requests):
    # One request per (query, retailer) pair: repeats of a pair in the Zipf
    # trace run the same computation again.
    seen, distinct = set(), []
    for request in requests:
        key = (request.query_text, request.retailer_id)
        if key not in seen:
            seen.add(key)
            distinct.append(request)
    return distinct
