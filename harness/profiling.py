"""Sample one configuration with py-spy: preflight, recording and summary.

py-spy reads the target's memory with ``process_vm_readv``, which the
kernel allows only where ptrace would be allowed. ``preflight`` checks the
three usual reasons it is not, before any sampling starts:

- py-spy is not installed;
- Yama's ``kernel.yama.ptrace_scope`` is 3 (no process may trace another),
  or 2 (only processes with CAP_SYS_PTRACE may);
- the process runs in a container without CAP_SYS_PTRACE, where Docker's
  default seccomp profile rejects ``process_vm_readv`` (py-spy's README,
  "How do I run py-spy in Docker?").

Scope 0 and 1 both let py-spy trace a process it launched as its child,
which is how ``record`` runs the target.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError
from harness.profile_target import LOOP_FUNCTION

log = logging.getLogger(__name__)

PTRACE_SCOPE = Path("/proc/sys/kernel/yama/ptrace_scope")
PROCESS_STATUS = Path("/proc/self/status")
CAP_SYS_PTRACE = 19  # bit number in the capability sets, linux/capability.h
CONTAINER_MARKERS = (Path("/.dockerenv"), Path("/run/.containerenv"))
FORMATS = {"flamegraph": "svg", "speedscope": "speedscope.json"}


def find_py_spy() -> str | None:
    """Return the py-spy executable on PATH or next to this Python, or None."""
    found = shutil.which("py-spy")
    if found:
        return found
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.is_file() else None


def ptrace_scope(path: Path) -> int | None:
    """Return Yama's ptrace scope, or None where Yama is not enabled."""
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def has_sys_ptrace(status: Path) -> bool:
    """Return whether CAP_SYS_PTRACE is in this process's effective set."""
    for line in status.read_text().splitlines():
        if line.startswith("CapEff:"):
            return bool(int(line.split()[1], 16) >> CAP_SYS_PTRACE & 1)
    return False


def in_container() -> bool:
    return any(marker.exists() for marker in CONTAINER_MARKERS)


def preflight(
    scope_path: Path | None = None,
    status_path: Path | None = None,
    container: bool | None = None,
    py_spy: str | None = None,
) -> str:
    """Return the py-spy executable, or raise ``HarnessError`` saying why tracing is not permitted.

    Paths left as None are read from the module's constants at call time,
    so a test can point them at fake files.
    """
    executable = py_spy or find_py_spy()
    if executable is None:
        raise HarnessError("py-spy not found on PATH; install it with 'pip install py-spy'")

    scope_path = scope_path or PTRACE_SCOPE
    scope = ptrace_scope(scope_path)
    capable = has_sys_ptrace(status_path or PROCESS_STATUS)
    if scope == 3:
        raise HarnessError(
            f"tracing is disabled: {scope_path} is 3, which only a reboot resets; "
            "boot with kernel.yama.ptrace_scope=1 to profile"
        )
    if scope == 2 and not capable:
        raise HarnessError(
            f"tracing needs CAP_SYS_PTRACE: {scope_path} is 2; run as root or "
            "set 'sudo sysctl kernel.yama.ptrace_scope=1'"
        )

    if container is None:
        container = in_container()
    if container and not capable:
        raise HarnessError(
            "tracing is not permitted in this container: CAP_SYS_PTRACE is missing; "
            "restart it with 'docker run --cap-add SYS_PTRACE ...'"
        )
    return executable


@dataclass(frozen=True)
class Target:
    """Settings of the profiled child process: scenario, configuration and bounds."""

    scenario: Path
    config: str
    cache_dir: Path
    redis_url: str | None
    requests: int
    seconds: float
    warmup: int = 2

    def command(self) -> list[str]:
        settings = {
            "scenario": str(self.scenario), "config": self.config, "cache_dir": str(self.cache_dir),
            "redis_url": self.redis_url, "requests": self.requests, "seconds": self.seconds,
            "warmup": self.warmup,
        }
        return [sys.executable, "-m", "harness.profile_target", json.dumps(settings)]


def record(py_spy: str, target: Target, output: Path, fmt: str, rate: int, native: bool) -> int | None:
    """Run the target under ``py-spy record``, write one profile file and return the request count.

    ``--idle`` keeps samples of threads blocked in system calls: a Redis
    round trip is time spent waiting in ``recv``, and without it the
    per-candidate reads would vanish from the profile.
    """
    # --function merges a function's lines into one frame, so each stage is one tower.
    command = [py_spy, "record", "--format", fmt, "--output", str(output), "--rate", str(rate), "--idle", "--function"]
    if native:
        command.append("--native")
    command += ["--", *target.command()]

    log.info("sampling %s at %d Hz into %s", target.config, rate, output)
    completed = subprocess.run(command, capture_output=True, text=True, env=_child_environment())
    if completed.returncode != 0 or not output.is_file():
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise HarnessError(f"py-spy failed with status {completed.returncode}: {last}")
    return _request_count(completed.stdout)


