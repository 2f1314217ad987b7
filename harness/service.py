"""The HTTP rerank service: an ASGI app over the same pipelines ``compare`` times.

Routes:

    POST /rank      {"retailer_id": int, "query": str, "k": int} -> top k products
    GET  /healthz   200 once the artifacts are loaded and Redis responds, else 503

The header ``X-Rerank-Config`` picks one of the configurations the service
was started with (default: the first), so one load test can interleave
configurations. Every response carries a ``Server-Timing`` header with each
stage's duration in milliseconds, plus ``total`` for the time in the app.
Past ``max_in_flight`` requests in flight in a worker, ``/rank`` returns
503 with ``Retry-After`` at once. ``harness.service_worker`` runs the
pipelines.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse
from starlette.routing import Route

from harness.errors import HarnessError
from harness.server_timing import format_header
from harness.service_request import BadRequest, parse_body, parse_rank_request
from harness.service_worker import FeatureStoreDown, RankResult, RankService, ServiceSettings

__all__ = ["CONFIG_HEADER", "SETTINGS_VARIABLE", "ServiceSettings", "app_from_environment", "create_app"]

log = logging.getLogger(__name__)

CONFIG_HEADER = "X-Rerank-Config"
SETTINGS_VARIABLE = "RERANK_BENCH_SERVICE"
# Seconds a client should wait before retrying after a 503.
RETRY_AFTER_S = 1
# Seconds a health check waits for Redis to respond to PING.
HEALTH_PING_TIMEOUT_S = 2.0


def _respond(status: int, body: dict[str, Any], started: int, stage_ns=(), headers=None) -> JSONResponse:
    total = time.perf_counter_ns() - started
    all_headers = {"Server-Timing": format_header(list(stage_ns), total)} | (headers or {})
    return JSONResponse(body, status_code=status, headers=all_headers)


def _unavailable(message: str, started: int) -> JSONResponse:
    return _respond(503, {"error": message, "field": None}, started, headers={"Retry-After": str(RETRY_AFTER_S)})


async def _read_body(request: HttpRequest, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BadRequest(413, None, f"request body of {declared} bytes exceeds the limit of {limit} bytes; send a smaller body or raise --max-body-bytes")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:  # a chunked body declares no length
            raise BadRequest(413, None, f"request body exceeds the limit of {limit} bytes; send a smaller body or raise --max-body-bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _choose_config(request: HttpRequest, settings: ServiceSettings) -> str:
    name = request.headers.get(CONFIG_HEADER, settings.configs[0])
    if name not in settings.configs:
        raise BadRequest(
            404, CONFIG_HEADER, f"configuration {name!r} not found; this service offers {', '.join(settings.configs)}"
        )
    return name


def create_app(settings: ServiceSettings) -> Starlette:
    """Build the ASGI app of one worker process."""
    service = RankService(settings)

    async def rank(request: HttpRequest) -> JSONResponse:
        started = time.perf_counter_ns()
        if service.session is None:
            return _unavailable(f"service not ready: {service.load_error}", started)
        if service.in_flight >= settings.max_in_flight:
            service.failures.warn("overloaded, rejecting /rank", f"{service.in_flight} requests in flight")
            return _unavailable(f"overloaded: {service.in_flight} requests in flight; retry later", started)

        service.in_flight += 1
        try:
            return await _serve_rank(request, started)
        finally:
            service.in_flight -= 1

    async def _serve_rank(request: HttpRequest, started: int) -> JSONResponse:
        try:
            config = _choose_config(request, settings)
            payload = parse_body(await _read_body(request, settings.max_body_bytes))
            pipeline_request, k = parse_rank_request(payload, service.limits)
        except BadRequest as exc:
            service.failures.warn(f"rejected /rank with {exc.status}", exc.message)
            return _respond(exc.status, exc.body(), started)

        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(service.executor, service.rank, config, pipeline_request, k)
        except FeatureStoreDown as exc:
            return _unavailable(f"feature store unavailable: Redis at {settings.redis_url} failed ({exc}); retry later", started)

        await _pad(started, settings.pad_latency_ms, result)
        body = {"config": config, "k": k, "degraded": result.degraded, "products": result.products}
        return _respond(200, body, started, result.stage_ns)

    async def healthz(request: HttpRequest) -> JSONResponse:
        started = time.perf_counter_ns()
        loop = asyncio.get_running_loop()
        try:
            status, body = await asyncio.wait_for(loop.run_in_executor(None, service.health), HEALTH_PING_TIMEOUT_S)
        except asyncio.TimeoutError:
            status, body = 503, {"status": "redis unreachable", "error": "PING timed out", "pid": os.getpid()}
        return _respond(status, body, started)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        service.start_loading()
        yield
        service.close()

    async def unknown_route(request: HttpRequest, exc: HTTPException) -> JSONResponse:
        # Starlette's own 404 and 405 responses carry no Server-Timing header.
        message = f"{request.method} {request.url.path}: {exc.detail}; use POST /rank or GET /healthz"
        return _respond(exc.status_code, {"error": message, "field": None}, time.perf_counter_ns())

    app = Starlette(
        routes=[Route("/rank", rank, methods=["POST"]), Route("/healthz", healthz, methods=["GET"])],
        exception_handlers={404: unknown_route, 405: unknown_route},
        lifespan=lifespan,
    )
    app.state.service = service
    return app


async def _pad(started: int, pad_ms: float, result: RankResult) -> None:
    # Test aid: hold the response until pad_ms have passed in the app, and
    # report the wait as a stage, so latencies land at a known value.
    if pad_ms <= 0:
        return
    waited = time.perf_counter_ns()
    remaining = pad_ms / 1e3 - (waited - started) / 1e9
    if remaining > 0:
        await asyncio.sleep(remaining)
    result.stage_ns.append(("pad", time.perf_counter_ns() - waited))


def app_from_environment() -> Starlette:
    """Build the app from the settings in ``RERANK_BENCH_SERVICE`` (uvicorn factory)."""
    if not logging.getLogger().handlers:  # a spawned worker inherits no logging setup
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    text = os.environ.get(SETTINGS_VARIABLE)
    if not text:
        raise HarnessError(f"{SETTINGS_VARIABLE} is not set; start the service with 'rerank-bench serve'")
    return create_app(ServiceSettings.from_json(text))
