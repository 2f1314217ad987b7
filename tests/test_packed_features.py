"""``packed_features`` inside a session: conflicts with other stored-feature layouts."""

from __future__ import annotations

import pytest

from harness.errors import HarnessError
from harness.session import open_session


@pytest.mark.parametrize("other", ["pipelined_reads", "quantized_features"])
def test_second_layout_conflicts(smoke_scenario, redis_server, cache_dir, other):
    with pytest.raises(HarnessError, match="conflict"):
        with open_session(smoke_scenario, [f"packed_features+{other}"], redis_server.url, cache_dir):
            pass
