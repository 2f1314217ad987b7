"""``python_parser``: every fetch stage reads through the pure-Python reply parser."""

from __future__ import annotations

from harness.redis_server import parser_name
from harness.session import open_session

CONFIGS = ["baseline", "python_parser", "pipelined_reads+python_parser", "python_parser+packed_features"]


def fetch_parsers(scenario, redis_url, cache_dir) -> dict[str, str]:
    with open_session(scenario, CONFIGS, redis_url, cache_dir) as session:
        return {name: parser_name(session.pipeline(name).stages[1].client) for name in CONFIGS}


def test_fetch_stages_use_python_parser(smoke_scenario, redis_server, cache_dir):
    parsers = fetch_parsers(smoke_scenario, redis_server.url, cache_dir)
    assert parsers["python_parser"] == "python"
    assert parsers["pipelined_reads+python_parser"] == "python"
    assert parsers["python_parser+packed_features"] == "python"


def test_baseline_keeps_hiredis(smoke_scenario, redis_server, cache_dir):
    assert fetch_parsers(smoke_scenario, redis_server.url, cache_dir)["baseline"] == "hiredis"
