"""The state of one rerank service worker: its session, limits and counters.

A worker builds its ``Session`` in a background thread, so the HTTP layer
can return 503 while it loads. The artifacts come from the cache, and the
feature store load is skipped because the parent process loaded Redis
first. Pipelines run in a small thread pool (``threads``), which keeps the
event loop free to reject requests at once.
"""

from __future__ import annotations

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

from harness import openmp
from harness.errors import HarnessError
from harness.pipeline import Pipeline, RequestContext
from harness.scenario import load_scenario
from harness.service_request import RequestLimits
from harness.session import Session, open_session
from harness.session import _load_store as load_store
from harness.workload.base import Request

log = logging.getLogger(__name__)
openmp.install_fork_hook()  # a caller may fork this process after it loaded the session

REDIS_ERRORS = (redis.ConnectionError, redis.TimeoutError)
# Seconds between two log lines about the same kind of failure.
FAILURE_LOG_INTERVAL_S = 10.0
# Seconds between two attempts to load the session while Redis is down.
LOAD_RETRY_S = 1.0
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
        # NOTE: requests in the interval between a silent restart and the
        # next check still rank with missing features, and several workers
        # may reload at once (the same values, written twice).
        now = time.monotonic()
        if self._store_ok and now - self._store_checked_at < STORE_CHECK_INTERVAL_S:
            return
        with self._reload_lock:
            runtime = self.session.runtime
            if not runtime.store.is_loaded("hash", runtime.workload.stored.shape[0]):
                log.warning("feature store in Redis is empty, reloading it [pid %d]", os.getpid())
                load_store(runtime.store, runtime.artifacts)
                # Other layouts (packed, quantized, the cascade's) went with
                # the restart too; each optimization's prepare reloads its
                # own when the marker is missing and reuses cached models.
                for config in self.session.configs:
                    for optimization in config.optimizations:
                        optimization.prepare(runtime)
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
            "openmp_threads": self.settings.openmp_threads,
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
