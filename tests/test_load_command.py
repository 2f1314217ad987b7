"""The load and serve commands as a user runs them: one line and status 1 on bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO, SCENARIOS

# Seconds one command may take; it exits before any network traffic.
COMMAND_TIMEOUT_S = 60


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], cwd=REPO, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )


def test_load_rejects_remote_host():
    finished = run_cli("load", str(SCENARIOS / "smoke.toml"), "--host", "http://169.254.169.254/")
    assert finished.returncode == 1
    assert finished.stderr.strip().splitlines() == [
        "rerank-bench: error: --host 'http://169.254.169.254/' is not a loopback address; "
        "load tests only target 127.0.0.1, ::1 or localhost"
    ]


@pytest.mark.parametrize("users", ["0", "two", "1,,2"])
def test_load_rejects_invalid_users(users):
    finished = run_cli("load", str(SCENARIOS / "smoke.toml"), "--users", users)
    assert finished.returncode == 1
    assert f"invalid --users {users!r}" in finished.stderr


def test_serve_rejects_busy_port():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        finished = run_cli("serve", str(SCENARIOS / "smoke.toml"), "--port", str(port))
    assert finished.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in finished.stderr
