"""The HTTP rerank service: an ASGI app over the same pipelines ``compare`` times.

Routes:

    POST /rank      {"retailer_id": int, "query": str, "k": int} -> top k products
    GET  /healthz   200 once the artifacts are loaded and Redis responds, else 503

The header ``X-Rerank-Config`` picks one of the configurations the service
was started with (default: the first), so one load test can interleave
configurations. Every response carries a ``Server-Timing`` header with each
stage's duration in milliseconds, plus ``total`` for the time in the app.

Each worker process builds its ``Session`` in a background thread, so
``/healthz`` can return 503 while it loads. The artifacts come from the
cache, and the feature store load is skipped because the parent process
loaded Redis first. Pipelines run in a small thread pool (``threads``), so
the event loop stays free to reject requests: past ``max_in_flight``
requests in flight, ``/rank`` returns 503 with ``Retry-After`` at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import redis
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse
from starlette.routing import Route

from harness import openmp
from harness.errors import HarnessError
from harness.pipeline import Pipeline, RequestContext
from harness.scenario import load_scenario
from harness.server_timing import format_header
from harness.service_request import BadRequest, RequestLimits, parse_body, parse_rank_request
from harness.session import Session, open_session
from harness.session import _load_store as load_store
from harness.workload.base import Request

log = logging.getLogger(__name__)
openmp.install_fork_hook()  # a caller may fork this process after it loaded the session

CONFIG_HEADER = "X-Rerank-Config"
SETTINGS_VARIABLE = "RERANK_BENCH_SERVICE"
REDIS_ERRORS = (redis.ConnectionError, redis.TimeoutError)
# Seconds a client should wait before retrying after a 503.
RETRY_AFTER_S = 1
# Seconds between two log lines about the same kind of failure.
FAILURE_LOG_INTERVAL_S = 10.0
# Seconds between two attempts to load the session while Redis is down.
LOAD_RETRY_S = 1.0
# Seconds a health check waits for Redis to respond to PING.
HEALTH_PING_TIMEOUT_S = 2.0
# Seconds between two checks that the feature store is still loaded.
STORE_CHECK_INTERVAL_S = 1.0


@dataclass(frozen=True)
class ServiceSettings:
    """Settings every worker process needs to build the same service."""

    scenario_path: str
    configs: tuple[str, ...]
    redis_url: str
    cache_dir: str
    max_body_bytes: int = 16_384
    max_in_flight: int = 4  # per worker process
    threads: int = 1  # pipelines running at once per worker process
    on_redis_error: str = "fail"  # "fail": 503; "degrade": retrieval order
    # OpenMP threads per worker for XGBoost; 0 keeps the model's own count.
    openmp_threads: int = 0
    # Test aid: pad each /rank response to at least this many ms of app time.
    pad_latency_ms: float = 0.0

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "ServiceSettings":
        data = json.loads(text)
        data["configs"] = tuple(data["configs"])
        return cls(**data)


@dataclass
class FailureLog:
    """One warning line per failure kind per interval, with the repeats counted."""

    interval_s: float = FAILURE_LOG_INTERVAL_S
    _last: dict[str, float] = field(default_factory=dict)
    _suppressed: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def warn(self, kind: str, cause: object) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(kind, -self.interval_s) < self.interval_s:
                self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
                return
            repeats = self._suppressed.pop(kind, 0)
            self._last[kind] = now
        log.warning("%s: %s (%d more since the last line) [pid %d]", kind, cause, repeats, os.getpid())


class FeatureStoreDown(Exception):
    """Redis failed during a request."""


@dataclass
class RankResult:
    """One served ranking and the time spent in each stage."""

    products: list[dict[str, Any]]
    stage_ns: list[tuple[str, int]]
    degraded: bool = False


class RankService:
    """The state of one worker process: its session, limits and counters."""

    def __init__(self, settings: ServiceSettings):
        self.settings = settings
        self.session: Session | None = None
        self.limits: RequestLimits | None = None
        self.load_error: str | None = "loading artifacts"
        self.in_flight = 0
        self.failures = FailureLog()
        # omp_set_num_threads applies to the calling thread only, so each
        # pipeline thread sets its own count when it starts.
        self.executor = ThreadPoolExecutor(
            max_workers=settings.threads, thread_name_prefix="rank", initializer=self._start_pipeline_thread
        )
        self._stack = contextlib.ExitStack()
        self._stopping = threading.Event()
        self._store_ok = False  # True once the loaded-data marker was seen
        self._store_checked_at = 0.0
        self._reload_lock = threading.Lock()

    # --- lifecycle ---

    def start_loading(self) -> None:
        threading.Thread(target=self._load_until_ready, name="session-loader", daemon=True).start()

    def _load_until_ready(self) -> None:
        scenario = load_scenario(self.settings.scenario_path)
        while not self._stopping.is_set():
            try:
                session = self._stack.enter_context(
                    open_session(scenario, self.settings.configs, self.settings.redis_url, Path(self.settings.cache_dir))
                )
            except (HarnessError, *REDIS_ERRORS) as exc:  # Redis can also fail during the store load
                self.load_error = str(exc)
                self.failures.warn("session load failed, retrying", exc)
                self._stopping.wait(LOAD_RETRY_S)
                continue
            if self.settings.openmp_threads:
                openmp.limit_threads(self.settings.openmp_threads)
            self.limits = _limits(session)
            self.session = session
            self.load_error = None
            log.info("worker %d ready: configurations %s", os.getpid(), ", ".join(self.settings.configs))
            return

    def _start_pipeline_thread(self) -> None:
        if self.settings.openmp_threads:
            openmp.limit_threads(self.settings.openmp_threads)

    def close(self) -> None:
        self._stopping.set()
        self.executor.shutdown(wait=True, cancel_futures=True)
        self._stack.close()

    # --- the work of one request ---

    def rank(self, config: str, request: Request, k: int) -> RankResult:
        """Run one request through a configuration's pipeline (worker thread)."""
        pipeline = self.session.pipeline(config)
        try:
            self._check_store()
            context, timings = pipeline.run(request)
        except REDIS_ERRORS as exc:
            self._store_ok = False
            self.failures.warn("Redis unreachable during /rank", exc)
            if self.settings.on_redis_error == "degrade":
                return self._retrieval_order(pipeline, request, k)
            raise FeatureStoreDown(str(exc)) from None

        stage_ns = list(zip(pipeline.stage_names, timings))
        return RankResult(_top_products(context, k), stage_ns)

    def _retrieval_order(self, pipeline: Pipeline, request: Request, k: int) -> RankResult:
        # The retriever needs no Redis, so retrieval order is a usable response.
        retrieve = next(stage for stage in pipeline.stages if stage.name == "retrieve")
        context = RequestContext(request)
        started = time.perf_counter_ns()
        retrieve(context)
        elapsed = time.perf_counter_ns() - started
        products = [
            {"product_id": int(p), "score": float(s)}
            for p, s in zip(context.candidates[:k].tolist(), context.retrieval_scores[:k].tolist())
        ]
        return RankResult(products, [("retrieve", elapsed)], degraded=True)

    def _check_store(self) -> None:
        # A Redis that restarts without persistence comes back empty, and
        # redis-py's retry can hide the restart from the request that hits
        # it. So check the loaded-data marker at most once per interval, and
        # at once after a failure; reload the store when the marker is gone.
        # The service then recovers without a restart instead of ranking
        # with missing features.
        now = time.monotonic()
        if self._store_ok and now - self._store_checked_at < STORE_CHECK_INTERVAL_S:
            return
        with self._reload_lock:
            runtime = self.session.runtime
            if not runtime.store.is_loaded("hash", runtime.workload.stored.shape[0]):
                log.warning("feature store in Redis is empty, reloading it [pid %d]", os.getpid())
                load_store(runtime.store, runtime.artifacts)
            self._store_ok = True
            self._store_checked_at = time.monotonic()

    def health(self) -> tuple[int, dict[str, Any]]:
        """Return the health status code and body (worker thread)."""
        if self.session is None:
            return 503, {"status": "loading", "error": self.load_error, "pid": os.getpid()}
        try:
            self.session.runtime.client.ping()
        except REDIS_ERRORS as exc:
            return 503, {"status": "redis unreachable", "error": str(exc), "pid": os.getpid()}
        return 200, {
            "status": "ready",
            "pid": os.getpid(),
            "configs": list(self.settings.configs),
            "in_flight": self.in_flight,
            "redis_version": self.session.redis_version,
            "redis_parser": self.session.redis_parser,
        }


def _limits(session: Session) -> RequestLimits:
    scenario = session.runtime.scenario
    workload = session.runtime.workload
    groups = getattr(workload, "candidates", None)
    return RequestLimits(
        top_k=scenario.workload.top_k,
        retailers=0 if workload.retailer_features is None else workload.retailer_features.shape[0],
        query_groups=0 if groups is None or workload.kind != "ltr" else groups.shape[0],
    )


def _top_products(context: RequestContext, k: int) -> list[dict[str, Any]]:
    """Return the top k product ids with their model scores."""
    position = {product: i for i, product in enumerate(context.candidates.tolist())}
    scores = np.asarray(context.scores, dtype=np.float64)
    return [{"product_id": int(p), "score": float(scores[position[p]])} for p in context.ranking[:k].tolist()]


# --- HTTP layer ---


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
