"""Scenario files: TOML that fixes the workload, the model, the run and the targets.

Every key is checked on load. An unknown key, a value of the wrong type or a
value out of range raises ``HarnessError`` naming the file, the key, the value
and what is accepted, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

# Retailer, query and interaction features computed per request by the
# synthetic workload. Stored features plus these make the model's input.
REQUEST_FEATURE_COUNT = 60


@dataclass(frozen=True)
class WorkloadSpec:
    """Shape of the data: catalog, trace and candidate lists."""

    kind: str = "synthetic"
    seed: int = 20261204
    products: int = 20_000
    retailers: int = 40
    distinct_queries: int = 400
    trace_length: int = 4_000
    training_queries: int = 60
    candidates: int = 1_000
    stored_features: int = 240
    missing_rate: float = 0.05
    top_k: int = 50
    zipf_exponent: float = 1.1


@dataclass(frozen=True)
class ModelSpec:
    """XGBoost ranking model trained on held-apart training requests."""

    trees: int = 500
    max_depth: int = 8
    learning_rate: float = 0.1
    objective: str = "rank:ndcg"
    threads: int = 2


@dataclass(frozen=True)
class LtrSpec:
    """Real learning-to-rank data in svmlight/LibSVM format."""

    train: str = ""
    test: str = ""
    train_groups: str = ""
    test_groups: str = ""
    # What an entry left out of an svmlight row means: "zero" or "missing".
    absent: str = "zero"


@dataclass(frozen=True)
class RunSpec:
    """Settings of a comparison run."""

    configs: tuple[str, ...] = (
        "baseline",
        "pipelined_reads",
        "batched_scoring",
        "pipelined_reads+batched_scoring",
    )
    # Seconds of timed work per configuration; each also gets min_samples.
    time_budget_s: float = 40.0
    min_samples: int = 40
    max_samples: int = 100_000
    warmup: int = 3
    bootstrap_resamples: int = 2_000


@dataclass(frozen=True)
class Targets:
    """Targets each configuration is judged against."""

    p95_ms: float = 400.0
    quick_win_reduction: float = 0.30
    architectural_speedup: float = 3.0


@dataclass(frozen=True)
class Scenario:
    """One parsed and checked scenario file."""

    name: str
    path: str
    content_hash: str
    description: str
    workload: WorkloadSpec
    model: ModelSpec
    run: RunSpec
    targets: Targets
    ltr: LtrSpec | None = None
    # Per-optimization settings, e.g. {"candidate_pruning": {"keep": 500}};
    # each optimization checks its own table.
    optimizations: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def model_features(self) -> int:
        """Width of the model's input vector."""
        if self.workload.kind == "ltr":
            return self.workload.stored_features
        return self.workload.stored_features + REQUEST_FEATURE_COUNT

    def shape(self) -> dict[str, Any]:
        """Return the workload shape as recorded in results."""
        shape = asdict(self.workload)
        shape.update(
            model_features=self.model_features,
            trees=self.model.trees,
            max_depth=self.model.max_depth,
        )
        return shape

    def with_overrides(self, **workload_changes: Any) -> "Scenario":
        """Return a copy whose workload differs in the given fields."""
        data = asdict(self.workload) | workload_changes
        workload = _build(WorkloadSpec, data, self.path, "workload")
        _check_workload(workload, self.path)
        return _replace(self, workload=workload)

    def resolve(self, relative: str) -> Path:
        """Resolve a path written in the scenario relative to its file."""
        return (Path(self.path).parent / relative).resolve()


# Allowed ranges: key -> (minimum, maximum); None leaves a side open.
_RANGES: dict[str, tuple[float | None, float | None]] = {
    "workload.products": (10, 10_000_000),
    "workload.retailers": (1, 100_000),
    "workload.distinct_queries": (1, 1_000_000),
    "workload.trace_length": (1, 10_000_000),
    "workload.training_queries": (2, 100_000),
    "workload.candidates": (1, 100_000),
    "workload.stored_features": (24, 10_000),
    "workload.missing_rate": (0.0, 0.9),
    "workload.top_k": (10, 100_000),
    "workload.zipf_exponent": (0.0, 5.0),
    "model.trees": (1, 10_000),
    "model.max_depth": (1, 16),
    "model.learning_rate": (1e-6, 1.0),
    "model.threads": (1, 256),
    "run.time_budget_s": (0.0, 86_400.0),
    "run.min_samples": (1, 10_000_000),
    "run.max_samples": (1, 10_000_000),
    "run.warmup": (0, 10_000),
    "run.bootstrap_resamples": (100, 1_000_000),
    "targets.p95_ms": (1e-3, 1e7),
    "targets.quick_win_reduction": (0.0, 0.99),
    "targets.architectural_speedup": (1.0, 1e6),
}

_CHOICES = {
    "workload.kind": ("synthetic", "ltr"),
    "model.objective": ("rank:ndcg", "rank:pairwise", "rank:map"),
    "ltr.absent": ("zero", "missing"),
}


