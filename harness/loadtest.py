"""``rerank-bench load``: run Locust against the rerank service and write the result.

The run starts the service (``rerank-bench serve`` in a child process) or
targets a running one on a loopback address, then runs one headless Locust
process per load step. A single step uses a fixed user count. A stepped run
raises the user count step by step, and stops after the first step where
errors appear or every configuration's p95 exceeds the target. Every step is bounded in time
(``step_duration_s``) and in requests (``max_requests``).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import harness
from harness import environment, load_stats
from harness.artifacts import DEFAULT_CACHE, ensure_artifacts
from harness.compare import _header, new_run_id
from harness.errors import HarnessError
from harness.load_report import markdown
from harness.optimization import BASELINE
from harness.redis_server import free_port
from harness.results import write_json_atomic, write_text_atomic
from harness.scenario import Scenario
from harness.server import is_loopback

log = logging.getLogger(__name__)

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
REPOSITORY = Path(harness.__file__).resolve().parent.parent
# Seconds to wait for a started service to report ready; the first start of
# the default scenario builds artifacts and loads Redis.
SERVICE_START_TIMEOUT_S = 900.0
# Seconds a Locust process may run past its step duration before it is killed.
LOCUST_GRACE_S = 60.0
# Seconds to wait for the other workers once the first one is ready.
OTHER_WORKERS_WAIT_S = 30.0
# Trace requests handed to Locust; the trace repeats beyond this.
TRACE_LIMIT = 2_000


@dataclass(frozen=True)
class LoadPlan:
    """The offered load: one step per user count."""

    users: tuple[int, ...]
    spawn_rate: float | None  # users started per second; None starts a step's users within 1 s
    step_duration_s: float
    max_requests: int  # per step, over all Locust processes
    processes: int = 1  # Locust processes; above 1, Locust's own master and workers
    k: int = 10
    # Stop a stepped run after the first step with errors, or where every
    # configuration misses the target; False runs every step.
    stop_at_target: bool = True


@dataclass(frozen=True)
class ServiceSpec:
    """How to start the service when no running one is targeted."""

    workers: int = 2
    redis_url: str | None = None
    cache: Path = DEFAULT_CACHE
    extra_args: tuple[str, ...] = ()  # more 'rerank-bench serve' options


def check_target(url: str) -> str:
    """Return ``url`` without a trailing slash; raise unless it is http(s) on a loopback address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HarnessError(f"invalid --host {url!r}; use a URL such as http://127.0.0.1:8000")
    if not is_loopback(parts.hostname):
        raise HarnessError(
            f"--host {url!r} is not a loopback address; load tests only target 127.0.0.1, ::1 or localhost"
        )
    return url.rstrip("/")


def run_load(
    scenario: Scenario,
    configs: list[str],
    plan: LoadPlan,
    target: str | None = None,
    service: ServiceSpec = ServiceSpec(),
    results_dir: Path = Path("results"),
    run_id: str | None = None,
) -> tuple[dict[str, Any], Path]:
    """Run the load steps; write ``result.json``, ``report.md`` and Locust's CSV files."""
    target = check_target(target) if target else None
    run_id = run_id or new_run_id(scenario)
    folder = results_dir / run_id
    if folder.exists() and any(folder.iterdir()):
        raise HarnessError(f"results folder {folder} already exists; choose another --run-id")
    folder.mkdir(parents=True, exist_ok=True)
    created_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")

    artifacts = ensure_artifacts(scenario, service.cache)
    with tempfile.TemporaryDirectory(prefix="rerank-bench-load-") as scratch:
        requests_file = _write_trace(artifacts.workload.requests(), Path(scratch))
        with _service(scenario, configs, service, target) as (url, workers, health):
            _check_offered(health, configs, url)
            header = _header(run_id, created_at, scenario, environment.capture(health["redis_version"], health["redis_parser"]))
            result = header | {"complete": False, "stopped": "running", "configs": []}
            write_json_atomic(folder / "result.json", result)
            steps, stopped = _run_steps(plan, configs, url, requests_file, folder, scenario.targets.p95_ms)

    result = header | {"complete": True, "stopped": stopped, "configs": []}
    result["load"] = _load_section(url, workers, plan, configs, steps, scenario.targets.p95_ms)
    result["load"]["service_openmp_threads"] = health.get("openmp_threads")
    write_json_atomic(folder / "result.json", result)
    write_text_atomic(folder / "report.md", markdown(result))
    log.info("load run %s finished: %s; results in %s", run_id, stopped, folder)
    return result, folder


def _run_steps(plan: LoadPlan, configs: list[str], url: str, requests_file: Path, folder: Path,
               target_ms: float) -> tuple[list[dict], str]:
    steps: list[dict] = []
    stopped = "every step ran"
    for number, users in enumerate(plan.users):
        # --users counts users per configuration; Locust gets them all.
        spawn_rate = plan.spawn_rate or float(users)
        raw_dir = folder / "raw" / f"step-{number:02d}"
        csv_prefix = folder / f"locust-step{number:02d}"
        log.info("step %d: %d users per configuration for %g s against %s", number, users, plan.step_duration_s, url)
        run_locust(url, users, spawn_rate, plan, configs, requests_file, raw_dir, csv_prefix)

        records = load_stats.read_raw(raw_dir)
        locust_p95 = load_stats.read_locust_p95(Path(f"{csv_prefix}_final.json"))
        step = load_stats.step_entries(records, configs, users, spawn_rate, locust_p95)
        steps += step
        reason = load_stats.should_stop(step, target_ms) if plan.stop_at_target and len(plan.users) > 1 else None
        if reason:
            stopped = f"stopped after step {number} ({users} users): {reason}"
            break
    return steps, stopped


