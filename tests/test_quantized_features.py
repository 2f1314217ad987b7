"""``quantized_features`` inside a session: payload size and the quantized stages."""

from __future__ import annotations

from harness.session import open_session


def test_layout_smaller_than_packed(smoke_scenario, redis_server, cache_dir):
    with open_session(smoke_scenario, ["quantized_features"], redis_server.url, cache_dir) as session:
        model = next(value for key, value in session.runtime.shared.items() if key.startswith("quantized:"))[0]
        packed_bytes = 4 * session.runtime.workload.stored.shape[1]
    assert model.row_bytes < packed_bytes


def test_quantized_stage_names(smoke_scenario, redis_server, cache_dir):
    with open_session(smoke_scenario, ["quantized_features"], redis_server.url, cache_dir) as session:
        names = [type(stage).__name__ for stage in session.pipeline("quantized_features").stages]
    assert names == ["Retrieve", "FetchBinary", "AssembleCodes", "ScoreCodes", "RankArgsort"]
