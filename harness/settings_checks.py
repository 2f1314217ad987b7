"""Checks of optimization settings, one clear error per invalid value."""

from __future__ import annotations

import logging

from harness.errors import HarnessError

log = logging.getLogger(__name__)


def check_positive(name: str, key: str, value, scenario_path: str, integer: bool = True) -> None:
    """Raise ``HarnessError`` unless ``value`` is a positive number (a whole one if ``integer``)."""
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value <= 0:
        expected = "a whole number of at least 1" if integer else "a number above 0"
        raise HarnessError(
            f"scenario {scenario_path}: [optimizations.{name}] {key} = {value!r} is invalid; use {expected}"
        )


def warn_if_no_effect(name: str, keep: int, runtime) -> None:
    """Log a warning when ``keep`` is at least the candidate count, so nothing is cut."""
    candidates = runtime.scenario.workload.candidates
    if keep >= candidates:
        log.warning(
            "%s keeps %d of %d candidates, so it changes nothing; set [optimizations.%s] keep below %d",
            name, keep, candidates, name, candidates,
        )
