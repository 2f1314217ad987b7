"""Shared fixtures: a real redis-server, a scratch artifact cache, scenarios."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness import progress
from harness.redis_server import ManagedRedis
from harness.scenario import load_scenario

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"
LTR_DIR = REPO.parent / "shared" / "data" / "ltr" / "lightgbm-rank"

progress.enabled = False

requires_ltr = pytest.mark.skipif(
    not (LTR_DIR / "rank.train").is_file(),
    reason=f"learning-to-rank sample not found at {LTR_DIR}; it sits next to the repository on CI",
)


@pytest.fixture(scope="session")
def redis_server():
    """A private redis-server on a free loopback port for the whole session."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed; run ./quickstart test, which installs it")
    with ManagedRedis() as server:
        yield server


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    """An artifact cache shared by the session, so each scenario builds once."""
    return tmp_path_factory.mktemp("artifact-cache")


@pytest.fixture(scope="session")
def smoke_scenario():
    return load_scenario(SCENARIOS / "smoke.toml")


@pytest.fixture(scope="session")
def ltr_scenario():
    return load_scenario(SCENARIOS / "ltr-sample.toml")


@pytest.fixture(scope="session")
def small_ltr_scenario(ltr_scenario):
    """The LightGBM sample with 40 candidates per query: each group's rows plus padding."""
    return ltr_scenario.with_overrides(candidates=40)


@pytest.fixture()
def write_scenario(tmp_path):
    """Write a scenario file from the smoke scenario plus edits; return its path."""

    def write(text: str = "", name: str = "custom.toml") -> Path:
        base = (SCENARIOS / "smoke.toml").read_text()
        path = tmp_path / name
        path.write_text(base + "\n" + text if text else base)
        return path

    return write
