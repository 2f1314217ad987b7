"""Start the rerank service: prepare once in the parent, then run uvicorn workers.

The parent process builds (or reuses) the artifacts, starts a private Redis
unless ``redis_url`` is given, loads the feature store and prepares every
optimization once. Then uvicorn runs the worker processes; each builds its
own ``Session`` from the cache and the same Redis and skips the load.

uvicorn (0.55) starts its workers with multiprocessing's ``spawn`` method,
so no worker inherits the parent's XGBoost OpenMP thread pool or Redis
sockets. ``harness.openmp`` covers callers that fork instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import logging
import os
import socket
from pathlib import Path

import uvicorn

from harness.errors import HarnessError
from harness.redis_server import ManagedRedis
from harness.scenario import load_scenario
from harness.service import SETTINGS_VARIABLE, ServiceSettings
from harness.session import open_session

log = logging.getLogger(__name__)

REDIS_ERROR_MODES = ("fail", "degrade")


def is_loopback(host: str) -> bool:
    """Return True when ``host`` is localhost or a loopback IP address."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_port_free(host: str, port: int) -> None:
    """Raise ``HarnessError`` when ``host:port`` cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise HarnessError(f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port") from None


def serve(settings: ServiceSettings, host: str, port: int, workers: int, rebuild: bool = False) -> None:
    """Prepare the scenario, then serve until interrupted."""
    if settings.on_redis_error not in REDIS_ERROR_MODES:
        raise HarnessError(f"invalid Redis error mode {settings.on_redis_error!r}; use one of {', '.join(REDIS_ERROR_MODES)}")
    if not is_loopback(host):
        log.warning("binding to %s: the service is reachable from other machines", host)
    check_port_free(host, port)

    with contextlib.ExitStack() as stack:
        settings = _prepare(settings, stack, rebuild)
        os.environ[SETTINGS_VARIABLE] = settings.to_json()
        if settings.openmp_threads:
            # libgomp reads this when a spawned worker loads it, for every thread.
            os.environ["OMP_NUM_THREADS"] = str(settings.openmp_threads)
        log.info("serving %s on http://%s:%d with %d workers", ", ".join(settings.configs), host, port, workers)
        uvicorn.run(
            "harness.service:app_from_environment", factory=True, host=host, port=port,
            workers=workers, log_level="warning", timeout_graceful_shutdown=5,
        )


def _prepare(settings: ServiceSettings, stack: contextlib.ExitStack, rebuild: bool) -> ServiceSettings:
    """Build artifacts, start Redis if needed, load it; return settings naming that Redis."""
    scenario = load_scenario(settings.scenario_path)
    redis_url = settings.redis_url
    if not redis_url:
        redis_url = stack.enter_context(ManagedRedis()).url

    # Building every pipeline once prepares each optimization (compiled
    # libraries, second models) in the cache, where the workers find them.
    with open_session(scenario, settings.configs, redis_url, Path(settings.cache_dir), rebuild):
        pass
    return dataclasses.replace(settings, redis_url=redis_url, scenario_path=scenario.path)
