"""The machine and software a run measured, recorded in every result."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = (
    "numpy", "xgboost", "redis", "hiredis", "tantivy", "treelite", "tl2cgen", "numba", "scipy",
    "locust", "py-spy", "rerank-bench",
)


def cpu_model() -> str:
    """Return the CPU model name from /proc/cpuinfo, or the platform's guess."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def package_versions() -> dict[str, str | None]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit() -> str | None:
    """Return the harness checkout's commit, with '+dirty' if it has changes."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+dirty" if dirty else "")


def capture(redis_version: str | None, redis_parser: str | None) -> dict:
    """Return the environment block of a result."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": package_versions(),
        "redis_version": redis_version,
        "redis_parser": redis_parser,
        "git_commit": git_commit(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
    }


def comparable(first: dict, second: dict) -> list[str]:
    """Return the differences that make two environments' numbers incomparable."""
    differences = []
    for key in ("cpu", "cores", "python", "redis_version"):
        if first.get(key) != second.get(key):
            differences.append(f"{key}: {first.get(key)} vs {second.get(key)}")
    for name, version in first.get("packages", {}).items():
        other = second.get("packages", {}).get(name)
        if version != other:
            differences.append(f"{name}: {version} vs {other}")
    return differences
