"""The main job: compare configurations side by side and write the result."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import signal
import time
from pathlib import Path
from typing import Any

from harness import environment, progress
from harness.analysis import QualityJudge, analyze
from harness.artifacts import DEFAULT_CACHE
from harness.errors import HarnessError, RunInterrupted
from harness.optimization import BASELINE
from harness.report import markdown
from harness.results import SCHEMA_VERSION, write_json_atomic, write_text_atomic
from harness.runner import RawRun, run_comparison
from harness.scenario import Scenario
from harness.session import open_session

log = logging.getLogger(__name__)


def new_run_id(scenario: Scenario) -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{scenario.name}"


def run_compare(
    scenario: Scenario,
    config_names: list[str] | None = None,
    redis_url: str | None = None,
    cache: Path = DEFAULT_CACHE,
    results_dir: Path = Path("results"),
    run_id: str | None = None,
    rebuild: bool = False,
) -> tuple[dict[str, Any], Path]:
    """Run the comparison; return the result and its folder.

    Raises ``RunInterrupted`` after saving an incomplete result when the run
    stops early (Redis failure, Ctrl-C, SIGTERM).
    """
    names = list(config_names or scenario.run.configs)
    if BASELINE not in names:
        log.info("adding 'baseline' to the configurations, since speedups and quality are paired against it")
        names.insert(0, BASELINE)

    run_id = run_id or new_run_id(scenario)
    folder = results_dir / run_id
    if folder.exists() and any(folder.iterdir()):
        raise HarnessError(f"results folder {folder} already exists; choose another --run-id")
    created_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")

    with open_session(scenario, names, redis_url, cache, rebuild) as session, _sigterm_as_interrupt():
        env = environment.capture(session.redis_version, session.redis_parser)
        env["redis_target"] = session.redis_target
        header = _header(run_id, created_at, scenario, env)
        write_json_atomic(folder / "result.json", header | {"complete": False, "stopped": "running", "configs": []})

        budget = len(names) * scenario.run.time_budget_s
        with progress.task(f"comparing {len(names)} configurations (s)", int(budget)) as advance:
            raw = run_comparison(session.configs, session.pipelines, session.runtime.workload.requests(), scenario.run, advance)

        judge = QualityJudge(session.runtime.workload, session.runtime.retriever, scenario.workload.candidates)
        result = _result(header, raw, scenario, judge)

    _write(folder, result)
    if not result["complete"]:
        raise RunInterrupted(f"run stopped early ({result['stopped']}); partial result saved in {folder}")
    log.info("run %s finished in %.0f s; results in %s", run_id, raw.wall_seconds, folder)
    return result, folder


def _header(run_id: str, created_at: str, scenario: Scenario, env: dict) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "created_at": created_at,
        "scenario": {
            "name": scenario.name,
            "path": scenario.path,
            "content_hash": scenario.content_hash,
            "shape": scenario.shape(),
        },
        "environment": env,
        "targets": dataclasses.asdict(scenario.targets),
    }


def _result(header: dict, raw: RawRun, scenario: Scenario, judge: QualityJudge) -> dict[str, Any]:
    result = header | {"complete": raw.complete, "stopped": raw.stopped}
    result["wall_seconds"] = round(raw.wall_seconds, 1)
    result["configs"] = analyze(raw, scenario, judge)
    return result


def _write(folder: Path, result: dict[str, Any]) -> None:
    write_json_atomic(folder / "result.json", result)
    write_text_atomic(folder / "report.md", markdown(result))


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """Treat SIGTERM like Ctrl-C, so a stopped run still saves its result."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
