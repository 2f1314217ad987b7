"""Profiling: the ptrace preflight, the speedscope summary and a real py-spy run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from harness import cli, profiling
from harness.errors import HarnessError

REPO = Path(__file__).resolve().parent.parent
WITH_PTRACE = "CapEff:\t000001ffffffffff\n"
WITHOUT_PTRACE = "CapEff:\t0000000000000000\n"


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _preflight_message(tmp_path, scope: str | None, status: str, container: bool) -> str:
    scope_path = _file(tmp_path, "ptrace_scope", scope) if scope is not None else tmp_path / "absent"
    with pytest.raises(HarnessError) as caught:
        profiling.preflight(scope_path, _file(tmp_path, "status", status), container, py_spy="/usr/bin/true")
    return str(caught.value)


def test_preflight_rejects_scope_three(tmp_path):
    message = _preflight_message(tmp_path, "3\n", WITH_PTRACE, container=False)
    assert "tracing is disabled" in message
    assert "ptrace_scope" in message


def test_preflight_rejects_scope_two_without_capability(tmp_path):
    message = _preflight_message(tmp_path, "2\n", WITHOUT_PTRACE, container=False)
    assert "CAP_SYS_PTRACE" in message
    assert "sysctl kernel.yama.ptrace_scope=1" in message


def test_preflight_rejects_container_without_capability(tmp_path):
    message = _preflight_message(tmp_path, None, WITHOUT_PTRACE, container=True)
    assert "--cap-add SYS_PTRACE" in message


def test_preflight_accepts_scope_one(tmp_path):
    executable = profiling.preflight(
        _file(tmp_path, "ptrace_scope", "1\n"), _file(tmp_path, "status", WITHOUT_PTRACE), False, py_spy="/usr/bin/true"
    )
    assert executable == "/usr/bin/true"


def test_preflight_accepts_container_with_capability(tmp_path):
    executable = profiling.preflight(tmp_path / "absent", _file(tmp_path, "status", WITH_PTRACE), True, py_spy="/x")
    assert executable == "/x"


def test_preflight_rejects_missing_py_spy(monkeypatch):
    monkeypatch.setattr(profiling, "find_py_spy", lambda: None)
    with pytest.raises(HarnessError, match="py-spy not found"):
        profiling.preflight()


def test_profile_command_prints_preflight_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(profiling, "PTRACE_SCOPE", _file(tmp_path, "ptrace_scope", "3\n"))
    monkeypatch.setattr(sys, "argv", ["rerank-bench", "profile", str(REPO / "scenarios" / "smoke.toml")])

    with pytest.raises(SystemExit) as exited:
        cli.main()

    error = capsys.readouterr().err.strip()
    assert exited.value.code == 1
    assert error.count("\n") == 0
    assert "tracing is disabled" in error


def _speedscope(tmp_path: Path) -> Path:
    frames = [
        {"name": "<module>", "file": "/x/harness/profile_target.py", "line": 1},
        {"name": "drive_requests", "file": "/x/harness/profile_target.py", "line": 30},
        {"name": "Pipeline.run", "file": "/x/harness/pipeline.py", "line": 62},
        {"name": "FetchPerCandidate.__call__", "file": "/x/harness/stages/fetch.py", "line": 28},
        {"name": "Redis.hgetall", "file": "/venv/lib/python3.11/site-packages/redis/commands/core.py", "line": 9},
        {"name": "ScorePerCandidate.__call__", "file": "/x/harness/stages/score.py", "line": 29},
        {"name": "load_hash_layout", "file": "/x/harness/feature_store.py", "line": 70},
    ]
    samples = [[0, 1, 2, 3, 4]] * 6 + [[0, 1, 2, 5]] * 3 + [[0, 6]] * 5
    profile = {"type": "sampled", "unit": "seconds", "samples": samples, "weights": [0.01] * len(samples)}
    return _file(tmp_path, "profile.speedscope.json", json.dumps({"shared": {"frames": frames}, "profiles": [profile]}))


def test_summary_counts_only_request_loop(tmp_path):
    summary = profiling.summarize_speedscope(_speedscope(tmp_path))
    assert summary.loop_seconds == pytest.approx(0.09)
    assert summary.total_seconds == pytest.approx(0.14)


def test_summary_ranks_own_time(tmp_path):
    summary = profiling.summarize_speedscope(_speedscope(tmp_path))
    assert [item.name for item in summary.own] == ["Redis.hgetall", "ScorePerCandidate.__call__"]
    assert summary.own[0].location == "redis/commands/core.py"
    assert summary.own[0].share == pytest.approx(6 / 9)


def test_summary_ranks_stages_under_pipeline_run(tmp_path):
    summary = profiling.summarize_speedscope(_speedscope(tmp_path))
    assert [item.name for item in summary.stages] == ["FetchPerCandidate.__call__", "ScorePerCandidate.__call__"]
    assert summary.stages[0].location == "harness/stages/fetch.py"


def test_profile_records_real_smoke_run(tmp_path, cache_dir, redis_server, monkeypatch, capsys):
    try:
        profiling.preflight()
    except HarnessError as exc:
        pytest.skip(f"py-spy cannot trace here: {exc}")
    monkeypatch.setattr(sys, "argv", [
        "rerank-bench", "-q", "profile", str(REPO / "scenarios" / "smoke.toml"), "--config", "batched_scoring",
        "--format", "speedscope", "--requests", "3", "--seconds", "5", "--run-id", "profiled",
        "--results-dir", str(tmp_path), "--cache-dir", str(cache_dir), "--redis-url", redis_server.url,
    ])

    with pytest.raises(SystemExit) as exited:
        cli.main()

    folder = tmp_path / "profiled"
    assert exited.value.code == 0
    assert (folder / "profile-batched_scoring.speedscope.json").is_file()
    assert "(3 requests)" in (folder / "profile-summary-batched_scoring.md").read_text()
