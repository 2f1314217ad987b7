"""``numba_forest`` inside a session: settings reach the stage, conflicts are rejected."""

from __future__ import annotations

import pytest

from harness.errors import HarnessError
from harness.scenario import load_scenario
from harness.session import open_session


def test_thread_setting_reaches_stage(write_scenario, redis_server, cache_dir):
    scenario = load_scenario(write_scenario("[optimizations.numba_forest]\nthreads = 2\n"))
    with open_session(scenario, ["batched_scoring+numba_forest"], redis_server.url, cache_dir) as session:
        stage = session.pipeline("batched_scoring+numba_forest").stages[3]
    assert stage.threads == 2


def test_invalid_thread_setting_rejected(write_scenario, redis_server, cache_dir):
    scenario = load_scenario(write_scenario("[optimizations.numba_forest]\nthreads = 0\n"))
    with pytest.raises(HarnessError, match="threads = 0"):
        with open_session(scenario, ["numba_forest"], redis_server.url, cache_dir):
            pass


def test_two_scorers_conflict(smoke_scenario, redis_server, cache_dir):
    with pytest.raises(HarnessError, match="conflict"):
        with open_session(smoke_scenario, ["numba_forest+treelite_gtil"], redis_server.url, cache_dir):
            pass