def run_locust(url: str, users: int, spawn_rate: float, plan: LoadPlan, configs: list[str],
               requests_file: Path, raw_dir: Path, csv_prefix: Path) -> None:
    """Run one headless Locust step and wait for it to end."""
    settings = {
        "requests_file": str(requests_file),
        "configs": configs,
        "k": plan.k,
        "raw_dir": str(raw_dir),
        "final_stats_file": f"{csv_prefix}_final.json",
        "max_requests": -(-plan.max_requests // plan.processes),  # ceiling: per process
    }
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", url,
        "-u", str(users * len(configs)), "-r", str(spawn_rate * len(configs)), "-t", f"{plan.step_duration_s:g}s",
        "--csv", str(csv_prefix), "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING",
    ]
    if plan.processes > 1:
        command += ["--processes", str(plan.processes)]
    env = os.environ | {
        "RERANK_BENCH_LOAD": json.dumps(settings),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])),
    }

    try:
        finished = subprocess.run(command, env=env, capture_output=True, text=True,
                                  timeout=plan.step_duration_s + LOCUST_GRACE_S)
    except subprocess.TimeoutExpired:
        raise HarnessError(f"Locust ran {LOCUST_GRACE_S:.0f} s past its {plan.step_duration_s:g} s step; see {raw_dir}") from None
    # Locust exits with 1 when requests failed; failures are part of the result.
    if finished.returncode not in (0, 1) or "Traceback" in finished.stderr:
        tail = finished.stderr.strip().splitlines()[-5:]
        raise HarnessError(f"Locust failed with status {finished.returncode}: {' | '.join(tail)}")


def _write_trace(requests, folder: Path) -> Path:
    trace = [{"retailer_id": r.retailer_id, "query": r.query_text} for r in requests[:TRACE_LIMIT]]
    path = folder / "requests.json"
    path.write_text(json.dumps(trace))
    return path


def _check_offered(health: dict, configs: list[str], url: str) -> None:
    missing = [name for name in configs if name not in health.get("configs", [])]
    if missing:
        raise HarnessError(
            f"the service at {url} does not offer {', '.join(missing)}; it offers {', '.join(health.get('configs', []))}"
        )


def _load_section(url: str, workers: int | None, plan: LoadPlan, configs: list[str], steps: list[dict],
                  target_ms: float) -> dict[str, Any]:
    section = {
        "target": url,
        "workers": workers,
        "processes": plan.processes,
        "configs": configs,
        "steps": steps,
        "saturation": load_stats.saturation(steps, configs, target_ms),
        "warnings": load_stats.step_warnings(steps),
    }
    if len(configs) == 2:
        denominator = BASELINE if BASELINE in configs else configs[0]
        numerator = next(name for name in configs if name != denominator)
        section["throughput_ratio_at_target"] = load_stats.throughput_ratio(section["saturation"], numerator, denominator)
        section["peak_throughput_ratio"] = load_stats.peak_throughput_ratio(section["saturation"], numerator, denominator)
    return section


class _service:
    """Start 'rerank-bench serve' in a child process, or use the running target."""

    def __init__(self, scenario: Scenario, configs: list[str], spec: ServiceSpec, target: str | None):
        self.scenario, self.configs, self.spec, self.target = scenario, configs, spec, target
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> tuple[str, int | None, dict]:
        if self.target:
            return self.target, None, wait_ready(self.target, 10.0)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [
            sys.executable, "-m", "harness", "-q", "serve", self.scenario.path, "--port", str(port),
            "--workers", str(self.spec.workers), "--cache-dir", str(self.spec.cache), *self.spec.extra_args,
        ]
        for name in self.configs:
            command += ["--config", name]
        if self.spec.redis_url:
            command += ["--redis-url", self.spec.redis_url]
        env = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen(command, env=env)
        return url, self.spec.workers, wait_ready(url, SERVICE_START_TIMEOUT_S, self.process, self.spec.workers)

    def __exit__(self, *exc) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def wait_ready(url: str, timeout_s: float, process: subprocess.Popen | None = None, workers: int = 1) -> dict:
    """Poll ``/healthz`` until ``workers`` worker processes report ready; return one report.

    The kernel picks which worker accepts each connection, so after the
    first ready response the others get ``OTHER_WORKERS_WAIT_S`` to show up.
    """
    deadline = time.monotonic() + timeout_s
    ready: dict[int, dict] = {}
    first_ready = 0.0
    last_error = "no response yet"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise HarnessError(f"the service exited with status {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
                report = json.loads(response.read())
                ready[report["pid"]] = report
        except urllib.error.HTTPError as exc:
            last_error = exc.read().decode(errors="replace")[:200]
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last_error = str(exc)
        if len(ready) >= workers or (first_ready and time.monotonic() - first_ready > OTHER_WORKERS_WAIT_S):
            return next(iter(ready.values()))
        if ready and not first_ready:
            first_ready = time.monotonic()
        time.sleep(0.2)
    raise HarnessError(f"the service at {url} was not ready within {timeout_s:.0f} s (last response: {last_error})")
