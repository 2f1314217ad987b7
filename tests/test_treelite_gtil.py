"""``treelite_gtil`` inside a session: thread settings reach the stage."""

from __future__ import annotations

from harness.scenario import load_scenario
from harness.session import open_session


def test_thread_setting_reaches_stage(write_scenario, redis_server, cache_dir):
    scenario = load_scenario(write_scenario("[optimizations.treelite_gtil]\nthreads = 2\n"))
    with open_session(scenario, ["treelite_gtil"], redis_server.url, cache_dir) as session:
        stage = session.pipeline("treelite_gtil").stages[3]
    assert stage.threads == 2
