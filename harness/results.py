"""Result files: the ``result.json`` schema and atomic writes.

``result.json`` fields (schema version 1):

    schema_version   1
    run_id           folder name under results/
    created_at       ISO 8601 time the run started
    complete         true only when every configuration finished
    stopped          why an incomplete run stopped, and where; null if complete
    scenario         name, path, content_hash, shape (the workload)
    environment      CPU, cores, Python, packages, Redis version, git commit
    targets          p95_ms, quick_win_reduction, architectural_speedup
    configs[]        per configuration:
      name, optimizations, lossless, samples
      total          p50_ms, p95_ms, p99_ms, max_ms, p95_ci_ms [low, high]
      stages.<name>  p50_ms, p95_ms, p99_ms, max_ms
      latencies_ns   every timed request's total in integer nanoseconds,
                     in run order (full timer resolution)
      speedup_p95    ratio, ci [low, high], pairs (1.0 for the baseline)
      quality        ndcg_at_10, baseline_ndcg_at_10, top10_overlap,
                     identical_ranking_rate, queries
      verdicts       meets_p95_target, quick_win, architectural
      uncertain_verdicts  names of verdicts whose bar lies inside the
                     95% interval (p95 or speedup), so more samples may flip them
      warnings       advice where the numbers look unreliable
      metrics        optional, per optimization: its own counters
                     (e.g. a cache hit rate)

Version history: 1, the first shape.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1


def write_text_atomic(path: Path, text: str) -> None:
    """Write a file so readers see the old content or the new, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.chmod(temporary, 0o666 & ~_umask())  # mkstemp creates 0600; results are meant to be shared
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON atomically, indented for reading and diffing."""
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False, default=_default) + "\n")


def _default(value: Any) -> Any:
    # numpy scalars and arrays appear in summaries; JSON wants plain types.
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot serialize {type(value).__name__} to JSON")


def read_result(path: Path) -> dict[str, Any]:
    """Read a ``result.json`` and check its schema version."""
    from harness.errors import HarnessError

    if path.is_dir():
        path = path / "result.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise HarnessError(f"result file not found: {path}; pass a results/<run-id> folder") from None
    except json.JSONDecodeError as exc:
        raise HarnessError(f"{path} is not valid JSON ({exc})") from None
    if data.get("schema_version") != SCHEMA_VERSION:
        raise HarnessError(
            f"{path} has schema_version {data.get('schema_version')!r}; this version reads {SCHEMA_VERSION}"
        )
    return data
