"""``rerank-bench compare`` end to end, through the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from harness.redis_server import ManagedRedis, free_port
from tests.conftest import REPO, SCENARIOS
from tests.test_scenario import edited

STAGES = {"retrieve", "fetch", "assemble", "score", "rank"}


def cli(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python -m harness -q ARGS`` from the repository root."""
    environment = os.environ | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "harness", "-q", *args],
        cwd=REPO, env=environment, capture_output=True, text=True, timeout=timeout,
    )


def compare(scenario: Path, tmp_path: Path, cache_dir: Path, *extra: str, env=None):
    return cli(
        "compare", str(scenario), "--results-dir", str(tmp_path / "results"),
        "--cache-dir", str(cache_dir), "--run-id", "run", *extra, env=env,
    )


def assert_one_line_error(result: subprocess.CompletedProcess, fragment: str):
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("rerank-bench: error: ")
    assert fragment in lines[0]


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory, cache_dir, redis_server):
    folder = tmp_path_factory.mktemp("compare")
    result = compare(SCENARIOS / "smoke.toml", folder, cache_dir, "--redis-url", redis_server.url)
    return result, folder / "results" / "run"


def test_compare_succeeds(smoke_run):
    result, folder = smoke_run
    assert result.returncode == 0, result.stderr
    assert "pipelined_reads+batched_scoring" in result.stdout
    assert (folder / "report.md").is_file()


def test_result_json_shape(smoke_run):
    _, folder = smoke_run
    data = json.loads((folder / "result.json").read_text())

    assert data["schema_version"] == 1
    assert data["complete"] is True
    assert data["stopped"] is None
    assert {"name", "path", "content_hash", "shape"} <= set(data["scenario"])
    assert {"cpu", "cores", "python", "packages", "redis_version", "git_commit"} <= set(data["environment"])
    assert data["targets"] == {"p95_ms": 400.0, "quick_win_reduction": 0.3, "architectural_speedup": 3.0}
    assert [c["name"] for c in data["configs"]] == [
        "baseline", "pipelined_reads", "batched_scoring", "pipelined_reads+batched_scoring",
    ]


def test_result_config_fields(smoke_run):
    _, folder = smoke_run
    for config in json.loads((folder / "result.json").read_text())["configs"]:
        assert config["samples"] >= 12
        assert set(config["stages"]) == STAGES
        total = config["total"]
        assert total["p50_ms"] <= total["p95_ms"] <= total["p99_ms"] <= total["max_ms"]
        assert total["p95_ci_ms"][0] <= total["p95_ci_ms"][1]
        assert set(config["speedup_p95"]) == {"ratio", "ci", "pairs"}
        assert set(config["verdicts"]) == {"meets_p95_target", "quick_win", "architectural"}
        assert 0.0 <= config["quality"]["ndcg_at_10"] <= 1.0


def test_lossless_configs_identical_in_run(smoke_run):
    _, folder = smoke_run
    configs = json.loads((folder / "result.json").read_text())["configs"]
    baseline = configs[0]
    assert baseline["speedup_p95"]["ratio"] == 1.0
    for config in configs:
        assert config["lossless"] is True
        assert config["quality"]["identical_ranking_rate"] == 1.0
        assert config["quality"]["top10_overlap"] == 1.0
        assert config["quality"]["ndcg_at_10"] == baseline["quality"]["ndcg_at_10"]


def test_no_temporary_files_left(smoke_run):
    _, folder = smoke_run
    assert sorted(p.name for p in folder.iterdir()) == ["report.md", "result.json"]


def test_existing_run_folder_kept(smoke_run, cache_dir):
    _, folder = smoke_run
    before = (folder / "result.json").read_text()
    result = compare(SCENARIOS / "smoke.toml", folder.parent.parent, cache_dir)
    assert_one_line_error(result, "already exists; choose another --run-id")
    assert (folder / "result.json").read_text() == before


def test_redis_url_keeps_user_keys(tmp_path, cache_dir):
    with ManagedRedis() as server:
        client = redis.Redis.from_url(server.url)
        client.set("users:42", "alice")
        result = compare(SCENARIOS / "smoke.toml", tmp_path, cache_dir, "--redis-url", server.url, "-c", "baseline")
        assert result.returncode == 0, result.stderr
        assert client.get("users:42") == b"alice"
        keys = [k for k in client.scan_iter() if k != b"users:42"]
        assert keys
        assert all(k.startswith(b"rerank-bench:") for k in keys)


