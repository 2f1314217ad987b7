"""The optimization contract, the registry and configuration names.

An optimization is a small class registered under a short name. It states
which stages it touches, whether it is lossless, which optimizations it
conflicts with and which modules it needs. Its ``prepare`` builds and
caches what it needs once, and its ``apply`` edits the baseline's stage list.

A configuration is ``baseline`` or ``name+name+...``; optimizations apply
in the order written.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import Any, ClassVar

from harness.errors import HarnessError
from harness.pipeline import PipelineBuilder
from harness.runtime import Runtime

log = logging.getLogger(__name__)

BASELINE = "baseline"
_REGISTRY: dict[str, type["Optimization"]] = {}


class Optimization:
    """Base class of every optimization; subclasses set the class fields."""

    name: ClassVar[str]
    description: ClassVar[str]
    stages: ClassVar[tuple[str, ...]]
    lossless: ClassVar[bool]
    conflicts: ClassVar[tuple[str, ...]] = ()
    requires: ClassVar[tuple[str, ...]] = ()  # importable module names
    # Settings read from the scenario's [optimizations.<name>] table; numeric
    # ones are checked to be positive (whole when the default is an int).
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, settings: dict[str, Any] | None = None, scenario_path: str = ""):
        settings = settings or {}
        unknown = set(settings) - set(self.defaults)
        if unknown:
            valid = ", ".join(sorted(self.defaults)) or "none"
            raise HarnessError(
                f"scenario {scenario_path}: unknown key '{sorted(unknown)[0]}' in [optimizations.{self.name}]; "
                f"valid keys: {valid}"
            )
        self.settings = self.defaults | settings
        self._check_numbers(scenario_path)

    def _check_numbers(self, scenario_path: str) -> None:
        # Every numeric setting is a size, count, limit or duration, so it
        # must be positive, and whole where its default is whole.
        from harness.settings_checks import check_positive

        for key, default in self.defaults.items():
            if isinstance(default, (int, float)) and not isinstance(default, bool):
                check_positive(self.name, key, self.settings[key], scenario_path, integer=isinstance(default, int))

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """Return why this optimization cannot run here, or None if it can."""
        for module in cls.requires:
            try:
                importlib.import_module(module)
            except Exception as exc:  # an import can fail with any error
                return f"module {module!r} failed to import: {exc}"
        return None

    def prepare(self, runtime: Runtime) -> None:
        """Build what this optimization needs once (cached where possible)."""

    def apply(self, builder: PipelineBuilder, runtime: Runtime) -> None:
        """Edit the pipeline's stages."""
        raise NotImplementedError

    def metrics(self) -> dict[str, Any] | None:
        """Return counters worth reporting (e.g. a cache hit rate), or None.

        The runner calls ``reset_metrics`` after the warm-up, so the values
        cover timed requests only.
        """
        return None

    def reset_metrics(self) -> None:
        """Forget counters gathered so far."""


def register(cls: type[Optimization]) -> type[Optimization]:
    """Class decorator that adds an optimization to the registry."""
    if cls.name in _REGISTRY or cls.name == BASELINE:
        raise ValueError(f"optimization name {cls.name!r} is already taken")
    _REGISTRY[cls.name] = cls
    return cls


def registry() -> dict[str, type[Optimization]]:
    """Return every registered optimization by name, after discovery."""
    import optimizations  # noqa: F401  # importing registers the modules

    return dict(sorted(_REGISTRY.items()))


@dataclass(frozen=True)
class Configuration:
    """A baseline plus an ordered list of optimizations."""

    name: str
    optimizations: tuple[Optimization, ...]

    @property
    def lossless(self) -> bool:
        return all(o.lossless for o in self.optimizations)

    @property
    def names(self) -> list[str]:
        return [o.name for o in self.optimizations]


def parse_configuration(text: str, settings: dict[str, dict[str, Any]] | None = None, scenario_path: str = "") -> Configuration:
    """Parse ``baseline`` or ``a+b+...`` into a checked configuration."""
    text = text.strip()
    if text == BASELINE:
        return Configuration(BASELINE, ())

    known = registry()
    names = [part.strip() for part in text.split("+")]
    for name in names:
        if name not in known:
            raise HarnessError(
                f"unknown optimization {name!r} in configuration {text!r}; "
                "run 'rerank-bench optimizations' to list the valid names"
            )
    _check_combination(names, known, text)

    settings = settings or {}
    instances = tuple(known[name](settings.get(name), scenario_path) for name in names)
    return Configuration("+".join(names), instances)


def _check_combination(names: list[str], known: dict[str, type[Optimization]], text: str) -> None:
    if len(set(names)) != len(names):
        raise HarnessError(f"configuration {text!r} names an optimization twice; list each once")

    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            if second in known[first].conflicts or first in known[second].conflicts:
                raise HarnessError(
                    f"optimizations {first!r} and {second!r} conflict in configuration {text!r}; "
                    "drop one of them"
                )

    for name in names:
        reason = known[name].unavailable_reason()
        if reason:
            raise HarnessError(f"optimization {name!r} is unavailable on this machine: {reason}")


def check_settings(settings: dict[str, dict[str, Any]], scenario_path: str) -> None:
    """Reject [optimizations.X] tables that name no registered optimization."""
    known = registry()
    for name in settings:
        if name not in known:
            raise HarnessError(
                f"scenario {scenario_path}: [optimizations.{name}] names no known optimization; "
                "run 'rerank-bench optimizations' to list the valid names"
            )
