"""The process that ``rerank-bench profile`` runs under py-spy.

py-spy launches this module as its child, so tracing needs no attach
permission beyond a parent's. It opens a session with one configuration
and runs requests of the trace through it until either bound is reached.
Samples taken while the session starts (artifacts, Redis loading) fall
outside ``drive_requests``; the profile summary counts only samples inside
it.

Usage: ``python -m harness.profile_target '<json settings>'``.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

from harness.scenario import load_scenario
from harness.session import open_session

log = logging.getLogger(__name__)

# Frame name the summary looks for to tell request work from setup.
LOOP_FUNCTION = "drive_requests"


def drive_requests(pipeline, requests, max_requests: int, max_seconds: float) -> int:
    """Run requests through ``pipeline`` until either bound; return the count."""
    deadline = time.monotonic() + max_seconds
    count = 0
    while count < max_requests and time.monotonic() < deadline:
        pipeline.run(requests[count % len(requests)])
        count += 1
    return count


def main(argv: list[str]) -> None:
    settings = json.loads(argv[0])
    scenario = load_scenario(settings["scenario"])
    config = settings["config"]

    with open_session(scenario, [config], settings.get("redis_url"), Path(settings["cache_dir"])) as session:
        pipeline = session.pipeline(config)
        requests = session.runtime.workload.requests()
        for request in requests[: settings["warmup"]]:
            pipeline.run(request)
        count = drive_requests(pipeline, requests, settings["requests"], settings["seconds"])

    print(json.dumps({"requests": count}))


if __name__ == "__main__":
    main(sys.argv[1:])
