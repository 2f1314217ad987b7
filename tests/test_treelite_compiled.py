"""``treelite_compiled`` inside a session: thread settings reach the stage."""

from __future__ import annotations

from harness.scenario import load_scenario
from harness.session import open_session


def test_thread_setting_reaches_stage(write_scenario, redis_server, cache_dir):
    table = "[optimizations.treelite_compiled]\nthreads = 2\ncompile_threads = 1\n"
    scenario = load_scenario(write_scenario(table))
    with open_session(scenario, ["treelite_compiled"], redis_server.url, cache_dir) as session:
        stage = session.pipeline("treelite_compiled").stages[3]
    assert stage.threads == 2


def test_default_is_one_thread(smoke_scenario, redis_server, cache_dir):
    with open_session(smoke_scenario, ["treelite_compiled"], redis_server.url, cache_dir) as session:
        stage = session.pipeline("treelite_compiled").stages[3]
    assert stage.threads == 1