@pytest.mark.parametrize(
    "old, new, fragment",
    [
        ("candidates = 60", "candidatez = 60", "unknown key 'workload.candidatez'"),
        ("candidates = 60", "candidates = -1", "'workload.candidates' = -1 is out of range"),
        ("candidates = 60", "candidates = 700", "exceeds 'workload.products' = 600"),
    ],
)
def test_bad_scenario_one_line(write_scenario, tmp_path, cache_dir, old, new, fragment):
    result = compare(edited(write_scenario, old, new), tmp_path, cache_dir)
    assert_one_line_error(result, fragment)
    assert not (tmp_path / "results").exists()


def test_missing_scenario_one_line(tmp_path, cache_dir):
    assert_one_line_error(compare(tmp_path / "none.toml", tmp_path, cache_dir), "scenario file not found")


def test_unknown_optimization_one_line(tmp_path, cache_dir):
    result = compare(SCENARIOS / "smoke.toml", tmp_path, cache_dir, "-c", "baseline", "-c", "teleport")
    assert_one_line_error(result, "unknown optimization 'teleport'")


def test_baseline_added_when_missing(tmp_path, cache_dir, redis_server):
    result = compare(
        SCENARIOS / "smoke.toml", tmp_path, cache_dir, "-c", "pipelined_reads", "--redis-url", redis_server.url
    )
    assert result.returncode == 0, result.stderr
    configs = json.loads((tmp_path / "results" / "run" / "result.json").read_text())["configs"]
    assert [c["name"] for c in configs] == ["baseline", "pipelined_reads"]


def test_misspelled_name_reported_first(tmp_path, cache_dir):
    result = compare(SCENARIOS / "smoke.toml", tmp_path, cache_dir, "-c", "batched_scorng")
    assert_one_line_error(result, "unknown optimization 'batched_scorng'")


def test_bad_option_one_line(tmp_path, cache_dir):
    result = compare(SCENARIOS / "smoke.toml", tmp_path, cache_dir, "--min-samples", "-3")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "--min-samples" in lines[0]
    assert "see 'python -m harness compare --help'" in lines[0] or "compare --help" in lines[0]


def test_redis_url_checked_before_build(tmp_path):
    url = f"redis://127.0.0.1:{free_port()}/0"
    empty_cache = tmp_path / "empty-cache"
    result = compare(SCENARIOS / "default.toml", tmp_path, empty_cache, "--redis-url", url)
    assert_one_line_error(result, "is unreachable")
    assert not empty_cache.exists()


def test_non_numeric_database_rejected(tmp_path, cache_dir, redis_server):
    url = redis_server.url.rsplit("/", 1)[0] + "/abc"
    result = compare(SCENARIOS / "smoke.toml", tmp_path, cache_dir, "--redis-url", url)
    assert_one_line_error(result, "invalid database 'abc' in --redis-url")


def test_missing_database_named(tmp_path, cache_dir, redis_server):
    url = redis_server.url.rsplit("/", 1)[0] + "/99"
    result = compare(SCENARIOS / "smoke.toml", tmp_path, cache_dir, "--redis-url", url)
    assert_one_line_error(result, "has no such database")


def test_no_redis_server_one_line(tmp_path):
    env = {"PATH": str(Path(sys.executable).parent)}  # python only, no redis-server
    empty_cache = tmp_path / "empty-cache"
    result = compare(SCENARIOS / "default.toml", tmp_path, empty_cache, env=env)
    assert_one_line_error(result, "redis-server not found on PATH")
    assert not empty_cache.exists()


def test_unreachable_redis_url_one_line(tmp_path, cache_dir):
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = compare(SCENARIOS / "smoke.toml", tmp_path, cache_dir, "--redis-url", url)
    assert_one_line_error(result, f"Redis at {url} is unreachable")


