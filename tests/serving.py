"""Run the rerank service in a thread of the test process, over real HTTP."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import uvicorn

from harness.loadtest import wait_ready
from harness.redis_server import free_port
from harness.service import ServiceSettings, create_app

SMOKE_CONFIGS = ("baseline", "pipelined_reads+batched_scoring")


def smoke_settings(scenario, redis_url: str, cache_dir, **changes) -> ServiceSettings:
    """Service settings for the smoke scenario with two configurations."""
    return ServiceSettings(
        scenario_path=scenario.path, configs=SMOKE_CONFIGS, redis_url=redis_url, cache_dir=str(cache_dir), **changes
    )


@contextlib.contextmanager
def running_service(settings: ServiceSettings, wait: bool = True) -> Iterator[str]:
    """Serve ``settings`` with uvicorn on a free loopback port; yield the base URL."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        while not server.started and thread.is_alive():
            threading.Event().wait(0.05)
        if wait:
            wait_ready(url, 120.0)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)