def load_scenario(path: str | Path) -> Scenario:
    """Read, parse and check a scenario file."""
    path = Path(path)
    if not path.is_file():
        raise HarnessError(
            f"scenario file not found: {path}; pass a TOML file such as scenarios/default.toml"
        )

    raw_bytes = path.read_bytes()
    try:
        data = tomllib.loads(raw_bytes.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise HarnessError(f"scenario {path} is not valid TOML: {exc}; fix the syntax") from exc

    return parse_scenario(data, str(path), hashlib.sha256(raw_bytes).hexdigest())


def parse_scenario(data: dict[str, Any], path: str, content_hash: str) -> Scenario:
    """Check a parsed TOML document and build the ``Scenario``."""
    allowed = {"scenario", "workload", "model", "ltr", "run", "targets", "optimizations"}
    _reject_unknown(data, allowed, path, "")

    header = data.get("scenario", {})
    _reject_unknown(header, {"name", "description"}, path, "scenario")
    name = header.get("name", Path(path).stem)

    workload = _build(WorkloadSpec, data.get("workload", {}), path, "workload")
    model = _build(ModelSpec, data.get("model", {}), path, "model")
    run = _build(RunSpec, data.get("run", {}), path, "run")
    targets = _build(Targets, data.get("targets", {}), path, "targets")
    ltr = _build(LtrSpec, data["ltr"], path, "ltr") if "ltr" in data else None

    _check_workload(workload, path)
    _check_run(run, path)
    if workload.kind == "ltr" and (ltr is None or not ltr.train or not ltr.test):
        raise HarnessError(
            f"scenario {path}: workload.kind = 'ltr' needs an [ltr] table with 'train' and 'test' paths"
        )

    optimizations = data.get("optimizations", {})
    if not isinstance(optimizations, dict) or not all(isinstance(v, dict) for v in optimizations.values()):
        raise HarnessError(
            f"scenario {path}: [optimizations] must contain one table per optimization, e.g. [optimizations.candidate_pruning]"
        )

    return Scenario(
        name=str(name),
        path=str(Path(path).resolve()),
        content_hash=content_hash,
        description=str(header.get("description", "")),
        workload=workload,
        model=model,
        run=run,
        targets=targets,
        ltr=ltr,
        optimizations=optimizations,
    )


# Raise when the code that generates data or trains the model changes what
# it builds, so cached artifacts from older code are rebuilt.
ARTIFACT_VERSION = 3


def workload_key(scenario: Scenario) -> str:
    """Return a stable digest of everything the built artifacts depend on."""
    inputs = {
        "artifact_version": ARTIFACT_VERSION,
        "workload": asdict(scenario.workload),
        "model": asdict(scenario.model),
    }
    if scenario.workload.kind == "ltr" and scenario.ltr is not None:
        inputs["ltr"] = asdict(scenario.ltr) | _ltr_file_digests(scenario)
    blob = json.dumps(inputs, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()


def _ltr_file_digests(scenario: Scenario) -> dict[str, str]:
    # The data files' content, not their paths, decides whether to rebuild.
    digests = {}
    for key in ("train", "test", "train_groups", "test_groups"):
        relative = getattr(scenario.ltr, key)
        if relative:
            target = scenario.resolve(relative)
            digests[f"{key}_sha256"] = _file_digest(target) if target.is_file() else "absent"
    return digests


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _reject_unknown(table: Any, allowed: set[str], path: str, prefix: str) -> None:
    where = f"[{prefix}]" if prefix else "the top level"
    if not isinstance(table, dict):
        raise HarnessError(f"scenario {path}: {where} must be a table")
    for key in table:
        if key not in allowed:
            dotted = f"{prefix}.{key}" if prefix else key
            raise HarnessError(
                f"scenario {path}: unknown key '{dotted}'; valid keys in {where}: {', '.join(sorted(allowed))}"
            )


def _build(cls: type, table: dict[str, Any], path: str, prefix: str) -> Any:
    defaults = cls()
    allowed = set(asdict(defaults))
    _reject_unknown(table, allowed, path, prefix)

    values = {}
    for key, default in asdict(defaults).items():
        value = table.get(key, default)
        values[key] = _coerce(value, default, path, f"{prefix}.{key}")
    return cls(**values)


def _coerce(value: Any, default: Any, path: str, dotted: str) -> Any:
    expected = type(default)
    if expected is tuple:
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise HarnessError(f"scenario {path}: '{dotted}' must be a list of strings, got {value!r}")
        return tuple(value)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, expected) or isinstance(value, bool) != isinstance(default, bool):
        raise HarnessError(
            f"scenario {path}: '{dotted}' must be {expected.__name__}, got {value!r}"
        )

    if dotted in _RANGES:
        low, high = _RANGES[dotted]
        if (low is not None and value < low) or (high is not None and value > high):
            raise HarnessError(
                f"scenario {path}: '{dotted}' = {value!r} is out of range; use a value from {low} to {high}"
            )
    if dotted in _CHOICES and value not in _CHOICES[dotted]:
        raise HarnessError(
            f"scenario {path}: '{dotted}' = {value!r} is invalid; use one of {', '.join(_CHOICES[dotted])}"
        )
    return value


def _check_workload(workload: WorkloadSpec, path: str) -> None:
    if workload.kind == "synthetic" and workload.candidates > workload.products:
        raise HarnessError(
            f"scenario {path}: 'workload.candidates' = {workload.candidates} exceeds "
            f"'workload.products' = {workload.products}; lower candidates or raise products"
        )
    if workload.top_k > workload.candidates:
        raise HarnessError(
            f"scenario {path}: 'workload.top_k' = {workload.top_k} exceeds "
            f"'workload.candidates' = {workload.candidates}; lower top_k"
        )


def _check_run(run: RunSpec, path: str) -> None:
    if not run.configs:
        raise HarnessError(f"scenario {path}: 'run.configs' is empty; list at least 'baseline'")
    if run.min_samples > run.max_samples:
        raise HarnessError(
            f"scenario {path}: 'run.min_samples' = {run.min_samples} exceeds 'run.max_samples' = {run.max_samples}"
        )


def _replace(scenario: Scenario, **changes: Any) -> Scenario:
    from dataclasses import replace

    return replace(scenario, **changes)