def _request_count(stdout: str) -> int | None:
    # The target prints one JSON line last; py-spy's own lines go to stderr.
    for line in reversed(stdout.strip().splitlines()):
        try:
            return int(json.loads(line)["requests"])
        except (ValueError, KeyError, TypeError):
            continue
    return None


def _child_environment() -> dict[str, str]:
    # The child imports the same harness as this process, even when it runs
    # from a checkout that is not installed.
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return env


@dataclass(frozen=True)
class FunctionTime:
    """Sampled time of one function, in seconds."""

    name: str
    location: str
    seconds: float
    share: float  # of the request loop's samples


@dataclass(frozen=True)
class ProfileSummary:
    """Own time per function and inclusive time per stage, within the request loop."""

    total_seconds: float  # every sample of the main thread
    loop_seconds: float  # samples inside the request loop
    own: list[FunctionTime]
    stages: list[FunctionTime]  # the frames directly under Pipeline.run


def summarize_speedscope(path: Path, top: int = 15) -> ProfileSummary:
    """Read a py-spy speedscope file and rank functions by own time.

    Only samples whose stack passes through the request loop count, so the
    session's start-up does not crowd out the request path.
    """
    data = json.loads(path.read_text())
    frames = data["shared"]["frames"]
    own: Counter = Counter()
    stages: Counter = Counter()
    total = loop = 0.0

    for profile in data["profiles"]:
        for stack, weight in zip(profile["samples"], profile["weights"]):
            total += weight
            names = [_bare_name(frames[i]) for i in stack]
            if LOOP_FUNCTION not in names:
                continue
            loop += weight
            own[_function(frames[stack[-1]])] += weight
            stage = _stage_frame(stack, frames)
            if stage is not None:
                stages[_function(frames[stage])] += weight

    return ProfileSummary(total, loop, _ranked(own, loop, top), _ranked(stages, loop, top))


def _stage_frame(stack: list[int], frames: list[dict]) -> int | None:
    # Stacks are root first; a stage's __call__ sits right under Pipeline.run.
    for position, index in enumerate(stack[:-1]):
        frame = frames[index]
        if _bare_name(frame) == "run" and frame.get("file", "").endswith("harness/pipeline.py"):
            return stack[position + 1]
    return None


def _bare_name(frame: dict) -> str:
    # py-spy 0.4 qualifies methods with their class, e.g. "Pipeline.run".
    return frame["name"].rsplit(".", 1)[-1]


def _function(frame: dict) -> tuple[str, str]:
    return frame["name"], _short_path(frame.get("file") or "?")


def _short_path(file: str) -> str:
    # Keep the part a reader recognises: from the package folder on.
    parts = Path(file).parts
    for anchor in ("site-packages", "harness", "optimizations", "lib"):
        if anchor in parts:
            start = parts.index(anchor) + (1 if anchor in ("site-packages", "lib") else 0)
            return "/".join(parts[start:])
    return Path(file).name


def _ranked(counter: Counter, loop: float, top: int) -> list[FunctionTime]:
    return [
        FunctionTime(name, location, seconds, seconds / loop if loop else 0.0)
        for (name, location), seconds in counter.most_common(top)
    ]


def summary_markdown(summary: ProfileSummary, config: str, scenario: str, requests: int | None) -> str:
    """Return the summary as Markdown: stages by inclusive time, functions by own time."""
    lines = [
        f"## Profile of `{config}` ({scenario})",
        "",
        f"{summary.loop_seconds:.1f} s of {summary.total_seconds:.1f} s sampled were inside the request loop"
        + (f" ({requests} requests)" if requests is not None else "")
        + "; the shares below are of that loop time.",
        "",
        "Stages by inclusive time (the widest towers under `Pipeline.run`):",
        "",
        "| stage frame | location | seconds | share |",
        "|---|---|---|---|",
    ]
    lines += [_row(item) for item in summary.stages]
    lines += ["", "Functions by own time:", "", "| function | location | seconds | share |", "|---|---|---|---|"]
    lines += [_row(item) for item in summary.own]
    return "\n".join(lines) + "\n"


def _row(item: FunctionTime) -> str:
    return f"| `{item.name}` | {item.location} | {item.seconds:.2f} | {item.share:.1%} |"