def ltr_scenario_with(write_scenario, tmp_path, train: str, groups: str) -> Path:
    (tmp_path / "train.svm").write_text(train)
    (tmp_path / "train.query").write_text(groups)
    (tmp_path / "test.svm").write_text(train)
    (tmp_path / "test.query").write_text(groups)
    text = (
        '[workload]\nkind = "ltr"\ncandidates = 12\nstored_features = 24\ntop_k = 10\n'
        '[ltr]\ntrain = "train.svm"\ntrain_groups = "train.query"\ntest = "test.svm"\ntest_groups = "test.query"\n'
    )
    path = tmp_path / "ltr.toml"
    path.write_text(text)
    return path


TWELVE_ROWS = "".join(f"{i % 3} 1:0.{i + 1} 2:0.5\n" for i in range(12))


def test_malformed_svmlight_one_line(write_scenario, tmp_path, cache_dir):
    scenario = ltr_scenario_with(write_scenario, tmp_path, "1 1:0.5\n0 2:x\n" + TWELVE_ROWS, "14\n")
    result = compare(scenario, tmp_path, cache_dir)
    assert_one_line_error(result, "train.svm:2: feature value in '2:x' is not a number")


def test_group_mismatch_one_line(write_scenario, tmp_path, cache_dir):
    scenario = ltr_scenario_with(write_scenario, tmp_path, TWELVE_ROWS, "13\n")
    result = compare(scenario, tmp_path, cache_dir)
    assert_one_line_error(result, "group sizes add up to 13 but the data file has 12 rows")


def test_tiny_ltr_file_runs(write_scenario, tmp_path, cache_dir):
    scenario = ltr_scenario_with(write_scenario, tmp_path, TWELVE_ROWS, "12\n")
    result = compare(scenario, tmp_path, cache_dir, "-c", "baseline", "-c", "batched_scoring", "--time-budget", "0.2")
    assert result.returncode == 0, result.stderr


def test_redis_death_marks_run_incomplete(write_scenario, tmp_path, cache_dir):
    scenario = edited(write_scenario, "time_budget_s = 0.5", "time_budget_s = 60.0")
    result_file = tmp_path / "results" / "run" / "result.json"
    with ManagedRedis() as server:
        process = subprocess.Popen(
            [sys.executable, "-m", "harness", "-q", "compare", str(scenario), "--redis-url", server.url,
             "--results-dir", str(tmp_path / "results"), "--cache-dir", str(cache_dir), "--run-id", "run"],
            cwd=REPO, env=os.environ, stderr=subprocess.PIPE, text=True,
        )
        _wait_for_running(result_file, process)
        time.sleep(1.0)  # let some requests complete
        server.process.kill()
        _, stderr = process.communicate(timeout=120)

    assert process.returncode == 1
    assert "run stopped early (Redis failed at request" in stderr
    data = json.loads(result_file.read_text())
    assert data["complete"] is False
    assert data["stopped"].startswith("Redis failed at request")
    assert "in configuration" in data["stopped"]
    assert (result_file.parent / "report.md").read_text().count("Incomplete run") == 1


def _wait_for_running(result_file: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if result_file.is_file() and json.loads(result_file.read_text()).get("stopped") == "running":
            return
        assert process.poll() is None, "compare exited before the run started"
        time.sleep(0.1)
    raise AssertionError("compare did not start its run within 120 s")


def test_sigterm_saves_incomplete_result(write_scenario, tmp_path, cache_dir, redis_server):
    scenario = edited(write_scenario, "time_budget_s = 0.5", "time_budget_s = 60.0")
    result_file = tmp_path / "results" / "run" / "result.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "-q", "compare", str(scenario), "--redis-url", redis_server.url,
         "--results-dir", str(tmp_path / "results"), "--cache-dir", str(cache_dir), "--run-id", "run"],
        cwd=REPO, env=os.environ, stderr=subprocess.PIPE, text=True,
    )
    _wait_for_running(result_file, process)
    time.sleep(1.0)
    process.terminate()
    _, stderr = process.communicate(timeout=120)

    assert process.returncode == 1
    data = json.loads(result_file.read_text())
    assert data["complete"] is False
    assert data["stopped"].startswith("interrupted by Ctrl-C or SIGTERM at request")
    assert data["configs"], "the requests measured before the signal are kept"
